// rate_limit.scope: global with real redis-server and outrigger processes: three replicas
// share one limit, Redis dies and comes back under each on_store_error, and Redis logins
// (password, ACL user, a wrong password).
//
// The accuracy cases warm up for 1.5s, then measure 6s (the issue asks for 10s; 6s keeps
// each case under 10s of wall time, and the bound is the same relative one).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <csignal>
#include <memory>
#include <thread>
#include <vector>

#include "tests/integration/proxy_fixture.h"
#include "tests/integration/redis_server.h"

namespace outrigger::testing {
namespace {

using Clock = std::chrono::steady_clock;
using ::testing::HasSubstr;
using ::testing::Not;

// Sends GET /get at a steady `rate` over one keep-alive connection until stopped, and
// counts the answers.
class PacedLoad {
 public:
  struct Counts {
    int ok = 0, limited = 0, other = 0;
    long slowest_ms = 0;
  };

  PacedLoad(uint16_t port, double rate) : port_(port), rate_(rate) {
    thread_ = std::thread([this] { run(); });
  }
  ~PacedLoad() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  Counts counts() const { return {ok_.load(), limited_.load(), other_.load(), slowest_ms_.load()}; }

 private:
  void run() {
    auto c = std::make_unique<HttpConnection>(port_, std::chrono::milliseconds(3000));
    const auto start = Clock::now();
    for (long i = 0; !stop_; ++i) {
      const auto due = start + std::chrono::microseconds(static_cast<long>(i * 1e6 / rate_));
      std::this_thread::sleep_until(due);
      const auto sent = Clock::now();
      auto r = c->request("GET", "/get");
      slowest_ms_ = std::max(slowest_ms_.load(), elapsedMs(sent));
      if (r && r->status == 200) {
        ++ok_;
      } else if (r && r->status == 429) {
        ++limited_;
      } else {
        ++other_;
      }
      if (!r || r->header("Connection") == "close")
        c = std::make_unique<HttpConnection>(port_, std::chrono::milliseconds(3000));
    }
  }

