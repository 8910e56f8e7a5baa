// The breaker's lock-free success path (recordSuccess / checkTriggers) and how it meets the
// failures recorded under the caller's lock: single-threaded transitions, then real threads.
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "proxy/policy/circuit_breaker.h"

namespace outrigger::policy {
namespace {

constexpr Duration kFast = milliseconds(10);

CircuitBreakerConfig rateConfig(double failure_rate, uint32_t minimum_requests) {
  CircuitBreakerConfig config;
  config.failure_threshold = 0;  // only the rate
  config.failure_rate = failure_rate;
  config.minimum_requests = minimum_requests;
  return config;
}

TEST(CircuitBreakerSuccessPathTest, SuccessesWithNoFailureInTheWindowNeedNoCheck) {
  ManualClock clock;
  CircuitBreaker breaker(rateConfig(0.5, 4), clock.now());
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(breaker.recordSuccess(clock.now(), kFast));
  EXPECT_EQ(breaker.windowCounts(clock.now()).calls, 10u);
  EXPECT_TRUE(breaker.isClosed());
}

TEST(CircuitBreakerSuccessPathTest, ASuccessThatBringsFailuresUpToTheMinimumAsksForACheck) {
  ManualClock clock;
  std::vector<std::string> transitions;
  CircuitBreaker breaker(
      rateConfig(0.5, 4), clock.now(), [&](BreakerState, BreakerState to, std::string_view why) {
        transitions.push_back(std::string(breakerStateName(to)) + ": " + std::string(why));
      });
  for (int i = 0; i < 3; ++i) breaker.onFailure(clock.now(), kFast, false);
  EXPECT_TRUE(breaker.isClosed());  // 3 calls, under the minimum of 4
  EXPECT_TRUE(breaker.recordSuccess(clock.now(), kFast));
  EXPECT_TRUE(breaker.isClosed());  // recordSuccess only counts; the check trips it
  breaker.checkTriggers(clock.now());
  EXPECT_FALSE(breaker.isClosed());
  EXPECT_EQ(transitions, std::vector<std::string>{"open: failure rate 75% over 10s"});
}

TEST(CircuitBreakerSuccessPathTest, FailuresThatAgedOutNeedNoCheck) {
  ManualClock clock;
  CircuitBreaker breaker(rateConfig(0.5, 4), clock.now());
  for (int i = 0; i < 3; ++i) breaker.onFailure(clock.now(), kFast, false);
  clock.advance(seconds(10));  // the window (10 s) slid past them
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(breaker.recordSuccess(clock.now(), kFast));
  EXPECT_EQ(breaker.windowCounts(clock.now()).failures, 0u);
}

TEST(CircuitBreakerSuccessPathTest, ASlowSuccessAsksForACheck) {
  ManualClock clock;
  CircuitBreakerConfig config;
  config.slow_call_duration = milliseconds(500);
  config.slow_call_rate = 0.5;
  config.minimum_requests = 2;
  CircuitBreaker breaker(config, clock.now());
  EXPECT_FALSE(breaker.recordSuccess(clock.now(), kFast));
  EXPECT_TRUE(breaker.recordSuccess(clock.now(), seconds(1)));  // 1 slow of 2: 50%
  breaker.checkTriggers(clock.now());
  EXPECT_EQ(breaker.state(clock.now()), BreakerState::kOpen);
}

TEST(CircuitBreakerSuccessPathTest, ASuccessCountsOnlyWhileClosed) {
  ManualClock clock;
  CircuitBreakerConfig config;
  config.failure_threshold = 1;
  CircuitBreaker breaker(config, clock.now());
  breaker.onFailure(clock.now(), kFast, false);
  ASSERT_FALSE(breaker.isClosed());
  const uint64_t calls = breaker.windowCounts(clock.now()).calls;
  EXPECT_FALSE(breaker.recordSuccess(clock.now(), kFast));  // a straggler from before
  EXPECT_EQ(breaker.windowCounts(clock.now()).calls, calls);
  breaker.checkTriggers(clock.now());  // nothing to do unless closed
  EXPECT_EQ(breaker.state(clock.now()), BreakerState::kOpen);
}

TEST(CircuitBreakerSuccessPathTest, ASuccessEndsARunOfConsecutiveFailures) {
  ManualClock clock;
  CircuitBreakerConfig config;
  config.failure_threshold = 3;
  CircuitBreaker breaker(config, clock.now());
  breaker.onFailure(clock.now(), kFast, false);
  breaker.onFailure(clock.now(), kFast, false);
  EXPECT_FALSE(breaker.recordSuccess(clock.now(), kFast));  // no rate trigger: no check
  breaker.onFailure(clock.now(), kFast, false);
  breaker.onFailure(clock.now(), kFast, false);
  EXPECT_TRUE(breaker.isClosed());  // a run of 2, not 4
  breaker.onFailure(clock.now(), kFast, false);
  EXPECT_FALSE(breaker.isClosed());
}

// Successes counted lock-free on some threads, failures under the lock on others, the way
// UpstreamPolicies drives the breaker.
struct Race {
  explicit Race(CircuitBreakerConfig config) : breaker(config, clock.now()) {}
  void run(int success_threads, int successes_each, int failure_threads, int failures_each) {
    std::vector<std::thread> threads;
    for (int t = 0; t < success_threads; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < successes_each; ++i) {
          if (breaker.recordSuccess(clock.now(), kFast)) {
            std::lock_guard<std::mutex> guard(lock);
            breaker.checkTriggers(clock.now());
          }
        }
      });
    }
    for (int t = 0; t < failure_threads; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < failures_each; ++i) {
          std::lock_guard<std::mutex> guard(lock);
          breaker.onFailure(clock.now(), kFast, false);
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }
  ManualClock clock;
  std::mutex lock;
  CircuitBreaker breaker;
};

// The window reaches minimum_requests only with its very last call, at exactly the rate, and
// that call is a success or a failure depending on the interleaving. Whoever counts last
// reads the whole window, so the breaker trips either way.
TEST(CircuitBreakerConcurrencyTest, TheLastCallTripsTheWindowWhicheverKindItIs) {
  for (int round = 0; round < 20; ++round) {
    Race race(rateConfig(0.5, 6000));
    race.run(2, 1500, 2, 1500);  // 6000 calls, 3000 failures
    EXPECT_FALSE(race.breaker.isClosed()) << "round " << round;
  }
}

// No count is lost, and a window that never reaches the rate never trips.
TEST(CircuitBreakerConcurrencyTest, AWindowUnderTheRateNeverTrips) {
  for (int round = 0; round < 5; ++round) {
    Race race(rateConfig(0.5, 1000));
    race.run(3, 2000, 1, 499);  // at most 499 failures in any 1000 or more calls
    EXPECT_TRUE(race.breaker.isClosed()) << "round " << round;
    EXPECT_EQ(race.breaker.windowCounts(race.clock.now()).calls, 6499u);
    EXPECT_EQ(race.breaker.windowCounts(race.clock.now()).failures, 499u);
  }
}

}  // namespace
}  // namespace outrigger::policy
