// The trace context parser and generator (issue 20, item 7): what is accepted, what is
// refused per the W3C spec, and what goes upstream.

#include "proxy/http/trace_context.h"

#include <gtest/gtest.h>

#include <string>

namespace outrigger::http {
namespace {

constexpr std::string_view kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

std::string text(const std::array<char, kTraceparentSize>& a) { return {a.data(), a.size()}; }

TEST(TraceContextTest, AValidTraceparentKeepsItsTraceIdAndFlag) {
  auto t = parseTraceparent(kValid);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->traceId(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(t->parentId(), "00f067aa0ba902b7");
  EXPECT_TRUE(t->sampled());
  EXPECT_TRUE(t->has_parent);
  auto unsampled = parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  ASSERT_TRUE(unsampled);
  EXPECT_FALSE(unsampled->sampled());
}

TEST(TraceContextTest, InvalidVersionsAreRefused) {
  EXPECT_FALSE(parseTraceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(parseTraceparent("0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(parseTraceparent("0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  // Version 00 is exactly 55 characters.
  EXPECT_FALSE(parseTraceparent(std::string(kValid) + "-extra"));
  EXPECT_FALSE(parseTraceparent(kValid.substr(0, 54)));
  // A later version may carry more, after a '-'.
  EXPECT_TRUE(parseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what"));
  EXPECT_FALSE(parseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01what"));
}

TEST(TraceContextTest, AllZeroIdsAreRefused) {
  EXPECT_FALSE(parseTraceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
  EXPECT_FALSE(parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
}

TEST(TraceContextTest, UpperCaseHexIsRefused) {
  EXPECT_FALSE(parseTraceparent("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01"));
  EXPECT_FALSE(parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A"));
}

TEST(TraceContextTest, BadSeparatorsAndLettersAreRefused) {
  EXPECT_FALSE(parseTraceparent("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
  EXPECT_FALSE(parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e473x-00f067aa0ba902b7-01"));
  EXPECT_FALSE(parseTraceparent(""));
}

TEST(TraceContextTest, EachSpanIsNewAndTheTraceIdStays) {
  auto t = parseTraceparent(kValid);
  ASSERT_TRUE(t);
  SequenceRandom random({0x1111222233334444ULL, 0xabcdef0123456789ULL});
  newSpan(*t, random);
  const std::string first = text(formatTraceparent(*t));
  newSpan(*t, random);
  const std::string second = text(formatTraceparent(*t));
  // Nibbles are written lowest first.
  EXPECT_EQ(first, "00-4bf92f3577b34da6a3ce929d0e0e4736-4444333322221111-01");
  EXPECT_EQ(second, "00-4bf92f3577b34da6a3ce929d0e0e4736-9876543210fedcba-01");
  EXPECT_TRUE(parseTraceparent(first));
}

TEST(TraceContextTest, AStartedTraceHasARandomIdAndTheFlagAsked) {
  SequenceRandom random({0, 0, 5, 7, 9});  // an all-zero id is drawn again
  TraceContext t = startTrace(random, true);
  EXPECT_EQ(t.traceId(), "50000000000000007000000000000000");
  EXPECT_TRUE(t.sampled());
  EXPECT_FALSE(t.has_parent);
  newSpan(t, random);
  EXPECT_EQ(text(formatTraceparent(t)), "00-50000000000000007000000000000000-9000000000000000-01");
  EXPECT_FALSE(startTrace(random, false).sampled());
}

TEST(TraceContextTest, B3HeadersMapToATraceContext) {
  const std::string_view trace_id = "463AC35C9F6413AD";  // 64-bit, upper case
  const std::string_view span_id = "a2fb4a1d1a96d312";
  const std::string_view sampled = "1";
  auto t = parseB3(&trace_id, &span_id, &sampled);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->traceId(), "0000000000000000463ac35c9f6413ad");
  EXPECT_EQ(t->parentId(), "a2fb4a1d1a96d312");
  EXPECT_TRUE(t->sampled());
  EXPECT_FALSE(parseB3(&trace_id, nullptr, &sampled));
  const std::string_view bad = "xyz";
  EXPECT_FALSE(parseB3(&bad, &span_id, nullptr));
  auto unsampled = parseB3(&trace_id, &span_id, nullptr);
  ASSERT_TRUE(unsampled);
  EXPECT_FALSE(unsampled->sampled());
}

}  // namespace
}  // namespace outrigger::http
