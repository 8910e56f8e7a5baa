#include "proxy/policy/retry_policy.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>

namespace outrigger::policy {

bool isIdempotentRequest(std::string_view method, bool has_idempotency_key) {
  if (has_idempotency_key) return true;
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" ||
         method == "DELETE" || method == "TRACE";
}

std::string_view retryVerdictName(RetryVerdict verdict) {
  switch (verdict) {
    case RetryVerdict::kRetry:
      return "retry";
    case RetryVerdict::kNotRetryableOutcome:
      return "not_retryable_outcome";
    case RetryVerdict::kMethodNotRetryable:
      return "method_not_retryable";
    case RetryVerdict::kBodyNotReplayable:
      return "body_not_replayable";
    case RetryVerdict::kAttemptsExhausted:
      return "attempts_exhausted";
    case RetryVerdict::kBudgetExhausted:
      return "budget_exhausted";
    case RetryVerdict::kNoTimeLeft:
      return "no_time_left";
    case RetryVerdict::kRetryAfterTooLong:
      return "retry_after_too_long";
  }
  std::cerr << "retryVerdictName: impossible verdict " << static_cast<int>(verdict) << "\n";
  std::abort();
}

Result<RetryPolicy> RetryPolicy::create(RetryPolicyConfig config) {
  if (config.max_attempts < 1) {
    return Error{"invalid_retry_policy", ErrorSource::kConfig, false,
                 "retry.max_attempts must be at least 1"};
  }
  Result<Backoff> backoff = Backoff::create(config.backoff);
  if (!backoff.ok()) return backoff.error();
  return RetryPolicy(config, *backoff);
}

bool RetryPolicy::outcomeListed(AttemptOutcome outcome) const {
  const RetryOn& on = config_.retry_on;
  switch (outcome) {
    case AttemptOutcome::kConnectFailed:
      return on.connect_failed;
    case AttemptOutcome::kReset:
    case AttemptOutcome::kRefused:  // to the operator, a stream refused is a kind of reset
      return on.reset;
    case AttemptOutcome::kTimeout:
      return on.timeout;
    // classifyResponse() only yields this for a status listed in retry_on.
    case AttemptOutcome::kFailureStatus:
      return true;
    case AttemptOutcome::kSuccess:
    case AttemptOutcome::kCancelled:
    case AttemptOutcome::kStaleConnection:
    case AttemptOutcome::kCount:
      return false;
  }
  return false;
}

RetryDecision RetryPolicy::decide(const RetryContext& context, RetryBudget& budget, Random& random,
                                  MonoTime now) const {
  if (!outcomeListed(context.outcome)) return {RetryVerdict::kNotRetryableOutcome, {}};
  // The app's header may only lower the configured limit, never raise it.
  const uint32_t max_attempts = std::min(context.max_attempts, config_.max_attempts);
  if (context.attempts_made >= max_attempts) return {RetryVerdict::kAttemptsExhausted, {}};
  // A failed connect sent nothing, so retrying it cannot repeat a side effect (Pingora's
  // rule): only the other failures need an idempotent request.
  const bool nothing_sent = context.outcome == AttemptOutcome::kConnectFailed ||
                            context.outcome == AttemptOutcome::kRefused ||
                            context.request_unprocessed;
  if (!nothing_sent && config_.methods == RetryMethods::kIdempotent &&
      !isIdempotentRequest(context.method, context.has_idempotency_key)) {
    return {RetryVerdict::kMethodNotRetryable, {}};
  }
  if (!context.body_replayable) return {RetryVerdict::kBodyNotReplayable, {}};

  const bool use_retry_after = config_.respect_retry_after && context.retry_after.has_value();
  const uint32_t retry_index = context.attempts_made > 0 ? context.attempts_made - 1 : 0;
  const Duration delay = use_retry_after ? std::max(*context.retry_after, Duration::zero())
                                         : backoff_.delay(retry_index, random);
  // Neither the wait nor the attempt after it may start unless both fit before the
  // deadline: time_left > delay + kMinRetryWindow, arranged so that no operand overflows.
  if (context.time_left <= kMinRetryWindow || delay >= context.time_left - kMinRetryWindow) {
    return {use_retry_after ? RetryVerdict::kRetryAfterTooLong : RetryVerdict::kNoTimeLeft, {}};
  }
  if (!budget.tryWithdraw(now)) return {RetryVerdict::kBudgetExhausted, {}};
  return {RetryVerdict::kRetry, delay};
}

}  // namespace outrigger::policy
