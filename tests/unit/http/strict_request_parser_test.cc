// Request smuggling vectors against the request parser alone: one row per vector, fed in
// one piece and then split at every byte, since a check that only works when the bytes
// arrive together is no check.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/parser.h"
#include "tests/support/http/counting_handler.h"

namespace outrigger::http {
namespace {

using namespace std::string_literals;

using Counter = CountingRequestHandler;

struct Outcome {
  ParseStatus status = ParseStatus::kOk;
  ParseError error = ParseError::kNone;
  std::string detail;
  int heads = 0;
  int completes = 0;
};

// Feeds the pieces in order, stopping at the first error.
Outcome parse(const std::vector<std::string_view>& pieces) {
  Counter counter;
  RequestParser parser(counter, ParserLimits{});
  Outcome out;
  for (std::string_view piece : pieces) {
    const ParseResult result = parser.feed(piece.data(), piece.size());
    out.status = result.status;
    out.error = result.error;
    out.detail = result.detail;
    if (result.status == ParseStatus::kError) break;
  }
  out.heads = counter.heads;
  out.completes = counter.completes;
  return out;
}

enum class Verdict {
  kAccepted,          // one complete request
  kRefusedAtHead,     // refused, and the handler never saw the head
  kRefusedInTheBody,  // the head was handed on, then the body turned out malformed
};

struct Vector {
  std::string name;
  std::string bytes;
  Verdict verdict;
};

void PrintTo(const Vector& v, std::ostream* os) { *os << v.name; }

std::string post(const std::string& headers, const std::string& body) {
  return "POST /p HTTP/1.1\r\nHost: h\r\n" + headers + "\r\n" + body;
}
std::string chunked(const std::string& body) {
  return post("Transfer-Encoding: chunked\r\n", body);
}
// A GET with one more header line ("" for none).
std::string withHeader(const std::string& line) {
  return "GET /p HTTP/1.1\r\nHost: h\r\n" + (line.empty() ? "" : line + "\r\n") + "\r\n";
}

const std::vector<Vector>& vectors() {
  static const std::vector<Vector> rows = {
      {"PlainGet", withHeader(""), Verdict::kAccepted},
      {"ChunkedBody", chunked("5\r\nhello\r\n0\r\n\r\n"), Verdict::kAccepted},
      {"ChunkedUppercase", post("Transfer-Encoding: CHUNKED\r\n", "0\r\n\r\n"), Verdict::kAccepted},
      {"ChunkedAfterTab", post("Transfer-Encoding:\tchunked \r\n", "0\r\n\r\n"),
       Verdict::kAccepted},
      {"ChunkExtensionAndTrailer", chunked("5;a=b\r\nhello\r\n0\r\nT: v\r\n\r\n"),
       Verdict::kAccepted},
      {"LeadingEmptyLine", "\r\n" + withHeader(""), Verdict::kAccepted},
      {"ObsTextInValue", withHeader("X: caf\xc3\xa9"), Verdict::kAccepted},
      {"AbsoluteFormSameHost", "GET http://h/p?q HTTP/1.1\r\nHost: h\r\n\r\n", Verdict::kAccepted},
      {"AsteriskOptions", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", Verdict::kAccepted},
      {"NoHost", "GET /p HTTP/1.1\r\n\r\n", Verdict::kAccepted},
      {"Http10WithLength", "POST /p HTTP/1.0\r\nContent-Length: 2\r\n\r\nok", Verdict::kAccepted},

      {"ClTe", post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
       Verdict::kRefusedAtHead},
      {"TeCl", post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "0\r\n\r\n"),
       Verdict::kRefusedAtHead},
      {"ClWithEmptyTe", post("Content-Length: 2\r\nTransfer-Encoding:\r\n", "ok"),
       Verdict::kRefusedAtHead},
      {"EmptyTe", post("Transfer-Encoding: \r\n", ""), Verdict::kRefusedAtHead},
      {"TeIdentity", post("Transfer-Encoding: identity\r\n", ""), Verdict::kRefusedAtHead},
      {"TeGzip", post("Transfer-Encoding: gzip\r\n", ""), Verdict::kRefusedAtHead},
      {"TeGzipChunked", post("Transfer-Encoding: gzip, chunked\r\n", "0\r\n\r\n"),
       Verdict::kRefusedAtHead},
      {"TeChunkedIdentity", post("Transfer-Encoding: chunked, identity\r\n", ""),
       Verdict::kRefusedAtHead},
      {"TeIdentityLineThenChunkedLine",
       post("Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
       Verdict::kRefusedAtHead},
      {"TeEmptyListElement", post("Transfer-Encoding: , chunked\r\n", "0\r\n\r\n"),
       Verdict::kRefusedAtHead},
      {"TeChunkedTwiceOverTwoLines",
       post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
       Verdict::kRefusedAtHead},
      {"TeXchunked", post("Transfer-Encoding: xchunked\r\n", ""), Verdict::kRefusedAtHead},
      {"TeChunkedx", post("Transfer-Encoding: chunkedx\r\n", ""), Verdict::kRefusedAtHead},
      {"TeParameter", post("Transfer-Encoding: chunked;q=1\r\n", ""), Verdict::kRefusedAtHead},
      {"TeQuoted", post("Transfer-Encoding: \"chunked\"\r\n", ""), Verdict::kRefusedAtHead},
      {"TeInHttp10", "POST /p HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       Verdict::kRefusedAtHead},
      {"DuplicateIdenticalLength", post("Content-Length: 2\r\nContent-Length: 2\r\n", "ok"),
       Verdict::kRefusedAtHead},
      {"DuplicateDifferingLength", post("Content-Length: 2\r\nContent-Length: 3\r\n", "ok!"),
       Verdict::kRefusedAtHead},
      {"LengthList", post("Content-Length: 2, 2\r\n", "ok"), Verdict::kRefusedAtHead},
      {"LengthOverflow", post("Content-Length: 99999999999999999999\r\n", ""),
       Verdict::kRefusedAtHead},

      {"ChunkSizeNotHex", chunked("zz\r\nhello\r\n0\r\n\r\n"), Verdict::kRefusedAtHead},
      {"ChunkSizeOverflow", chunked("10000000000000000\r\nx\r\n0\r\n\r\n"),
       Verdict::kRefusedAtHead},
      {"ChunkSizeNegative", chunked("-1\r\nx\r\n0\r\n\r\n"), Verdict::kRefusedAtHead},
      {"ChunkSizeTrailingSpace", chunked("5 \r\nhello\r\n0\r\n\r\n"), Verdict::kRefusedAtHead},
      {"ChunkSizeBareLf", chunked("5\nhello\r\n0\r\n\r\n"), Verdict::kRefusedAtHead},
      {"ChunkSizeMissing", chunked("\r\nhello\r\n0\r\n\r\n"), Verdict::kRefusedAtHead},
      {"ChunkExtensionBareLf", chunked("5;a\nhello\r\n0\r\n\r\n"), Verdict::kRefusedAtHead},
      {"ChunkExtensionQuotedCrlf", chunked("5;a=\"b\r\nc\"\r\nhello\r\n0\r\n\r\n"),
       Verdict::kRefusedAtHead},
      {"ChunkExtensionTooLong", chunked("5;a=" + std::string(4100, 'v') + "\r\nhello\r\n0\r\n\r\n"),
       Verdict::kRefusedAtHead},
      {"LastChunkBareLf", chunked("0\r\n\n"), Verdict::kRefusedAtHead},
      {"LastChunkLineBareLf", chunked("0\n\r\n"), Verdict::kRefusedAtHead},
      {"TrailerObsFold", chunked("0\r\nT: a\r\n b\r\n\r\n"), Verdict::kRefusedAtHead},
      {"TrailerSpaceBeforeColon", chunked("0\r\nT : a\r\n\r\n"), Verdict::kRefusedAtHead},
      {"TrailerBareLf", chunked("0\r\nT: a\nU: b\r\n\r\n"), Verdict::kRefusedAtHead},
      {"TrailerNul", chunked("0\r\nT: a\0b\r\n\r\n"s), Verdict::kRefusedAtHead},
      {"ChunkDataWithoutCrlf", chunked("5\r\nhelloXX0\r\n\r\n"), Verdict::kRefusedInTheBody},
      {"ChunkDataBareLf", chunked("5\r\nhello\n0\r\n\r\n"), Verdict::kRefusedInTheBody},
      {"ChunkDataBareCr", chunked("5\r\nhello\r0\r\n\r\n"), Verdict::kRefusedInTheBody},
      {"SecondChunkSizeOverflow", chunked("5\r\nhello\r\nffffffffffffffffff\r\n"),
       Verdict::kRefusedInTheBody},

      {"ObsFold", withHeader("X: a\r\n b"), Verdict::kRefusedAtHead},
      {"ObsFoldWithTab", withHeader("X: a\r\n\tb"), Verdict::kRefusedAtHead},
      {"WhitespaceBeforeFirstField", "GET /p HTTP/1.1\r\n Host: h\r\n\r\n",
       Verdict::kRefusedAtHead},
      {"SpaceBeforeColon", withHeader("X : a"), Verdict::kRefusedAtHead},
      {"TabBeforeColon", withHeader("X\t: a"), Verdict::kRefusedAtHead},
      {"SpaceInName", withHeader("X Y: a"), Verdict::kRefusedAtHead},
      {"EmptyName", withHeader(": a"), Verdict::kRefusedAtHead},
      {"NonTokenName", withHeader("X(Y): a"), Verdict::kRefusedAtHead},
      {"NulInName", withHeader("X\0: a"s), Verdict::kRefusedAtHead},
      {"NulInValue", withHeader("X: a\0b"s), Verdict::kRefusedAtHead},
      {"CtlInValue", withHeader("X: a\x01z"), Verdict::kRefusedAtHead},
      {"DelInValue", withHeader("X: a\x7f"), Verdict::kRefusedAtHead},
      {"DuplicateHost", withHeader("Host: other"), Verdict::kRefusedAtHead},
      {"HostWithSpace", "GET /p HTTP/1.1\r\nHost: a b\r\n\r\n", Verdict::kRefusedAtHead},
      {"HostWithUserinfo", "GET /p HTTP/1.1\r\nHost: u@h\r\n\r\n", Verdict::kRefusedAtHead},

      {"BareLfLines", "GET /p HTTP/1.1\nHost: h\n\n", Verdict::kRefusedAtHead},
      {"BareLfEndsHead", "GET /p HTTP/1.1\r\nHost: h\r\n\n", Verdict::kRefusedAtHead},
      {"BareLfBeforeRequest", "\nGET /p HTTP/1.1\r\n\r\n", Verdict::kRefusedAtHead},
      {"BareCrInField", "GET /p HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", Verdict::kRefusedAtHead},
      {"BareCrAfterRequestLine", "GET /p HTTP/1.1\rHost: h\r\n\r\n", Verdict::kRefusedAtHead},
      {"CrCrLf", "GET /p HTTP/1.1\r\nHost: h\r\r\n\r\n", Verdict::kRefusedAtHead},

      {"DoubleSpaceAfterMethod", "GET  /p HTTP/1.1\r\n\r\n", Verdict::kRefusedAtHead},
      {"DoubleSpaceAfterTarget", "GET /p  HTTP/1.1\r\n\r\n", Verdict::kRefusedAtHead},
      {"LeadingSpace", " GET /p HTTP/1.1\r\n\r\n", Verdict::kRefusedAtHead},
      {"TrailingSpace", "GET /p HTTP/1.1 \r\n\r\n", Verdict::kRefusedAtHead},
      {"TabSeparator", "GET\t/p HTTP/1.1\r\n\r\n", Verdict::kRefusedAtHead},
      {"TabInTarget", "GET /p\tq HTTP/1.1\r\n\r\n", Verdict::kRefusedAtHead},
      {"NonAsciiInTarget", "GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n", Verdict::kRefusedAtHead},
      {"FragmentInTarget", "GET /p#f HTTP/1.1\r\n\r\n", Verdict::kRefusedAtHead},
      {"AsteriskForGet", "GET * HTTP/1.1\r\n\r\n", Verdict::kRefusedAtHead},
      {"AbsoluteFormOtherHost", "GET http://x/p HTTP/1.1\r\nHost: h\r\n\r\n",
       Verdict::kRefusedAtHead},
      {"AbsoluteFormNoHost", "GET http://h/p HTTP/1.1\r\n\r\n", Verdict::kRefusedAtHead},
      {"AbsoluteFormOtherScheme", "GET ftp://h/p HTTP/1.1\r\nHost: h\r\n\r\n",
       Verdict::kRefusedAtHead},
      {"Http09", "GET /p\r\n\r\n", Verdict::kRefusedAtHead},
      {"Http2", "GET /p HTTP/2.0\r\n\r\n", Verdict::kRefusedAtHead},
      {"LowercaseVersion", "GET /p http/1.1\r\n\r\n", Verdict::kRefusedAtHead},
  };
  return rows;
}

std::string rowName(const ::testing::TestParamInfo<Vector>& row) { return row.param.name; }

class StrictRequestParserTest : public ::testing::TestWithParam<Vector> {};

TEST_P(StrictRequestParserTest, InOnePiece) {
  const Vector& v = GetParam();
  const Outcome out = parse({v.bytes});
  switch (v.verdict) {
    case Verdict::kAccepted:
      EXPECT_EQ(out.status, ParseStatus::kOk) << out.detail;
      EXPECT_EQ(out.completes, 1);
      break;
    case Verdict::kRefusedAtHead:
    case Verdict::kRefusedInTheBody:
      EXPECT_EQ(out.status, ParseStatus::kError);
      // A Transfer-Encoding we do not decode is refused as not implemented (501); see
      // transfer_coding_error_test.cc for which is which.
      EXPECT_TRUE(out.error == ParseError::kBadMessage || out.error == ParseError::kNotImplemented)
          << static_cast<int>(out.error);
      EXPECT_FALSE(out.detail.empty());
      EXPECT_EQ(out.heads, v.verdict == Verdict::kRefusedAtHead ? 0 : 1);
      EXPECT_EQ(out.completes, 0);
      break;
  }
}

TEST_P(StrictRequestParserTest, SplitAtEveryByte) {
  const Vector& v = GetParam();
  const std::string_view bytes = v.bytes;
  for (size_t split = 1; split < bytes.size(); ++split) {
    const Outcome out = parse({bytes.substr(0, split), bytes.substr(split)});
    if (v.verdict == Verdict::kAccepted) {
      EXPECT_EQ(out.status, ParseStatus::kOk) << "split at " << split << ": " << out.detail;
      EXPECT_EQ(out.completes, 1) << "split at " << split;
    } else {
      EXPECT_EQ(out.status, ParseStatus::kError) << "split at " << split;
      EXPECT_EQ(out.completes, 0) << "split at " << split;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Vectors, StrictRequestParserTest, ::testing::ValuesIn(vectors()), rowName);

TEST(StrictRequestParserTest, NothingAfterARefusedRequestIsParsed) {
  const Outcome out = parse({withHeader("X : y") + withHeader("")});
  EXPECT_EQ(out.status, ParseStatus::kError);
  EXPECT_EQ(out.heads, 0);
}

TEST(StrictRequestParserTest, ChunkExtensionsUpToTheLimitAreAccepted) {
  const Outcome out = parse({chunked("5;a=" + std::string(4094, 'v') + "\r\nhello\r\n0\r\n\r\n")});
  EXPECT_EQ(out.status, ParseStatus::kOk) << out.detail;
  EXPECT_EQ(out.completes, 1);
}

TEST(StrictRequestParserTest, TheExtensionLimitIsPerChunkLine) {
  const std::string ext = ";a=" + std::string(3000, 'v');
  const Outcome out = parse({chunked("1" + ext + "\r\nx\r\n1" + ext + "\r\ny\r\n0\r\n\r\n")});
  EXPECT_EQ(out.status, ParseStatus::kOk) << out.detail;
}

}  // namespace
}  // namespace outrigger::http
