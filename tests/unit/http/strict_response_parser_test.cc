// Malformed upstream responses against the response parser alone. A response refused
// before its head is handed on becomes a 502; one refused later can only be cut short.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/parser.h"

namespace outrigger::http {
namespace {

using namespace std::string_literals;

class Counter : public ResponseHandler {
 public:
  ParserAction onResponseHead(ResponseHead&) override {
    ++heads;
    return ParserAction::kContinue;
  }
  ParserAction onResponseBody(std::string_view) override { return ParserAction::kContinue; }
  ParserAction onResponseComplete() override {
    ++completes;
    return ParserAction::kContinue;
  }
  int heads = 0;
  int completes = 0;
};

enum class Verdict { kAccepted, kRefusedAtHead, kRefusedInTheBody };

struct Vector {
  std::string name;
  std::string bytes;
  Verdict verdict;
};

void PrintTo(const Vector& v, std::ostream* os) { *os << v.name; }

std::string ok(const std::string& headers, const std::string& body) {
  return "HTTP/1.1 200 OK\r\n" + headers + "\r\n" + body;
}
std::string chunked(const std::string& body) { return ok("Transfer-Encoding: chunked\r\n", body); }

const std::vector<Vector>& vectors() {
  static const std::vector<Vector> rows = {
      {"ContentLength", ok("Content-Length: 2\r\n", "ok"), Verdict::kAccepted},
      {"Chunked", chunked("2\r\nok\r\n0\r\n\r\n"), Verdict::kAccepted},
      {"NoReasonPhrase", "HTTP/1.1 204 \r\n\r\n", Verdict::kAccepted},
      {"ObsTextReason", "HTTP/1.1 200 Tr\xc3\xa8s bien\r\nContent-Length: 0\r\n\r\n",
       Verdict::kAccepted},

      {"ClTe", ok("Content-Length: 2\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
       Verdict::kRefusedAtHead},
      {"DuplicateIdenticalLength", ok("Content-Length: 2\r\nContent-Length: 2\r\n", "ok"),
       Verdict::kRefusedAtHead},
      {"DuplicateDifferingLength", ok("Content-Length: 2\r\nContent-Length: 3\r\n", "ok!"),
       Verdict::kRefusedAtHead},
      // RFC 9112 §6.3 would read these until the connection closes; we refuse them.
      {"TeGzip", ok("Transfer-Encoding: gzip\r\n", "ok"), Verdict::kRefusedAtHead},
      {"TeChunkedIdentity", ok("Transfer-Encoding: chunked, identity\r\n", "ok"),
       Verdict::kRefusedAtHead},
      {"TeInHttp10", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       Verdict::kRefusedAtHead},
      {"ChunkSizeNotHex", chunked("zz\r\nok\r\n0\r\n\r\n"), Verdict::kRefusedAtHead},
      {"ChunkSizeOverflow", chunked("10000000000000000\r\nok\r\n0\r\n\r\n"),
       Verdict::kRefusedAtHead},
      {"LastChunkBareLf", chunked("0\r\n\n"), Verdict::kRefusedAtHead},
      {"ChunkDataWithoutCrlf", chunked("2\r\nokXX0\r\n\r\n"), Verdict::kRefusedInTheBody},
      {"ObsFold", ok("X: a\r\n b\r\nContent-Length: 0\r\n", ""), Verdict::kRefusedAtHead},
      {"SpaceBeforeColon", ok("Content-Length : 0\r\n", ""), Verdict::kRefusedAtHead},
      {"SpaceInName", ok("Content Length: 0\r\n", ""), Verdict::kRefusedAtHead},
      {"NulInValue", ok("X: a\0b\r\nContent-Length: 0\r\n"s, ""), Verdict::kRefusedAtHead},
      {"BareLfLines", "HTTP/1.1 200 OK\nContent-Length: 0\n\n", Verdict::kRefusedAtHead},
      {"BareLfEndsHead", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\n", Verdict::kRefusedAtHead},
      {"BareCrInStatusLine", "HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n", Verdict::kRefusedAtHead},
      {"CtlInReason", "HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n", Verdict::kRefusedAtHead},
      {"StatusBelow100", "HTTP/1.1 099 X\r\nContent-Length: 0\r\n\r\n", Verdict::kRefusedAtHead},
      {"StatusAbove599", "HTTP/1.1 600 X\r\nContent-Length: 0\r\n\r\n", Verdict::kRefusedAtHead},
  };
  return rows;
}

std::string rowName(const ::testing::TestParamInfo<Vector>& row) { return row.param.name; }

class StrictResponseParserTest : public ::testing::TestWithParam<Vector> {};

TEST_P(StrictResponseParserTest, InOnePiece) {
  const Vector& v = GetParam();
  Counter counter;
  ResponseParser parser(counter, ParserLimits{});
  const ParseResult result = parser.feed(v.bytes.data(), v.bytes.size());
  if (v.verdict == Verdict::kAccepted) {
    EXPECT_EQ(result.status, ParseStatus::kOk) << result.detail;
    EXPECT_EQ(counter.completes, 1);
    return;
  }
  EXPECT_EQ(result.status, ParseStatus::kError);
  EXPECT_EQ(result.error, ParseError::kBadMessage);
  EXPECT_EQ(counter.heads, v.verdict == Verdict::kRefusedAtHead ? 0 : 1);
  EXPECT_EQ(counter.completes, 0);
}

TEST_P(StrictResponseParserTest, SplitAtEveryByte) {
  const Vector& v = GetParam();
  for (size_t split = 1; split < v.bytes.size(); ++split) {
    Counter counter;
    ResponseParser parser(counter, ParserLimits{});
    ParseResult result = parser.feed(v.bytes.data(), split);
    if (result.status == ParseStatus::kOk) {
      result = parser.feed(v.bytes.data() + split, v.bytes.size() - split);
    }
    const bool accepted = v.verdict == Verdict::kAccepted;
    EXPECT_EQ(result.status, accepted ? ParseStatus::kOk : ParseStatus::kError)
        << "split at " << split;
    EXPECT_EQ(counter.completes, accepted ? 1 : 0) << "split at " << split;
  }
}

INSTANTIATE_TEST_SUITE_P(Vectors, StrictResponseParserTest, ::testing::ValuesIn(vectors()),
                         rowName);

}  // namespace
}  // namespace outrigger::http
