#include "proxy/exchange/next_step.h"

#include "proxy/upstream/upstream_policies.h"

namespace outrigger::exchange {
namespace {

// Only an idempotent request without a body goes again on a fresh connection: the upstream
// may have closed an idle connection before the request arrived, or taken the request and
// then failed, and the two cannot be told apart.
bool mayRetryOnFreshConnection(const AttemptResult& result, const RetryState& state) {
  return result.stale_connection && !state.has_body &&
         policy::isIdempotentRequest(state.method, state.has_idempotency_key) &&
         state.free_retries < kMaxFreeRetries && state.time_left > Duration::zero();
}

// A stream the upstream refused unprocessed goes again at once, on another connection,
// whatever the method (gRPC's transparent retry): the upstream did not act on it. Only the
// body must still be at hand.
bool mayRetryRefused(const AttemptResult& result, const RetryState& state) {
  return result.outcome == policy::AttemptOutcome::kRefused && state.body_replayable &&
         state.free_retries < kMaxFreeRetries && state.time_left > Duration::zero();
}

}  // namespace

NextStep decideNextStep(const AttemptResult& result, const RetryState& state,
                        upstream::UpstreamPolicies& policies, Random& random, MonoTime now) {
  NextStep step;
  step.settle_as = result.outcome;
  if (result.outcome == policy::AttemptOutcome::kSuccess) return step;  // kPassThrough
  if (result.response_started) {
    step.kind = NextStepKind::kCut;
    return step;
  }
  if (mayRetryOnFreshConnection(result, state)) {
    // Not the upstream's failure and not a policy retry.
    step.kind = NextStepKind::kRetryNow;
    step.settle_as = policy::AttemptOutcome::kStaleConnection;
    return step;
  }
  if (mayRetryRefused(result, state)) {
    step.kind = NextStepKind::kRetryNow;  // settled as kRefused: neutral for the upstream
    return step;
  }
  const bool refused = result.outcome == policy::AttemptOutcome::kRefused;
  if (!refused && !policy::isUpstreamFailure(result.outcome)) {
    step.kind = NextStepKind::kLocalReply;  // the pool stayed full: not the upstream's failure
    return step;
  }
  policy::RetryContext retry;
  retry.method = state.method;
  retry.has_idempotency_key = state.has_idempotency_key;
  retry.request_unprocessed = result.error.retry_safe;
  retry.body_replayable = state.body_replayable;
  retry.attempts_made = state.attempts;
  retry.max_attempts = state.max_attempts;
  retry.outcome = result.outcome;
  retry.retry_after = result.retry_after;
  retry.time_left = state.time_left;
  const policy::RetryDecision decision =
      policies.decideRetry(retry, state.retry_policy, random, now);
  if (decision.verdict == policy::RetryVerdict::kRetry) {
    step.kind = NextStepKind::kRetry;
    step.delay = decision.delay;
    return step;
  }
  if (state.retry_policy != nullptr &&
      (state.attempts > 1 || decision.verdict == policy::RetryVerdict::kBudgetExhausted))
    step.not_retried = policy::retryVerdictName(decision.verdict);
  // A failure status that is not retried goes to the app unchanged (DESIGN §5).
  step.kind = result.status != 0 ? NextStepKind::kPassThrough : NextStepKind::kFallback;
  return step;
}

}  // namespace outrigger::exchange
