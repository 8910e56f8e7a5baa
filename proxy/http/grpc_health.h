#pragma once
// The two messages of gRPC's standard health check (grpc.health.v1.Health/Check), in their
// protobuf wire form, framed as gRPC sends them. Small enough to write by hand: the request
// is `string service = 1`, the response `ServingStatus status = 1`.

#include <optional>
#include <string>
#include <string_view>

namespace outrigger::http {

inline constexpr std::string_view kGrpcHealthCheckPath = "/grpc.health.v1.Health/Check";

// HealthCheckResponse.status values.
enum class ServingStatus { kUnknown = 0, kServing = 1, kNotServing = 2, kServiceUnknown = 3 };
std::string_view servingStatusName(int status);  // "SERVING", or "status 7" for others

// A framed HealthCheckRequest (the 5-byte gRPC prefix, then the message).
std::string grpcHealthRequest(std::string_view service);
// The status in a framed HealthCheckResponse; nullopt when the bytes are not one (cut short,
// compressed, or malformed). A message without the field means UNKNOWN (0), as protobuf says.
std::optional<int> grpcHealthStatus(std::string_view framed);

}  // namespace outrigger::http
