// The DNS refresher against a scripted resolver and a manual clock: what is looked up when,
// and what a lookup's result does to the upstream's addresses and outrigger_dns_failures_total.
#include "proxy/app/dns_refresher.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "proxy/metrics/policy_metrics.h"

namespace outrigger::app {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Answers resolveNow() from `answers`; holds background lookups until the test finishes them.
class ScriptedResolver final : public HostResolver {
 public:
  std::vector<io::SocketAddress> resolveNow(const std::string& host, uint16_t port,
                                            std::string* error) override {
    blocking.push_back(host);
    auto found = answers.find(host);
    if (found == answers.end()) {
      *error = "no such host";
      return {};
    }
    return {*io::SocketAddress::fromNumeric(found->second, port)};
  }
  void resolve(const std::string& host, uint16_t port, Done done) override {
    pending.push_back({host, port, std::move(done)});
  }
  // Completes every background lookup: with `ip`, or with an error when ip is "".
  void finishAll(const std::string& ip) {
    auto lookups = std::move(pending);
    pending.clear();
    for (auto& l : lookups) {
      if (ip.empty()) {
        l.done("timed out", {});
      } else {
        l.done("", {*io::SocketAddress::fromNumeric(ip, l.port)});
      }
    }
  }
  std::vector<std::string> pendingHosts() const {
    std::vector<std::string> hosts;
    for (const auto& l : pending) hosts.push_back(l.host);
    return hosts;
  }

  struct Lookup {
    std::string host;
    uint16_t port;
    Done done;
  };
  std::map<std::string, std::string> answers;  // host -> IP
  std::vector<std::string> blocking;           // hosts looked up with resolveNow, in order
  std::vector<Lookup> pending;
};

config::HostPort hostPort(const std::string& host, uint16_t port) {
  return {host, port, host + ":" + std::to_string(port)};
}

class DnsRefresherTest : public ::testing::Test {
 protected:
  // An upstream "u" with a named endpoint and a numeric one, refreshed every 30s.
  std::shared_ptr<exchange::Snapshot> generation(Duration dns_refresh = seconds(30),
                                                 const std::string& name = "u") {
    config::UpstreamConfig u;
    u.name = name;
    u.dns_refresh = dns_refresh;
    u.endpoints = {hostPort("db.internal", 5432), hostPort("10.0.0.7", 5432)};
    auto config = std::make_shared<config::Config>();
    config->upstreams.push_back(u);
    auto snapshot = std::make_shared<exchange::Snapshot>();
    snapshot->config = config;
    snapshot->upstreams[name] = std::make_shared<upstream::Upstream>(
        u, metrics_.upstream(name),
        policy_metrics_.upstream(name, {"db.internal:5432", "10.0.0.7:5432"}), clock_.now());
    return snapshot;
  }
  upstream::Upstream& upstreamOf(const std::string& name = "u") {
    return *current_->upstreams.at(name);
  }
  std::string addressOf(size_t endpoint, const std::string& name = "u") {
    auto address = upstreamOf(name).nextAddress(endpoint);
    return address ? address->toString() : "(none)";
  }
  std::string dnsFailures(const std::string& name = "u") {
    return "outrigger_dns_failures_total{upstream=\"" + name + "\"} ";
  }

  ManualClock clock_;
  ScriptedResolver resolver_;
  metrics::Metrics metrics_;
  metrics::PolicyMetrics policy_metrics_{metrics_.registry()};
  std::shared_ptr<exchange::Snapshot> current_;
  DnsRefresher refresher_{clock_, resolver_, metrics_, current_};
};

TEST_F(DnsRefresherTest, StartupLooksUpOnlyEndpointsWithoutAnAddress) {
  current_ = generation();
  resolver_.answers["db.internal"] = "10.1.1.1";
  refresher_.resolveUnresolved(*current_);
  EXPECT_THAT(resolver_.blocking, ElementsAre("db.internal"));  // not the numeric one
  EXPECT_EQ(addressOf(0), "10.1.1.1:5432");
  EXPECT_EQ(addressOf(1), "10.0.0.7:5432");
  EXPECT_THAT(metrics_.serialize(), Not(HasSubstr(dnsFailures())));

  // A reload keeps this runtime: nothing left to look up.
  refresher_.resolveUnresolved(*current_);
  EXPECT_THAT(resolver_.blocking, ElementsAre("db.internal"));
}

TEST_F(DnsRefresherTest, StartupFailureIsCountedAndTheEndpointStaysUnresolved) {
  current_ = generation();
  refresher_.resolveUnresolved(*current_);
  EXPECT_EQ(addressOf(0), "(none)");
  EXPECT_FALSE(upstreamOf().resolved(0));
  EXPECT_THAT(metrics_.serialize(), HasSubstr(dnsFailures() + "1\n"));
}

TEST_F(DnsRefresherTest, RefreshWaitsForTheShortestPeriodThenLooksUpNamedEndpoints) {
  current_ = generation(seconds(30));
  resolver_.answers["db.internal"] = "10.1.1.1";
  refresher_.resolveUnresolved(*current_);
  EXPECT_EQ(refresher_.schedule(), seconds(30));

  clock_.advance(seconds(29));
  EXPECT_EQ(refresher_.refreshIfDue(), seconds(1));  // fired early: waits out the rest
  EXPECT_THAT(resolver_.pending, IsEmpty());

  clock_.advance(seconds(1));
  EXPECT_EQ(refresher_.refreshIfDue(), seconds(30));
  EXPECT_THAT(resolver_.pendingHosts(), ElementsAre("db.internal"));
  resolver_.finishAll("10.2.2.2");
  EXPECT_EQ(addressOf(0), "10.2.2.2:5432");
  EXPECT_EQ(addressOf(1), "10.0.0.7:5432");
}

TEST_F(DnsRefresherTest, FailedRefreshKeepsTheOldAddressAndCounts) {
  current_ = generation();
  resolver_.answers["db.internal"] = "10.1.1.1";
  refresher_.resolveUnresolved(*current_);
  refresher_.schedule();
  clock_.advance(seconds(30));
  refresher_.refreshIfDue();
  resolver_.finishAll("");
  EXPECT_EQ(addressOf(0), "10.1.1.1:5432");
  EXPECT_THAT(metrics_.serialize(), HasSubstr(dnsFailures() + "1\n"));
}

TEST_F(DnsRefresherTest, ReloadRestartsThePeriodWithTheNewShortest) {
  current_ = generation(seconds(30));
  resolver_.answers["db.internal"] = "10.1.1.1";
  refresher_.schedule();
  clock_.advance(seconds(20));
  current_ = generation(seconds(5));  // a reload
  EXPECT_EQ(refresher_.schedule(), seconds(5));
  clock_.advance(seconds(5));
  EXPECT_EQ(refresher_.refreshIfDue(), seconds(5));
  EXPECT_THAT(resolver_.pendingHosts(), ElementsAre("db.internal"));
}

TEST_F(DnsRefresherTest, FailureForAnUpstreamAReloadRemovedIsNotCounted) {
  current_ = generation(seconds(30), "old");
  resolver_.answers["db.internal"] = "10.1.1.1";
  refresher_.resolveUnresolved(*current_);
  refresher_.schedule();
  clock_.advance(seconds(30));
  refresher_.refreshIfDue();
  current_ = generation(seconds(30), "new");  // the reload lands before the lookup ends
  resolver_.finishAll("");
  // Its series went with it (Metrics::removeUpstream); a count would bring it back.
  EXPECT_THAT(metrics_.serialize(), Not(HasSubstr(dnsFailures("old"))));
}

}  // namespace
}  // namespace outrigger::app
