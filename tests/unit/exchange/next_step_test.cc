// The one decision after an attempt, for each kind of result.
#include "proxy/exchange/next_step.h"

#include <gtest/gtest.h>

#include "proxy/config/policies.h"
#include "proxy/metrics/metrics.h"
#include "proxy/metrics/policy_metrics.h"
#include "proxy/upstream/upstream_policies.h"

namespace outrigger::exchange {
namespace {

using policy::AttemptOutcome;

class NextStepTest : public ::testing::Test {
 protected:
  upstream::UpstreamPolicies& policies(bool with_retry) {
    config::PolicyConfig config;
    if (with_retry) {
      config.retry = config::defaultRetry();  // 3 attempts, 25ms..1s backoff
      config.retry->policy.backoff.jitter = policy::Jitter::kNone;
    }
    policies_ = std::make_unique<upstream::UpstreamPolicies>(
        "u", config, 2, clock_.now(), policy_metrics_.upstream("u", {"a", "b"}));
    return *policies_;
  }
  NextStep decideFor(const AttemptResult& result, RetryState state, bool with_retry = true) {
    upstream::UpstreamPolicies& p = policies(with_retry);
    state.retry_policy = p.retryPolicy();  // what the exchange passes for a route without retry
    return decideNextStep(result, state, p, random_, clock_.now());
  }
  static RetryState getRequest() {
    RetryState state;
    state.method = "GET";
    state.attempts = 1;
    state.max_attempts = 3;
    state.time_left = seconds(10);
    return state;
  }
  static AttemptResult failed(AttemptOutcome outcome, int status = 0) {
    AttemptResult result;
    result.outcome = outcome;
    result.status = status;
    return result;
  }

  ManualClock clock_;
  FastRandom random_{7};
  metrics::Metrics metrics_;
  metrics::PolicyMetrics policy_metrics_{metrics_.registry()};
  std::unique_ptr<upstream::UpstreamPolicies> policies_;
};

TEST_F(NextStepTest, ASuccessPassesThrough) {
  const NextStep step = decideFor(AttemptResult{}, getRequest());
  EXPECT_EQ(step.kind, NextStepKind::kPassThrough);
  EXPECT_EQ(step.settle_as, AttemptOutcome::kSuccess);
}

TEST_F(NextStepTest, AFailureIsRetriedAfterTheBackoff) {
  const NextStep step = decideFor(failed(AttemptOutcome::kReset), getRequest());
  EXPECT_EQ(step.kind, NextStepKind::kRetry);
  EXPECT_EQ(step.delay, milliseconds(25));
  EXPECT_EQ(step.settle_as, AttemptOutcome::kReset);
}

TEST_F(NextStepTest, WithoutRetriesAFailureFallsBackAndAFailureStatusPassesThrough) {
  EXPECT_EQ(decideFor(failed(AttemptOutcome::kTimeout), getRequest(), false).kind,
            NextStepKind::kFallback);
  EXPECT_EQ(decideFor(failed(AttemptOutcome::kFailureStatus, 503), getRequest(), false).kind,
            NextStepKind::kPassThrough);
}

TEST_F(NextStepTest, AResponseAlreadyStartedIsCut) {
  AttemptResult result = failed(AttemptOutcome::kReset, 200);
  result.response_started = true;
  EXPECT_EQ(decideFor(result, getRequest()).kind, NextStepKind::kCut);
}

TEST_F(NextStepTest, AStaleConnectionIsRetriedAtOnceAndNotCountedAgainstTheUpstream) {
  AttemptResult result = failed(AttemptOutcome::kReset);
  result.stale_connection = true;
  const NextStep step = decideFor(result, getRequest(), false);
  EXPECT_EQ(step.kind, NextStepKind::kRetryNow);
  EXPECT_EQ(step.settle_as, AttemptOutcome::kStaleConnection);

  RetryState post = getRequest();
  post.method = "POST";
  EXPECT_EQ(decideFor(result, post, false).kind, NextStepKind::kFallback);
  RetryState with_body = getRequest();
  with_body.has_body = true;
  EXPECT_EQ(decideFor(result, with_body, false).kind, NextStepKind::kFallback);
  RetryState many = getRequest();
  many.free_retries = kMaxFreeRetries;
  EXPECT_EQ(decideFor(result, many, false).kind, NextStepKind::kFallback);
}

TEST_F(NextStepTest, ARefusedStreamGoesAgainAtOnceForAnyMethodAndIsNotCounted) {
  RetryState post = getRequest();
  post.method = "POST";
  post.has_body = true;  // held in the replay buffer
  const NextStep step = decideFor(failed(AttemptOutcome::kRefused), post, false);
  EXPECT_EQ(step.kind, NextStepKind::kRetryNow);
  EXPECT_EQ(step.settle_as, AttemptOutcome::kRefused);  // neutral for breaker and outlier
}

TEST_F(NextStepTest, RefusedOverAndOverTheRetryPolicyDecidesWithBackoff) {
  RetryState many = getRequest();
  many.free_retries = kMaxFreeRetries;
  const NextStep step = decideFor(failed(AttemptOutcome::kRefused), many);
  EXPECT_EQ(step.kind, NextStepKind::kRetry);
  EXPECT_EQ(step.delay, milliseconds(25));
  EXPECT_EQ(step.settle_as, AttemptOutcome::kRefused);
  // Without a retry policy the request ends in the fallback (or upstream_reset).
  EXPECT_EQ(decideFor(failed(AttemptOutcome::kRefused), many, false).kind, NextStepKind::kFallback);
}

TEST_F(NextStepTest, ARefusedStreamWhoseBodyIsGoneIsNotSentAgain) {
  RetryState gone = getRequest();
  gone.method = "POST";
  gone.has_body = true;
  gone.body_replayable = false;
  EXPECT_EQ(decideFor(failed(AttemptOutcome::kRefused), gone).kind, NextStepKind::kFallback);
}

TEST_F(NextStepTest, APoolTimeoutIsALocalReplyWithoutFallback) {
  AttemptResult result = failed(AttemptOutcome::kCancelled);
  result.error.reason = http::LocalReason::kPoolTimeout;
  EXPECT_EQ(decideFor(result, getRequest()).kind, NextStepKind::kLocalReply);
}

TEST_F(NextStepTest, APostIsRetriedOnlyWhenTheUpstreamCannotHaveProcessedIt) {
  RetryState post = getRequest();
  post.method = "POST";
  const NextStep reset = decideFor(failed(AttemptOutcome::kReset), post);
  EXPECT_EQ(reset.kind, NextStepKind::kFallback);
  AttemptResult refused = failed(AttemptOutcome::kReset);
  refused.error.retry_safe = true;  // e.g. an HTTP/2 stream refused unprocessed
  EXPECT_EQ(decideFor(refused, post).kind, NextStepKind::kRetry);
}

TEST_F(NextStepTest, ExhaustedAttemptsSayWhyInTheLog) {
  RetryState last = getRequest();
  last.attempts = 3;
  const NextStep step = decideFor(failed(AttemptOutcome::kReset), last);
  EXPECT_EQ(step.kind, NextStepKind::kFallback);
  EXPECT_EQ(step.not_retried, "attempts_exhausted");
}

TEST_F(NextStepTest, ARetryAfterLongerThanTheTimeLeftIsNotWaitedFor) {
  AttemptResult result = failed(AttemptOutcome::kFailureStatus, 503);
  result.retry_after = seconds(30);
  const NextStep step = decideFor(result, getRequest());
  EXPECT_EQ(step.kind, NextStepKind::kPassThrough);
}

}  // namespace
}  // namespace outrigger::exchange
