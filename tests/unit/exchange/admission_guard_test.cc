// AdmissionGuard: what a request takes of its upstream's rate limit, bulkhead and breaker,
// and that it gives everything back on every path, its destruction included.
#include "proxy/exchange/admission_guard.h"

#include <gtest/gtest.h>

#include "proxy/metrics/metrics.h"
#include "proxy/metrics/policy_metrics.h"

namespace outrigger::exchange {
namespace {

class Granted final : public AdmissionGuard::Events {
 public:
  void onAdmissionGranted() override { grants++; }
  int grants = 0;
};

class AdmissionGuardTest : public ::testing::Test {
 protected:
  upstream::UpstreamPolicies& make(const config::PolicyConfig& config) {
    policies_ = std::make_unique<upstream::UpstreamPolicies>("u", config, 1, clock_.now(),
                                                             policy_metrics_.upstream("u", {"a"}));
    return *policies_;
  }
  std::unique_ptr<AdmissionGuard> guard(Granted& events) {
    return std::make_unique<AdmissionGuard>(loop_, clock_, queued_, events);
  }
  // Lets posted grants run.
  void turn() {
    io::DeferredTask nudge(loop_, [] {});
    nudge.schedule();
    loop_.run();
  }
  uint32_t active() { return policies_->status(clock_.now()).bulkhead->active; }
  uint32_t waiting() { return policies_->status(clock_.now()).bulkhead->queued; }

  io::Loop loop_;
  ManualClock clock_;
  QueuedAdmissions queued_;
  metrics::Metrics metrics_;
  metrics::PolicyMetrics policy_metrics_{metrics_.registry()};
  std::unique_ptr<upstream::UpstreamPolicies> policies_;
};

TEST_F(AdmissionGuardTest, RateLimitedRequestsLearnWhenToComeBack) {
  config::PolicyConfig config;
  config.rate_limit = config::RateLimitConfig{1, 1};
  auto& policies = make(config);
  Granted events;
  EXPECT_EQ(guard(events)->enter(policies, clock_.now()).entry, AdmissionGuard::Entry::kAdmitted);
  const auto second = guard(events)->enter(policies, clock_.now());
  EXPECT_EQ(second.entry, AdmissionGuard::Entry::kRateLimited);
  EXPECT_GT(second.retry_after, Duration::zero());
}

TEST_F(AdmissionGuardTest, TheSlotIsGivenBackWhenTheGuardGoes) {
  config::PolicyConfig config;
  config.bulkhead = policy::BulkheadConfig{1, 0, seconds(1)};
  auto& policies = make(config);
  Granted events;
  auto first = guard(events);
  EXPECT_EQ(first->enter(policies, clock_.now()).entry, AdmissionGuard::Entry::kAdmitted);
  EXPECT_EQ(active(), 1u);
  EXPECT_EQ(guard(events)->enter(policies, clock_.now()).entry,
            AdmissionGuard::Entry::kBulkheadFull);
  first.reset();
  EXPECT_EQ(active(), 0u);
}

TEST_F(AdmissionGuardTest, AQueuedRequestIsWokenOnItsLoopWhenASlotFrees) {
  config::PolicyConfig config;
  config.bulkhead = policy::BulkheadConfig{1, 1, seconds(1)};
  auto& policies = make(config);
  Granted first_events, second_events;
  auto first = guard(first_events);
  auto second = guard(second_events);
  ASSERT_EQ(first->enter(policies, clock_.now()).entry, AdmissionGuard::Entry::kAdmitted);
  ASSERT_EQ(second->enter(policies, clock_.now()).entry, AdmissionGuard::Entry::kQueued);
  EXPECT_TRUE(second->queued());
  first->release();
  EXPECT_EQ(second_events.grants, 0);  // never from inside the release
  turn();
  EXPECT_EQ(second_events.grants, 1);
  EXPECT_FALSE(second->queued());
  EXPECT_EQ(active(), 1u);
  second.reset();
  EXPECT_EQ(active(), 0u);
}

TEST_F(AdmissionGuardTest, ARequestThatGaveUpWhileItsGrantWasOnItsWayHandsTheSlotBack) {
  config::PolicyConfig config;
  config.bulkhead = policy::BulkheadConfig{1, 1, seconds(1)};
  auto& policies = make(config);
  Granted first_events, second_events;
  auto first = guard(first_events);
  auto second = guard(second_events);
  ASSERT_EQ(first->enter(policies, clock_.now()).entry, AdmissionGuard::Entry::kAdmitted);
  ASSERT_EQ(second->enter(policies, clock_.now()).entry, AdmissionGuard::Entry::kQueued);
  first->release();  // grants the slot to `second`, whose wake is posted
  second.reset();    // it leaves before the wake runs
  EXPECT_EQ(active(), 0u);
  EXPECT_EQ(waiting(), 0u);
  turn();  // the wake finds nobody
  EXPECT_EQ(second_events.grants, 0);
  EXPECT_EQ(active(), 0u);
}

TEST_F(AdmissionGuardTest, AnUnsettledProbeIsGivenBackAsCancelled) {
  config::PolicyConfig config;
  config.circuit_breaker = policy::CircuitBreakerConfig{};
  config.circuit_breaker->failure_threshold = 1;
  config.circuit_breaker->open_for = seconds(1);
  config.circuit_breaker->half_open_probes = 1;
  auto& policies = make(config);
  Granted events;
  {
    auto g = guard(events);
    g->enter(policies, clock_.now());
    ASSERT_TRUE(g->acquirePermit(clock_.now()).allowed);
    g->settlePermit(clock_.now(), policy::AttemptOutcome::kReset, milliseconds(1));
  }
  ASSERT_EQ(policies.status(clock_.now()).breaker->state, policy::BreakerState::kOpen);
  clock_.advance(seconds(1));
  {
    auto g = guard(events);
    g->enter(policies, clock_.now());
    ASSERT_TRUE(g->acquirePermit(clock_.now()).allowed);  // the one half-open probe
    auto other = guard(events);
    other->enter(policies, clock_.now());
    EXPECT_FALSE(other->acquirePermit(clock_.now()).allowed);
  }  // the probe's holder went away without an outcome
  auto again = guard(events);
  again->enter(policies, clock_.now());
  EXPECT_TRUE(again->acquirePermit(clock_.now()).allowed);  // the probe is free again
}

}  // namespace
}  // namespace outrigger::exchange
