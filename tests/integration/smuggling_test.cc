// Request smuggling and response splitting vectors, one table row each. A row sends raw
// bytes and checks what a user would notice: the replies, whether the connection closes,
// and what reached the upstream. Every request row hides "GET /smuggled" somewhere after
// the vector; that path must never reach the upstream.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/proxy_fixture.h"
#include "tests/integration/raw_upstream.h"

namespace outrigger::testing {
namespace {

using std::chrono::milliseconds;
using namespace std::string_literals;

const std::string kSmuggled = "GET /smuggled HTTP/1.1\r\nHost: test.local\r\n\r\n";

// Requests for /echo (200 to any method), with extra header lines (each ending in CRLF).
std::string postEcho(const std::string& headers, const std::string& body) {
  return "POST /echo HTTP/1.1\r\nHost: test.local\r\n" + headers + "\r\n" + body;
}

std::string chunkedEcho(const std::string& body) {
  return postEcho("Transfer-Encoding: chunked\r\n", body);
}

std::string getEcho(const std::string& headers) {
  return "GET /echo HTTP/1.1\r\nHost: test.local\r\n" + headers + "\r\n";
}

template <typename Row>
std::string rowName(const ::testing::TestParamInfo<Row>& row) {
  return row.param.name;
}

struct RequestVector {
  std::string name;
  std::string raw;            // everything the app sends, in one write
  std::vector<int> statuses;  // the replies the app gets, in order (400: bad_request, 501:
                              // not_implemented)
  bool closes;                // the connection is closed after those replies
  long echo_hits;             // requests for /echo the upstream saw
};

// gtest prints a parameter on failure; the row name says it all.
void PrintTo(const RequestVector& row, std::ostream* os) { *os << row.name; }

// The proxy refuses the message: one 400, the connection closes, nothing went upstream.
RequestVector refused(std::string name, std::string raw) {
  return {std::move(name), std::move(raw) + kSmuggled, {400}, true, 0};
}

// A Transfer-Encoding other than a lone chunked: a coding we do not decode, refused like a
// malformed message but with 501 (RFC 9112 §6.1, not_implemented).
RequestVector unimplemented(std::string name, std::string raw) {
  return {std::move(name), std::move(raw) + kSmuggled, {501}, true, 0};
}

// A valid message (the control rows): answered, and the connection stays usable.
RequestVector accepted(std::string name, std::string raw) {
  return {std::move(name), std::move(raw), {200}, false, 1};
}

const std::vector<RequestVector>& requestVectors() {
  static const std::vector<RequestVector> rows = {
      // Controls: the harness sees a valid exchange, pipelining and chunking work.
      {"ControlPipelinedPair", getEcho("") + getEcho(""), {200, 200}, false, 2},
      accepted("ControlChunkedBody", chunkedEcho("5\r\nhello\r\n0\r\n\r\n")),
      accepted("ControlChunkedIsCaseInsensitive",
               postEcho("Transfer-Encoding: CHUNKED\r\n", "5\r\nhello\r\n0\r\n\r\n")),
      // Leading whitespace is not part of a field value (RFC 9110 §5.5): no ambiguity.
      accepted("ControlTabBeforeChunked",
               postEcho("Transfer-Encoding:\tchunked\r\n", "5\r\nhello\r\n0\r\n\r\n")),
      accepted("ControlChunkExtension", chunkedEcho("5;name=value\r\nhello\r\n0\r\n\r\n")),
      accepted("ControlAbsoluteFormWithSameHost",
               "GET http://test.local/echo HTTP/1.1\r\nHost: test.local\r\n\r\n"),

      // CL.TE and TE.CL: the front end and the back end pick different framings.
      refused("ClTe",
              postEcho("Content-Length: 6\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\nG")),
      refused("TeCl", postEcho("Transfer-Encoding: chunked\r\nContent-Length: 4\r\n",
                               "5c\r\nGPOST /smuggled HTTP/1.1\r\n\r\n0\r\n\r\n")),
      refused("ClWithEmptyTe", postEcho("Content-Length: 5\r\nTransfer-Encoding:\r\n", "hello")),

      // TE.TE: a Transfer-Encoding one parser reads as chunked and another does not.
      unimplemented("TeXchunked", postEcho("Transfer-Encoding: xchunked\r\n", "0\r\n\r\n")),
      refused("TeSpaceBeforeColon", postEcho("Transfer-Encoding : chunked\r\n", "0\r\n\r\n")),
      refused("TeSpaceInName", postEcho("Transfer Encoding: chunked\r\n", "")),
      unimplemented(
          "TeChunkedThenIdentityHeader",
          postEcho("Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", "0\r\n\r\n")),
      unimplemented(
          "TeIdentityThenChunkedHeader",
          postEcho("Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n")),
      unimplemented("TeChunkedIdentityList",
              postEcho("Transfer-Encoding: chunked, identity\r\n", "0\r\n\r\n")),
      unimplemented("TeIdentity", postEcho("Transfer-Encoding: identity\r\n", "0\r\n\r\n")),
      unimplemented("TeGzipWithoutChunked", postEcho("Transfer-Encoding: gzip\r\n", "0\r\n\r\n")),
      // We decode no coding but chunked; forwarding "gzip" without its header would corrupt.
      unimplemented("TeGzipChunked", postEcho("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n")),
      unimplemented("TeChunkedWithParameter",
              postEcho("Transfer-Encoding: chunked;q=1\r\n", "0\r\n\r\n")),
      unimplemented("TeChunkedTwice", postEcho("Transfer-Encoding: chunked, chunked\r\n", "0\r\n\r\n")),
      unimplemented("TeEmptyListElement", postEcho("Transfer-Encoding: , chunked\r\n", "0\r\n\r\n")),
      unimplemented("TeQuoted", postEcho("Transfer-Encoding: \"chunked\"\r\n", "0\r\n\r\n")),
      refused("TeObsFold", postEcho("X: y\r\nTransfer-Encoding:\r\n chunked\r\n", "0\r\n\r\n")),
      refused("TeLineStartsWithSpace", postEcho(" Transfer-Encoding: chunked\r\n", "0\r\n\r\n")),
      refused("TeVerticalTab", postEcho("Transfer-Encoding:\vchunked\r\n", "0\r\n\r\n")),

      // Content-Length: every duplicate is refused, identical ones too (RFC 9110 §8.6 lets
      // a recipient refuse them; nothing legitimate needs them).
      refused("DuplicateIdenticalContentLength",
              postEcho("Content-Length: 5\r\nContent-Length: 5\r\n", "hello")),
      refused("DuplicateDifferingContentLength",
              postEcho("Content-Length: 0\r\nContent-Length: 5\r\n", "hello")),
      refused("ContentLengthList", postEcho("Content-Length: 5, 5\r\n", "hello")),
      refused("ContentLengthWithSign", postEcho("Content-Length: +5\r\n", "hello")),

      // Chunk sizes and extensions. An error in a later chunk is found after the request
      // started: it still gets a 400, and the attempt upstream is abandoned.
      refused("ChunkSizeOverflow", chunkedEcho("10000000000000000\r\nx\r\n0\r\n\r\n")),
      refused("ChunkSizeNegative", chunkedEcho("-5\r\nhello\r\n0\r\n\r\n")),
      refused("ChunkSizeNotHex", chunkedEcho("zz\r\nhello\r\n0\r\n\r\n")),
      refused("ChunkSizeHexPrefix", chunkedEcho("0x5\r\nhello\r\n0\r\n\r\n")),
      refused("ChunkSizeLeadingSpace", chunkedEcho(" 5\r\nhello\r\n0\r\n\r\n")),
      refused("ChunkSizeBareLf", chunkedEcho("5\nhello\r\n0\r\n\r\n")),
      // Over the 4 KiB a chunk line may spend on extensions.
      refused("ChunkExtensionHuge",
              chunkedEcho("5;" + std::string(5000, 'a') + "\r\nhello\r\n0\r\n\r\n")),
      refused("ChunkExtensionBareLf", chunkedEcho("5;a=b\nhello\r\n0\r\n\r\n")),
      refused("ChunkExtensionQuotedCrlf",
              chunkedEcho("5;a=\"x\r\n0\r\n\r\n" + kSmuggled + "\"\r\nhello\r\n0\r\n\r\n")),
      refused("ChunkExtensionQuotedBareLf", chunkedEcho("5;a=\"x\ny\"\r\nhello\r\n0\r\n\r\n")),
      refused("ChunkDataWithoutCrlf", chunkedEcho("5\r\nhelloXX0\r\n\r\n")),
      refused("ChunkDataBareLf", chunkedEcho("5\r\nhello\n0\r\n\r\n")),
      refused("LaterChunkSizeOverflow", chunkedEcho("5\r\nhello\r\n10000000000000000\r\nx\r\n")),
      refused("LastChunkBareLf", chunkedEcho("0\r\n\n")),
      refused("TrailerObsFold", chunkedEcho("0\r\nX: y\r\n z\r\n\r\n")),
      refused("TrailerSpaceBeforeColon", chunkedEcho("0\r\nX : y\r\n\r\n")),

      // After a refused request nothing on the connection is read, pipelined or not.
      refused("PipelinedTailAfterBadHeader", getEcho("X(y): z\r\n")),
      {"ValidThenInvalidThenTail",
       getEcho("") + getEcho("X(y): z\r\n") + kSmuggled,
       {200, 400},
       true,
       1},

      // Header syntax.
      refused("ObsFold", getEcho("X: a\r\n b\r\n")),
      refused("SpaceBeforeColon", "GET /echo HTTP/1.1\r\nHost : test.local\r\n\r\n"),
      refused("TabBeforeColon", getEcho("X-A\t: b\r\n")),
      refused("NulInHeaderValue", getEcho("X: a\0b\r\n"s)),
      refused("CtlInHeaderValue", getEcho("X: a\x01z\r\n")),
      refused("NulInHeaderName", getEcho("X\0Y: b\r\n"s)),
      refused("EmptyHeaderName", getEcho(": b\r\n")),
      refused("SpaceInHeaderName", getEcho("X Y: b\r\n")),
      refused("DuplicateHost", getEcho("Host: other\r\n")),

      // Line endings (RFC 9112 §2.2: no bare CR, and we take no bare LF either).
      refused("BareLfLines", "GET /echo HTTP/1.1\nHost: test.local\n\n"),
      refused("BareLfEndsHead", "GET /echo HTTP/1.1\r\nHost: test.local\r\n\n"),
      refused("BareLfAfterHeader", "GET /echo HTTP/1.1\r\nHost: test.local\nX: y\r\n\r\n"),
      refused("BareCrInHead", "GET /echo HTTP/1.1\r\nHost: test.local\rX: y\r\n\r\n"),
      refused("BareCrInRequestLine", "GET /echo HTTP/1.1\rHost: test.local\r\n\r\n"),
      refused("BareLfBeforeRequestLine", "\n" + getEcho("")),

      // Request lines and targets.
      refused("DoubleSpaceInRequestLine", "GET  /echo HTTP/1.1\r\nHost: test.local\r\n\r\n"),
      refused("TabInTarget", "GET /echo\tb HTTP/1.1\r\nHost: test.local\r\n\r\n"),
      refused("NonAsciiInTarget", "GET /echo\x80 HTTP/1.1\r\nHost: test.local\r\n\r\n"),
      refused("SpaceInTarget", "GET /echo b HTTP/1.1\r\nHost: test.local\r\n\r\n"),
      refused("LowercaseVersion", "GET /echo http/1.1\r\nHost: test.local\r\n\r\n"),
      refused("Http2Version", "GET /echo HTTP/2.0\r\nHost: test.local\r\n\r\n"),
      refused("Http09", "GET /echo\r\n\r\n"),
      refused("CtlInMethod", "G\x01T /echo HTTP/1.1\r\nHost: test.local\r\n\r\n"),
      refused("AbsoluteFormWithOtherHost",
              "GET http://elsewhere.example/echo HTTP/1.1\r\nHost: test.local\r\n\r\n"),
      refused("AbsoluteFormWithoutHost", "GET http://test.local/echo HTTP/1.1\r\n\r\n"),
      refused("AbsoluteFormOtherScheme",
              "GET ftp://test.local/echo HTTP/1.1\r\nHost: test.local\r\n\r\n"),
      refused("AsteriskFormForGet", "GET * HTTP/1.1\r\nHost: test.local\r\n\r\n"),

      // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
      refused(
          "Http10WithTransferEncoding",
          "POST /echo HTTP/1.0\r\nHost: test.local\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
      refused("Http10WithTransferEncodingAndLength",
              "POST /echo HTTP/1.0\r\nHost: test.local\r\nTransfer-Encoding: chunked\r\n"
              "Content-Length: 5\r\n\r\n0\r\n\r\n"),
  };
  return rows;
}

class RequestSmugglingTest : public ProxyTest,
                             public ::testing::WithParamInterface<RequestVector> {};

TEST_P(RequestSmugglingTest, NothingAfterTheVectorReachesTheUpstream) {
  const RequestVector& row = GetParam();
  startProxy();
  HttpConnection c(port_, milliseconds(3000));
  ASSERT_TRUE(c.sendRaw(row.raw));
  for (size_t i = 0; i < row.statuses.size(); ++i) {
    auto r = c.readResponse();
    ASSERT_TRUE(r) << "reply " << i << " missing";
    EXPECT_EQ(r->status, row.statuses[i]) << "reply " << i;
    if (r->status == 400) {
      EXPECT_EQ(r->header("x-outrigger-reason"), "bad_request");
    }
    if (r->status == 501) {
      EXPECT_EQ(r->header("x-outrigger-reason"), "not_implemented");
    }
  }
  if (row.closes) {
    EXPECT_FALSE(c.readResponse()) << "a reply nobody expected";
    EXPECT_TRUE(c.waitForClose(milliseconds(2000)));
  } else {
    // Still in step: the next request on the connection is read as one.
    auto r = c.request("GET", "/hello");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  // A fresh exchange gets through, and by then anything the proxy had forwarded on the
  // first connection has reached the upstream.
  auto sync = get("/hello");
  ASSERT_TRUE(sync);
  EXPECT_EQ(sync->status, 200);
  EXPECT_EQ(mock_->hits("/smuggled"), 0);
  EXPECT_EQ(mock_->hits("/echo"), row.echo_hits);
}

INSTANTIATE_TEST_SUITE_P(Vectors, RequestSmugglingTest, ::testing::ValuesIn(requestVectors()),
                         rowName<RequestVector>);

class AbsoluteFormTest : public ProxyTest {};

TEST_F(AbsoluteFormTest, ReachesTheUpstreamInOriginForm) {
  // The upstream is an origin server (RFC 9112 §3.2.1): it gets no authority in the target
  // that could disagree with the Host routing used.
  startProxy();
  HttpConnection c(port_);
  ASSERT_TRUE(c.sendRaw("GET http://test.local/echo?x=1 HTTP/1.1\r\nHost: test.local\r\n\r\n"));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("X-Echo-Target"), "/echo?x=1");
}

enum class Outcome {
  kPassedOn,    // a valid response: relayed, and its connection is reused
  kBadGateway,  // 502 upstream_reset, and that upstream connection is never used again
  kCutShort,    // the head was relayed before the body went bad: never passed off as whole
};

struct ResponseVector {
  std::string name;
  std::string raw;  // what the upstream answers
  Outcome outcome;
};

void PrintTo(const ResponseVector& row, std::ostream* os) { *os << row.name; }

const std::vector<ResponseVector>& responseVectors() {
  static const std::vector<ResponseVector> rows = {
      {"ControlContentLength", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
       Outcome::kPassedOn},
      {"ControlChunked",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
       Outcome::kPassedOn},
      {"ClTe",
       "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       Outcome::kBadGateway},
      {"DuplicateDifferingContentLength",
       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 4\r\n\r\nokok",
       Outcome::kBadGateway},
      {"DuplicateIdenticalContentLength",
       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", Outcome::kBadGateway},
      {"ChunkSizeNotHex",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n",
       Outcome::kBadGateway},
      {"ChunkSizeOverflow",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nok\r\n0\r\n\r\n",
       Outcome::kBadGateway},
      {"LastChunkBareLf", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\n",
       Outcome::kBadGateway},
      {"ChunkDataWithoutCrlf",
       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX0\r\n\r\n",
       Outcome::kCutShort},
      {"ObsFold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 2\r\n\r\nok",
       Outcome::kBadGateway},
      {"SpaceBeforeColon", "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok", Outcome::kBadGateway},
      {"NulInHeaderValue", "HTTP/1.1 200 OK\r\nX: a\0b\r\nContent-Length: 2\r\n\r\nok"s,
       Outcome::kBadGateway},
      {"BareLfLines", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", Outcome::kBadGateway},
      {"BareLfEndsHead", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\nok", Outcome::kBadGateway},
      {"BareCrInStatusLine", "HTTP/1.1 200 OK\rContent-Length: 2\r\n\r\nok", Outcome::kBadGateway},
      {"TeNotChunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok",
       Outcome::kBadGateway},
      {"TeChunkedIdentity", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, identity\r\n\r\nok",
       Outcome::kBadGateway},
      {"Http10WithTransferEncoding",
       "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
       Outcome::kBadGateway},
      {"StatusBelow100", "HTTP/1.1 099 Odd\r\nContent-Length: 2\r\n\r\nok", Outcome::kBadGateway},
      {"CtlInReason", "HTTP/1.1 200 O\x01K\r\nContent-Length: 2\r\n\r\nok", Outcome::kBadGateway},
  };
  return rows;
}

class ResponseSmugglingTest : public ::testing::TestWithParam<ResponseVector> {};

TEST_P(ResponseSmugglingTest, BadResponsesAreRefusedAndTheirConnectionDropped) {
  const ResponseVector& row = GetParam();
  RawUpstream upstream(
      {{"/vector", row.raw}, {"/ok", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"}});
  TempDir dir;
  OutriggerProcess proxy(dir, proxyConfig(upstream.address(), "    timeouts: { read: 1s }\n"));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  const uint16_t port = proxy.port("main");

  HttpConnection c(port, milliseconds(3000));
  auto r = c.request("GET", "/vector");
  switch (row.outcome) {
    case Outcome::kPassedOn:
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 200);
      EXPECT_EQ(r->body, "ok");
      EXPECT_TRUE(r->complete);
      break;
    case Outcome::kBadGateway:
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 502);
      EXPECT_EQ(r->header("x-outrigger-reason"), "upstream_reset");
      break;
    case Outcome::kCutShort:
      if (r) {
        EXPECT_FALSE(r->complete);
      }
      EXPECT_TRUE(c.waitForClose(milliseconds(2000)));
      break;
  }

  auto next = httpRequest(port, "GET", "/ok");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  const auto connections = upstream.requestsByConnection();
  if (row.outcome == Outcome::kPassedOn) {
    EXPECT_EQ(upstream.accepts(), 1) << "a good connection is reused";
  } else {
    EXPECT_EQ(upstream.accepts(), 2) << "the next request needs a new connection";
    ASSERT_FALSE(connections.empty());
    EXPECT_EQ(connections[0], std::vector<std::string>{"/vector"});
  }
}

INSTANTIATE_TEST_SUITE_P(Vectors, ResponseSmugglingTest, ::testing::ValuesIn(responseVectors()),
                         rowName<ResponseVector>);

}  // namespace
}  // namespace outrigger::testing
