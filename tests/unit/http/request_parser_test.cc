#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/parser.h"

namespace outrigger::http {
namespace {

struct Recorded {
  RequestHead head;
  std::string body;
  bool complete = false;
  Headers trailers;
};

class Recorder : public RequestHandler {
 public:
  ParserAction onRequestHead(RequestHead& head) override {
    requests.push_back(Recorded{std::move(head), {}, false, {}});
    return pause_on_head ? ParserAction::kPause : ParserAction::kContinue;
  }
  ParserAction onRequestBody(std::string_view chunk) override {
    requests.back().body.append(chunk);
    ++body_calls;
    return pause_on_body ? ParserAction::kPause : ParserAction::kContinue;
  }
  void onRequestTrailers(Headers& trailers) override {
    EXPECT_FALSE(requests.back().complete) << "trailers come before the end";
    requests.back().trailers.swap(trailers);
  }
  ParserAction onRequestComplete() override {
    requests.back().complete = true;
    return pause_on_complete ? ParserAction::kPause : ParserAction::kContinue;
  }

  std::vector<Recorded> requests;
  int body_calls = 0;
  bool pause_on_head = false;
  bool pause_on_body = false;
  bool pause_on_complete = false;
};

class RequestParserTest : public ::testing::Test {
 protected:
  ParseResult feed(std::string_view bytes) { return parser_.feed(bytes.data(), bytes.size()); }

  // Feeds `bytes` in pieces of `step`, stopping at the first result that is not kOk.
  ParseResult feedInPieces(std::string_view bytes, size_t step) {
    ParseResult result;
    for (size_t i = 0; i < bytes.size(); i += step) {
      result = feed(bytes.substr(i, step));
      if (result.status != ParseStatus::kOk) return result;
    }
    return result;
  }

