// The DESIGN §5 classification of a response, with gRPC statuses (issue 17, item 5).
#include "proxy/policy/response_class.h"

#include <gtest/gtest.h>

namespace outrigger::policy {
namespace {

using http::GrpcStatus;

RetryOn failures() {
  RetryOn on;
  on.statuses.set(503);
  on.grpc_statuses.set(static_cast<size_t>(GrpcStatus::kUnavailable));
  return on;
}

TEST(ResponseClassTest, GrpcStatusListedAsAFailureIsAFailureAndRetryable) {
  const RetryOn on = failures();
  const ResponseClass c = classifyResponse(200, GrpcStatus::kUnavailable, on, &on);
  EXPECT_EQ(c.outcome, AttemptOutcome::kFailureStatus);
  EXPECT_TRUE(c.retryable);
}

TEST(ResponseClassTest, UnlistedGrpcStatusIsASuccessNotRetried) {
  const RetryOn on = failures();
  const ResponseClass c = classifyResponse(200, GrpcStatus::kInvalidArgument, on, &on);
  EXPECT_EQ(c.outcome, AttemptOutcome::kSuccess);
  EXPECT_FALSE(c.retryable);
}

TEST(ResponseClassTest, OkIsNeverAFailureEvenIfItsBitWereSet) {
  RetryOn on = failures();
  on.grpc_statuses.set(0);
  const ResponseClass c = classifyResponse(200, GrpcStatus::kOk, on, &on);
  EXPECT_EQ(c.outcome, AttemptOutcome::kSuccess);
  EXPECT_FALSE(c.retryable);
}

TEST(ResponseClassTest, ACodeOnlyTheRetryPolicyListsIsRetriedAndSettledAsASuccess) {
  const RetryOn fail = failures();
  RetryOn retry = failures();
  retry.grpc_statuses.set(static_cast<size_t>(GrpcStatus::kResourceExhausted));
  const ResponseClass c = classifyResponse(200, GrpcStatus::kResourceExhausted, fail, &retry);
  EXPECT_EQ(c.outcome, AttemptOutcome::kSuccess);
  EXPECT_TRUE(c.retryable);
  // Without a retry policy it is only the call's answer.
  EXPECT_FALSE(classifyResponse(200, GrpcStatus::kResourceExhausted, fail, nullptr).retryable);
}

TEST(ResponseClassTest, TheHttpStatusDecidesFirst) {
  const RetryOn on = failures();
  const ResponseClass c = classifyResponse(503, GrpcStatus::kOk, on, &on);
  EXPECT_EQ(c.outcome, AttemptOutcome::kFailureStatus);
  EXPECT_TRUE(c.retryable);
}

TEST(ResponseClassTest, WithoutAGrpcStatusOnlyTheHttpStatusCounts) {
  const RetryOn on = failures();
  EXPECT_EQ(classifyResponse(200, std::nullopt, on, &on).outcome, AttemptOutcome::kSuccess);
  EXPECT_FALSE(classifyResponse(200, std::nullopt, on, &on).retryable);
}

TEST(ResponseClassTest, GrpcCodesThatStandForA4xxBlameTheRequest) {
  EXPECT_TRUE(http::grpcStatusBlamesRequest(GrpcStatus::kInvalidArgument));
  EXPECT_TRUE(http::grpcStatusBlamesRequest(GrpcStatus::kResourceExhausted));
  EXPECT_TRUE(http::grpcStatusBlamesRequest(GrpcStatus::kCancelled));
  EXPECT_FALSE(http::grpcStatusBlamesRequest(GrpcStatus::kUnavailable));
  EXPECT_FALSE(http::grpcStatusBlamesRequest(GrpcStatus::kInternal));
  EXPECT_FALSE(http::grpcStatusBlamesRequest(GrpcStatus::kDeadlineExceeded));
}

}  // namespace
}  // namespace outrigger::policy
