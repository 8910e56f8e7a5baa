#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "proxy/http/parser.h"
#include "tests/support/http/counting_handler.h"

namespace outrigger::http {
namespace {

using CountingHandler = CountingRequestHandler;

ParseResult feed(RequestParser& parser, std::string_view bytes) {
  return parser.feed(bytes.data(), bytes.size());
}

ParseResult parseOne(std::string_view bytes, ParserLimits limits = {}) {
  CountingHandler handler;
  RequestParser parser(handler, limits);
  return feed(parser, bytes);
}

void expectBadMessage(std::string_view bytes) {
  const ParseResult result = parseOne(bytes);
  EXPECT_EQ(result.status, ParseStatus::kError) << bytes;
  EXPECT_EQ(result.error, ParseError::kBadMessage) << bytes;
  EXPECT_FALSE(result.detail.empty()) << bytes;
}

TEST(RequestParserLimitsTest, HeadOverTheLimitIsTooLarge) {
  ParserLimits limits;
  limits.max_head_bytes = 256;
  const std::string req = "GET / HTTP/1.1\r\nX-Big: " + std::string(300, 'a') + "\r\n\r\n";
  const ParseResult result = parseOne(req, limits);
  EXPECT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(result.error, ParseError::kHeadTooLarge);
}

TEST(RequestParserLimitsTest, HeadExactlyAtTheLimitIsAccepted) {
  const std::string head = "GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n";
  ParserLimits limits;
  limits.max_head_bytes = head.size();
  CountingHandler handler;
  RequestParser parser(handler, limits);
  EXPECT_EQ(feed(parser, head).status, ParseStatus::kOk);
  EXPECT_EQ(handler.completes, 1);
  // The limit is per message: a second head of the same size is fine too.
  EXPECT_EQ(feed(parser, head).status, ParseStatus::kOk);
  EXPECT_EQ(handler.completes, 2);

  limits.max_head_bytes = head.size() - 1;
  EXPECT_EQ(parseOne(head, limits).error, ParseError::kHeadTooLarge);
}

TEST(RequestParserLimitsTest, BodyBytesDoNotCountTowardTheHeadLimit) {
  ParserLimits limits;
  limits.max_head_bytes = 128;
  const std::string req =
      "POST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'b');
  EXPECT_EQ(parseOne(req, limits).status, ParseStatus::kOk);
}

TEST(RequestParserLimitsTest, SlowlyGrowingHeaderIsCutOffAtTheLimit) {
  ParserLimits limits;
  limits.max_head_bytes = 1024;
  CountingHandler handler;
  RequestParser parser(handler, limits);
  const std::string start = "GET / HTTP/1.1\r\nX-Endless: ";
  size_t fed = start.size();
  ParseResult result = feed(parser, start);
  const std::string piece(10, 'a');
  while (result.status == ParseStatus::kOk && fed < 100000) {
    result = feed(parser, piece);
    fed += piece.size();
  }
  EXPECT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(result.error, ParseError::kHeadTooLarge);
  EXPECT_LE(fed, limits.max_head_bytes + piece.size());
  EXPECT_EQ(handler.heads, 0);
}

TEST(RequestParserLimitsTest, EndlessWhitespaceInTheHeadIsCutOffToo) {
  ParserLimits limits;
  limits.max_head_bytes = 512;
  const std::string req = "GET / HTTP/1.1\r\nX:" + std::string(4096, ' ');
  EXPECT_EQ(parseOne(req, limits).error, ParseError::kHeadTooLarge);
}

TEST(RequestParserLimitsTest, TooManyHeaders) {
  ParserLimits limits;
  limits.max_headers = 3;
  EXPECT_EQ(parseOne("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits).status,
            ParseStatus::kOk);
  const ParseResult result =
      parseOne("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", limits);
  EXPECT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(result.error, ParseError::kHeadTooLarge);
}

TEST(RequestParserLimitsTest, EndlessTrailersAreCutOff) {
  ParserLimits limits;
  limits.max_head_bytes = 256;
  std::string req = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
  for (int i = 0; i < 50; ++i) req += "X-Trailer: " + std::string(20, 't') + "\r\n";
  EXPECT_EQ(parseOne(req, limits).error, ParseError::kHeadTooLarge);
}

TEST(RequestParserErrorsTest, ContentLengthWithTransferEncodingIsRejected) {
  expectBadMessage(
      "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\n");
  expectBadMessage(
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
      "0\r\n\r\n");
}

TEST(RequestParserErrorsTest, DifferingDuplicateContentLengthIsRejected) {
  expectBadMessage("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
}

TEST(RequestParserErrorsTest, TransferEncodingNotEndingInChunkedIsNotImplemented) {
  const ParseResult result =
      parseOne("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n");
  EXPECT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(result.error, ParseError::kNotImplemented);  // 501, RFC 9112 §6.1
  EXPECT_FALSE(result.detail.empty());
}

TEST(RequestParserErrorsTest, BadChunkSizeIsRejected) {
  expectBadMessage("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
}

TEST(RequestParserErrorsTest, ObsFoldIsRejected) {
  // llhttp 8.1 accepts all of these unless we check.
  expectBadMessage("GET / HTTP/1.1\r\nX-Folded: a\r\n  b\r\n\r\n");
  expectBadMessage("GET / HTTP/1.1\r\nX-Folded: a\r\n\tb\r\nHost: x\r\n\r\n");
  expectBadMessage("GET / HTTP/1.1\r\nX-Folded:\r\n b\r\n\r\n");
}

TEST(RequestParserErrorsTest, ObsFoldSplitAcrossReadsIsRejected) {
  const std::string_view req = "GET / HTTP/1.1\r\nX-Folded: a\r\n b\r\n\r\n";
  for (size_t split = 1; split < req.size(); ++split) {
    CountingHandler handler;
    RequestParser parser(handler, {});
    ParseResult result = feed(parser, req.substr(0, split));
    if (result.status == ParseStatus::kOk) result = feed(parser, req.substr(split));
    EXPECT_EQ(result.status, ParseStatus::kError) << "split at " << split;
    EXPECT_EQ(handler.heads, 0) << "split at " << split;
  }
}

TEST(RequestParserErrorsTest, WhitespaceInBodyOrBeforeTheRequestIsNotAFold) {
  CountingHandler handler;
  RequestParser parser(handler, {});
  EXPECT_EQ(feed(parser,
                 "\r\nPOST / HTTP/1.1\r\nContent-Length: 6\r\n\r\na\r\n  b"
                 "GET / HTTP/1.1\r\n\r\n")
                .status,
            ParseStatus::kOk);
  EXPECT_EQ(handler.completes, 2);
}

TEST(RequestParserErrorsTest, SpaceBeforeColonIsRejected) {
  expectBadMessage("GET / HTTP/1.1\r\nHost : a\r\n\r\n");
  expectBadMessage("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n");
}

TEST(RequestParserErrorsTest, BadRequestLineIsRejected) {
  expectBadMessage("GET\r\n\r\n");
  expectBadMessage("GET / HTTP/3.0\r\n\r\n");
}

TEST(RequestParserErrorsTest, ErrorsAreSticky) {
  CountingHandler handler;
  RequestParser parser(handler, {});
  const ParseResult first = feed(parser, "BAD LINE\r\n\r\n");
  ASSERT_EQ(first.status, ParseStatus::kError);
  const ParseResult second = feed(parser, "GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(second.status, ParseStatus::kError);
  EXPECT_EQ(second.detail, first.detail);
  EXPECT_EQ(handler.heads, 0);
}

}  // namespace
}  // namespace outrigger::http
