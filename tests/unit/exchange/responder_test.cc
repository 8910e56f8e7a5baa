#include "proxy/exchange/responder.h"

#include <gtest/gtest.h>

#include "tests/unit/exchange/exchange_fakes.h"

namespace outrigger::exchange {
namespace {

using testing::FakeDownstream;

TEST(ResponderTest, ALocalReplyNamesItsReasonUpstreamAndRequest) {
  io::Loop loop;
  FakeDownstream app(loop);
  const SentReply sent =
      sendLocalReply(app, http::LocalReason::kRateLimited, {"payments", "req-1", 1}, 2);
  EXPECT_EQ(sent.status, 429);
  EXPECT_EQ(app.status, 429);
  EXPECT_EQ(app.header("x-outrigger-reason"), "rate_limited");
  EXPECT_EQ(app.header("Retry-After"), "2");
  EXPECT_EQ(app.header("X-Request-ID"), "req-1");
  EXPECT_EQ(app.header("x-outrigger-attempts"), "");
  EXPECT_EQ(app.body,
            "{\"error\":\"rate_limited\",\"upstream\":\"payments\",\"request_id\":\"req-1\"}");
  EXPECT_EQ(sent.body_bytes, app.body.size());
  EXPECT_TRUE(app.ended);
}

TEST(ResponderTest, AFallbackReplacesTheCopysRequestIdAndCountsAttempts) {
  io::Loop loop;
  FakeDownstream app(loop);
  http::ResponseHead head;
  head.status = 200;
  head.headers.add("X-Request-ID", "the-first-request");
  head.headers.add("x-outrigger-fallback", "stale");
  const SentReply sent =
      sendFallback(app, head, "cached", http::LocalReason::kCircuitOpen, {"u", "req-2", 3});
  EXPECT_EQ(sent.status, 200);
  EXPECT_EQ(app.header("X-Request-ID"), "req-2");
  EXPECT_EQ(app.header("x-outrigger-reason"), "circuit_open");
  EXPECT_EQ(app.header("x-outrigger-attempts"), "3");
  EXPECT_EQ(app.body, "cached");
  EXPECT_TRUE(app.ended);
}

TEST(ResponderTest, AGrpcRequestGetsItsLocalReplyTrailersOnly) {
  io::Loop loop;
  FakeDownstream app(loop);
  ReplyContext context{"greeter", "req-3", 2};
  context.grpc = true;
  const SentReply sent = sendLocalReply(app, http::LocalReason::kRateLimited, context, 2);
  EXPECT_EQ(sent.status, 200);
  EXPECT_EQ(app.status, 200);
  EXPECT_EQ(app.header("grpc-status"), "8");  // RESOURCE_EXHAUSTED
  EXPECT_NE(app.header("grpc-message").find("rate_limited"), std::string::npos);
  EXPECT_EQ(app.header("x-outrigger-reason"), "rate_limited");
  EXPECT_EQ(app.header("content-type"), "application/grpc");
  EXPECT_EQ(app.header("x-outrigger-attempts"), "2");
  EXPECT_EQ(app.header("Retry-After"), "");
  EXPECT_EQ(app.body, "");
  EXPECT_TRUE(app.ended);
}

TEST(ResponderTest, AttemptsHeaderOnlyAfterARetry) {
  http::Headers headers;
  addAttemptsHeader(headers, 1);
  EXPECT_FALSE(headers.has("x-outrigger-attempts"));
  addAttemptsHeader(headers, 12);
  EXPECT_EQ(*headers.get("x-outrigger-attempts"), "12");
}

}  // namespace
}  // namespace outrigger::exchange
