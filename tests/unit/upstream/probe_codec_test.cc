// judgeProbe: an HTTP check wants a 2xx; a gRPC check wants HTTP 200, grpc-status 0 and a
// HealthCheckResponse that says SERVING, and the log line says which of them was missing.
#include "proxy/upstream/probe_codec.h"

#include <gtest/gtest.h>

#include "proxy/http/grpc_health.h"

namespace outrigger::upstream {
namespace {

ProbeAnswer grpcAnswer(const std::string& grpc_status, const std::string& body,
                       const std::string& message = "") {
  ProbeAnswer answer;
  answer.status = 200;
  answer.grpc_status = grpc_status;
  answer.grpc_message = message;
  answer.body = body;
  return answer;
}

std::string serving(char status) { return std::string("\0\0\0\0\x02\x08", 6) + status; }

TEST(JudgeProbeTest, AnHttpCheckWantsA2xx) {
  const ProbeRequest get;
  ProbeAnswer answer;
  for (int status : {200, 204, 299}) {
    answer.status = status;
    EXPECT_TRUE(judgeProbe(get, answer).healthy) << status;
  }
  for (int status : {199, 301, 404, 503}) {
    answer.status = status;
    const ProbeVerdict verdict = judgeProbe(get, answer);
    EXPECT_FALSE(verdict.healthy) << status;
    EXPECT_EQ(verdict.detail, "status " + std::to_string(status));
  }
}

TEST(JudgeProbeTest, AGrpcCheckWantsServing) {
  const ProbeRequest check = grpcHealthProbe("s", "h:1", "http");
  EXPECT_EQ(check.body, http::grpcHealthRequest("s"));
  const ProbeVerdict ok = judgeProbe(check, grpcAnswer("0", serving(1)));
  EXPECT_TRUE(ok.healthy);
  EXPECT_EQ(ok.detail, "grpc SERVING");
  EXPECT_EQ(judgeProbe(check, grpcAnswer("0", serving(2))).detail, "grpc NOT_SERVING");
  EXPECT_EQ(judgeProbe(check, grpcAnswer("0", serving(0))).detail, "grpc UNKNOWN");
  EXPECT_FALSE(judgeProbe(check, grpcAnswer("0", serving(0))).healthy);
  EXPECT_EQ(judgeProbe(check, grpcAnswer("12", "", "no health service")).detail,
            "grpc-status unimplemented: no health service");
  EXPECT_EQ(judgeProbe(check, grpcAnswer("", serving(1))).detail, "no grpc-status in the answer");
  EXPECT_EQ(judgeProbe(check, grpcAnswer("0", "junk")).detail, "not a HealthCheckResponse");
  ProbeAnswer not_grpc = grpcAnswer("0", serving(1));
  not_grpc.status = 415;
  EXPECT_EQ(judgeProbe(check, not_grpc).detail, "status 415");
}

}  // namespace
}  // namespace outrigger::upstream
