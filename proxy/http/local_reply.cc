#include "proxy/http/local_reply.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <iterator>

namespace outrigger::http {
namespace {

struct ReasonInfo {
  std::string_view name;
  int status;
};

// Indexed by LocalReason; DESIGN §5 (pool_timeout is our addition, like bulkhead_timeout).
constexpr ReasonInfo kReasons[] = {
    {"no_route", 404},                     // kNoRoute
    {"rate_limited", 429},                 // kRateLimited
    {"bulkhead_full", 503},                // kBulkheadFull
    {"bulkhead_timeout", 503},             // kBulkheadTimeout
    {"circuit_open", 503},                 // kCircuitOpen
    {"connect_failed", 502},               // kConnectFailed
    {"upstream_reset", 502},               // kUpstreamReset
    {"upstream_timeout", 504},             // kUpstreamTimeout
    {"request_timeout", 504},              // kRequestTimeout
    {"no_healthy_endpoint", 503},          // kNoHealthyEndpoint
    {"bad_request", 400},                  // kBadRequest
    {"payload_too_large", 413},            // kPayloadTooLarge
    {"headers_too_large", 431},            // kHeadersTooLarge
    {"pool_timeout", 503},                 // kPoolTimeout
    {"not_implemented", 501},              // kNotImplemented
    {"upstream_response_too_large", 502},  // kUpstreamResponseTooLarge
    {"failure_status", 502},               // kFailureStatus
    {"connect_not_allowed", 403},          // kConnectNotAllowed
    {"draining", 503},                     // kDraining
};
static_assert(std::size(kReasons) == kLocalReasonCount, "every LocalReason needs a row");

const ReasonInfo& infoFor(LocalReason reason) {
  const auto index = static_cast<size_t>(reason);
  if (index >= std::size(kReasons)) {
    std::fprintf(stderr, "outrigger: impossible LocalReason value %zu\n", index);
    std::abort();
  }
  return kReasons[index];
}

void appendJsonString(std::string_view text, std::string& out) {
  constexpr std::string_view kHex = "0123456789abcdef";
  out.push_back('"');
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20) {
      out.append("\\u00");
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

}  // namespace

std::string_view reasonName(LocalReason reason) { return infoFor(reason).name; }

int reasonStatus(LocalReason reason) { return infoFor(reason).status; }

LocalReply makeLocalReply(LocalReason reason, std::string_view upstream,
                          std::string_view request_id, int retry_after_seconds) {
  const ReasonInfo& info = infoFor(reason);
  LocalReply reply;
  reply.body.reserve(48 + info.name.size() + upstream.size() + request_id.size());
  reply.body.append("{\"error\":");
  appendJsonString(info.name, reply.body);
  reply.body.append(",\"upstream\":");
  appendJsonString(upstream, reply.body);
  reply.body.append(",\"request_id\":");
  appendJsonString(request_id, reply.body);
  reply.body.append("}");

  ResponseHead& head = reply.head;
  head.status = info.status;
  head.headers.add("Content-Type", "application/json");
  head.headers.add("x-outrigger-reason", info.name);
  if (retry_after_seconds > 0) {
    char buf[16];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), retry_after_seconds);
    (void)ec;  // 16 chars hold any int
    head.headers.add("Retry-After", std::string_view(buf, static_cast<size_t>(end - buf)));
  }
  if (!request_id.empty()) head.headers.add("X-Request-ID", request_id);
  head.framing = BodyFraming::kContentLength;
  head.content_length = reply.body.size();
  return reply;
}

}  // namespace outrigger::http
