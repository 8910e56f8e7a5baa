#pragma once
// The retry decision (DESIGN §4 attempt loop, §6 retry): given a classified attempt, says
// whether to try again and after how long. It only decides; the caller arms the backoff timer.

#include <bitset>
#include <cstdint>
#include <optional>
#include <string_view>

#include "proxy/common/clock.h"
#include "proxy/common/random.h"
#include "proxy/common/result.h"
#include "proxy/http/grpc_status.h"
#include "proxy/policy/backoff.h"
#include "proxy/policy/outcome.h"
#include "proxy/policy/retry_budget.h"

namespace outrigger::policy {

// retry_on: which failures are retried. Statuses index the bitset directly (0..599), and
// gRPC status codes theirs (0..16), for gRPC requests only.
struct RetryOn {
  bool connect_failed = false;
  bool reset = false;
  bool timeout = false;
  std::bitset<600> statuses;
  std::bitset<http::kGrpcStatusCount> grpc_statuses;

  friend bool operator==(const RetryOn&, const RetryOn&) = default;
};

enum class RetryMethods { kIdempotent, kAll };

struct RetryPolicyConfig {
  uint32_t max_attempts = 1;  // total tries, including the first
  BackoffConfig backoff;
  RetryOn retry_on;
  RetryMethods methods = RetryMethods::kIdempotent;
  uint64_t max_body_bytes = 64 * 1024;  // enforced by the caller through body_replayable
  bool respect_retry_after = true;

  friend bool operator==(const RetryPolicyConfig&, const RetryPolicyConfig&) = default;
};

// The DESIGN §5 classification of a response: a status listed in retry_on is
// kFailureStatus, any other response (including an unlisted 5xx) is kSuccess.
// Inline: every response is classified.
inline AttemptOutcome classifyResponse(int status, const RetryOn& retry_on) {
  const bool listed = status >= 0 && static_cast<size_t>(status) < retry_on.statuses.size() &&
                      retry_on.statuses.test(static_cast<size_t>(status));
  return listed ? AttemptOutcome::kFailureStatus : AttemptOutcome::kSuccess;
}

// GET HEAD OPTIONS PUT DELETE TRACE (RFC 9110 §9.2.2; method names are case-sensitive), or
// any method when the request carries an Idempotency-Key header.
bool isIdempotentRequest(std::string_view method, bool has_idempotency_key);

struct RetryContext {
  std::string_view method;
  bool has_idempotency_key = false;
  // The upstream cannot have acted on the request (it refused it unprocessed): like a
  // failed connect, safe to send again whatever the method.
  bool request_unprocessed = false;
  bool body_replayable = true;  // the whole body is still in the replay buffer (or empty)
  uint32_t attempts_made = 1;   // attempts so far, including the one just classified
  uint32_t max_attempts = 1;    // after the app's x-outrigger-max-attempts lowering
  AttemptOutcome outcome = AttemptOutcome::kSuccess;
  std::optional<Duration> retry_after;  // parsed from a 429/503 response's Retry-After
  Duration time_left{};                 // until the request deadline
};

enum class RetryVerdict {
  kRetry,
  kNotRetryableOutcome,
  kMethodNotRetryable,
  kBodyNotReplayable,
  kAttemptsExhausted,
  kBudgetExhausted,
  kNoTimeLeft,
  kRetryAfterTooLong,
};

// A stable snake_case name for logs and metric labels, e.g. "budget_exhausted".
std::string_view retryVerdictName(RetryVerdict verdict);

struct RetryDecision {
  RetryVerdict verdict;
  Duration delay;  // the wait before the next attempt when kRetry; zero otherwise
};

// The least time a retry must have left once its delay is over. A shorter window would only
// send the upstream a request that the deadline then cuts off.
inline constexpr Duration kMinRetryWindow = milliseconds(1);

// Immutable once built: one per upstream config snapshot, shared by every worker.
class RetryPolicy {
 public:
  // Validates max_attempts >= 1 (Error kind "invalid_retry_policy") and the backoff
  // (Error kind "invalid_backoff"), once.
  static Result<RetryPolicy> create(RetryPolicyConfig config);

  // Checks, in order: the outcome is listed in retry_on -> attempts are left -> the method
  // may be retried (skipped for connect_failed: nothing was sent) -> the body can be
  // replayed -> the delay (Retry-After when respected and present, else backoff) plus
  // kMinRetryWindow fits in time_left -> the budget allows it. The budget comes last so a
  // retry refused for another reason never spends it. `budget` is lock-free (RetryBudget);
  // `random` belongs to the calling worker.
  RetryDecision decide(const RetryContext& context, RetryBudget& budget, Random& random,
                       MonoTime now) const;

  const RetryPolicyConfig& config() const { return config_; }
  const Backoff& backoff() const { return backoff_; }

 private:
  RetryPolicy(RetryPolicyConfig config, Backoff backoff) : config_(config), backoff_(backoff) {}

  bool outcomeListed(AttemptOutcome outcome) const;

  RetryPolicyConfig config_;
  Backoff backoff_;
};

}  // namespace outrigger::policy
