// A route's own timeouts, retry and fallback through the real binary (issue 20, item 2): they
// override the upstream's for that route's requests only.

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "tests/integration/proxy_fixture.h"

namespace outrigger::testing {
namespace {

using Clock = std::chrono::steady_clock;

long elapsedMs(Clock::time_point start) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
}

class RoutePolicyTest : public ::testing::Test {
 protected:
  // The upstream waits 5s for a request and retries a 503 three times; the first route
  // (requests with x-route: tight) overrides with `route_keys`, the second keeps it all.
  void start(const std::string& route_keys) {
    mock_ = std::make_unique<MockUpstream>(dir_);
    ASSERT_TRUE(mock_->ok()) << "mock-upstream did not start";
    const std::string yaml =
        "admin: { listen: 127.0.0.1:0 }\n"
        "access_log: { path: off }\n"
        "listeners:\n"
        "  - name: main\n"
        "    listen: 127.0.0.1:0\n"
        "    routes:\n"
        "      - match: { path_prefix: /, headers: { x-route: tight } }\n"
        "        upstream: mock\n" +
        route_keys +
        "      - { path_prefix: /, upstream: mock }\n"
        "upstreams:\n"
        "  mock:\n"
        "    endpoints: [ \"" +
        mock_->address() +
        "\" ]\n"
        "    timeouts: { request: 5s }\n"
        "    retry: { max_attempts: 3, backoff: { initial: 1ms, max: 5ms } }\n";
    proxy_ = std::make_unique<OutriggerProcess>(dir_, yaml);
    ASSERT_TRUE(proxy_->ok()) << "outrigger did not start:\n" << proxy_->log();
    port_ = proxy_->port("main");
  }

  std::optional<HttpResponse> get(const std::string& target, bool tight) {
    return httpRequest(
        port_, "GET", target, "",
        tight ? std::vector<std::string>{"X-Route: tight"} : std::vector<std::string>{});
  }

  TempDir dir_;
  std::unique_ptr<MockUpstream> mock_;
  std::unique_ptr<OutriggerProcess> proxy_;
  uint16_t port_ = 0;
};

TEST_F(RoutePolicyTest, RouteRequestTimeoutCutsBeforeTheUpstreams) {
  start("        timeouts: { request: 1s }\n");
  const auto start_time = Clock::now();
  auto r = get("/slow?ms=3000", true);
  const long took = elapsedMs(start_time);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  EXPECT_EQ(r->header("x-outrigger-reason"), "request_timeout");
  EXPECT_GE(took, 900);
  EXPECT_LT(took, 2000);
  // The other route keeps the upstream's 5s: the 3s answer arrives.
  auto slow = get("/slow?ms=3000", false);
  ASSERT_TRUE(slow);
  EXPECT_EQ(slow->status, 200);
}

TEST_F(RoutePolicyTest, RoutePerTryTimeoutReachesTheAttempt) {
  start("        timeouts: { per_try: 300ms }\n        retry: { max_attempts: 1 }\n");
  const auto start_time = Clock::now();
  auto r = get("/slow?ms=3000", true);
  const long took = elapsedMs(start_time);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  EXPECT_EQ(r->header("x-outrigger-reason"), "upstream_timeout");
  EXPECT_GE(took, 250);
  EXPECT_LT(took, 1500);
}

TEST_F(RoutePolicyTest, RouteRetryMakesOneAttemptWhereTheUpstreamRetriesThree) {
  start("        retry: { max_attempts: 1 }\n");
  auto once = get("/status/503", true);
  ASSERT_TRUE(once);
  EXPECT_EQ(once->status, 503);
  EXPECT_EQ(mock_->hits("/status/503"), 1);
  mock_->resetStats();
  auto thrice = get("/status/503", false);
  ASSERT_TRUE(thrice);
  EXPECT_EQ(thrice->status, 503);
  EXPECT_EQ(mock_->hits("/status/503"), 3);
}

TEST_F(RoutePolicyTest, RouteFallbackAnswersForItsRequestsOnly) {
  start("        fallback: { response: { status: 200, body: \"[]\" } }\n");
  mock_->kill();  // every attempt fails to connect
  auto degraded = get("/get", true);
  ASSERT_TRUE(degraded);
  EXPECT_EQ(degraded->status, 200);
  EXPECT_EQ(degraded->body, "[]");
  EXPECT_EQ(degraded->header("x-outrigger-fallback"), "static");
  EXPECT_EQ(degraded->header("Content-Type"), "application/json");
  // The upstream has no fallback: the other route gets the local reply.
  auto plain = get("/get", false);
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 502);
  EXPECT_EQ(plain->header("x-outrigger-reason"), "connect_failed");
}

TEST(RoutePolicyCheckTest, CheckReportsRouteKeysWithTheirPositions) {
  TempDir dir;
  dir.write("bad.yaml",
            "listeners:\n"
            "  - name: main\n"
            "    listen: 127.0.0.1:0\n"
            "    routes:\n"
            "      - upstream: u\n"
            "        timeouts: { per_try: 20s, connect: 1s }\n"
            "        retry: { max_attempts: 0, budget: { ratio: 50% } }\n"
            "upstreams:\n"
            "  u: { endpoints: [ \"10.0.0.1:80\" ], timeouts: { request: 10s } }\n");
  std::string out;
  EXPECT_EQ(runOutrigger("--check -c " + dir.file("bad.yaml"), &out), 2);
  const std::string f = dir.file("bad.yaml");
  for (const std::string& expected :
       {f + ":6:19: listeners[0].routes[0].timeouts: per_try (20s) must not be longer than "
            "request (10s) once merged over upstream 'u'",
        f + ":6:35: listeners[0].routes[0].timeouts: unknown key 'connect' (expected one of: "
            "request, per_try, read, write)",
        f + ":7:32: listeners[0].routes[0].retry.max_attempts: must be at least 1, got '0'",
        f + ":7:35: listeners[0].routes[0].retry: the retry budget protects the upstream, so it "
            "is set on the upstream, not on a route"}) {
    EXPECT_NE(out.find(expected), std::string::npos) << expected << "\n---\n" << out;
  }
}

}  // namespace
}  // namespace outrigger::testing
