#include "proxy/policy/response_class.h"

namespace outrigger::policy {

bool grpcStatusListed(http::GrpcStatus status, const RetryOn& on) {
  const auto code = static_cast<size_t>(status);
  return status != http::GrpcStatus::kOk && code < on.grpc_statuses.size() &&
         on.grpc_statuses.test(code);
}

ResponseClass classifyResponse(int status, std::optional<http::GrpcStatus> grpc,
                               const RetryOn& failures, const RetryOn* retry_on) {
  ResponseClass result;
  result.outcome = classifyResponse(status, failures);
  result.retryable = result.outcome == AttemptOutcome::kFailureStatus ||
                     (retry_on != nullptr &&
                      classifyResponse(status, *retry_on) == AttemptOutcome::kFailureStatus);
  if (result.outcome == AttemptOutcome::kFailureStatus || result.retryable || !grpc) return result;
  if (grpcStatusListed(*grpc, failures)) {
    result.outcome = AttemptOutcome::kFailureStatus;
    result.retryable = true;
  } else {
    result.retryable = retry_on != nullptr && grpcStatusListed(*grpc, *retry_on);
  }
  return result;
}

}  // namespace outrigger::policy
