#include "proxy/policy/retry_policy.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace outrigger::policy {
namespace {

using std::chrono::nanoseconds;

RetryPolicyConfig baseConfig() {
  RetryPolicyConfig config;
  config.max_attempts = 3;
  config.backoff = {milliseconds(100), seconds(1), 2, Jitter::kNone};
  config.retry_on.connect_failed = true;
  config.retry_on.reset = true;
  config.retry_on.timeout = true;
  for (int status : {502, 503, 504}) config.retry_on.statuses.set(status);
  return config;
}

class RetryPolicyTest : public ::testing::Test {
 protected:
  RetryPolicy make(RetryPolicyConfig config) {
    Result<RetryPolicy> policy = RetryPolicy::create(config);
    EXPECT_TRUE(policy.ok());
    return *policy;
  }
  // A GET whose first attempt was reset, with plenty of time left.
  static RetryContext context() {
    RetryContext c;
    c.method = "GET";
    c.attempts_made = 1;
    c.max_attempts = 3;
    c.outcome = AttemptOutcome::kReset;
    c.time_left = seconds(5);
    return c;
  }
  RetryDecision decide(const RetryContext& c) { return policy_.decide(c, budget_, random_, now_); }

  ManualClock clock_;
  MonoTime now_ = clock_.now();
  RetryBudget budget_{0.2, 10, seconds(10), now_};  // a floor of 100 retries
  SequenceRandom random_{{0}};
  RetryPolicy policy_ = make(baseConfig());
};

TEST_F(RetryPolicyTest, CreateValidatesOnce) {
  RetryPolicyConfig zero_attempts = baseConfig();
  zero_attempts.max_attempts = 0;
  Result<RetryPolicy> bad = RetryPolicy::create(zero_attempts);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, "invalid_retry_policy");
  EXPECT_EQ(bad.error().message, "retry.max_attempts must be at least 1");

  RetryPolicyConfig bad_backoff = baseConfig();
  bad_backoff.backoff.multiplier = 0;
  bad = RetryPolicy::create(bad_backoff);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, "invalid_backoff");

  // The defaults (one attempt, no retries) build.
  EXPECT_TRUE(RetryPolicy::create(RetryPolicyConfig{}).ok());
}

TEST_F(RetryPolicyTest, ClassifiesOnlyListedStatusesAsFailures) {
  const RetryOn& on = baseConfig().retry_on;
  EXPECT_EQ(classifyResponse(503, on), AttemptOutcome::kFailureStatus);
  EXPECT_EQ(classifyResponse(502, on), AttemptOutcome::kFailureStatus);
  EXPECT_EQ(classifyResponse(500, on), AttemptOutcome::kSuccess);  // unlisted 5xx
  EXPECT_EQ(classifyResponse(429, on), AttemptOutcome::kSuccess);
  EXPECT_EQ(classifyResponse(200, on), AttemptOutcome::kSuccess);
  EXPECT_EQ(classifyResponse(600, on), AttemptOutcome::kSuccess);
  EXPECT_EQ(classifyResponse(-1, on), AttemptOutcome::kSuccess);
}

