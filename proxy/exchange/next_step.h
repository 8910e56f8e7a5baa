#pragma once
// The one decision of what follows an attempt (DESIGN §4), fed one AttemptResult: pass
// the response through, retry after a backoff, retry at once on a fresh connection, cut a
// response already under way, fall back, or reply locally. Pingora's proxy loop is the
// model: the result says whether a retry is safe, and this function alone decides.

#include <cstdint>
#include <string_view>

#include "proxy/common/clock.h"
#include "proxy/common/random.h"
#include "proxy/exchange/attempt_result.h"
#include "proxy/policy/outcome.h"
#include "proxy/policy/retry_policy.h"

namespace outrigger::upstream {
class UpstreamPolicies;
}

namespace outrigger::exchange {

enum class NextStepKind {
  kPassThrough,  // the response (a success, or a failure not retried) goes to the app
  kRetry,        // another attempt after `delay`
  kRetryNow,     // a kept-alive connection found closed, or a stream refused unprocessed:
                 // again at once, not counted as an attempt
  kCut,          // the response had started: end it short so the app cannot miss it
  kFallback,     // a stale copy, the static response, or else the local reply
  kLocalReply,   // the local reply for result.error.reason, with no fallback
};

struct NextStep {
  NextStepKind kind = NextStepKind::kPassThrough;
  Duration delay{};  // for kRetry
  // What the breaker, outlier detection and metrics record for the attempt.
  policy::AttemptOutcome settle_as = policy::AttemptOutcome::kSuccess;
  // Why a failure was not retried, when that is worth a line in the access log.
  std::string_view not_retried;
};

// The request as a retry sees it.
struct RetryState {
  std::string_view method;
  bool has_idempotency_key = false;
  bool has_body = false;
  bool body_replayable = true;
  uint32_t attempts = 1;      // attempts made, the one just ended included
  uint32_t max_attempts = 1;  // after the app's x-outrigger-max-attempts
  uint32_t free_retries = 0;  // kRetryNow steps taken so far
  // The route's retry decision, or else the upstream's; null: one attempt.
  const policy::RetryPolicy* retry_policy = nullptr;
  Duration time_left{};  // until the request deadline
};

// A reused connection may have been closed by the upstream just as it was picked, or a
// stream refused unprocessed; a request is tried again at once (kRetryNow) at most this
// often, and after that only as the retry policy allows.
inline constexpr uint32_t kMaxFreeRetries = 3;

NextStep decideNextStep(const AttemptResult& result, const RetryState& state,
                        upstream::UpstreamPolicies& policies, Random& random, MonoTime now);

}  // namespace outrigger::exchange
