#include "proxy/config/grpc_fallback.h"

#include <vector>

#include "proxy/config/fields.h"
#include "proxy/config/suggest.h"
#include "proxy/http/grpc.h"

namespace outrigger::config {
namespace {

const std::vector<std::string_view>& grpcStatusNames() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> all;
    for (size_t code = 0; code < http::kGrpcStatusCount; ++code)
      all.push_back(http::grpcStatusName(static_cast<http::GrpcStatus>(code)));
    return all;
  }();
  return names;
}

// The keys that cannot go with grpc_status, each reported where it is written.
void checkGrpcForm(const ConfigNode& node, const StaticResponseConfig& r, Diagnostics& diag) {
  if (const ConfigNode* s = node.find("status"); s != nullptr && r.status != 200)
    diag.error(*s,
               "with grpc_status the reply is HTTP 200 and trailers-only, the only failure "
               "a gRPC client reads; remove status (or set it to 200)");
  if (const ConfigNode* b = node.find("body"); b != nullptr && !r.body.empty())
    diag.error(*b,
               "with grpc_status the reply is trailers-only and has no body (a gRPC client "
               "reads a body as length-prefixed messages); put the text in grpc_message");
  if (const ConfigNode* c = node.find("content_type");
      c != nullptr && !http::isGrpcContentType(r.content_type))
    diag.error(*c,
               "with grpc_status the content_type must be application/grpc (or "
               "application/grpc+proto...): a gRPC client rejects any other, got " +
                   c->describe());
}

}  // namespace

std::optional<http::GrpcStatus> readGrpcStatus(const ConfigNode& node, Diagnostics& diag) {
  if (node.isScalar() && !node.scalar.empty() &&
      node.scalar.find_first_not_of("0123456789") == std::string::npos) {
    auto code = readInteger(node, diag, 0, static_cast<int64_t>(http::kGrpcStatusCount) - 1);
    if (!code) return std::nullopt;
    return static_cast<http::GrpcStatus>(*code);
  }
  if (node.isScalar()) {
    if (auto status = http::grpcStatusFromName(node.scalar)) return status;
  }
  diag.error(node,
             "expected a gRPC status name (unavailable, resource_exhausted...) or its "
             "number 0-16, got " +
                 node.describe() +
                 (node.isScalar() ? didYouMean(node.scalar, grpcStatusNames()) : ""));
  return std::nullopt;
}

void readStaticResponse(const ConfigNode& node, StaticResponseConfig& out, Diagnostics& diag) {
  if (const ConfigNode* g = node.find("grpc_status")) {
    out.grpc_status = readGrpcStatus(*g, diag);
    if (out.grpc_status) {
      out.status = 200;
      out.content_type = std::string(kGrpcContentType);
    }
  }
  if (auto* s = node.find("status")) assignIf(readInteger(*s, diag, 200, 599), out.status);
  if (auto* c = node.find("content_type")) assignIf(readString(*c, diag), out.content_type);
  if (auto* b = node.find("body")) assignIf(readString(*b, diag), out.body);
  if (const ConfigNode* m = node.find("grpc_message")) {
    assignIf(readString(*m, diag), out.grpc_message);
    // At the map, as for other missing siblings: the message itself is a fine value.
    if (node.find("grpc_status") == nullptr)
      diag.error(node, "grpc_message needs grpc_status beside it (the gRPC form of the reply)");
  }
  if (out.grpc_status) checkGrpcForm(node, out, diag);
}

namespace {
const HeaderMatch* grpcContentTypeMatch(const RouteConfig& route) {
  for (const HeaderMatch& m : route.headers) {
    if (m.name == "content-type" && m.kind == HeaderMatch::Kind::kExact &&
        http::isGrpcContentType(m.value))
      return &m;
  }
  return nullptr;
}
}  // namespace

void checkGrpcRouteFallback(const ConfigNode& route_node, const RouteConfig& route,
                            const UpstreamConfig& upstream, const StaticResponseConfig& merged,
                            Diagnostics& diag) {
  const HeaderMatch* grpc = grpcContentTypeMatch(route);
  if (merged.grpc_status || grpc == nullptr) return;
  const ConfigNode* fallback = route_node.find("fallback");
  const ConfigNode* own = fallback != nullptr ? fallback->find("response") : nullptr;
  const std::string from = own != nullptr ? "its fallback.response"
                                          : "upstreams." + upstream.name + ".fallback.response";
  const std::string message =
      "the route matches gRPC requests (content-type " + grpc->value + "), but " + from +
      " is an HTTP " + std::to_string(merged.status) +
      " reply that a gRPC client cannot read; give grpc_status (and grpc_message) for the "
      "HTTP 200 trailers-only form, or set the route's fallback.response: off";
  if (own != nullptr) {
    diag.error(*own, message);
  } else if (const ConfigNode* match = route_node.find("match")) {
    diag.errorAtKey(*match, match->path, message);
  } else {
    diag.error(route_node, message);
  }
}

}  // namespace outrigger::config