  uint16_t port_;
  double rate_;
  std::atomic<bool> stop_{false};
  std::atomic<int> ok_{0}, limited_{0}, other_{0};
  std::atomic<long> slowest_ms_{0};
  std::thread thread_;
};

PacedLoad::Counts minus(PacedLoad::Counts a, const PacedLoad::Counts& b) {
  a.ok -= b.ok;
  a.limited -= b.limited;
  a.other -= b.other;
  return a;
}

class GlobalRateLimitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!redisInstalled())
      GTEST_SKIP() << "redis-server is not installed (apt-get install redis-server)";
    mock_ = std::make_unique<MockUpstream>(dir_);
    ASSERT_TRUE(mock_->ok());
  }

  // `redis_extra` goes into the redis block, e.g. ", password: pw".
  std::string config(double rps, const std::string& on_store_error, const std::string& address,
                     const std::string& redis_extra = "", double burst = 30) {
    return proxyConfig(mock_->address(),
                       "    rate_limit: { requests_per_second: " + std::to_string(rps) +
                           ", burst: " + std::to_string(burst) +
                           ", scope: global, on_store_error: " + on_store_error + " }\n",
                       "",
                       "redis: { address: \"" + address +
                           "\", timeouts: { connect: 200ms, "
                           "command: 100ms }" +
                           redis_extra + " }\n");
  }

  std::unique_ptr<OutriggerProcess> startReplica(const std::string& yaml, int index) {
    auto p = std::make_unique<OutriggerProcess>(dir_, yaml, "outrigger" + std::to_string(index));
    EXPECT_TRUE(p->ok()) << p->log();
    return p;
  }

  std::string upstreams(const OutriggerProcess& p) {
    auto r = httpRequest(p.adminPort(), "GET", "/upstreams");
    return r ? r->body : "";
  }

  // The measured window: 6 s in CI; OUTRIGGER_FLEET_SECONDS=10 gives the 10 s run that
  // bench/RESULTS.md records.
  static std::chrono::seconds fleetWindow() {
    const char* text = std::getenv("OUTRIGGER_FLEET_SECONDS");
    const int seconds = text != nullptr ? std::atoi(text) : 0;
    return std::chrono::seconds(seconds >= 3 ? seconds : 6);
  }

  // Three replicas sharing 300/s, offered 900/s split by `shares`; checks the admitted rate
  // and the Redis commands per 1,000 admitted. With `restart_one`, replica 2 is killed 2s
  // into the measured window and a new one takes its place and its traffic.
  void runFleet(const double (&shares)[3], bool restart_one = false) {
    RedisServer redis(dir_);
    ASSERT_TRUE(redis.ok());
    std::vector<std::unique_ptr<OutriggerProcess>> fleet;
    for (int i = 0; i < 3; ++i)
      fleet.push_back(startReplica(config(300, "local", redis.address()), i));
    for (auto& p : fleet) ASSERT_TRUE(p->ok());
    ASSERT_TRUE(eventually([&] {
      return upstreams(*fleet[0]).find("\"fleet_size\":3") != std::string::npos;
    })) << upstreams(*fleet[0]);
    std::vector<std::unique_ptr<PacedLoad>> load;
    for (int i = 0; i < 3; ++i)
      load.push_back(std::make_unique<PacedLoad>(fleet[i]->port("main"), 900 * shares[i]));
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    std::vector<PacedLoad::Counts> before;
    for (auto& l : load) before.push_back(l->counts());
    const long commands_before = redis.leaseCommands();
    const auto measured_from = Clock::now();
    if (restart_one) {
      std::this_thread::sleep_for(std::chrono::seconds(2));
      fleet[2]->signal(SIGKILL);
      fleet[2]->wait(std::chrono::milliseconds(2000));
      load[2]->stop();
      fleet.push_back(startReplica(config(300, "local", redis.address()), 3));
      ASSERT_TRUE(fleet[3]->ok());
      load.push_back(std::make_unique<PacedLoad>(fleet[3]->port("main"), 900 * shares[2]));
      before.push_back({});
      std::this_thread::sleep_until(measured_from + fleetWindow());
    } else {
      std::this_thread::sleep_for(fleetWindow());
    }
    std::vector<PacedLoad::Counts> after;
    for (auto& l : load) after.push_back(l->counts());
    const long commands = redis.leaseCommands() - commands_before;
    const double seconds = elapsedMs(measured_from) / 1000.0;
    for (auto& l : load) l->stop();

    int admitted = 0, offered = 0;
    for (size_t i = 0; i < load.size(); ++i) {
      const PacedLoad::Counts c = minus(after[i], before[i]);
      admitted += c.ok;
      offered += c.ok + c.limited;
      // The killed replica's last requests fail; they are the test's doing, not outrigger's.
      if (!(restart_one && i == 2)) {
        EXPECT_EQ(c.other, 0) << "replica " << i << " answered other than 200 or 429";
      }
    }
    const double rate = admitted / seconds;
    std::cout << "admitted " << rate << "/s of " << offered / seconds << "/s offered over "
              << seconds << " s; " << commands
              << " lease commands, " << commands * 1000.0 / admitted << " per 1,000 admitted\n";
    // The load generators may fall behind on a busy machine; the limit must still bind.
    ASSERT_GT(offered / seconds, 600) << "the load generators could not offer enough";
    EXPECT_NEAR(rate, 300, 30);
    EXPECT_LE(commands * 1000.0 / admitted, 20.0);
  }

  // One replica limited to 100/s, offered 200/s; Redis is killed for 3s and restarted.
  // Returns the counts while Redis was down.
  PacedLoad::Counts runOutage(const std::string& on_store_error) {
    RedisServer redis(dir_);
    EXPECT_TRUE(redis.ok());
    auto p = startReplica(config(100, on_store_error, redis.address()), 0);
    if (!p->ok()) return {};
    PacedLoad load(p->port("main"), 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    redis.kill();
    // Leased tokens last at most a lease period (2s) at this rate; measure after them.
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    const PacedLoad::Counts down_from = load.counts();
    std::this_thread::sleep_for(std::chrono::milliseconds(2000));
    const PacedLoad::Counts down = minus(load.counts(), down_from);
    EXPECT_EQ(p->metric("outrigger_store_up").value_or(-1), 0);
    EXPECT_THAT(upstreams(*p), HasSubstr("\"connected\":false"));
    EXPECT_TRUE(redis.start());
    // Reconnect backoff is at most 5s.
    EXPECT_TRUE(eventually([&] { return p->metric("outrigger_store_up").value_or(0) == 1; },
                           std::chrono::milliseconds(8000)))
        << p->log();
    // Back on leases: about 100/s admitted again, not the fallback's behaviour.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    const PacedLoad::Counts up_from = load.counts();
    std::this_thread::sleep_for(std::chrono::milliseconds(2000));
    const PacedLoad::Counts up = minus(load.counts(), up_from);
    load.stop();
    // The limit's 200 in 2s, or what the load generator managed to offer on a busy machine.
    const int offered_up = up.ok + up.limited + up.other;
    EXPECT_NEAR(up.ok, std::min(200, offered_up), 50)
        << "after recovery, " << offered_up << " offered in 2s";
    const PacedLoad::Counts total = load.counts();
    EXPECT_EQ(total.other, 0) << "outrigger answered other than 200 or 429";
    EXPECT_LT(total.slowest_ms, 1000) << "a request waited on Redis";
    // The outage is logged: as a lost connection, or, on a loaded machine, as a command that
    // timed out before the loss was seen.
    EXPECT_THAT(p->log(), ::testing::AnyOf(HasSubstr("connection lost"),
                                           HasSubstr("(commands fail until it is back)")));
    return down;
  }

  TempDir dir_;
  std::unique_ptr<MockUpstream> mock_;
};

