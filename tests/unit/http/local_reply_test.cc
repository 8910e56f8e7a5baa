#include "proxy/http/local_reply.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proxy/http/serializer.h"

namespace outrigger::http {
namespace {

TEST(LocalReplyTest, RateLimitedReply) {
  const LocalReply reply = makeLocalReply(LocalReason::kRateLimited, "payments", "req-1", 2);
  EXPECT_EQ(reply.body, R"({"error":"rate_limited","upstream":"payments","request_id":"req-1"})");
  std::string wire;
  appendResponseHead(reply.head, wire);
  wire += reply.body;
  EXPECT_EQ(wire,
            "HTTP/1.1 429 Too Many Requests\r\n"
            "Content-Type: application/json\r\n"
            "x-outrigger-reason: rate_limited\r\n"
            "Retry-After: 2\r\n"
            "X-Request-ID: req-1\r\n"
            "Content-Length: 67\r\n"
            "\r\n"
            R"({"error":"rate_limited","upstream":"payments","request_id":"req-1"})");
}

TEST(LocalReplyTest, NoRouteWithoutUpstreamOrRetryAfter) {
  const LocalReply reply = makeLocalReply(LocalReason::kNoRoute, "", "abc");
  EXPECT_EQ(reply.head.status, 404);
  EXPECT_EQ(reply.body, R"({"error":"no_route","upstream":"","request_id":"abc"})");
  EXPECT_FALSE(reply.head.headers.has("Retry-After"));
  EXPECT_EQ(*reply.head.headers.get("x-outrigger-reason"), "no_route");
  EXPECT_EQ(reply.head.framing, BodyFraming::kContentLength);
  EXPECT_EQ(reply.head.content_length, reply.body.size());
}

TEST(LocalReplyTest, CircuitOpenCarriesRetryAfter) {
  const LocalReply reply = makeLocalReply(LocalReason::kCircuitOpen, "users", "r", 30);
  EXPECT_EQ(reply.head.status, 503);
  EXPECT_EQ(*reply.head.headers.get("Retry-After"), "30");
}

TEST(LocalReplyTest, JsonIsEscaped) {
  const LocalReply reply = makeLocalReply(LocalReason::kBadRequest, "a\"b\\c", "id\x01\n");
  EXPECT_EQ(reply.body,
            R"({"error":"bad_request","upstream":"a\"b\\c","request_id":"id\u0001\u000a"})");
}

TEST(LocalReplyTest, EveryReasonHasItsNameAndStatus) {
  struct Expected {
    LocalReason reason;
    const char* name;
    int status;
  };
  const std::vector<Expected> table = {
      {LocalReason::kNoRoute, "no_route", 404},
      {LocalReason::kRateLimited, "rate_limited", 429},
      {LocalReason::kBulkheadFull, "bulkhead_full", 503},
      {LocalReason::kBulkheadTimeout, "bulkhead_timeout", 503},
      {LocalReason::kCircuitOpen, "circuit_open", 503},
      {LocalReason::kConnectFailed, "connect_failed", 502},
      {LocalReason::kUpstreamReset, "upstream_reset", 502},
      {LocalReason::kUpstreamTimeout, "upstream_timeout", 504},
      {LocalReason::kRequestTimeout, "request_timeout", 504},
      {LocalReason::kNoHealthyEndpoint, "no_healthy_endpoint", 503},
      {LocalReason::kBadRequest, "bad_request", 400},
      {LocalReason::kPayloadTooLarge, "payload_too_large", 413},
      {LocalReason::kHeadersTooLarge, "headers_too_large", 431},
      {LocalReason::kPoolTimeout, "pool_timeout", 503},
      {LocalReason::kNotImplemented, "not_implemented", 501},
      {LocalReason::kUpstreamResponseTooLarge, "upstream_response_too_large", 502},
      {LocalReason::kFailureStatus, "failure_status", 502},
      {LocalReason::kConnectNotAllowed, "connect_not_allowed", 403},
      {LocalReason::kDraining, "draining", 503},
  };
  ASSERT_EQ(table.size(), kLocalReasonCount);
  for (const Expected& e : table) {
    EXPECT_EQ(reasonName(e.reason), e.name);
    EXPECT_EQ(reasonStatus(e.reason), e.status) << e.name;
  }
}

TEST(LocalReplyDeathTest, ImpossibleReasonAborts) {
  EXPECT_DEATH(reasonName(LocalReason::kCount), "impossible LocalReason");
}

}  // namespace
}  // namespace outrigger::http
