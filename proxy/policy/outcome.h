#pragma once
// The one classification of an upstream attempt's result (DESIGN §5, CONVENTIONS §4).
// Every policy (retry, breaker, outlier detection) and every metric reads this, never the
// raw error.

#include <array>
#include <cstddef>
#include <string_view>

namespace outrigger::policy {

enum class AttemptOutcome {
  kSuccess,        // a response that is not an upstream failure (any 1xx-4xx, unlisted 5xx)
  kConnectFailed,  // TCP connect or TLS handshake failed or timed out
  kReset,          // the connection was lost before a full response
  kTimeout,        // per_try or read/write inactivity timeout
  kFailureStatus,  // a response whose status is listed in retry_on
  kCancelled,      // the client went away or the request deadline cut the attempt short;
                   // never counted against the upstream
  kStaleConnection,  // a kept-alive connection was found closed before any response byte:
                     // the request goes again on a fresh connection (no retry, no failure)
  kRefused,  // the upstream refused the request unprocessed (an HTTP/2 REFUSED_STREAM, or a
             // stream above a GOAWAY's last-stream-id): safe to send again whatever the
             // method, and no fault of the upstream (a graceful GOAWAY is how it retires a
             // connection), so never counted against it
  kCount,
};

inline constexpr size_t kAttemptOutcomeCount = static_cast<size_t>(AttemptOutcome::kCount);

std::string_view outcomeName(AttemptOutcome outcome);  // metric label value, e.g. "reset"

// True for the attempts that ended without telling anything about the upstream's health:
// the breaker and outlier detection record nothing for them.
inline bool isAbandoned(AttemptOutcome o) {
  return o == AttemptOutcome::kCancelled || o == AttemptOutcome::kStaleConnection ||
         o == AttemptOutcome::kRefused;
}

// True for the outcomes that count against an upstream (breaker, outlier, retry).
inline bool isUpstreamFailure(AttemptOutcome o) {
  return o == AttemptOutcome::kConnectFailed || o == AttemptOutcome::kReset ||
         o == AttemptOutcome::kTimeout || o == AttemptOutcome::kFailureStatus;
}

}  // namespace outrigger::policy