TEST_F(GlobalRateLimitTest, ThreeReplicasSplitEvenlyShareTheLimit) {
  runFleet({1.0 / 3, 1.0 / 3, 1.0 / 3});
}

TEST_F(GlobalRateLimitTest, ThreeReplicasSplit60_30_10ShareTheLimit) { runFleet({0.6, 0.3, 0.1}); }

TEST_F(GlobalRateLimitTest, ThreeReplicasShareTheLimitWhileOneRestarts) {
  runFleet({1.0 / 3, 1.0 / 3, 1.0 / 3}, /*restart_one=*/true);
}

TEST_F(GlobalRateLimitTest, RedisDownWithLocalFallsBackToTheLocalShare) {
  const PacedLoad::Counts down = runOutage("local");
  // A bucket of 100/s (fleet of one) over 2s, offered 200/s.
  EXPECT_NEAR(down.ok / 2.0, 100, 25);
  EXPECT_GT(down.limited, 0);
}

TEST_F(GlobalRateLimitTest, RedisDownWithAllowAdmitsEverything) {
  const PacedLoad::Counts down = runOutage("allow");
  EXPECT_GT(down.ok, 300);
  EXPECT_EQ(down.limited, 0);
}

TEST_F(GlobalRateLimitTest, RedisDownWithDenyRejectsEverything) {
  const PacedLoad::Counts down = runOutage("deny");
  EXPECT_EQ(down.ok, 0);
  EXPECT_GT(down.limited, 300);
}

TEST_F(GlobalRateLimitTest, PasswordLogin) {
  RedisServer redis(dir_, {"--requirepass", "s3cret"});
  redis.setAdminPassword("s3cret");
  ASSERT_TRUE(redis.ok());
  auto p = startReplica(config(50, "deny", redis.address(), ", password: s3cret"), 0);
  // A lease came back: the script ran, so AUTH passed.
  ASSERT_TRUE(eventually([&] {
    return upstreams(*p).find("\"store_ok\":true") != std::string::npos;
  })) << upstreams(*p)
      << p->log();
  EXPECT_THAT(upstreams(*p), HasSubstr("\"connected\":true"));
  EXPECT_GT(redis.leaseCommands(), 0);
}

