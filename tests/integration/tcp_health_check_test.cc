// Health checks of an upstream that only a protocol: tcp listener uses (issue 18): with no
// `type`, the check is a TCP connect, since an HTTP GET means nothing to Redis. Two real
// redis-servers behind one listener; one is killed, the check marks it unhealthy, and new
// tunnels go to the other without a single failed connect.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

#include "tests/integration/proxy_fixture.h"
#include "tests/integration/redis_server.h"
#include "tests/support/lib/http_client.h"

namespace outrigger::testing {
namespace {

std::string cliThrough(uint16_t port, const std::string& args) {
  std::string out;
  runCommand("/usr/bin/redis-cli -h 127.0.0.1 -p " + std::to_string(port) + " " + args, &out);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

class TcpHealthCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!redisInstalled()) GTEST_SKIP() << "redis-server is not installed";
    port_a_ = closedPort();
    redis_a_ = std::make_unique<RedisServer>(
        dir_a_, std::vector<std::string>{"--port", std::to_string(port_a_)});
    port_b_ = closedPort();
    redis_b_ = std::make_unique<RedisServer>(
        dir_b_, std::vector<std::string>{"--port", std::to_string(port_b_)});
    ASSERT_TRUE(redis_a_->ok() && redis_b_->ok());
  }

  void startProxy(const std::string& health_check) {
    const std::string yaml =
        "admin: { listen: 127.0.0.1:0 }\n"
        "access_log: { path: off }\n"
        "listeners:\n"
        "  - { name: redis, listen: 127.0.0.1:0, protocol: tcp, upstream: cache }\n"
        "upstreams:\n"
        "  cache:\n"
        "    endpoints: [ \"127.0.0.1:" +
        std::to_string(port_a_) + "\", \"127.0.0.1:" + std::to_string(port_b_) +
        "\" ]\n"
        "    load_balancing: round_robin\n"
        "    health_check: " +
        health_check + "\n";
    proxy_ = std::make_unique<OutriggerProcess>(dir_, yaml);
    ASSERT_TRUE(proxy_->ok()) << proxy_->log();
  }
  double healthy(uint16_t port) const {
    return proxy_
        ->metric("outrigger_endpoint_healthy",
                 {{"upstream", "cache"}, {"endpoint", "127.0.0.1:" + std::to_string(port)}})
        .value_or(-1);
  }
  double connectFailures() const {
    return proxy_
        ->metric("outrigger_upstream_attempts_total",
                 {{"upstream", "cache"}, {"outcome", "connect_failed"}})
        .value_or(0);
  }

  TempDir dir_, dir_a_, dir_b_;
  uint16_t port_a_ = 0, port_b_ = 0;
  std::unique_ptr<RedisServer> redis_a_, redis_b_;
  std::unique_ptr<OutriggerProcess> proxy_;
};

TEST_F(TcpHealthCheckTest, AnEndpointThatGoesDownIsSkippedWithoutAFailedConnect) {
  startProxy("{ interval: 100ms, timeout: 100ms, healthy_threshold: 1, unhealthy_threshold: 2 }");
  // Several rounds: a GET to Redis would have failed them (see the test below); both stay
  // healthy because the check only connects.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(cliThrough(proxy_->port("redis"), "PING"), "PONG");
  EXPECT_EQ(healthy(port_a_), 1);
  EXPECT_EQ(healthy(port_b_), 1);

  redis_a_->kill();
  ASSERT_TRUE(eventually([&] { return healthy(port_a_) == 0; })) << proxy_->log();
  EXPECT_EQ(healthy(port_b_), 1);
  const double failed_before = connectFailures();
  EXPECT_EQ(failed_before, 0);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(cliThrough(proxy_->port("redis"), "SET k" + std::to_string(i) + " v"), "OK");
  }
  EXPECT_EQ(connectFailures(), failed_before) << "a connect went to the unhealthy endpoint";
  EXPECT_EQ(redis_b_->cli("DBSIZE"), "6\n");
  // The config says which check runs.
  auto config = httpRequest(proxy_->adminPort(), "GET", "/config");
  ASSERT_TRUE(config);
  EXPECT_NE(config->body.find("type: tcp"), std::string::npos) << config->body;
}

TEST_F(TcpHealthCheckTest, AnHttpCheckOfRedisMarksEveryEndpointUnhealthy) {
  // What `type: tcp` is for: asked for explicitly, an HTTP check fails on Redis (panic then
  // keeps sending to all of them).
  startProxy(
      "{ type: http, interval: 100ms, timeout: 100ms, healthy_threshold: 1, "
      "unhealthy_threshold: 1 }");
  EXPECT_TRUE(eventually([&] { return healthy(port_a_) == 0 && healthy(port_b_) == 0; }))
      << proxy_->log();
  EXPECT_EQ(cliThrough(proxy_->port("redis"), "PING"), "PONG");
}

}  // namespace
}  // namespace outrigger::testing