  Recorder recorder_;
  ParserLimits limits_;
  RequestParser parser_{recorder_, limits_};
};

TEST_F(RequestParserTest, SimpleGet) {
  const std::string_view req = "GET /get?x=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n";
  EXPECT_TRUE(parser_.idle());
  const ParseResult result = feed(req);
  EXPECT_EQ(result.status, ParseStatus::kOk);
  EXPECT_EQ(result.consumed, req.size());
  ASSERT_EQ(recorder_.requests.size(), 1u);
  const RequestHead& head = recorder_.requests[0].head;
  EXPECT_EQ(head.method, "GET");
  EXPECT_EQ(head.target, "/get?x=1");
  EXPECT_EQ(head.path(), "/get");
  EXPECT_EQ(head.version_minor, 1);
  ASSERT_EQ(head.headers.size(), 2u);
  EXPECT_EQ(head.headers.list()[0].name, "Host");
  EXPECT_EQ(head.headers.list()[0].value, "example.com");
  EXPECT_EQ(*head.headers.get("accept"), "*/*");
  EXPECT_EQ(head.framing, BodyFraming::kNone);
  EXPECT_TRUE(head.keep_alive);
  EXPECT_FALSE(head.expect_continue);
  EXPECT_TRUE(recorder_.requests[0].complete);
  EXPECT_TRUE(parser_.idle());
}

TEST_F(RequestParserTest, ValuesLoseSurroundingWhitespace) {
  feed("GET / HTTP/1.1\r\nX-A:   padded \t \r\nX-B:\tinner  space\t\r\n\r\n");
  ASSERT_EQ(recorder_.requests.size(), 1u);
  EXPECT_EQ(*recorder_.requests[0].head.headers.get("X-A"), "padded");
  EXPECT_EQ(*recorder_.requests[0].head.headers.get("X-B"), "inner  space");
}

TEST_F(RequestParserTest, IdleIsFalseMidMessage) {
  feed("GET / HTTP/1.1\r\nHo");
  EXPECT_FALSE(parser_.idle());
  feed("st: a\r\n\r\n");
  EXPECT_TRUE(parser_.idle());
}

TEST_F(RequestParserTest, HeadersSplitAcrossOneByteFeeds) {
  const std::string req =
      "POST /upload HTTP/1.1\r\nHost: a.example\r\nX-Empty:\r\nX-Long-Name: some value\r\n"
      "Content-Length: 5\r\n\r\nhello";
  EXPECT_EQ(feedInPieces(req, 1).status, ParseStatus::kOk);
  ASSERT_EQ(recorder_.requests.size(), 1u);
  const Recorded& r = recorder_.requests[0];
  EXPECT_EQ(r.head.method, "POST");
  EXPECT_EQ(r.head.target, "/upload");
  ASSERT_EQ(r.head.headers.size(), 4u);
  EXPECT_EQ(r.head.headers.list()[0].value, "a.example");
  EXPECT_EQ(r.head.headers.list()[1].name, "X-Empty");
  EXPECT_EQ(r.head.headers.list()[1].value, "");
  EXPECT_EQ(r.head.headers.list()[2].name, "X-Long-Name");
  EXPECT_EQ(r.head.headers.list()[2].value, "some value");
  EXPECT_EQ(r.body, "hello");
  EXPECT_TRUE(r.complete);
}

TEST_F(RequestParserTest, PostWithContentLengthBodyInPieces) {
  feed("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhel");
  ASSERT_EQ(recorder_.requests.size(), 1u);
  EXPECT_EQ(recorder_.requests[0].head.framing, BodyFraming::kContentLength);
  EXPECT_EQ(recorder_.requests[0].head.content_length, 11u);
  EXPECT_FALSE(recorder_.requests[0].complete);
  EXPECT_FALSE(parser_.idle());
  feed("lo ");
  feed("world");
  EXPECT_EQ(recorder_.requests[0].body, "hello world");
  EXPECT_TRUE(recorder_.requests[0].complete);
  EXPECT_TRUE(parser_.idle());
}

TEST_F(RequestParserTest, ChunkedBodyIsDechunkedAndTrailersDeliveredApart) {
  const std::string req =
      "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t \r\nGrpc-Status: 0\r\n\r\n";
  EXPECT_EQ(feed(req).status, ParseStatus::kOk);
  ASSERT_EQ(recorder_.requests.size(), 1u);
  const Recorded& r = recorder_.requests[0];
  EXPECT_EQ(r.head.framing, BodyFraming::kChunked);
  EXPECT_EQ(r.body, "hello world");
  EXPECT_TRUE(r.complete);
  EXPECT_FALSE(r.head.headers.has("X-Trailer"));
  ASSERT_EQ(r.trailers.size(), 2u);
  ASSERT_NE(r.trailers.get("x-trailer"), nullptr);
  EXPECT_EQ(*r.trailers.get("x-trailer"), "t");  // trailing whitespace trimmed
  EXPECT_EQ(*r.trailers.get("grpc-status"), "0");
}

TEST_F(RequestParserTest, TrailersFedByteByByte) {
  const std::string req =
      "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nA: 1\r\nB: 2\r\n\r\n";
  EXPECT_EQ(feedInPieces(req, 1).status, ParseStatus::kOk);
  ASSERT_EQ(recorder_.requests.size(), 1u);
  EXPECT_TRUE(recorder_.requests[0].complete);
  EXPECT_EQ(recorder_.requests[0].trailers.size(), 2u);
  EXPECT_EQ(*recorder_.requests[0].trailers.get("b"), "2");
}

TEST_F(RequestParserTest, NoTrailersMeansNoTrailerCall) {
  const std::string req = "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
  EXPECT_EQ(feed(req).status, ParseStatus::kOk);
  ASSERT_EQ(recorder_.requests.size(), 1u);
  EXPECT_TRUE(recorder_.requests[0].trailers.empty());
}

TEST(RequestParserTrailerLimitTest, TooManyTrailerFieldsAreRefused) {
  Recorder recorder;
  ParserLimits limits;
  limits.max_headers = 3;
  RequestParser parser(recorder, limits);
  std::string req = "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
  for (int i = 0; i < 4; ++i) req += "T" + std::to_string(i) + ": v\r\n";
  req += "\r\n";
  const ParseResult result = parser.feed(req.data(), req.size());
  EXPECT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(result.error, ParseError::kHeadTooLarge);
}

TEST_F(RequestParserTest, ChunkedBodyFedByteByByte) {
  const std::string req =
      "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n0\r\n\r\n";
  EXPECT_EQ(feedInPieces(req, 1).status, ParseStatus::kOk);
  ASSERT_EQ(recorder_.requests.size(), 1u);
  EXPECT_EQ(recorder_.requests[0].body, "0123456789");
  EXPECT_TRUE(recorder_.requests[0].complete);
}

TEST_F(RequestParserTest, PipelinedGetsWithPauseOnComplete) {
  const std::string first = "GET /one HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string second = "GET /two HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string both = first + second;
  recorder_.pause_on_complete = true;

  ParseResult result = feed(both);
  EXPECT_EQ(result.status, ParseStatus::kPaused);
  EXPECT_EQ(result.consumed, first.size());
  ASSERT_EQ(recorder_.requests.size(), 1u);
  EXPECT_EQ(recorder_.requests[0].head.target, "/one");
  EXPECT_TRUE(recorder_.requests[0].complete);

  parser_.resume();
  recorder_.pause_on_complete = false;
  result = feed(std::string_view(both).substr(first.size()));
  EXPECT_EQ(result.status, ParseStatus::kOk);
  EXPECT_EQ(result.consumed, second.size());
  ASSERT_EQ(recorder_.requests.size(), 2u);
  EXPECT_EQ(recorder_.requests[1].head.target, "/two");
  EXPECT_TRUE(recorder_.requests[1].complete);
}

TEST_F(RequestParserTest, PipelinedPostsKeepTheirBodiesApart) {
  const std::string first = "POST /1 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
  const std::string second = "POST /2 HTTP/1.1\r\nContent-Length: 2\r\n\r\nde";
  recorder_.pause_on_complete = true;
  const std::string both = first + second;
  ParseResult result = feed(both);
  EXPECT_EQ(result.status, ParseStatus::kPaused);
  EXPECT_EQ(result.consumed, first.size());
  parser_.resume();
  result = feed(std::string_view(both).substr(result.consumed));
  EXPECT_EQ(result.status, ParseStatus::kPaused);
  EXPECT_EQ(result.consumed, second.size());
  ASSERT_EQ(recorder_.requests.size(), 2u);
  EXPECT_EQ(recorder_.requests[0].body, "abc");
  EXPECT_EQ(recorder_.requests[1].body, "de");
}

TEST_F(RequestParserTest, FeedWhilePausedConsumesNothing) {
  recorder_.pause_on_complete = true;
  feed("GET / HTTP/1.1\r\n\r\n");
  const ParseResult result = feed("GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(result.status, ParseStatus::kPaused);
  EXPECT_EQ(result.consumed, 0u);
  EXPECT_EQ(recorder_.requests.size(), 1u);
}

TEST_F(RequestParserTest, PauseOnHeadOfBodilessRequestStillReportsCompletion) {
  // Otherwise the completion would wait for bytes that a keep-alive client never sends.
  const std::string req = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  recorder_.pause_on_head = true;
  const ParseResult result = feed(req + "GET /next HTTP/1.1\r\n\r\n");
  EXPECT_EQ(result.status, ParseStatus::kPaused);
  EXPECT_EQ(result.consumed, req.size());
  ASSERT_EQ(recorder_.requests.size(), 1u);
  EXPECT_TRUE(recorder_.requests[0].complete);
  EXPECT_TRUE(parser_.idle());
}

TEST_F(RequestParserTest, PauseOnHeadStopsBeforeTheBody) {
  const std::string head = "POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\n";
  recorder_.pause_on_head = true;
  ParseResult result = feed(head + "body");
  EXPECT_EQ(result.status, ParseStatus::kPaused);
  EXPECT_EQ(result.consumed, head.size());
  EXPECT_EQ(recorder_.body_calls, 0);
  EXPECT_FALSE(parser_.idle());
  parser_.resume();
  result = feed("body");
  EXPECT_EQ(result.status, ParseStatus::kOk);
  EXPECT_EQ(recorder_.requests[0].body, "body");
  EXPECT_TRUE(recorder_.requests[0].complete);
}

TEST_F(RequestParserTest, PauseOnBodyStopsAtTheChunkEnd) {
  const std::string head = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk1 = "3\r\nabc\r\n";
  const std::string rest = "2\r\nde\r\n0\r\n\r\n";
  recorder_.pause_on_body = true;
  ParseResult result = feed(head + chunk1 + rest);
  EXPECT_EQ(result.status, ParseStatus::kPaused);
  EXPECT_EQ(result.consumed, head.size() + chunk1.size());
  EXPECT_EQ(recorder_.requests[0].body, "abc");
  parser_.resume();
  recorder_.pause_on_body = false;
  result = feed(rest);
  EXPECT_EQ(result.status, ParseStatus::kOk);
  EXPECT_EQ(recorder_.requests[0].body, "abcde");
  EXPECT_TRUE(recorder_.requests[0].complete);
}

TEST_F(RequestParserTest, PauseOnLastContentLengthPieceStillReportsCompletion) {
  recorder_.pause_on_body = true;
  const std::string req = "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
  const ParseResult result = feed(req + "GET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(result.status, ParseStatus::kPaused);
  EXPECT_EQ(result.consumed, req.size());
  EXPECT_TRUE(recorder_.requests[0].complete);
  EXPECT_EQ(recorder_.requests.size(), 1u);
}

TEST_F(RequestParserTest, PauseOnPartialBodyConsumesTheInput) {
  recorder_.pause_on_body = true;
  const std::string part = "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc";
  ParseResult result = feed(part);
  EXPECT_EQ(result.status, ParseStatus::kPaused);
  EXPECT_EQ(result.consumed, part.size());
  parser_.resume();
  recorder_.pause_on_body = false;
  result = feed("defghij");
  EXPECT_EQ(result.status, ParseStatus::kOk);
  EXPECT_EQ(recorder_.requests[0].body, "abcdefghij");
  EXPECT_TRUE(recorder_.requests[0].complete);
}

TEST_F(RequestParserTest, Http10IsNotKeepAlive) {
  feed("GET / HTTP/1.0\r\n\r\n");
  ASSERT_EQ(recorder_.requests.size(), 1u);
  EXPECT_EQ(recorder_.requests[0].head.version_minor, 0);
  EXPECT_FALSE(recorder_.requests[0].head.keep_alive);
}

TEST_F(RequestParserTest, Http10WithKeepAliveHeaderIsKeepAlive) {
  feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_EQ(recorder_.requests.size(), 1u);
  EXPECT_TRUE(recorder_.requests[0].head.keep_alive);
}

TEST_F(RequestParserTest, ConnectionCloseIsNotKeepAlive) {
  feed("GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
  ASSERT_EQ(recorder_.requests.size(), 1u);
  EXPECT_FALSE(recorder_.requests[0].head.keep_alive);
}

TEST_F(RequestParserTest, ExpectContinueIsFlagged) {
  feed("POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\nx");
  feed("POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\nx");
  ASSERT_EQ(recorder_.requests.size(), 2u);
  EXPECT_TRUE(recorder_.requests[0].head.expect_continue);
  EXPECT_FALSE(recorder_.requests[1].head.expect_continue);
}

TEST_F(RequestParserTest, LaterMessageDoesNotInheritEarlierHeaders) {
  feed("GET /1 HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\nGET /2 HTTP/1.1\r\nD: 4\r\n\r\n");
  ASSERT_EQ(recorder_.requests.size(), 2u);
  ASSERT_EQ(recorder_.requests[1].head.headers.size(), 1u);
  EXPECT_EQ(recorder_.requests[1].head.headers.list()[0].name, "D");
  EXPECT_EQ(recorder_.requests[1].head.headers.list()[0].value, "4");
}

TEST_F(RequestParserTest, UpgradeRequestIsParsedAsAnOrdinaryRequest) {
  feed(
      "GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
      "GET /after HTTP/1.1\r\n\r\n");
  ASSERT_EQ(recorder_.requests.size(), 2u);
  EXPECT_TRUE(recorder_.requests[0].complete);
  EXPECT_EQ(recorder_.requests[1].head.target, "/after");
}

TEST_F(RequestParserTest, ConnectIsParsedAsAnOrdinaryRequest) {
  feed("CONNECT db.internal:5432 HTTP/1.1\r\nHost: db.internal:5432\r\n\r\nGET / HTTP/1.1\r\n\r\n");
  ASSERT_EQ(recorder_.requests.size(), 2u);
  EXPECT_EQ(recorder_.requests[0].head.method, "CONNECT");
  EXPECT_EQ(recorder_.requests[0].head.target, "db.internal:5432");
  EXPECT_TRUE(recorder_.requests[0].complete);
}

// Summarises what a handler saw, so runs with different read boundaries can be compared.
std::vector<std::string> transcript(const Recorder& recorder) {
  std::vector<std::string> out;
  for (const Recorded& r : recorder.requests) {
    std::string line =
        r.head.method + " " + r.head.target + " 1." + std::to_string(r.head.version_minor) +
        " framing=" + std::to_string(static_cast<int>(r.head.framing)) + "/" +
        std::to_string(r.head.content_length) + " ka=" + std::to_string(r.head.keep_alive);
    for (const HeaderView& h : r.head.headers)
      line.append(" [").append(h.name).append("=").append(h.value).append("]");
    line += " body=" + r.body + (r.complete ? " complete" : "");
    out.push_back(line);
  }
  return out;
}

TEST(RequestParserSplitTest, EveryReadBoundaryGivesTheSameMessages) {
  const std::string stream =
      "POST /a?q=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\nX-Trim: v  \r\n\r\nabcdefg"
      "PUT /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;ext=1\r\nxyz\r\n1\r\n!\r\n0\r\nTrailer-A: 1\r\n\r\n"
      "GET /c HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  Recorder whole;
  RequestParser whole_parser(whole, {});
  ASSERT_EQ(whole_parser.feed(stream.data(), stream.size()).status, ParseStatus::kOk);
  const std::vector<std::string> expected = transcript(whole);
  ASSERT_EQ(expected.size(), 3u);
  for (size_t split = 1; split < stream.size(); ++split) {
    Recorder recorder;
    RequestParser parser(recorder, {});
    ASSERT_EQ(parser.feed(stream.data(), split).status, ParseStatus::kOk) << split;
    ASSERT_EQ(parser.feed(stream.data() + split, stream.size() - split).status, ParseStatus::kOk)
        << split;
    EXPECT_EQ(transcript(recorder), expected) << "split at " << split;
  }
}

}  // namespace
}  // namespace outrigger::http