TEST_F(GlobalRateLimitTest, AclUserLogin) {
  RedisServer redis(dir_);
  ASSERT_TRUE(redis.ok());
  ASSERT_THAT(redis.cli("ACL SETUSER fleet on '>fleetpw' '~*' '+@all'"), HasSubstr("OK"));
  auto p = startReplica(
      config(50, "deny", redis.address(), ", username: fleet, password: fleetpw, database: 2"), 0);
  ASSERT_TRUE(eventually([&] {
    return upstreams(*p).find("\"store_ok\":true") != std::string::npos;
  })) << upstreams(*p)
      << p->log();
  // SELECT 2 took effect: the keys are in database 2, not 0.
  EXPECT_THAT(redis.cli("-n 2 KEYS '*'"), HasSubstr("outrigger:{mock}:rate_limit:bucket"))
      << "database 0: " << redis.cli("-n 0 KEYS '*'");
}

TEST_F(GlobalRateLimitTest, WrongPasswordIsLoggedAndTheLocalFallbackApplies) {
  RedisServer redis(dir_, {"--requirepass", "right"});
  ASSERT_TRUE(redis.ok());
  auto p =
      startReplica(config(20, "local", redis.address(), ", password: not-the-password-9f3", 5), 0);
  ASSERT_TRUE(eventually([&] { return p->log().find("AUTH failed") != std::string::npos; }))
      << p->log();
  EXPECT_THAT(p->log(), HasSubstr("WRONGPASS"));
  EXPECT_THAT(p->log(), Not(HasSubstr("not-the-password-9f3")));  // never logged
  EXPECT_THAT(upstreams(*p), HasSubstr("\"connected\":false"));
  // The local bucket (20/s, burst 5, fleet of one): 40 requests at once get about 5 through.
  HttpConnection c(p->port("main"));
  int ok = 0, limited = 0;
  for (int i = 0; i < 40; ++i) {
    auto r = c.request("GET", "/get");
    ASSERT_TRUE(r);
    if (r->status == 200) ++ok;
    if (r->status == 429) ++limited;
  }
  EXPECT_GE(ok, 5);
  EXPECT_LE(ok, 12);
  EXPECT_EQ(ok + limited, 40);
}

TEST_F(GlobalRateLimitTest, ReloadAddsChangesAndRemovesRedisWithoutDroppingARequest) {
  RedisServer redis(dir_);
  ASSERT_TRUE(redis.ok());
  TempDir other_dir;
  RedisServer other(other_dir);
  ASSERT_TRUE(other.ok());
  // A limit far above the traffic: every request must get a 200 throughout.
  const std::string local = proxyConfig(
      mock_->address(), "    rate_limit: { requests_per_second: 100000, burst: 100000 }\n");
  auto p = startReplica(local, 0);
  ASSERT_TRUE(p->ok());
  const auto reloads = [&] {
    return p->metric("outrigger_config_reloads_total", {{"result", "success"}}).value_or(0);
  };
  BackgroundTraffic traffic(p->port("main"), "/get");
  const std::string steps[] = {config(100000, "allow", redis.address(), "", 100000),
                               config(100000, "allow", other.address(), "", 100000), local};
  for (size_t i = 0; i < std::size(steps); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    p->writeConfig(steps[i]);
    ASSERT_TRUE(eventually([&] { return reloads() == static_cast<double>(i + 1); })) << p->log();
    if (i < 2) {
      RedisServer& now_used = i == 0 ? redis : other;
      EXPECT_TRUE(eventually([&] { return now_used.leaseCommands() > 0; })) << p->log();
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  traffic.stop();
  EXPECT_EQ(traffic.failed(), 0) << traffic.firstFailure();
  EXPECT_GT(traffic.ok(), 100);
  EXPECT_THAT(upstreams(*p), HasSubstr("\"store\":null"));
  EXPECT_FALSE(p->metric("outrigger_store_up").has_value());
}

}  // namespace
}  // namespace outrigger::testing
