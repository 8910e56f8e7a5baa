#include "proxy/http/grpc_status.h"

#include <charconv>
#include <iterator>

namespace outrigger::http {
namespace {

// Indexed by code.
constexpr std::string_view kNames[] = {
    "ok",
    "cancelled",
    "unknown",
    "invalid_argument",
    "deadline_exceeded",
    "not_found",
    "already_exists",
    "permission_denied",
    "resource_exhausted",
    "failed_precondition",
    "aborted",
    "out_of_range",
    "unimplemented",
    "internal",
    "unavailable",
    "data_loss",
    "unauthenticated",
};
static_assert(std::size(kNames) == kGrpcStatusCount, "every gRPC status needs a name");

}  // namespace

std::string_view grpcStatusName(GrpcStatus status) {
  const auto index = static_cast<size_t>(status);
  return index < kGrpcStatusCount ? kNames[index] : "unknown";
}

std::optional<GrpcStatus> grpcStatusFromName(std::string_view name) {
  for (size_t i = 0; i < kGrpcStatusCount; ++i) {
    if (kNames[i] == name) return static_cast<GrpcStatus>(i);
  }
  return std::nullopt;
}

bool grpcStatusBlamesRequest(GrpcStatus status) {
  switch (status) {
    case GrpcStatus::kCancelled:
    case GrpcStatus::kInvalidArgument:
    case GrpcStatus::kNotFound:
    case GrpcStatus::kAlreadyExists:
    case GrpcStatus::kPermissionDenied:
    case GrpcStatus::kResourceExhausted:
    case GrpcStatus::kFailedPrecondition:
    case GrpcStatus::kAborted:
    case GrpcStatus::kOutOfRange:
    case GrpcStatus::kUnauthenticated:
      return true;
    default:
      return false;
  }
}

std::optional<GrpcStatus> parseGrpcStatus(std::string_view value) {
  unsigned code = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), code);
  if (value.empty() || end != value.data() + value.size()) return std::nullopt;
  if (ec != std::errc() || code >= kGrpcStatusCount) return GrpcStatus::kUnknown;
  return static_cast<GrpcStatus>(code);
}

}  // namespace outrigger::http
