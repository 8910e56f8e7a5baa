// Weighted splits through the real binary (issue 20, item 4): the share each upstream gets,
// counted at the upstreams, and retries staying on the upstream that was picked.

#include <gtest/gtest.h>

#include <string>

#include "tests/integration/proxy_fixture.h"

namespace outrigger::testing {
namespace {

class SplitTest : public ::testing::Test {
 protected:
  // One route splitting `/` between "users" and "users-canary"; `route_extra` is YAML lines
  // added to the route.
  void start(int users_weight, int canary_weight, const std::string& route_extra = "") {
    users_ = std::make_unique<MockUpstream>(dir_, "users");
    canary_ = std::make_unique<MockUpstream>(dir_, "canary");
    ASSERT_TRUE(users_->ok() && canary_->ok()) << "mock-upstream did not start";
    const std::string yaml =
        "admin: { listen: 127.0.0.1:0 }\n"
        "access_log: { path: off }\n"
        "listeners:\n"
        "  - name: main\n"
        "    listen: 127.0.0.1:0\n"
        "    routes:\n"
        "      - match: { path_prefix: / }\n"
        "        split: [ { upstream: users, weight: " +
        std::to_string(users_weight) +
        " }, { upstream: users-canary, weight: " + std::to_string(canary_weight) + " } ]\n" +
        route_extra +
        "upstreams:\n"
        "  users: { endpoints: [ \"" +
        users_->address() +
        "\" ] }\n"
        "  users-canary: { endpoints: [ \"" +
        canary_->address() + "\" ] }\n";
    proxy_ = std::make_unique<OutriggerProcess>(dir_, yaml);
    ASSERT_TRUE(proxy_->ok()) << "outrigger did not start:\n" << proxy_->log();
    port_ = proxy_->port("main");
  }

  TempDir dir_;
  std::unique_ptr<MockUpstream> users_;
  std::unique_ptr<MockUpstream> canary_;
  std::unique_ptr<OutriggerProcess> proxy_;
  uint16_t port_ = 0;
};

TEST_F(SplitTest, NinetyFiveFiveLandsWithinOneAndAHalfPoints) {
  start(95, 5);
  constexpr int kRequests = 10000;
  HttpConnection connection(port_);
  int ok = 0;
  for (int i = 0; i < kRequests; ++i) {
    auto r = connection.request("GET", "/get");
    if (r && r->status == 200) ok++;
  }
  ASSERT_EQ(ok, kRequests);
  const long users = users_->hits("/get");
  const long canary = canary_->hits("/get");
  EXPECT_EQ(users + canary, kRequests);
  EXPECT_NEAR(canary * 100.0 / kRequests, 5.0, 1.5) << users << " / " << canary;
  EXPECT_NEAR(users * 100.0 / kRequests, 95.0, 1.5);
  // The split shows in the per-upstream series.
  EXPECT_EQ(
      proxy_->metric("outrigger_requests_total", {{"upstream", "users-canary"}, {"code", "200"}})
          .value_or(0),
      canary);
  EXPECT_EQ(proxy_->metric("outrigger_requests_total", {{"upstream", "users"}, {"code", "200"}})
                .value_or(0),
            users);
}

TEST_F(SplitTest, RetriesStayOnTheUpstreamThatWasPicked) {
  start(1, 1, "        retry: { max_attempts: 3, backoff: { initial: 1ms, max: 2ms } }\n");
  canary_->kill();  // every attempt at the canary fails to connect
  constexpr int kRequests = 60;
  int ok = 0;
  int failed = 0;
  for (int i = 0; i < kRequests; ++i) {
    auto r = httpRequest(port_, "GET", "/get");
    ASSERT_TRUE(r);
    (r->status == 200 ? ok : failed)++;
    if (r->status != 200) {
      EXPECT_EQ(r->header("x-outrigger-reason"), "connect_failed");
    }
  }
  // Both were picked (1 in 2^59 that one never was), and no retry crossed to users.
  EXPECT_GT(ok, 0);
  EXPECT_GT(failed, 0);
  EXPECT_EQ(users_->hits("/get"), ok);
  EXPECT_EQ(proxy_
                ->metric("outrigger_upstream_attempts_total",
                         {{"upstream", "users-canary"}, {"outcome", "connect_failed"}})
                .value_or(0),
            3 * failed);
}

TEST_F(SplitTest, AZeroWeightUpstreamGetsNothing) {
  start(0, 1);
  for (int i = 0; i < 50; ++i) {
    auto r = httpRequest(port_, "GET", "/get");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(users_->hits("/get"), 0);
  EXPECT_EQ(canary_->hits("/get"), 50);
}

}  // namespace
}  // namespace outrigger::testing
