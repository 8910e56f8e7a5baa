// Streams an upstream refused unprocessed (a graceful GOAWAY, REFUSED_STREAM) are no fault
// of it: a breaker and outlier detection on a hair trigger stay as they were.
#include <gtest/gtest.h>

#include "proxy/metrics/metrics.h"
#include "proxy/metrics/policy_metrics.h"
#include "proxy/upstream/upstream_policies.h"

namespace outrigger::upstream {
namespace {

using policy::AttemptOutcome;

class RefusedAttemptsTest : public ::testing::Test {
 protected:
  RefusedAttemptsTest() {
    config::PolicyConfig config;
    config.circuit_breaker.emplace();
    config.circuit_breaker->failure_threshold = 1;  // one failure opens it
    config.outlier_detection.emplace();
    config.outlier_detection->consecutive_failures = 1;
    policies_ = std::make_unique<UpstreamPolicies>("u", config, 2, clock_.now(), handles_);
  }
  void attempt(AttemptOutcome outcome) {
    const UpstreamPolicies::BreakerPermit permit = policies_->acquireBreaker(clock_.now());
    ASSERT_TRUE(permit.allowed);
    policies_->recordBreaker(clock_.now(), permit, outcome, milliseconds(1));
    policies_->recordEndpoint(0, outcome, clock_.now());
  }
  policy::BreakerState breaker() { return policies_->status(clock_.now()).breaker->state; }

  ManualClock clock_;
  metrics::Metrics metrics_;
  metrics::PolicyMetrics policy_metrics_{metrics_.registry()};
  metrics::UpstreamPolicyMetrics& handles_ = policy_metrics_.upstream("u", {"127.0.0.1:1", "127.0.0.1:2"});
  std::unique_ptr<UpstreamPolicies> policies_;
};

TEST_F(RefusedAttemptsTest, RepeatedRefusalsLeaveTheBreakerClosedAndTheEndpointIn) {
  for (int i = 0; i < 50; ++i) attempt(AttemptOutcome::kRefused);
  EXPECT_EQ(breaker(), policy::BreakerState::kClosed);
  EXPECT_FALSE(policies_->endpointEjected(0, clock_.now()));
}

TEST_F(RefusedAttemptsTest, AResetOnTheSameSetupOpensTheBreakerAndEjects) {
  // The control: the same hair trigger does fire on a real failure.
  attempt(AttemptOutcome::kReset);
  EXPECT_EQ(breaker(), policy::BreakerState::kOpen);
  EXPECT_TRUE(policies_->endpointEjected(0, clock_.now()));
}

}  // namespace
}  // namespace outrigger::upstream
