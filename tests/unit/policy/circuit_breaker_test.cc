#include "proxy/policy/circuit_breaker.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace outrigger::policy {
namespace {

constexpr Duration kFast = milliseconds(10);

// Steps a manual clock and records every transition as "from->to: why".
class CircuitBreakerTest : public ::testing::Test {
 protected:
  void build(CircuitBreakerConfig config) {
    breaker_ = std::make_unique<CircuitBreaker>(
        config, clock_.now(), [this](BreakerState from, BreakerState to, std::string_view why) {
          transitions_.push_back(std::string(breakerStateName(from)) + "->" +
                                 std::string(breakerStateName(to)) + ": " + std::string(why));
        });
  }
  BreakerState state() { return breaker_->state(clock_.now()); }
  // One call through the breaker that it allows and that then fails / succeeds.
  void fail(Duration latency = kFast) {
    auto permit = breaker_->tryAcquire(clock_.now());
    ASSERT_TRUE(permit.allowed);
    breaker_->onFailure(clock_.now(), latency, permit.probe);
  }
  void succeed(Duration latency = kFast) {
    auto permit = breaker_->tryAcquire(clock_.now());
    ASSERT_TRUE(permit.allowed);
    breaker_->onSuccess(clock_.now(), latency, permit.probe);
  }
  // Opens a breaker built with failure_threshold 1.
  void openIt() {
    fail();
    ASSERT_EQ(state(), BreakerState::kOpen);
  }

