#pragma once
// What the proxy knows about gRPC beyond the status table (issue 17, item 5): telling a
// gRPC request, its grpc-timeout deadline, and local replies in the trailers-only form a
// gRPC client reads. Pure.

#include <optional>
#include <string>
#include <string_view>

#include "proxy/common/clock.h"
#include "proxy/http/grpc_status.h"
#include "proxy/http/local_reply.h"
#include "proxy/http/message.h"

namespace outrigger::http {

// content-type application/grpc, or application/grpc+proto, application/grpc;... (any case).
bool isGrpcContentType(std::string_view content_type);
bool isGrpcRequest(const RequestHead& head);

// The grpc-status field of a response head (a trailers-only response) or of its trailers;
// nothing when absent or not a number.
std::optional<GrpcStatus> grpcStatusIn(const Headers& fields);

// grpc-timeout (PROTOCOL-HTTP2.md): 1 to 8 digits, then H, M, S, m, u or n. Nothing when
// malformed (the header is then ignored, as gRPC servers do).
std::optional<Duration> parseGrpcTimeout(std::string_view value);
// The time left as a grpc-timeout value: the finest unit whose value fits in 8 digits,
// rounded up so the upstream never gives up before we do. Time already up is "1n".
std::string formatGrpcTimeout(Duration left);

// The gRPC status a local reply stands for (rate_limited -> RESOURCE_EXHAUSTED...).
GrpcStatus grpcStatusFor(LocalReason reason);

// grpc-message is percent-encoded: bytes outside printable ASCII, and '%' itself.
std::string percentEncodeGrpcMessage(std::string_view message);

// A local reply in gRPC form: HTTP 200, trailers-only (no body: over HTTP/2 the head ends
// the stream), with content-type application/grpc, grpc-status, a grpc-message naming the
// reason and the upstream, x-outrigger-reason and X-Request-ID.
LocalReply makeGrpcLocalReply(LocalReason reason, std::string_view upstream,
                              std::string_view request_id);

}  // namespace outrigger::http
