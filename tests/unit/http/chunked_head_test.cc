// When the head of a chunked message reaches the handler, and the checks that run between
// llhttp's callbacks (the CRLF after chunk data, the trailer section) across read splits.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/parser.h"

namespace outrigger::http {
namespace {

class Log : public RequestHandler {
 public:
  ParserAction onRequestHead(RequestHead&) override {
    events.push_back("head");
    return pause_on_head ? ParserAction::kPause : ParserAction::kContinue;
  }
  ParserAction onRequestBody(std::string_view chunk) override {
    events.push_back("body:" + std::string(chunk));
    return ParserAction::kContinue;
  }
  ParserAction onRequestComplete() override {
    events.push_back("complete");
    return ParserAction::kContinue;
  }
  std::vector<std::string> events;
  bool pause_on_head = false;
};

using Events = std::vector<std::string>;

const std::string kHead = "POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";

class ChunkedHeadTest : public ::testing::Test {
 protected:
  ParseResult feed(std::string_view bytes) { return parser_.feed(bytes.data(), bytes.size()); }

  Log log_;
  RequestParser parser_{log_, ParserLimits{}};
};

TEST_F(ChunkedHeadTest, HeadAloneIsDeliveredWhenTheInputEnds) {
  EXPECT_EQ(feed(kHead).status, ParseStatus::kOk);
  EXPECT_EQ(log_.events, Events{"head"});
}

TEST_F(ChunkedHeadTest, HeadWaitsForTheFirstChunkLineInTheSameInput) {
  log_.pause_on_head = true;
  const ParseResult result = feed(kHead + "5\r\nhello\r\n0\r\n\r\n");
  // The pause lands after the first chunk line, before any of its data.
  EXPECT_EQ(result.status, ParseStatus::kPaused);
  EXPECT_EQ(result.consumed, kHead.size() + 3);
  EXPECT_EQ(log_.events, Events{"head"});
  parser_.resume();
  log_.pause_on_head = false;
  EXPECT_EQ(feed("hello\r\n0\r\n\r\n").status, ParseStatus::kOk);
  EXPECT_EQ(log_.events, (Events{"head", "body:hello", "complete"}));
}

TEST_F(ChunkedHeadTest, MalformedFirstChunkLineFailsBeforeTheHead) {
  EXPECT_EQ(feed(kHead + "5;a\nhello\r\n").status, ParseStatus::kError);
  EXPECT_TRUE(log_.events.empty());
}

TEST_F(ChunkedHeadTest, EmptyChunkedBodyDeliversTheHeadAtTheEnd) {
  EXPECT_EQ(feed(kHead + "0\r\nT: v\r\n\r\n").status, ParseStatus::kOk);
  EXPECT_EQ(log_.events, (Events{"head", "complete"}));
}

TEST_F(ChunkedHeadTest, MalformedTrailersOfAnEmptyBodyFailBeforeTheHead) {
  EXPECT_EQ(feed(kHead + "0\r\nT : v\r\n\r\n").status, ParseStatus::kError);
  EXPECT_TRUE(log_.events.empty());
}

TEST_F(ChunkedHeadTest, CrlfAfterChunkDataIsCheckedAcrossReads) {
  EXPECT_EQ(feed(kHead + "5\r\nhello\r").status, ParseStatus::kOk);
  EXPECT_EQ(feed("\n0\r\n\r\n").status, ParseStatus::kOk);
  EXPECT_EQ(log_.events, (Events{"head", "body:hello", "complete"}));
}

TEST_F(ChunkedHeadTest, BadByteAfterChunkDataInTheNextReadIsRefused) {
  EXPECT_EQ(feed(kHead + "5\r\nhello\r").status, ParseStatus::kOk);
  EXPECT_EQ(feed("X0\r\n\r\n").status, ParseStatus::kError);
  EXPECT_EQ(log_.events, (Events{"head", "body:hello"}));
}

TEST_F(ChunkedHeadTest, ChunkDataEndingWithTheInputIsCheckedOnTheNextRead) {
  EXPECT_EQ(feed(kHead + "5\r\nhello").status, ParseStatus::kOk);
  EXPECT_EQ(feed("XX0\r\n\r\n").status, ParseStatus::kError);
}

TEST(ChunkedTrailerLimitTest, EndlessWhitespaceInTrailersIsCutOff) {
  Log log;
  ParserLimits limits;
  limits.max_head_bytes = 256;
  RequestParser parser(log, limits);
  const std::string bytes = kHead + "0\r\nT:" + std::string(4096, ' ');
  const ParseResult result = parser.feed(bytes.data(), bytes.size());
  EXPECT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(result.error, ParseError::kHeadTooLarge);
}

TEST(ChunkedTrailerLimitTest, EachMessageGetsAFreshHeadBudgetAfterTrailers) {
  Log log;
  ParserLimits limits;
  limits.max_head_bytes = 128;
  RequestParser parser(log, limits);
  // Trailers and the next head are each under the limit, together they are over it.
  const std::string trailers = "0\r\nT: " + std::string(90, 't') + "\r\n\r\n";
  const std::string next = "GET /next HTTP/1.1\r\nX: " + std::string(80, 'x') + "\r\n\r\n";
  const std::string bytes = kHead + trailers + next;
  EXPECT_EQ(parser.feed(bytes.data(), bytes.size()).status, ParseStatus::kOk);
  EXPECT_EQ(log.events, (Events{"head", "complete", "head", "complete"}));
}

}  // namespace
}  // namespace outrigger::http
