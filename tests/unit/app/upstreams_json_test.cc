#include "proxy/app/upstreams_json.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "proxy/metrics/metrics.h"
#include "proxy/metrics/policy_metrics.h"

namespace outrigger::app {
namespace {

// JSON is YAML, so yaml-cpp both checks the output is well formed and reads it back.
class UpstreamsJsonTest : public ::testing::Test {
 protected:
  void add(config::UpstreamConfig u) {
    std::vector<std::string> endpoints;
    for (const auto& e : u.endpoints) endpoints.push_back(e.text);
    auto runtime = std::make_shared<upstream::Upstream>(
        u, metrics_.upstream(u.name), policy_metrics_.upstream(u.name, endpoints), now_);
    config_->upstreams.push_back(u);
    snapshot_.upstreams[u.name] = runtime;
  }
  YAML::Node render() {
    snapshot_.config = config_;
    return YAML::Load(upstreamsJson(snapshot_, now_));
  }

  metrics::Metrics metrics_;
  metrics::PolicyMetrics policy_metrics_{metrics_.registry()};
  std::shared_ptr<config::Config> config_ = std::make_shared<config::Config>();
  exchange::Snapshot snapshot_;
  MonoTime now_ = MonoTime{} + seconds(100);
};

config::UpstreamConfig upstreamNamed(const std::string& name) {
  config::UpstreamConfig u;
  u.name = name;
  u.endpoints = {config::HostPort{"127.0.0.1", 8080, "127.0.0.1:8080"},
                 config::HostPort{"127.0.0.1", 8081, "127.0.0.1:8081"}};
  return u;
}

TEST_F(UpstreamsJsonTest, PlainUpstreamHasNullPoliciesAndItsEndpoints) {
  snapshot_.generation = 7;
  add(upstreamNamed("plain"));
  YAML::Node doc = render();
  EXPECT_EQ(doc["generation"].as<int>(), 7);
  ASSERT_EQ(doc["upstreams"].size(), 1u);
  YAML::Node u = doc["upstreams"][0];
  EXPECT_EQ(u["name"].as<std::string>(), "plain");
  EXPECT_TRUE(u["circuit_breaker"].IsNull());
  EXPECT_TRUE(u["bulkhead"].IsNull());
  EXPECT_TRUE(u["rate_limit"].IsNull());
  ASSERT_EQ(u["endpoints"].size(), 2u);
  EXPECT_EQ(u["endpoints"][1]["address"].as<std::string>(), "127.0.0.1:8081");
  EXPECT_TRUE(u["endpoints"][0]["resolved"].as<bool>());  // numeric: no lookup needed
  EXPECT_TRUE(u["endpoints"][0]["healthy"].as<bool>());
  EXPECT_FALSE(u["endpoints"][0]["ejected"].as<bool>());
  EXPECT_EQ(u["endpoints"][0]["pool"]["idle"].as<int>(), 0);
}

TEST_F(UpstreamsJsonTest, OpenTunnelsAreShownByKind) {
  add(upstreamNamed("cache"));
  EXPECT_EQ(render()["upstreams"][0]["tunnels"]["tcp"].as<int>(), 0);  // none opened yet
  metrics::UpstreamMetrics& m = metrics_.upstream("cache");
  m.tunnelsActive(metrics::TunnelKind::kTcp).Increment(3);
  m.tunnelsActive(metrics::TunnelKind::kConnect).Increment();
  YAML::Node tunnels = render()["upstreams"][0]["tunnels"];
  EXPECT_EQ(tunnels["websocket"].as<int>(), 0);
  EXPECT_EQ(tunnels["connect"].as<int>(), 1);
  EXPECT_EQ(tunnels["tcp"].as<int>(), 3);
}

TEST_F(UpstreamsJsonTest, OpenBreakerShowsTimeLeftAndPoliciesShowTheirState) {
  config::UpstreamConfig u = upstreamNamed("guarded");
  u.policies.circuit_breaker = policy::CircuitBreakerConfig{};
  u.policies.circuit_breaker->failure_threshold = 1;
  u.policies.circuit_breaker->open_for = seconds(30);
  u.policies.bulkhead = policy::BulkheadConfig{};
  u.policies.bulkhead->max_concurrent = 5;
  u.policies.bulkhead->max_queue = 3;
  u.policies.rate_limit = config::RateLimitConfig{10, 4};
  add(u);
  auto& policies = snapshot_.upstreams["guarded"]->policies();
  auto permit = policies.acquireBreaker(now_);
  policies.recordBreaker(now_, permit, policy::AttemptOutcome::kConnectFailed, milliseconds(1));
  now_ += seconds(10);
  policies.takeRateToken(now_);

  YAML::Node g = render()["upstreams"][0];
  EXPECT_EQ(g["circuit_breaker"]["state"].as<std::string>(), "open");
  EXPECT_EQ(g["circuit_breaker"]["open_remaining_ms"].as<int>(), 20000);
  EXPECT_EQ(g["bulkhead"]["active"].as<int>(), 0);
  EXPECT_EQ(g["bulkhead"]["max_concurrent"].as<int>(), 5);
  EXPECT_EQ(g["bulkhead"]["max_queue"].as<int>(), 3);
  EXPECT_DOUBLE_EQ(g["rate_limit"]["tokens"].as<double>(), 3);
  EXPECT_DOUBLE_EQ(g["rate_limit"]["burst"].as<double>(), 4);
}

TEST_F(UpstreamsJsonTest, NamesAreEscaped) {
  add(upstreamNamed("a\"b\\c"));
  EXPECT_EQ(render()["upstreams"][0]["name"].as<std::string>(), "a\"b\\c");
}

TEST_F(UpstreamsJsonTest, GlobalRateLimitShowsFleetLeaseAndTokensAndTheStoreItsState) {
  config::UpstreamConfig u = upstreamNamed("fleet");
  u.policies.rate_limit = config::RateLimitConfig{300, 30, config::RateLimitScope::kGlobal};
  add(u);
  policy::GlobalRateLease* lease = snapshot_.upstreams["fleet"]->policies().globalRateLease();
  ASSERT_NE(lease, nullptr);
  ASSERT_TRUE(lease->leaseToRequest(now_));
  lease->onLeaseGranted(40, 3, now_);
  lease->tryTake(now_);
  snapshot_.config = config_;
  const StoreStatus store{"unix:/run/redis.sock", false, "connection lost: refused"};
  YAML::Node doc = YAML::Load(upstreamsJson(snapshot_, now_, &store));
  EXPECT_EQ(doc["store"]["address"].as<std::string>(), "unix:/run/redis.sock");
  EXPECT_FALSE(doc["store"]["connected"].as<bool>());
  EXPECT_EQ(doc["store"]["last_error"].as<std::string>(), "connection lost: refused");
  YAML::Node r = doc["upstreams"][0]["rate_limit"];
  EXPECT_EQ(r["scope"].as<std::string>(), "global");
  EXPECT_EQ(r["fleet_size"].as<int>(), 3);
  EXPECT_EQ(r["lease"].as<int>(), 40);
  EXPECT_EQ(r["tokens_left"].as<int>(), 39);
  EXPECT_TRUE(r["store_ok"].as<bool>());
}

TEST_F(UpstreamsJsonTest, NoRedisBlockMeansANullStore) {
  add(upstreamNamed("plain"));
  EXPECT_TRUE(render()["store"].IsNull());
}

}  // namespace
}  // namespace outrigger::app
