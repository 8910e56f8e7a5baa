#pragma once
// Writes every response outrigger makes itself (DESIGN §5) to a downstream stream: local
// replies, fallbacks (a stale copy or the static response) and bad requests. Each carries
// x-outrigger-reason and X-Request-ID, and x-outrigger-attempts once a request was tried
// more than once. Whether the connection stays open after it is the downstream codec's
// rule (HTTP/1.1: see http1::Http1Session), the same for these as for proxied responses.

#include <cstdint>
#include <string_view>

#include "proxy/exchange/downstream_stream.h"
#include "proxy/http/local_reply.h"
#include "proxy/http/message.h"

namespace outrigger::exchange {

struct ReplyContext {
  std::string_view upstream;  // "" before a route picked one
  std::string_view request_id;
  int attempts = 0;
  // The request is gRPC (its content-type): local replies take the trailers-only form a
  // gRPC client reads (HTTP 200, grpc-status, grpc-message), whatever protocol carries it.
  bool grpc = false;
  // A failure status whose stale copy could not be had (failure_status): the local reply
  // keeps the upstream's status instead of its reason's. 0 = the reason's.
  int status = 0;
};

struct SentReply {
  int status = 0;
  uint64_t body_bytes = 0;
};

// The reason's status and JSON body; Retry-After when retry_after_seconds > 0. To a gRPC
// request: HTTP 200 trailers-only, the reason's gRPC status and a grpc-message naming it.
SentReply sendLocalReply(DownstreamStream& stream, http::LocalReason reason,
                         const ReplyContext& context, int retry_after_seconds = 0);

// A fallback in place of the failure `reason`: `head` (status and headers) with `body`.
SentReply sendFallback(DownstreamStream& stream, http::ResponseHead& head, std::string_view body,
                       http::LocalReason reason, const ReplyContext& context);

// A route's direct_response: `head` with `body` and this request's X-Request-ID. No
// x-outrigger-reason: it is the answer the operator configured, not a failure.
SentReply sendDirectResponse(DownstreamStream& stream, http::ResponseHead& head,
                             std::string_view body, const ReplyContext& context);

// x-outrigger-attempts on a response to a request tried more than once.
void addAttemptsHeader(http::Headers& headers, int attempts);

}  // namespace outrigger::exchange
