#include "proxy/http/grpc.h"

#include <gtest/gtest.h>

#include <string>

#include "proxy/http/grpc_status.h"

namespace outrigger::http {
namespace {

TEST(GrpcStatusTable, EveryCodeHasALowerSnakeNameThatReadsBack) {
  EXPECT_EQ(grpcStatusName(GrpcStatus::kOk), "ok");
  EXPECT_EQ(grpcStatusName(GrpcStatus::kDeadlineExceeded), "deadline_exceeded");
  EXPECT_EQ(grpcStatusName(GrpcStatus::kUnavailable), "unavailable");
  EXPECT_EQ(grpcStatusName(GrpcStatus::kUnauthenticated), "unauthenticated");
  for (size_t code = 0; code < kGrpcStatusCount; ++code) {
    const auto status = static_cast<GrpcStatus>(code);
    EXPECT_EQ(grpcStatusFromName(grpcStatusName(status)), status) << code;
  }
  EXPECT_EQ(grpcStatusFromName("UNAVAILABLE"), std::nullopt);
  EXPECT_EQ(grpcStatusFromName("canceled"), std::nullopt);  // gRPC spells it "cancelled"
}

TEST(GrpcStatusTable, StatusValuesParseAndUnknownCodesReadAsUnknown) {
  EXPECT_EQ(parseGrpcStatus("0"), GrpcStatus::kOk);
  EXPECT_EQ(parseGrpcStatus("14"), GrpcStatus::kUnavailable);
  EXPECT_EQ(parseGrpcStatus("17"), GrpcStatus::kUnknown);
  EXPECT_EQ(parseGrpcStatus("99999999999999999999"), GrpcStatus::kUnknown);
  EXPECT_EQ(parseGrpcStatus(""), std::nullopt);
  EXPECT_EQ(parseGrpcStatus("14 "), std::nullopt);
  EXPECT_EQ(parseGrpcStatus("-1"), std::nullopt);
}

TEST(GrpcContentType, OnlyApplicationGrpcAndItsVariants) {
  EXPECT_TRUE(isGrpcContentType("application/grpc"));
  EXPECT_TRUE(isGrpcContentType("application/grpc+proto"));
  EXPECT_TRUE(isGrpcContentType("Application/GRPC;charset=utf-8"));
  EXPECT_FALSE(isGrpcContentType("application/grpc-web"));
  EXPECT_FALSE(isGrpcContentType("application/json"));
  EXPECT_FALSE(isGrpcContentType("application/grp"));
  RequestHead head;
  EXPECT_FALSE(isGrpcRequest(head));
  head.headers.add("Content-Type", "application/grpc");
  EXPECT_TRUE(isGrpcRequest(head));
}

TEST(GrpcTimeout, ParsesEveryUnit) {
  EXPECT_EQ(parseGrpcTimeout("1H"), std::chrono::hours(1));
  EXPECT_EQ(parseGrpcTimeout("2M"), std::chrono::minutes(2));
  EXPECT_EQ(parseGrpcTimeout("3S"), std::chrono::seconds(3));
  EXPECT_EQ(parseGrpcTimeout("200m"), std::chrono::milliseconds(200));
  EXPECT_EQ(parseGrpcTimeout("5u"), std::chrono::microseconds(5));
  EXPECT_EQ(parseGrpcTimeout("7n"), std::chrono::nanoseconds(7));
  EXPECT_EQ(parseGrpcTimeout("2562047H"), Duration(std::chrono::hours(2562047)));
  // Past what int64 nanoseconds hold (about 2,562,047 hours): no deadline at all.
  EXPECT_EQ(parseGrpcTimeout("99999999H"), Duration::max());
  EXPECT_EQ(parseGrpcTimeout("99999999M"), Duration(std::chrono::minutes(99999999)));
  EXPECT_EQ(parseGrpcTimeout("0m"), Duration(0));
}

TEST(GrpcTimeout, RejectsMalformedValues) {
  for (const char* bad :
       {"", "m", "100", "123456789m", "1s", "1h", "-1m", "1.5S", " 1S", "1 S", "1Sx", "+1S"}) {
    EXPECT_EQ(parseGrpcTimeout(bad), std::nullopt) << bad;
  }
}

TEST(GrpcTimeout, FormatsTheFinestUnitThatFitsAndRoundsUp) {
  EXPECT_EQ(formatGrpcTimeout(std::chrono::milliseconds(200)), "200000u");
  EXPECT_EQ(formatGrpcTimeout(std::chrono::nanoseconds(99'999'999)), "99999999n");
  EXPECT_EQ(formatGrpcTimeout(std::chrono::nanoseconds(100'000'001)), "100001u");
  EXPECT_EQ(formatGrpcTimeout(std::chrono::seconds(30)), "30000000u");
  EXPECT_EQ(formatGrpcTimeout(std::chrono::seconds(1000)), "1000000m");
  EXPECT_EQ(formatGrpcTimeout(std::chrono::hours(48)), "172800S");
  EXPECT_EQ(formatGrpcTimeout(Duration(0)), "1n");
  EXPECT_EQ(formatGrpcTimeout(Duration(-5)), "1n");
}

TEST(GrpcTimeout, FormattedValuesParseBackNoShorter) {
  for (int64_t ns : {1LL, 999LL, 1'000'001LL, 123'456'789LL, 5'000'000'000LL, 86'400'000'000'000LL,
                     3'600'000'000'000'000LL}) {
    const Duration d(ns);
    const std::string text = formatGrpcTimeout(d);
    const auto back = parseGrpcTimeout(text);
    ASSERT_TRUE(back.has_value()) << text;
    EXPECT_GE(*back, d) << text;
    EXPECT_LE(*back - d, d / 1000 + Duration(1)) << text;  // within a thousandth
  }
}

TEST(GrpcLocalReply, ReasonsMapToTheIssuesStatuses) {
  EXPECT_EQ(grpcStatusFor(LocalReason::kRateLimited), GrpcStatus::kResourceExhausted);
  for (LocalReason r :
       {LocalReason::kCircuitOpen, LocalReason::kBulkheadFull, LocalReason::kBulkheadTimeout,
        LocalReason::kNoHealthyEndpoint, LocalReason::kConnectFailed, LocalReason::kUpstreamReset,
        LocalReason::kPoolTimeout}) {
    EXPECT_EQ(grpcStatusFor(r), GrpcStatus::kUnavailable) << reasonName(r);
  }
  EXPECT_EQ(grpcStatusFor(LocalReason::kUpstreamTimeout), GrpcStatus::kDeadlineExceeded);
  EXPECT_EQ(grpcStatusFor(LocalReason::kRequestTimeout), GrpcStatus::kDeadlineExceeded);
  EXPECT_EQ(grpcStatusFor(LocalReason::kBadRequest), GrpcStatus::kInternal);
  EXPECT_EQ(grpcStatusFor(LocalReason::kNoRoute), GrpcStatus::kUnimplemented);
  EXPECT_EQ(grpcStatusFor(LocalReason::kPayloadTooLarge), GrpcStatus::kResourceExhausted);
  EXPECT_EQ(grpcStatusFor(LocalReason::kHeadersTooLarge), GrpcStatus::kResourceExhausted);
}

TEST(GrpcLocalReply, IsTrailersOnlyWithTheReasonInTheMessage) {
  const LocalReply reply = makeGrpcLocalReply(LocalReason::kCircuitOpen, "greeter", "req-1");
  EXPECT_EQ(reply.head.status, 200);
  EXPECT_TRUE(reply.body.empty());
  EXPECT_EQ(reply.head.framing, BodyFraming::kNone);
  EXPECT_EQ(*reply.head.headers.get("content-type"), "application/grpc");
  EXPECT_EQ(*reply.head.headers.get("grpc-status"), "14");
  EXPECT_EQ(*reply.head.headers.get("grpc-message"), "outrigger: circuit_open (upstream greeter)");
  EXPECT_EQ(*reply.head.headers.get("x-outrigger-reason"), "circuit_open");
  EXPECT_EQ(*reply.head.headers.get("x-request-id"), "req-1");
}

TEST(GrpcLocalReply, MessageIsPercentEncoded) {
  EXPECT_EQ(percentEncodeGrpcMessage("plain text: ok"), "plain text: ok");
  EXPECT_EQ(percentEncodeGrpcMessage("50% off\n"), "50%25 off%0A");
  EXPECT_EQ(percentEncodeGrpcMessage("caf\xc3\xa9"), "caf%C3%A9");
}

}  // namespace
}  // namespace outrigger::http
