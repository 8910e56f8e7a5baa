#include "proxy/http/grpc.h"

#include <charconv>
#include <cstdint>

namespace outrigger::http {
namespace {

struct TimeoutUnit {
  char letter;
  Duration unit;
};

// Finest first: formatGrpcTimeout takes the first that fits.
constexpr TimeoutUnit kUnits[] = {
    {'n', std::chrono::nanoseconds(1)},  {'u', std::chrono::microseconds(1)},
    {'m', std::chrono::milliseconds(1)}, {'S', std::chrono::seconds(1)},
    {'M', std::chrono::minutes(1)},      {'H', std::chrono::hours(1)},
};

constexpr int64_t kMaxTimeoutValue = 99'999'999;  // 8 digits

}  // namespace

bool isGrpcContentType(std::string_view content_type) {
  constexpr std::string_view kPrefix = "application/grpc";
  if (content_type.size() < kPrefix.size() ||
      !equalsIgnoreCase(content_type.substr(0, kPrefix.size()), kPrefix)) {
    return false;
  }
  return content_type.size() == kPrefix.size() || content_type[kPrefix.size()] == '+' ||
         content_type[kPrefix.size()] == ';';
}

bool isGrpcRequest(const RequestHead& head) {
  const std::string_view* content_type = head.headers.get("content-type");
  return content_type != nullptr && isGrpcContentType(*content_type);
}

std::optional<GrpcStatus> grpcStatusIn(const Headers& fields) {
  const std::string_view* value = fields.get("grpc-status");
  return value != nullptr ? parseGrpcStatus(*value) : std::nullopt;
}

std::optional<Duration> parseGrpcTimeout(std::string_view value) {
  if (value.size() < 2 || value.size() > 9) return std::nullopt;
  const std::string_view digits = value.substr(0, value.size() - 1);
  int64_t amount = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), amount);
  if (ec != std::errc() || end != digits.data() + digits.size() || amount < 0) return std::nullopt;
  for (const TimeoutUnit& u : kUnits) {
    if (u.letter != value.back()) continue;
    // 8 digits of hours do not fit in int64 nanoseconds: a deadline that far away is none.
    const int64_t per_unit = std::chrono::duration_cast<Duration>(u.unit).count();
    if (amount > Duration::max().count() / per_unit) return Duration::max();
    return Duration(amount * per_unit);
  }
  return std::nullopt;
}

std::string formatGrpcTimeout(Duration left) {
  if (left.count() <= 0) return "1n";
  for (const TimeoutUnit& u : kUnits) {
    const int64_t amount = (left.count() + u.unit.count() - 1) / u.unit.count();
    if (amount <= kMaxTimeoutValue) return std::to_string(amount) + u.letter;
  }
  return std::to_string(kMaxTimeoutValue) + "H";
}

GrpcStatus grpcStatusFor(LocalReason reason) {
  switch (reason) {
    case LocalReason::kRateLimited:
    case LocalReason::kPayloadTooLarge:
    case LocalReason::kHeadersTooLarge:
    // As gRPC's own clients report a response's metadata over their limit.
    case LocalReason::kUpstreamResponseTooLarge:
      return GrpcStatus::kResourceExhausted;
    case LocalReason::kCircuitOpen:
    case LocalReason::kBulkheadFull:
    case LocalReason::kBulkheadTimeout:
    case LocalReason::kNoHealthyEndpoint:
    case LocalReason::kConnectFailed:
    case LocalReason::kUpstreamReset:
    case LocalReason::kPoolTimeout:
    case LocalReason::kFailureStatus:
    case LocalReason::kDraining:
      return GrpcStatus::kUnavailable;
    case LocalReason::kUpstreamTimeout:
    case LocalReason::kRequestTimeout:
      return GrpcStatus::kDeadlineExceeded;
    case LocalReason::kBadRequest:
      return GrpcStatus::kInternal;
    case LocalReason::kConnectNotAllowed:
      return GrpcStatus::kPermissionDenied;
    case LocalReason::kNoRoute:
    case LocalReason::kNotImplemented:
      return GrpcStatus::kUnimplemented;
    case LocalReason::kCount:
      break;
  }
  return GrpcStatus::kUnknown;
}

std::string percentEncodeGrpcMessage(std::string_view message) {
  constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(message.size());
  for (char c : message) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte <= 0x7e && c != '%') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  return out;
}

LocalReply makeGrpcLocalReply(LocalReason reason, std::string_view upstream,
                              std::string_view request_id) {
  const GrpcStatus status = grpcStatusFor(reason);
  std::string message = "outrigger: ";
  message.append(reasonName(reason));
  if (!upstream.empty()) message.append(" (upstream ").append(upstream).append(")");

  LocalReply reply;
  ResponseHead& head = reply.head;
  head.status = 200;
  head.headers.add("content-type", "application/grpc");
  head.headers.add("grpc-status", std::to_string(static_cast<int>(status)));
  head.headers.add("grpc-message", percentEncodeGrpcMessage(message));
  head.headers.add("x-outrigger-reason", reasonName(reason));
  if (!request_id.empty()) head.headers.add("x-request-id", request_id);
  // No body, and no content-length over HTTP/2: the head alone ends the stream.
  head.framing = BodyFraming::kNone;
  return reply;
}

}  // namespace outrigger::http