TEST_F(RetryPolicyTest, IdempotentMethodsOrAnIdempotencyKey) {
  for (const char* m : {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"}) {
    EXPECT_TRUE(isIdempotentRequest(m, false)) << m;
  }
  for (const char* m : {"POST", "PATCH", "CONNECT", "get", ""}) {
    EXPECT_FALSE(isIdempotentRequest(m, false)) << m;
  }
  EXPECT_TRUE(isIdempotentRequest("POST", true));
}

TEST_F(RetryPolicyTest, RetriesWithBackoffAndSpendsOneRetryFromTheBudget) {
  const double before = budget_.available(now_);
  RetryDecision d = decide(context());
  EXPECT_EQ(d.verdict, RetryVerdict::kRetry);
  EXPECT_EQ(d.delay, milliseconds(100));  // backoff index 0
  EXPECT_DOUBLE_EQ(budget_.available(now_), before - 1);

  RetryContext second = context();
  second.attempts_made = 2;
  d = decide(second);
  EXPECT_EQ(d.verdict, RetryVerdict::kRetry);
  EXPECT_EQ(d.delay, milliseconds(200));  // backoff index 1
}

TEST_F(RetryPolicyTest, FullJitterUsesTheInjectedRandom) {
  RetryPolicyConfig config = baseConfig();
  config.backoff.jitter = Jitter::kFull;
  const RetryPolicy jittered = make(config);
  SequenceRandom random({40'000'000});
  const RetryDecision d = jittered.decide(context(), budget_, random, now_);
  EXPECT_EQ(d.verdict, RetryVerdict::kRetry);
  EXPECT_EQ(d.delay, milliseconds(40));
}

TEST_F(RetryPolicyTest, UnlistedOutcomesAreNotRetried) {
  RetryPolicyConfig config = baseConfig();
  config.retry_on.timeout = false;
  const RetryPolicy policy = make(config);
  for (AttemptOutcome o :
       {AttemptOutcome::kSuccess, AttemptOutcome::kCancelled, AttemptOutcome::kTimeout}) {
    RetryContext c = context();
    c.outcome = o;
    const RetryDecision d = policy.decide(c, budget_, random_, now_);
    EXPECT_EQ(d.verdict, RetryVerdict::kNotRetryableOutcome) << outcomeName(o);
    EXPECT_EQ(d.delay, Duration::zero());
  }
  RetryContext status = context();
  status.outcome = AttemptOutcome::kFailureStatus;
  EXPECT_EQ(policy.decide(status, budget_, random_, now_).verdict, RetryVerdict::kRetry);
}

TEST_F(RetryPolicyTest, AttemptsExhaustedCountsTheFirstAttempt) {
  RetryContext c = context();
  c.attempts_made = 3;
  EXPECT_EQ(decide(c).verdict, RetryVerdict::kAttemptsExhausted);

  // The app's x-outrigger-max-attempts can lower the limit ...
  c.attempts_made = 2;
  c.max_attempts = 2;
  EXPECT_EQ(decide(c).verdict, RetryVerdict::kAttemptsExhausted);
  // ... but never raise it above the configured one.
  c.attempts_made = 3;
  c.max_attempts = 10;
  EXPECT_EQ(decide(c).verdict, RetryVerdict::kAttemptsExhausted);
}

TEST_F(RetryPolicyTest, NonIdempotentMethodsAreNotRetried) {
  RetryContext post = context();
  post.method = "POST";
  EXPECT_EQ(decide(post).verdict, RetryVerdict::kMethodNotRetryable);

  post.has_idempotency_key = true;
  EXPECT_EQ(decide(post).verdict, RetryVerdict::kRetry);

  RetryPolicyConfig all = baseConfig();
  all.methods = RetryMethods::kAll;
  post.has_idempotency_key = false;
  EXPECT_EQ(make(all).decide(post, budget_, random_, now_).verdict, RetryVerdict::kRetry);
}

TEST_F(RetryPolicyTest, AFailedConnectIsRetriedForAnyMethodBecauseNothingWasSent) {
  RetryContext post = context();
  post.method = "POST";
  post.outcome = AttemptOutcome::kConnectFailed;
  EXPECT_EQ(decide(post).verdict, RetryVerdict::kRetry);
  post.outcome = AttemptOutcome::kTimeout;  // may have reached the upstream
  EXPECT_EQ(decide(post).verdict, RetryVerdict::kMethodNotRetryable);
}

TEST_F(RetryPolicyTest, ARefusedStreamIsRetriedForAnyMethodWhenResetIsListed) {
  RetryContext post = context();
  post.method = "POST";
  post.outcome = AttemptOutcome::kRefused;  // the upstream did not act on it
  EXPECT_EQ(decide(post).verdict, RetryVerdict::kRetry);
  RetryPolicyConfig no_reset = baseConfig();
  no_reset.retry_on.reset = false;
  EXPECT_EQ(make(no_reset).decide(post, budget_, random_, now_).verdict,
            RetryVerdict::kNotRetryableOutcome);
}

TEST_F(RetryPolicyTest, ABodyThatCannotBeReplayedIsNotRetried) {
  RetryContext c = context();
  c.method = "PUT";
  c.body_replayable = false;
  EXPECT_EQ(decide(c).verdict, RetryVerdict::kBodyNotReplayable);
}

TEST_F(RetryPolicyTest, NoRetryWhoseDelayAndAttemptCannotFitBeforeTheDeadline) {
  RetryContext c = context();
  c.time_left = milliseconds(100) + kMinRetryWindow;  // delay 100ms leaves exactly the margin
  EXPECT_EQ(decide(c).verdict, RetryVerdict::kNoTimeLeft);
  c.time_left += nanoseconds(1);
  EXPECT_EQ(decide(c).verdict, RetryVerdict::kRetry);
  c.time_left = Duration::zero();
  EXPECT_EQ(decide(c).verdict, RetryVerdict::kNoTimeLeft);
  c.time_left = -seconds(1);
  EXPECT_EQ(decide(c).verdict, RetryVerdict::kNoTimeLeft);
}

TEST_F(RetryPolicyTest, RetryAfterIsPreferredToBackoff) {
  RetryContext c = context();
  c.outcome = AttemptOutcome::kFailureStatus;
  c.retry_after = seconds(2);
  RetryDecision d = decide(c);
  EXPECT_EQ(d.verdict, RetryVerdict::kRetry);
  EXPECT_EQ(d.delay, seconds(2));

  c.retry_after = Duration::zero();
  d = decide(c);
  EXPECT_EQ(d.verdict, RetryVerdict::kRetry);
  EXPECT_EQ(d.delay, Duration::zero());

  RetryPolicyConfig ignore = baseConfig();
  ignore.respect_retry_after = false;
  c.retry_after = seconds(2);
  d = make(ignore).decide(c, budget_, random_, now_);
  EXPECT_EQ(d.verdict, RetryVerdict::kRetry);
  EXPECT_EQ(d.delay, milliseconds(100));
}

TEST_F(RetryPolicyTest, ARetryAfterBeyondTheDeadlineIsNotRetried) {
  RetryContext c = context();
  c.outcome = AttemptOutcome::kFailureStatus;
  c.retry_after = seconds(10);
  EXPECT_EQ(decide(c).verdict, RetryVerdict::kRetryAfterTooLong);
  c.retry_after = seconds(24 * 3600);
  EXPECT_EQ(decide(c).verdict, RetryVerdict::kRetryAfterTooLong);
}

TEST_F(RetryPolicyTest, AnEmptyBudgetRefusesTheRetry) {
  RetryBudget empty(0.2, 0, seconds(10), now_);
  const RetryDecision d = policy_.decide(context(), empty, random_, now_);
  EXPECT_EQ(d.verdict, RetryVerdict::kBudgetExhausted);
  EXPECT_EQ(d.delay, Duration::zero());
}

TEST_F(RetryPolicyTest, ARetryRefusedForAnyOtherReasonDoesNotSpendTheBudget) {
  RetryBudget one(0, 1, seconds(1), now_);  // exactly one retry
  RetryContext refused[6] = {context(), context(), context(), context(), context(), context()};
  refused[0].outcome = AttemptOutcome::kSuccess;
  refused[1].attempts_made = 3;
  refused[2].method = "POST";
  refused[3].body_replayable = false;
  refused[4].time_left = milliseconds(50);
  refused[5].outcome = AttemptOutcome::kFailureStatus;
  refused[5].retry_after = seconds(60);
  for (const RetryContext& c : refused) {
    EXPECT_NE(policy_.decide(c, one, random_, now_).verdict, RetryVerdict::kRetry);
    EXPECT_DOUBLE_EQ(one.available(now_), 1);
  }
  EXPECT_EQ(policy_.decide(context(), one, random_, now_).verdict, RetryVerdict::kRetry);
  EXPECT_EQ(policy_.decide(context(), one, random_, now_).verdict, RetryVerdict::kBudgetExhausted);
}

TEST_F(RetryPolicyTest, ChecksRunInTheDocumentedOrder) {
  RetryBudget empty(0, 0, seconds(1), now_);
  RetryContext c = context();
  c.outcome = AttemptOutcome::kCancelled;
  c.attempts_made = 3;
  c.method = "POST";
  c.body_replayable = false;
  c.time_left = Duration::zero();
  EXPECT_EQ(policy_.decide(c, empty, random_, now_).verdict, RetryVerdict::kNotRetryableOutcome);
  c.outcome = AttemptOutcome::kReset;
  EXPECT_EQ(policy_.decide(c, empty, random_, now_).verdict, RetryVerdict::kAttemptsExhausted);
  c.attempts_made = 1;
  EXPECT_EQ(policy_.decide(c, empty, random_, now_).verdict, RetryVerdict::kMethodNotRetryable);
  c.method = "GET";
  EXPECT_EQ(policy_.decide(c, empty, random_, now_).verdict, RetryVerdict::kBodyNotReplayable);
  c.body_replayable = true;
  EXPECT_EQ(policy_.decide(c, empty, random_, now_).verdict, RetryVerdict::kNoTimeLeft);
  c.time_left = seconds(5);
  EXPECT_EQ(policy_.decide(c, empty, random_, now_).verdict, RetryVerdict::kBudgetExhausted);
}

TEST_F(RetryPolicyTest, VerdictNames) {
  const std::pair<RetryVerdict, std::string> names[] = {
      {RetryVerdict::kRetry, "retry"},
      {RetryVerdict::kNotRetryableOutcome, "not_retryable_outcome"},
      {RetryVerdict::kMethodNotRetryable, "method_not_retryable"},
      {RetryVerdict::kBodyNotReplayable, "body_not_replayable"},
      {RetryVerdict::kAttemptsExhausted, "attempts_exhausted"},
      {RetryVerdict::kBudgetExhausted, "budget_exhausted"},
      {RetryVerdict::kNoTimeLeft, "no_time_left"},
      {RetryVerdict::kRetryAfterTooLong, "retry_after_too_long"},
  };
  for (const auto& [verdict, name] : names) EXPECT_EQ(retryVerdictName(verdict), name);
}

}  // namespace
}  // namespace outrigger::policy
