// Which refused request framings are "not implemented" (501: a Transfer-Encoding other than
// a lone chunked, RFC 9112 §6.1) and which are malformed (400). Each row is fed in one piece
// and byte by byte: llhttp refuses some codings itself, mid-head, and others are refused
// by our own check once the head is complete; both must say the same.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>

#include "proxy/http/parser.h"
#include "tests/support/http/counting_handler.h"

namespace outrigger::http {
namespace {

struct Row {
  std::string name;
  std::string headers;  // header lines after Host, each ending in CRLF
  ParseError error;
};

void PrintTo(const Row& row, std::ostream* os) { *os << row.name; }

ParseError errorOf(const std::string& bytes, bool byte_by_byte) {
  CountingRequestHandler handler;
  RequestParser parser(handler, ParserLimits{});
  const size_t step = byte_by_byte ? 1 : bytes.size();
  for (size_t at = 0; at < bytes.size(); at += step) {
    const ParseResult result = parser.feed(bytes.data() + at, std::min(step, bytes.size() - at));
    if (result.status == ParseStatus::kError) {
      EXPECT_EQ(handler.heads, 0) << "the head must not be handed on";
      return result.error;
    }
  }
  return ParseError::kNone;
}

std::string rowName(const ::testing::TestParamInfo<Row>& row) { return row.param.name; }

class TransferCodingErrorTest : public ::testing::TestWithParam<Row> {};

TEST_P(TransferCodingErrorTest, InOnePieceAndByteByByte) {
  const Row& row = GetParam();
  const std::string bytes = "POST /p HTTP/1.1\r\nHost: h\r\n" + row.headers + "\r\n0\r\n\r\n";
  EXPECT_EQ(errorOf(bytes, false), row.error);
  EXPECT_EQ(errorOf(bytes, true), row.error);
}

INSTANTIATE_TEST_SUITE_P(
    Rows, TransferCodingErrorTest,
    ::testing::Values(
        Row{"Gzip", "Transfer-Encoding: gzip\r\n", ParseError::kNotImplemented},
        Row{"Identity", "Transfer-Encoding: identity\r\n", ParseError::kNotImplemented},
        Row{"GzipThenChunked", "Transfer-Encoding: gzip, chunked\r\n", ParseError::kNotImplemented},
        Row{"ChunkedThenGzip", "Transfer-Encoding: chunked, gzip\r\n", ParseError::kNotImplemented},
        Row{"ChunkedWithParameter", "Transfer-Encoding: chunked;q=1\r\n",
            ParseError::kNotImplemented},
        Row{"ChunkedOnTwoLines", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
            ParseError::kNotImplemented},
        Row{"Xchunked", "Transfer-Encoding: xchunked\r\n", ParseError::kNotImplemented},
        // Framing conflicts stay malformed requests.
        Row{"WithContentLength", "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
            ParseError::kBadMessage},
        Row{"ContentLengthFirst", "Content-Length: 5\r\nTransfer-Encoding: gzip\r\n",
            ParseError::kBadMessage},
        Row{"SpaceBeforeColon", "Transfer-Encoding : chunked\r\n", ParseError::kBadMessage},
        Row{"LoneChunked", "Transfer-Encoding: chunked\r\n", ParseError::kNone}),
    rowName);

TEST(TransferCodingErrorTest, Http10WithTransferEncodingIsMalformed) {
  const std::string bytes = "POST /p HTTP/1.0\r\nTransfer-Encoding: gzip\r\n\r\n";
  EXPECT_EQ(errorOf(bytes, false), ParseError::kBadMessage);
}

}  // namespace
}  // namespace outrigger::http
