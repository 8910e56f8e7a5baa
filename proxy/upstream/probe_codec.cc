#include "proxy/upstream/probe_codec.h"

#include "proxy/http/grpc_health.h"
#include "proxy/http/grpc_status.h"

namespace outrigger::upstream {

ProbeRequest grpcHealthProbe(std::string_view service, std::string authority, std::string scheme) {
  ProbeRequest request;
  request.method = "POST";
  request.path = std::string(http::kGrpcHealthCheckPath);
  request.authority = std::move(authority);
  request.scheme = std::move(scheme);
  request.body = http::grpcHealthRequest(service);
  request.grpc = true;
  return request;
}

namespace {

ProbeVerdict judgeGrpc(const ProbeAnswer& answer) {
  if (answer.status != 200) return {false, "status " + std::to_string(answer.status)};
  const auto code = http::parseGrpcStatus(answer.grpc_status);
  if (!code) return {false, "no grpc-status in the answer"};
  if (*code != http::GrpcStatus::kOk) {
    std::string detail = "grpc-status " + std::string(http::grpcStatusName(*code));
    if (!answer.grpc_message.empty()) detail += ": " + answer.grpc_message;
    return {false, detail};
  }
  const std::optional<int> serving = http::grpcHealthStatus(answer.body);
  if (!serving) return {false, "not a HealthCheckResponse"};
  const bool healthy = *serving == static_cast<int>(http::ServingStatus::kServing);
  return {healthy, "grpc " + std::string(http::servingStatusName(*serving))};
}

}  // namespace

ProbeVerdict judgeProbe(const ProbeRequest& request, const ProbeAnswer& answer) {
  if (request.grpc) return judgeGrpc(answer);
  return {answer.status >= 200 && answer.status < 300, "status " + std::to_string(answer.status)};
}

}  // namespace outrigger::upstream
