#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/parser.h"

namespace outrigger::http {
namespace {

struct Recorded {
  ResponseHead head;
  std::string body;
  bool complete = false;
  Headers trailers;
};

class Recorder : public ResponseHandler {
 public:
  ParserAction onResponseHead(ResponseHead& head) override {
    responses.push_back(Recorded{std::move(head), {}, false, {}});
    return pause_on_head ? ParserAction::kPause : ParserAction::kContinue;
  }
  ParserAction onResponseBody(std::string_view chunk) override {
    responses.back().body.append(chunk);
    return ParserAction::kContinue;
  }
  void onResponseTrailers(Headers& trailers) override { responses.back().trailers.swap(trailers); }
  ParserAction onResponseComplete() override {
    responses.back().complete = true;
    return ParserAction::kContinue;
  }

  std::vector<Recorded> responses;
  bool pause_on_head = false;
};

class ResponseParserTest : public ::testing::Test {
 protected:
  ParseResult feed(std::string_view bytes) { return parser_.feed(bytes.data(), bytes.size()); }

  Recorder recorder_;
  ResponseParser parser_{recorder_, ParserLimits{}};
};

TEST_F(ResponseParserTest, ContentLengthResponse) {
  const ParseResult result = feed("HTTP/1.1 201 Created Here\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(result.status, ParseStatus::kOk);
  ASSERT_EQ(recorder_.responses.size(), 1u);
  const Recorded& r = recorder_.responses[0];
  EXPECT_EQ(r.head.status, 201);
  EXPECT_EQ(r.head.reason, "Created Here");
  EXPECT_EQ(r.head.version_minor, 1);
  EXPECT_EQ(r.head.framing, BodyFraming::kContentLength);
  EXPECT_EQ(r.head.content_length, 5u);
  EXPECT_TRUE(r.head.keep_alive);
  EXPECT_EQ(r.body, "hello");
  EXPECT_TRUE(r.complete);
  EXPECT_TRUE(parser_.idle());
}

TEST_F(ResponseParserTest, ZeroContentLengthIsContentLengthFraming) {
  feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(recorder_.responses.size(), 1u);
  EXPECT_EQ(recorder_.responses[0].head.framing, BodyFraming::kContentLength);
  EXPECT_EQ(recorder_.responses[0].head.content_length, 0u);
  EXPECT_TRUE(recorder_.responses[0].complete);
}

TEST_F(ResponseParserTest, ChunkedResponseIsDechunked) {
  feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n");
  ASSERT_EQ(recorder_.responses.size(), 1u);
  EXPECT_EQ(recorder_.responses[0].head.framing, BodyFraming::kChunked);
  EXPECT_FALSE(recorder_.responses[0].complete);
  feed("0\r\n\r\n");
  EXPECT_EQ(recorder_.responses[0].body, "Wikipedia");
  EXPECT_TRUE(recorder_.responses[0].complete);
}

TEST_F(ResponseParserTest, ChunkedTrailersAreDeliveredSplitOverReads) {
  feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\ngrpc-sta");
  feed("tus: 14\r\ngrpc-message: down\r\n");
  EXPECT_FALSE(recorder_.responses[0].complete);
  feed("\r\n");
  ASSERT_TRUE(recorder_.responses[0].complete);
  const Headers& t = recorder_.responses[0].trailers;
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(*t.get("grpc-status"), "14");
  EXPECT_EQ(*t.get("grpc-message"), "down");
  EXPECT_FALSE(recorder_.responses[0].head.headers.has("grpc-status"));
}

TEST_F(ResponseParserTest, CloseDelimitedBodyCompletesOnFinish) {
  feed("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nsome ");
  feed("data");
  ASSERT_EQ(recorder_.responses.size(), 1u);
  EXPECT_EQ(recorder_.responses[0].head.framing, BodyFraming::kUntilClose);
  EXPECT_FALSE(recorder_.responses[0].head.keep_alive);
  EXPECT_FALSE(recorder_.responses[0].complete);
  EXPECT_FALSE(parser_.idle());
  const ParseResult result = parser_.finish();
  EXPECT_EQ(result.status, ParseStatus::kOk);
  EXPECT_EQ(recorder_.responses[0].body, "some data");
  EXPECT_TRUE(recorder_.responses[0].complete);
}

TEST_F(ResponseParserTest, FinishWhenIdleIsOkWithoutCallbacks) {
  EXPECT_EQ(parser_.finish().status, ParseStatus::kOk);
  feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_EQ(parser_.finish().status, ParseStatus::kOk);
  EXPECT_EQ(recorder_.responses.size(), 1u);
}

TEST_F(ResponseParserTest, TruncatedContentLengthBodyIsAnErrorOnFinish) {
  feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
  const ParseResult result = parser_.finish();
  EXPECT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(result.error, ParseError::kBadMessage);
  EXPECT_FALSE(recorder_.responses[0].complete);
}

TEST_F(ResponseParserTest, UnterminatedChunkedBodyIsAnErrorOnFinish) {
  feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
  EXPECT_EQ(parser_.finish().status, ParseStatus::kError);
}

TEST_F(ResponseParserTest, IncompleteHeadIsAnErrorOnFinish) {
  feed("HTTP/1.1 200 OK\r\nContent-Le");
  EXPECT_EQ(parser_.finish().status, ParseStatus::kError);
  EXPECT_TRUE(recorder_.responses.empty());
}

TEST_F(ResponseParserTest, HeadResponseHasNoBodyWhateverContentLengthSays) {
  parser_.expectNoBody(true);
  // The GET response after it proves no bytes were taken as the HEAD response's body, and
  // that expectNoBody applied to one response only.
  feed(
      "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
  ASSERT_EQ(recorder_.responses.size(), 2u);
  const Recorded& head_reply = recorder_.responses[0];
  EXPECT_TRUE(head_reply.complete);
  EXPECT_EQ(head_reply.body, "");
  EXPECT_EQ(head_reply.head.framing, BodyFraming::kContentLength);
  EXPECT_EQ(head_reply.head.content_length, 1234u);
  EXPECT_TRUE(head_reply.head.keep_alive);
  EXPECT_EQ(recorder_.responses[1].body, "hello");
  EXPECT_TRUE(recorder_.responses[1].complete);
}

TEST_F(ResponseParserTest, HeadResponseWithoutLengthIsNotCloseDelimited) {
  parser_.expectNoBody(true);
  feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_EQ(recorder_.responses.size(), 1u);
  EXPECT_TRUE(recorder_.responses[0].complete);
  EXPECT_EQ(recorder_.responses[0].head.framing, BodyFraming::kNone);
  EXPECT_TRUE(parser_.idle());
}

TEST_F(ResponseParserTest, NoContentAndNotModifiedHaveNoBody) {
  feed(
      "HTTP/1.1 204 No Content\r\n\r\n"
      "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_EQ(recorder_.responses.size(), 3u);
  EXPECT_EQ(recorder_.responses[0].head.status, 204);
  EXPECT_EQ(recorder_.responses[0].head.framing, BodyFraming::kNone);
  EXPECT_TRUE(recorder_.responses[0].complete);
  EXPECT_EQ(recorder_.responses[1].head.status, 304);
  EXPECT_EQ(recorder_.responses[1].body, "");
  EXPECT_TRUE(recorder_.responses[1].complete);
  EXPECT_EQ(recorder_.responses[2].body, "ok");
}

TEST_F(ResponseParserTest, ContinueThenFinalResponseInTheSameBytes) {
  const ParseResult result = feed(
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nyes");
  EXPECT_EQ(result.status, ParseStatus::kOk);
  ASSERT_EQ(recorder_.responses.size(), 2u);
  EXPECT_EQ(recorder_.responses[0].head.status, 100);
  EXPECT_EQ(recorder_.responses[0].head.framing, BodyFraming::kNone);
  EXPECT_TRUE(recorder_.responses[0].complete);
  EXPECT_EQ(recorder_.responses[1].head.status, 200);
  EXPECT_EQ(recorder_.responses[1].body, "yes");
  EXPECT_TRUE(recorder_.responses[1].complete);
}

TEST_F(ResponseParserTest, ExpectNoBodySurvivesInterimResponses) {
  parser_.expectNoBody(true);
  feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n");
  ASSERT_EQ(recorder_.responses.size(), 2u);
  EXPECT_TRUE(recorder_.responses[1].complete);
  EXPECT_TRUE(parser_.idle());
}

TEST_F(ResponseParserTest, SwitchingProtocolsIsRejected) {
  const ParseResult result =
      feed("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: ws\r\n\r\n");
  EXPECT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(result.error, ParseError::kBadMessage);
}

TEST_F(ResponseParserTest, Http10ResponseIsNotKeepAlive) {
  feed("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_EQ(recorder_.responses.size(), 1u);
  EXPECT_EQ(recorder_.responses[0].head.version_minor, 0);
  EXPECT_FALSE(recorder_.responses[0].head.keep_alive);
}

TEST_F(ResponseParserTest, ConnectionCloseResponseIsNotKeepAlive) {
  feed("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_EQ(recorder_.responses.size(), 1u);
  EXPECT_FALSE(recorder_.responses[0].head.keep_alive);
}

TEST_F(ResponseParserTest, PauseOnHeadStopsBeforeTheBody) {
  recorder_.pause_on_head = true;
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n";
  ParseResult result = feed(head + "data");
  EXPECT_EQ(result.status, ParseStatus::kPaused);
  EXPECT_EQ(result.consumed, head.size());
  parser_.resume();
  result = feed("data");
  EXPECT_EQ(result.status, ParseStatus::kOk);
  EXPECT_EQ(recorder_.responses[0].body, "data");
  EXPECT_TRUE(recorder_.responses[0].complete);
}

// Fuzz regression tests/fuzz/regressions/fuzz_request_head/finish-after-head-pause.http.
TEST_F(ResponseParserTest, CloseDelimitedBodyCompletesOnFinishAfterAPauseAtTheHead) {
  recorder_.pause_on_head = true;
  EXPECT_EQ(feed("HTTP/1.0 200 OK\r\n\r\n").status, ParseStatus::kPaused);
  parser_.resume();
  const ParseResult result = parser_.finish();
  EXPECT_EQ(result.status, ParseStatus::kOk) << result.detail;
  ASSERT_EQ(recorder_.responses.size(), 1u);
  EXPECT_EQ(recorder_.responses[0].head.framing, BodyFraming::kUntilClose);
  EXPECT_EQ(recorder_.responses[0].body, "");
  EXPECT_TRUE(recorder_.responses[0].complete);
}

TEST_F(ResponseParserTest, TruncatedBodyIsStillAnErrorOnFinishAfterAPauseAtTheHead) {
  recorder_.pause_on_head = true;
  EXPECT_EQ(feed("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n").status, ParseStatus::kPaused);
  parser_.resume();
  EXPECT_EQ(parser_.finish().status, ParseStatus::kError);
  EXPECT_FALSE(recorder_.responses[0].complete);
}

TEST_F(ResponseParserTest, ContentLengthWithTransferEncodingIsRejected) {
  const ParseResult result =
      feed("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  EXPECT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(result.error, ParseError::kBadMessage);
}

TEST_F(ResponseParserTest, BadStatusLineIsRejected) {
  const ParseResult result = feed("HTTP/1.1 2x0 OK\r\n\r\n");
  EXPECT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(result.error, ParseError::kBadMessage);
  EXPECT_EQ(parser_.finish().status, ParseStatus::kError);
}

TEST_F(ResponseParserTest, HeadTooLarge) {
  Recorder recorder;
  ParserLimits limits;
  limits.max_head_bytes = 64;
  ResponseParser parser(recorder, limits);
  const std::string bytes = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(100, 'x') + "\r\n\r\n";
  const ParseResult result = parser.feed(bytes.data(), bytes.size());
  EXPECT_EQ(result.error, ParseError::kHeadTooLarge);
}

}  // namespace
}  // namespace outrigger::http
