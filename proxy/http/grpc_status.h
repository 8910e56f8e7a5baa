#pragma once
// The gRPC status codes (grpc/doc/statuscodes.md) and their names in lower snake case, as
// `retry_on` and the breaker and outlier failure lists spell them. Pure.

#include <cstddef>
#include <optional>
#include <string_view>

namespace outrigger::http {

enum class GrpcStatus {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

inline constexpr size_t kGrpcStatusCount = 17;

// "unavailable" for kUnavailable.
std::string_view grpcStatusName(GrpcStatus status);
// The status named `name` ("deadline_exceeded"), or nothing for an unknown name.
std::optional<GrpcStatus> grpcStatusFromName(std::string_view name);
// The codes that the usual gRPC-to-HTTP mapping makes a 4xx (invalid_argument -> 400,
// resource_exhausted -> 429, cancelled -> 499...): the call's own answer, never the
// upstream failing, as DESIGN §5 says of a 4xx.
bool grpcStatusBlamesRequest(GrpcStatus status);
// A grpc-status value: decimal digits. A code outside the table reads as kUnknown, as
// gRPC clients do; anything that is not a number reads as nothing.
std::optional<GrpcStatus> parseGrpcStatus(std::string_view value);

}  // namespace outrigger::http
