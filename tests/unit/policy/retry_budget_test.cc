#include "proxy/policy/retry_budget.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

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

// Workers share the budget without a lock: requests counted from several threads are all
// there, and retries withdrawn from several threads never add up to more than it allows.
TEST(RetryBudgetConcurrencyTest, NoRequestIsLostAndNoRetryOverspent) {
  ManualClock clock;
  RetryBudget budget(0.5, 0, seconds(10), clock.now());
  constexpr int kThreads = 4;
  constexpr int kRequestsEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRequestsEach; ++i) budget.recordRequest(clock.now());
    });
  }
  for (auto& thread : threads) thread.join();
  threads.clear();
  EXPECT_DOUBLE_EQ(budget.available(clock.now()), 0.5 * kThreads * kRequestsEach);

  std::atomic<int> allowed{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRequestsEach; ++i) allowed += budget.tryWithdraw(clock.now()) ? 1 : 0;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), kThreads * kRequestsEach / 2);  // exactly the budget, no more
  EXPECT_DOUBLE_EQ(budget.available(clock.now()), 0);
}

// Requests and retries racing each other, while one thread also slides the window: at every
// point a withdrawal sees a budget at least as large as the requests counted before it, so
// the retries granted never exceed the ratio of all requests plus the floor.
TEST(RetryBudgetConcurrencyTest, RacingRequestsAndRetriesKeepTheRatio) {
  ManualClock clock;
  const MonoTime start = clock.now();
  RetryBudget budget(0.25, 1, seconds(10), start);  // floor: 10 per window
  constexpr int kThreads = 4;
  constexpr int kRounds = 20000;
  std::atomic<int> requests{0}, retries{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        // Thread 0 walks `now` through 5 s, half a window: nothing ages out.
        const MonoTime now = start + milliseconds(t == 0 ? i / 4 : 0);
        budget.recordRequest(now);
        ++requests;
        for (int r = 0; r < 2; ++r) retries += budget.tryWithdraw(now) ? 1 : 0;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(requests.load(), kThreads * kRounds);
  EXPECT_LE(retries.load(), 0.25 * requests.load() + 10);
  // Every thread asked for two retries per request, so the budget was spent but for the
  // fraction earned by the last requests.
  EXPECT_GE(retries.load(), 0.25 * requests.load() + 10 - kThreads);
}

}  // namespace
}  // namespace outrigger::policy
