// Retries on chosen 4xx through the real binary (issue 20, item 6): a listed 429 is retried
// after its Retry-After, and never counts against the breaker or outlier detection.

#include <gtest/gtest.h>

#include <chrono>

#include "tests/integration/proxy_fixture.h"

namespace outrigger::testing {
namespace {

using Clock = std::chrono::steady_clock;

class Retry4xxTest : public ProxyTest {};

TEST_F(Retry4xxTest, Listed429IsRetriedAfterRetryAfterAndLeavesTheBreakerClosed) {
  // One failure would open this breaker, and one would eject the only endpoint.
  startProxy(
      "    retry: { max_attempts: 3, backoff: { initial: 1ms, max: 5ms }, retry_on: [ 429, 503 ] "
      "}\n"
      "    circuit_breaker: { failure_threshold: 1, open_for: 30s }\n"
      "    outlier_detection: { consecutive_failures: 1, base_ejection: 30s }\n");
  const auto start = Clock::now();
  auto r = get("/intermittent?fail=1&key=a&code=429&retry_after=1");
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("X-Mock-Attempt"), "2");
  EXPECT_EQ(mock_->hits("/intermittent"), 2);
  EXPECT_GE(took, 900);  // the Retry-After, not the 1-5ms backoff
  EXPECT_LT(took, 2500);
  EXPECT_EQ(proxy_->metric("outrigger_circuit_breaker_state", {{"upstream", "mock"}}), 0);
  // Nothing was ejected or opened: the next request goes straight through.
  auto next = get("/get");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST_F(Retry4xxTest, UnlistedStatusIsPassedThroughOnce) {
  startProxy(
      "    retry: { max_attempts: 3, backoff: { initial: 1ms, max: 5ms }, retry_on: [ 429 ] }\n");
  auto r = get("/status/404");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(mock_->hits("/status/404"), 1);
  auto limited = get("/status/429");
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429);  // the last attempt's answer
  EXPECT_EQ(mock_->hits("/status/429"), 3);
}

}  // namespace
}  // namespace outrigger::testing
