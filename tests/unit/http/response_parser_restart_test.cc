// ResponseParser::restart: a parser reused for the next upstream attempt behaves like a new
// one, whatever state the last response left it in.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/parser.h"

namespace outrigger::http {
namespace {

class Recorder : public ResponseHandler {
 public:
  ParserAction onResponseHead(ResponseHead& head) override {
    statuses.push_back(head.status);
    header_names.clear();
    for (const HeaderView& h : head.headers) header_names.emplace_back(h.name);
    return ParserAction::kContinue;
  }
  ParserAction onResponseBody(std::string_view chunk) override {
    body.append(chunk);
    return ParserAction::kContinue;
  }
  ParserAction onResponseComplete() override {
    ++completes;
    return pause_on_complete ? ParserAction::kPause : ParserAction::kContinue;
  }

  std::vector<int> statuses;
  std::vector<std::string> header_names;
  std::string body;
  int completes = 0;
  bool pause_on_complete = false;
};

constexpr std::string_view kGood =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";

ParseResult feed(ResponseParser& parser, std::string_view bytes) {
  return parser.feed(bytes.data(), bytes.size());
}

// Parses kGood with `parser` restarted onto a fresh recorder, and checks it came out whole.
void expectFreshParse(ResponseParser& parser) {
  Recorder next;
  parser.restart(next);
  const ParseResult result = feed(parser, kGood);
  EXPECT_EQ(result.status, ParseStatus::kOk) << result.detail;
  EXPECT_EQ(next.statuses, std::vector<int>{200});
  EXPECT_EQ(next.header_names, (std::vector<std::string>{"Content-Type", "Content-Length"}));
  EXPECT_EQ(next.body, "hello");
  EXPECT_EQ(next.completes, 1);
  EXPECT_TRUE(parser.idle());
}

TEST(ResponseParserRestartTest, AfterAResponseCutShortMidBody) {
  Recorder first;
  ResponseParser parser(first, ParserLimits{});
  EXPECT_EQ(
      feed(parser, "HTTP/1.1 200 OK\r\nX-Long-Header-Name-Here: 1\r\nContent-Length: 9\r\n\r\nhal")
          .status,
      ParseStatus::kOk);
  EXPECT_FALSE(parser.idle());
  expectFreshParse(parser);
  EXPECT_EQ(first.body, "hal");  // the old handler hears nothing more
}

TEST(ResponseParserRestartTest, AfterAMalformedResponse) {
  Recorder first;
  ResponseParser parser(first, ParserLimits{});
  EXPECT_EQ(feed(parser, "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n").status, ParseStatus::kError);
  expectFreshParse(parser);
}

TEST(ResponseParserRestartTest, AfterAPauseAtTheEndOfAResponse) {
  Recorder first;
  first.pause_on_complete = true;
  ResponseParser parser(first, ParserLimits{});
  EXPECT_EQ(feed(parser, kGood).status, ParseStatus::kPaused);
  expectFreshParse(parser);
}

TEST(ResponseParserRestartTest, AfterAHeadRequestAndMidHead) {
  Recorder first;
  ResponseParser parser(first, ParserLimits{});
  parser.expectNoBody(true);  // not used up: the restart forgets it
  EXPECT_EQ(feed(parser, "HTTP/1.1 200 OK\r\nContent-Le").status, ParseStatus::kOk);
  expectFreshParse(parser);
}

TEST(ResponseParserRestartTest, AfterTrailersAndWithHeadLimitStillCounted) {
  Recorder first;
  ResponseParser parser(first, ParserLimits{64, 100});
  EXPECT_EQ(feed(parser, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T").status,
            ParseStatus::kOk);
  expectFreshParse(parser);
  // The head limit applies to the new response from its first byte, not carried over.
  Recorder big;
  parser.restart(big);
  const std::string head = "HTTP/1.1 200 OK\r\nX-Pad: " + std::string(60, 'a') + "\r\n\r\n";
  const ParseResult result = feed(parser, head);
  EXPECT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(result.error, ParseError::kHeadTooLarge);
}

}  // namespace
}  // namespace outrigger::http
