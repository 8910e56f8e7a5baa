#pragma once
// Replies that outrigger generates itself (DESIGN §5). Every one carries
// `x-outrigger-reason` and a small JSON body naming the reason, upstream and request id.

#include <array>
#include <string>
#include <string_view>

#include "proxy/http/message.h"

namespace outrigger::http {

enum class LocalReason {
  kNoRoute,
  kRateLimited,
  kBulkheadFull,
  kBulkheadTimeout,
  kCircuitOpen,
  kConnectFailed,
  kUpstreamReset,
  kUpstreamTimeout,
  kRequestTimeout,
  kNoHealthyEndpoint,
  kBadRequest,
  kPayloadTooLarge,
  kHeadersTooLarge,
  kPoolTimeout,  // not in DESIGN §5: the worker's pool stayed full for timeouts.pool
  // Not in DESIGN §5 either (issue 18): a request framing we cannot decode (a
  // Transfer-Encoding other than a lone chunked), and a response head over the upstream's
  // limits.max_response_head.
  kNotImplemented,
  kUpstreamResponseTooLarge,
  // Not a reply of its own (issue 19): a failure status the upstream answered, replaced by
  // a stale copy (RFC 5861 stale-if-error); the copy's x-outrigger-reason says so.
  kFailureStatus,
  // Issue 18: a CONNECT to an authority no route allows (outrigger is never an open proxy).
  kConnectNotAllowed,
  // A CONNECT on a kept-alive connection while outrigger drains: no new tunnel on a
  // connection it asks the app to close; the app reconnects.
  kDraining,
  kCount,        // not a reason: the number of reasons
};

inline constexpr size_t kLocalReasonCount = static_cast<size_t>(LocalReason::kCount);

std::string_view reasonName(LocalReason reason);  // "no_route"
int reasonStatus(LocalReason reason);             // 404

struct LocalReply {
  ResponseHead head;
  std::string body;
};

// Builds the complete reply. `retry_after_seconds` > 0 adds Retry-After.
LocalReply makeLocalReply(LocalReason reason, std::string_view upstream,
                          std::string_view request_id, int retry_after_seconds = 0);

}  // namespace outrigger::http
