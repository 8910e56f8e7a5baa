#pragma once
// How one attempt against the upstream ended, and the one error type of the request path
// (Pingora's model): where an error came from, the local reply it becomes, and whether the
// upstream cannot have acted on the request, so that any method may be sent again.

#include <optional>
#include <string>

#include "proxy/common/clock.h"
#include "proxy/common/result.h"
#include "proxy/http/local_reply.h"
#include "proxy/policy/outcome.h"

namespace outrigger::exchange {

struct RequestError {
  // The local reply it becomes when nothing better can be sent (DESIGN §5).
  http::LocalReason reason = http::LocalReason::kUpstreamReset;
  ErrorSource source = ErrorSource::kUpstream;  // upstream -> 502/504, downstream -> 4xx
  // Nothing of the request reached the upstream (a failed connect), or the upstream said it
  // did not process it: a retry cannot repeat a side effect.
  bool retry_safe = false;
  std::string detail;  // for the access log; empty on success
};

struct AttemptResult {
  policy::AttemptOutcome outcome = policy::AttemptOutcome::kSuccess;
  int status = 0;                       // the response's status when one came, else 0
  std::optional<Duration> retry_after;  // a 429/503 response's Retry-After
  // Part of the response reached the app: the exchange can only cut it, never retry.
  bool response_started = false;
  // A kept-alive connection that closed before any byte of a response: the upstream most
  // likely closed it idle just as it was picked (see NextStep kRetryNow).
  bool stale_connection = false;
  RequestError error;  // unless outcome is kSuccess
};

}  // namespace outrigger::exchange