  ManualClock clock_;
  std::unique_ptr<CircuitBreaker> breaker_;
  std::vector<std::string> transitions_;
};

CircuitBreakerConfig thresholdConfig(uint32_t threshold, uint32_t probes = 1) {
  CircuitBreakerConfig config;
  config.failure_threshold = threshold;
  config.open_for = seconds(30);
  config.half_open_probes = probes;
  return config;
}

CircuitBreakerConfig rateConfig(double rate, uint32_t minimum_requests) {
  CircuitBreakerConfig config;
  config.failure_rate = rate;
  config.minimum_requests = minimum_requests;
  config.window = seconds(10);
  return config;
}

TEST_F(CircuitBreakerTest, ConsecutiveFailuresOpenIt) {
  build(thresholdConfig(3));
  fail();
  EXPECT_EQ(state(), BreakerState::kClosed);
  fail();
  EXPECT_EQ(state(), BreakerState::kClosed);
  fail();
  EXPECT_EQ(state(), BreakerState::kOpen);
  EXPECT_EQ(transitions_, (std::vector<std::string>{"closed->open: 3 consecutive failures"}));
}

TEST_F(CircuitBreakerTest, SuccessResetsTheConsecutiveCount) {
  build(thresholdConfig(3));
  fail();
  fail();
  succeed();
  EXPECT_EQ(state(), BreakerState::kClosed);
  fail();
  EXPECT_EQ(state(), BreakerState::kClosed);
  fail();
  EXPECT_EQ(state(), BreakerState::kClosed);  // 4 of the last 5 failed, but only 2 in a row
  fail();
  EXPECT_EQ(state(), BreakerState::kOpen);
}

TEST_F(CircuitBreakerTest, NeverOpensWithEveryTriggerOff) {
  build(CircuitBreakerConfig{});
  for (int i = 0; i < 100; ++i) fail();
  EXPECT_EQ(state(), BreakerState::kClosed);
  EXPECT_EQ(breaker_->windowCounts(clock_.now()).failures, 100u);
  EXPECT_TRUE(transitions_.empty());
}

TEST_F(CircuitBreakerTest, FailureRateWaitsForMinimumRequests) {
  build(rateConfig(0.5, 10));
  for (int i = 0; i < 5; ++i) succeed();
  for (int i = 0; i < 4; ++i) fail();
  EXPECT_EQ(state(), BreakerState::kClosed);  // 9 calls: below minimum_requests
  fail();
  EXPECT_EQ(state(), BreakerState::kOpen);  // 5 of 10
  EXPECT_EQ(transitions_, (std::vector<std::string>{"closed->open: failure rate 50% over 10s"}));
}

TEST_F(CircuitBreakerTest, FailureRateStaysClosedWhileBelowTheRate) {
  build(rateConfig(0.5, 10));
  for (int i = 0; i < 6; ++i) succeed();
  for (int i = 0; i < 4; ++i) fail();
  EXPECT_EQ(state(), BreakerState::kClosed);  // 4 of 10 = 40%
  fail();
  EXPECT_EQ(state(), BreakerState::kClosed);  // 5 of 11 = 45%
  fail();
  EXPECT_EQ(state(), BreakerState::kOpen);  // 6 of 12 = 50%
  EXPECT_EQ(transitions_, (std::vector<std::string>{"closed->open: failure rate 50% over 10s"}));
}

TEST_F(CircuitBreakerTest, WindowSlides) {
  build(rateConfig(0.5, 4));
  fail();
  fail();
  fail();
  EXPECT_EQ(state(), BreakerState::kClosed);
  auto counts = breaker_->windowCounts(clock_.now());
  EXPECT_EQ(counts.calls, 3u);
  EXPECT_EQ(counts.failures, 3u);

  clock_.advance(seconds(5));
  EXPECT_EQ(breaker_->windowCounts(clock_.now()).failures, 3u);  // still inside the window

  clock_.advance(seconds(5));  // 10s after the failures: they have aged out
  counts = breaker_->windowCounts(clock_.now());
  EXPECT_EQ(counts.calls, 0u);
  EXPECT_EQ(counts.failures, 0u);

  fail();
  succeed();
  succeed();
  succeed();
  EXPECT_EQ(state(), BreakerState::kClosed);  // 1 of 4; with the old 3 it would be 4 of 7
  counts = breaker_->windowCounts(clock_.now());
  EXPECT_EQ(counts.calls, 4u);
  EXPECT_EQ(counts.failures, 1u);
}

TEST_F(CircuitBreakerTest, RateIsCheckedOverTheWindowEndingAtTheNewestCall) {
  build(rateConfig(0.5, 4));  // 1 s buckets
  fail();
  fail();
  succeed();
  clock_.advance(milliseconds(9500));  // the first bucket is still in the window
  succeed();                           // 2 of 4 failed
  EXPECT_EQ(state(), BreakerState::kOpen);
}

TEST_F(CircuitBreakerTest, RateForgetsCallsOnceTheirBucketLeavesTheWindow) {
  build(rateConfig(0.5, 4));
  fail();
  fail();
  succeed();
  clock_.advance(seconds(10));  // the first bucket has left the window
  succeed();                    // 0 of 1
  fail();
  fail();
  EXPECT_EQ(state(), BreakerState::kClosed);  // 2 of 3: below minimum_requests
  fail();                                     // 3 of 4
  EXPECT_EQ(state(), BreakerState::kOpen);
  EXPECT_EQ(transitions_, (std::vector<std::string>{"closed->open: failure rate 75% over 10s"}));
}

TEST_F(CircuitBreakerTest, SlowCallsOpenIt) {
  CircuitBreakerConfig config;
  config.slow_call_duration = seconds(2);
  config.slow_call_rate = 0.8;
  config.minimum_requests = 5;
  build(config);
  succeed(seconds(2));  // exactly the threshold counts as slow
  succeed(seconds(3));
  fail(seconds(5));  // a slow failure (a timeout) is slow too
  succeed(kFast);
  EXPECT_EQ(state(), BreakerState::kClosed);  // 4 calls: below minimum_requests
  auto counts = breaker_->windowCounts(clock_.now());
  EXPECT_EQ(counts.calls, 4u);
  EXPECT_EQ(counts.slow, 3u);
  succeed(seconds(2));
  EXPECT_EQ(state(), BreakerState::kOpen);  // 4 of 5 = 80%
  EXPECT_EQ(transitions_, (std::vector<std::string>{"closed->open: slow call rate 80% over 10s"}));
}

TEST_F(CircuitBreakerTest, OpenRejectsWithTheTimeLeftOpen) {
  build(thresholdConfig(1));
  openIt();
  auto permit = breaker_->tryAcquire(clock_.now());
  EXPECT_FALSE(permit.allowed);
  EXPECT_EQ(permit.retry_after, seconds(30));
  EXPECT_EQ(breaker_->openRemaining(clock_.now()), seconds(30));

  clock_.advance(seconds(10));
  permit = breaker_->tryAcquire(clock_.now());
  EXPECT_FALSE(permit.allowed);
  EXPECT_EQ(permit.retry_after, seconds(20));
  EXPECT_EQ(state(), BreakerState::kOpen);

  clock_.advance(milliseconds(19500));
  permit = breaker_->tryAcquire(clock_.now());
  EXPECT_FALSE(permit.allowed);
  EXPECT_EQ(permit.retry_after, milliseconds(500));
  EXPECT_EQ(state(), BreakerState::kOpen);
}

TEST_F(CircuitBreakerTest, HalfOpensWhenOpenForHasElapsed) {
  build(thresholdConfig(1));
  openIt();
  clock_.advance(seconds(30) - milliseconds(1));
  EXPECT_EQ(state(), BreakerState::kOpen);
  clock_.advance(milliseconds(1));
  EXPECT_EQ(state(), BreakerState::kHalfOpen);
  EXPECT_EQ(breaker_->openRemaining(clock_.now()), Duration::zero());
  EXPECT_EQ(transitions_.back(), "open->half_open: open_for elapsed");
}

TEST_F(CircuitBreakerTest, TryAcquireAppliesTheHalfOpenTransitionToo) {
  build(thresholdConfig(1));
  openIt();
  clock_.advance(seconds(30));
  auto permit = breaker_->tryAcquire(clock_.now());
  EXPECT_TRUE(permit.allowed);
  EXPECT_TRUE(permit.probe);
  EXPECT_EQ(state(), BreakerState::kHalfOpen);
}

TEST_F(CircuitBreakerTest, HalfOpenAdmitsExactlyTheConfiguredProbes) {
  build(thresholdConfig(1, /*probes=*/3));
  openIt();
  clock_.advance(seconds(30));
  for (int i = 0; i < 3; ++i) {
    auto permit = breaker_->tryAcquire(clock_.now());
    EXPECT_TRUE(permit.allowed);
    EXPECT_TRUE(permit.probe);
    EXPECT_EQ(state(), BreakerState::kHalfOpen);
  }
  auto permit = breaker_->tryAcquire(clock_.now());
  EXPECT_FALSE(permit.allowed);
  EXPECT_FALSE(permit.probe);
  EXPECT_EQ(permit.retry_after, CircuitBreaker::kHalfOpenRetryAfter);
  EXPECT_EQ(state(), BreakerState::kHalfOpen);
}

TEST_F(CircuitBreakerTest, ClosesOnlyWhenEveryProbeSucceeded) {
  CircuitBreakerConfig config = thresholdConfig(2, /*probes=*/2);
  config.window = seconds(60);  // longer than open_for, so the old failures are still in it
  build(config);
  fail();
  fail();
  ASSERT_EQ(state(), BreakerState::kOpen);
  clock_.advance(seconds(30));
  auto first = breaker_->tryAcquire(clock_.now());
  auto second = breaker_->tryAcquire(clock_.now());
  ASSERT_TRUE(first.probe && second.probe);

  breaker_->onSuccess(clock_.now(), kFast, first.probe);
  EXPECT_EQ(state(), BreakerState::kHalfOpen);
  EXPECT_FALSE(breaker_->tryAcquire(clock_.now()).allowed);  // no third probe meanwhile

  EXPECT_EQ(breaker_->windowCounts(clock_.now()).failures, 2u);
  breaker_->onSuccess(clock_.now(), kFast, second.probe);
  EXPECT_EQ(state(), BreakerState::kClosed);
  EXPECT_EQ(transitions_.back(), "half_open->closed: 2 probes succeeded");
  EXPECT_EQ(breaker_->windowCounts(clock_.now()).calls, 0u);  // counts start afresh

  fail();  // the consecutive count was reset too: one failure is not two
  EXPECT_EQ(state(), BreakerState::kClosed);
  fail();
  EXPECT_EQ(state(), BreakerState::kOpen);
}

TEST_F(CircuitBreakerTest, ProbeFailureReopensForAFreshOpenFor) {
  build(thresholdConfig(1, /*probes=*/2));
  openIt();
  clock_.advance(seconds(30));
  auto first = breaker_->tryAcquire(clock_.now());
  auto second = breaker_->tryAcquire(clock_.now());
  breaker_->onSuccess(clock_.now(), kFast, first.probe);
  EXPECT_EQ(state(), BreakerState::kHalfOpen);

  clock_.advance(seconds(1));
  breaker_->onFailure(clock_.now(), kFast, second.probe);
  EXPECT_EQ(state(), BreakerState::kOpen);
  EXPECT_EQ(transitions_.back(), "half_open->open: probe failed");
  EXPECT_EQ(breaker_->tryAcquire(clock_.now()).retry_after, seconds(30));

  clock_.advance(seconds(29));
  EXPECT_EQ(state(), BreakerState::kOpen);
  clock_.advance(seconds(1));
  EXPECT_EQ(state(), BreakerState::kHalfOpen);
}

TEST_F(CircuitBreakerTest, SlowProbeReopensWhenSlowCallsCount) {
  CircuitBreakerConfig config = thresholdConfig(1);
  config.slow_call_duration = seconds(2);
  config.slow_call_rate = 0.5;
  build(config);
  openIt();
  clock_.advance(seconds(30));
  EXPECT_EQ(state(), BreakerState::kHalfOpen);
  succeed(seconds(3));
  EXPECT_EQ(state(), BreakerState::kOpen);
  EXPECT_EQ(transitions_.back(), "half_open->open: probe was slow");
}

TEST_F(CircuitBreakerTest, AbandonedProbeFreesItsSlot) {
  build(thresholdConfig(1));
  openIt();
  clock_.advance(seconds(30));
  auto probe = breaker_->tryAcquire(clock_.now());
  ASSERT_TRUE(probe.probe);
  EXPECT_FALSE(breaker_->tryAcquire(clock_.now()).allowed);

  breaker_->onAbandoned(probe.probe);
  EXPECT_EQ(state(), BreakerState::kHalfOpen);  // no verdict either way
  auto replacement = breaker_->tryAcquire(clock_.now());
  EXPECT_TRUE(replacement.allowed);
  EXPECT_TRUE(replacement.probe);

  breaker_->onSuccess(clock_.now(), kFast, replacement.probe);
  EXPECT_EQ(state(), BreakerState::kClosed);
}

TEST_F(CircuitBreakerTest, AbandonedNonProbeRecordsNothing) {
  build(thresholdConfig(2));
  fail();
  auto permit = breaker_->tryAcquire(clock_.now());
  breaker_->onAbandoned(permit.probe);
  EXPECT_EQ(breaker_->windowCounts(clock_.now()).calls, 1u);
  fail();  // the abandoned call did not reset the consecutive count
  EXPECT_EQ(state(), BreakerState::kOpen);
}

TEST_F(CircuitBreakerTest, LateResultsOfCallsAdmittedBeforeItOpenedAreIgnored) {
  CircuitBreakerConfig config = thresholdConfig(2);
  config.window = seconds(60);
  build(config);
  std::vector<CircuitBreaker::Permit> permits;
  for (int i = 0; i < 7; ++i) permits.push_back(breaker_->tryAcquire(clock_.now()));
  breaker_->onFailure(clock_.now(), kFast, permits[0].probe);
  breaker_->onFailure(clock_.now(), kFast, permits[1].probe);
  ASSERT_EQ(state(), BreakerState::kOpen);

  clock_.advance(seconds(10));
  breaker_->onFailure(clock_.now(), kFast, permits[2].probe);
  breaker_->onFailure(clock_.now(), kFast, permits[3].probe);
  EXPECT_EQ(state(), BreakerState::kOpen);
  EXPECT_EQ(breaker_->openRemaining(clock_.now()), seconds(20));  // not a fresh open_for

  clock_.advance(seconds(20));
  EXPECT_EQ(state(), BreakerState::kHalfOpen);
  breaker_->onSuccess(clock_.now(), kFast, permits[4].probe);
  EXPECT_EQ(state(), BreakerState::kHalfOpen);  // only a probe can close it
  breaker_->onFailure(clock_.now(), kFast, permits[5].probe);
  breaker_->onFailure(clock_.now(), kFast, permits[6].probe);
  EXPECT_EQ(state(), BreakerState::kHalfOpen);                // nor re-open it
  EXPECT_EQ(breaker_->windowCounts(clock_.now()).calls, 2u);  // none of them was recorded
  EXPECT_EQ(transitions_.size(), 2u);
}

TEST_F(CircuitBreakerTest, StaleProbeFromAnEarlierHalfOpenPeriodIsIgnored) {
  build(thresholdConfig(1, /*probes=*/2));
  openIt();
  clock_.advance(seconds(30));
  auto failing = breaker_->tryAcquire(clock_.now());
  auto straggler = breaker_->tryAcquire(clock_.now());
  breaker_->onFailure(clock_.now(), kFast, failing.probe);
  ASSERT_EQ(state(), BreakerState::kOpen);

  breaker_->onSuccess(clock_.now(), kFast, straggler.probe);  // while open
  EXPECT_EQ(state(), BreakerState::kOpen);
  clock_.advance(seconds(30));
  EXPECT_EQ(state(), BreakerState::kHalfOpen);
  breaker_->onSuccess(clock_.now(), kFast, straggler.probe);  // no probe of this period out
  breaker_->onSuccess(clock_.now(), kFast, straggler.probe);
  EXPECT_EQ(state(), BreakerState::kHalfOpen);
  EXPECT_TRUE(breaker_->tryAcquire(clock_.now()).probe);  // both slots are still free
  EXPECT_TRUE(breaker_->tryAcquire(clock_.now()).probe);
}

TEST_F(CircuitBreakerTest, ReportsEveryTransitionInOrder) {
  build(thresholdConfig(2));
  fail();
  fail();
  clock_.advance(seconds(30));
  fail();  // the probe
  clock_.advance(seconds(30));
  succeed();  // the next probe
  EXPECT_EQ(state(), BreakerState::kClosed);
  EXPECT_EQ(transitions_, (std::vector<std::string>{
                              "closed->open: 2 consecutive failures",
                              "open->half_open: open_for elapsed",
                              "half_open->open: probe failed",
                              "open->half_open: open_for elapsed",
                              "half_open->closed: probe succeeded",
                          }));
}

TEST_F(CircuitBreakerTest, AStaleTimeCountsInTheNewestBucket) {
  build(rateConfig(0.5, 100));
  clock_.advance(seconds(15));
  succeed();
  // Another worker read the clock earlier but took the lock later. However stale, its time
  // must not land in (and reset) the slot that holds the newest bucket.
  breaker_->onSuccess(clock_.now() - seconds(10), kFast, false);
  EXPECT_EQ(breaker_->windowCounts(clock_.now()).calls, 2u);
}

TEST(BreakerStateNameTest, NamesEveryState) {
  EXPECT_EQ(breakerStateName(BreakerState::kClosed), "closed");
  EXPECT_EQ(breakerStateName(BreakerState::kOpen), "open");
  EXPECT_EQ(breakerStateName(BreakerState::kHalfOpen), "half_open");
}

TEST(CircuitBreakerConfigTest, DefaultsAreValid) {
  EXPECT_EQ(circuitBreakerConfigError(CircuitBreakerConfig{}), "");
}

TEST(CircuitBreakerConfigTest, RejectsEachBadValue) {
  auto error = [](auto change) {
    CircuitBreakerConfig config;
    change(config);
    return std::string(circuitBreakerConfigError(config));
  };
  EXPECT_EQ(error([](auto& c) { c.failure_rate = 1.5; }),
            "failure_rate must be between 0% and 100%");
  EXPECT_EQ(error([](auto& c) { c.failure_rate = -0.1; }),
            "failure_rate must be between 0% and 100%");
  EXPECT_EQ(error([](auto& c) { c.slow_call_rate = 2; }),
            "slow_call rate must be between 0% and 100%");
  EXPECT_EQ(error([](auto& c) { c.slow_call_rate = 0.5; }),
            "slow_call rate needs a slow_call duration");
  EXPECT_EQ(error([](auto& c) { c.slow_call_duration = -seconds(1); }),
            "slow_call duration must be positive");
  EXPECT_EQ(error([](auto& c) { c.window = Duration::zero(); }), "window must be positive");
  EXPECT_EQ(error([](auto& c) { c.open_for = Duration::zero(); }), "open_for must be positive");
  EXPECT_EQ(error([](auto& c) { c.half_open_probes = 0; }), "half_open_probes must be at least 1");
}

TEST(CircuitBreakerDeathTest, AbortsOnAnInvalidConfig) {
  CircuitBreakerConfig config;
  config.half_open_probes = 0;
  EXPECT_DEATH(CircuitBreaker(config, seconds(0)), "half_open_probes must be at least 1");
}

}  // namespace
}  // namespace outrigger::policy
