#pragma once
// The static fallback response in the form a gRPC client reads (issue 17, item 5): reading
// `grpc_status` and `grpc_message`, the rules of that form (HTTP 200, trailers-only, a gRPC
// content-type), and the check that a gRPC route gets no other form. A route is gRPC when
// its match requires a gRPC content-type (`match.headers.content-type: application/grpc`).

#include <optional>
#include <string>

#include "proxy/config/config_node.h"
#include "proxy/config/diagnostics.h"
#include "proxy/config/schema.h"

namespace outrigger::config {

// The content-type a gRPC-form response gets when none is given.
inline constexpr std::string_view kGrpcContentType = "application/grpc";

// A response map's `status`, `content_type`, `body`, `grpc_status` and `grpc_message`,
// checked against each other: with grpc_status the reply is HTTP 200 trailers-only.
void readStaticResponse(const ConfigNode& node, StaticResponseConfig& out, Diagnostics& diag);

// `grpc_status`: a code name in lower snake case ("unavailable") or its number (0-16).
std::optional<http::GrpcStatus> readGrpcStatus(const ConfigNode& node, Diagnostics& diag);

// A gRPC route whose fallback.response (its own over `upstream`'s) is not in gRPC form:
// reported at the route's fallback.response, or else at its match, saying why.
void checkGrpcRouteFallback(const ConfigNode& route_node, const RouteConfig& route,
                            const UpstreamConfig& upstream, const StaticResponseConfig& merged,
                            Diagnostics& diag);

}  // namespace outrigger::config
