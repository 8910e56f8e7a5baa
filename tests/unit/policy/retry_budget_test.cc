#include "proxy/policy/retry_budget.h"

#include <gtest/gtest.h>

#include <chrono>

namespace outrigger::policy {
namespace {

using std::chrono::hours;

int withdrawAll(RetryBudget& budget, MonoTime now, int limit = 100000) {
  int allowed = 0;
  while (allowed < limit && budget.tryWithdraw(now)) ++allowed;
  return allowed;
}

TEST(RetryBudgetTest, RatioHoldsWhenEveryRequestFails) {
  ManualClock clock;
  RetryBudget budget(0.2, 10, seconds(10), clock.now());  // floor: 10/s * 10s = 100
  int retries = 0;
  // 1000 failing requests over 5s, each trying two retries.
  for (int i = 1; i <= 1000; ++i) {
    clock.advance(milliseconds(5));
    budget.recordRequest(clock.now());
    for (int r = 0; r < 2; ++r) retries += budget.tryWithdraw(clock.now()) ? 1 : 0;
    ASSERT_LE(retries, 0.2 * i + 100 + 1) << "after request " << i;
  }
  EXPECT_EQ(retries, 300);  // 20% of 1000 plus the floor of 100
  EXPECT_FALSE(budget.tryWithdraw(clock.now()));
}

TEST(RetryBudgetTest, FloorLetsALowTrafficServiceRetry) {
  ManualClock clock;
  RetryBudget budget(0.2, 1, seconds(10), clock.now());  // floor: 10 retries per window
  EXPECT_EQ(withdrawAll(budget, clock.now()), 10);

  RetryBudget with_traffic(0.2, 1, seconds(10), clock.now());
  for (int i = 0; i < 3; ++i) with_traffic.recordRequest(clock.now());
  EXPECT_DOUBLE_EQ(with_traffic.available(clock.now()), 10.6);
  EXPECT_EQ(withdrawAll(with_traffic, clock.now()), 11);
}

TEST(RetryBudgetTest, NoFloorAndNoTrafficMeansNoRetries) {
  ManualClock clock;
  RetryBudget budget(0.5, 0, seconds(10), clock.now());
  EXPECT_FALSE(budget.tryWithdraw(clock.now()));
  budget.recordRequest(clock.now());
  EXPECT_TRUE(budget.tryWithdraw(clock.now()));  // 0 < 0.5
  EXPECT_FALSE(budget.tryWithdraw(clock.now()));
}

TEST(RetryBudgetTest, ARefusedRetryIsNotCounted) {
  ManualClock clock;
  RetryBudget budget(0.5, 0, seconds(10), clock.now());
  for (int i = 0; i < 4; ++i) budget.recordRequest(clock.now());
  EXPECT_EQ(withdrawAll(budget, clock.now()), 2);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(budget.tryWithdraw(clock.now()));
  // Two more requests earn exactly one more retry: the refusals spent nothing.
  budget.recordRequest(clock.now());
  budget.recordRequest(clock.now());
  EXPECT_EQ(withdrawAll(budget, clock.now()), 1);
}

TEST(RetryBudgetTest, WindowSlidesAndOldCountsAgeOut) {
  ManualClock clock;
  const MonoTime start = clock.now();
  RetryBudget budget(0.5, 0, seconds(10), start);  // buckets of 1s

  for (int i = 0; i < 10; ++i) budget.recordRequest(clock.now());
  EXPECT_EQ(withdrawAll(budget, clock.now()), 5);

  clock.set(start + seconds(5));
  for (int i = 0; i < 10; ++i) budget.recordRequest(clock.now());
  EXPECT_DOUBLE_EQ(budget.available(clock.now()), 5);  // 0.5 * 20 - 5

  // Just before the first bucket leaves the window nothing changes ...
  clock.set(start + seconds(10) - std::chrono::nanoseconds(1));
  EXPECT_DOUBLE_EQ(budget.available(clock.now()), 5);
  // ... then its 10 requests and 5 retries age out together.
  clock.set(start + seconds(10));
  EXPECT_DOUBLE_EQ(budget.available(clock.now()), 5);  // 0.5 * 10 - 0
  EXPECT_EQ(withdrawAll(budget, clock.now()), 5);

  // The second burst of requests ages out at 15s; the retries just spent stay until 20s.
  clock.set(start + seconds(15));
  EXPECT_DOUBLE_EQ(budget.available(clock.now()), -5);
  EXPECT_FALSE(budget.tryWithdraw(clock.now()));
  clock.set(start + seconds(20));
  EXPECT_DOUBLE_EQ(budget.available(clock.now()), 0);
}

TEST(RetryBudgetTest, AnIdleGapLongerThanTheWindowClearsEverything) {
  ManualClock clock;
  RetryBudget budget(0.2, 0, seconds(10), clock.now());
  for (int i = 0; i < 100; ++i) budget.recordRequest(clock.now());
  EXPECT_EQ(withdrawAll(budget, clock.now()), 20);
  clock.advance(hours(5));
  EXPECT_DOUBLE_EQ(budget.available(clock.now()), 0);
  for (int i = 0; i < 10; ++i) budget.recordRequest(clock.now());
  EXPECT_EQ(withdrawAll(budget, clock.now()), 2);
}

TEST(RetryBudgetTest, AnOlderNowCountsInTheNewestBucket) {
  ManualClock clock;
  const MonoTime start = clock.now();
  RetryBudget budget(1, 0, seconds(10), start);
  clock.set(start + seconds(3));
  budget.recordRequest(clock.now());
  budget.recordRequest(start + seconds(1));  // read before another thread's call
  clock.set(start + seconds(12));            // the bucket of 1s would be gone by now
  EXPECT_DOUBLE_EQ(budget.available(clock.now()), 2);
  clock.set(start + seconds(13));
  EXPECT_DOUBLE_EQ(budget.available(clock.now()), 0);
}

}  // namespace
}  // namespace outrigger::policy
