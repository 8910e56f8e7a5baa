#pragma once
// The DESIGN §5 classification of a response: its HTTP status, and for a gRPC call its
// grpc-status (in a trailers-only head, or in the trailers), against the failure statuses
// (what the breaker, outlier detection and metrics count) and the retry policy's retry_on
// (what is tried again). Pure.

#include <optional>

#include "proxy/http/grpc_status.h"
#include "proxy/policy/outcome.h"
#include "proxy/policy/retry_policy.h"

namespace outrigger::policy {

struct ResponseClass {
  // kFailureStatus when the failure statuses list the status or the gRPC code, else kSuccess.
  AttemptOutcome outcome = AttemptOutcome::kSuccess;
  // retry_on lists it: a failure, or a code only retried (a 429, resource_exhausted), which
  // is then settled as a success.
  bool retryable = false;
};

// `grpc` is the call's gRPC status when the response carries one (only for gRPC requests);
// `retry_on` is the retry policy's list, or null when no retry policy applies. The HTTP
// status decides first: a gRPC status is only read from a response that is not a failure.
ResponseClass classifyResponse(int status, std::optional<http::GrpcStatus> grpc,
                               const RetryOn& failures, const RetryOn* retry_on);

// A gRPC status listed in `on`; OK never is.
bool grpcStatusListed(http::GrpcStatus status, const RetryOn& on);

}  // namespace outrigger::policy
