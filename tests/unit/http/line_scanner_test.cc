#include "proxy/http/line_scanner.h"

#include <gtest/gtest.h>

#include <string_view>
#include <utility>

namespace outrigger::http {
namespace {

using Section = LineScanner::Section;

std::string_view scanAll(Section section, std::string_view bytes) {
  LineScanner scanner(section);
  return scanner.scan(bytes.data(), bytes.size());
}

TEST(LineScannerTest, WellFormedHeadsPass) {
  EXPECT_EQ(scanAll(Section::kRequestHead, "GET / HTTP/1.1\r\nA: b\r\n\r\n"), "");
  EXPECT_EQ(scanAll(Section::kResponseHead, "HTTP/1.1 200 Fine  Thanks\r\nA: b\r\n\r\n"), "");
  EXPECT_EQ(scanAll(Section::kTrailers, "T: v\r\n\r\n"), "");
  EXPECT_EQ(scanAll(Section::kTrailers, "\r\n"), "");
}

TEST(LineScannerTest, EmptyLinesBeforeTheRequestLineAreSkipped) {
  LineScanner scanner(Section::kRequestHead);
  EXPECT_EQ(scanner.scan("\r\n\r\n", 4), "");
  EXPECT_FALSE(scanner.done());
  EXPECT_EQ(scanner.scan("GET / HTTP/1.1\r\n\r\n", 18), "");
  EXPECT_TRUE(scanner.done());
}

TEST(LineScannerTest, StopsAtTheEmptyLine) {
  // The body after the head may hold anything.
  EXPECT_EQ(scanAll(Section::kRequestHead, "GET / HTTP/1.1\r\n\r\n \n\rbody"), "");
  EXPECT_EQ(scanAll(Section::kTrailers, "\r\n\nGET"), "");
}

TEST(LineScannerTest, BareLfIsRefused) {
  EXPECT_NE(scanAll(Section::kRequestHead, "GET / HTTP/1.1\nA: b\r\n\r\n"), "");
  EXPECT_NE(scanAll(Section::kRequestHead, "GET / HTTP/1.1\r\nA: b\r\n\n"), "");
  EXPECT_NE(scanAll(Section::kRequestHead, "\nGET / HTTP/1.1\r\n\r\n"), "");
  EXPECT_NE(scanAll(Section::kTrailers, "\n"), "");
}

TEST(LineScannerTest, BareCrIsRefused) {
  EXPECT_NE(scanAll(Section::kResponseHead, "HTTP/1.1 200 OK\rA: b\r\n\r\n"), "");
  EXPECT_NE(scanAll(Section::kRequestHead, "GET / HTTP/1.1\r\nA: b\r\r\n\r\n"), "");
}

TEST(LineScannerTest, LinesStartingWithWhitespaceAreRefused) {
  EXPECT_NE(scanAll(Section::kRequestHead, "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n"), "");
  EXPECT_NE(scanAll(Section::kRequestHead, "GET / HTTP/1.1\r\n\tA: b\r\n\r\n"), "");
  EXPECT_NE(scanAll(Section::kRequestHead, " GET / HTTP/1.1\r\n\r\n"), "");
  EXPECT_NE(scanAll(Section::kTrailers, "T: a\r\n b\r\n\r\n"), "");
}

TEST(LineScannerTest, RequestLineNeedsExactlyTwoSingleSpaces) {
  EXPECT_NE(scanAll(Section::kRequestHead, "GET  / HTTP/1.1\r\n\r\n"), "");
  EXPECT_NE(scanAll(Section::kRequestHead, "GET / HTTP/1.1 \r\n\r\n"), "");
  EXPECT_NE(scanAll(Section::kRequestHead, "GET\t/ HTTP/1.1\r\n\r\n"), "");
  EXPECT_NE(scanAll(Section::kRequestHead, "GET /\r\n\r\n"), "");
  // Spaces in field lines are fine.
  EXPECT_EQ(scanAll(Section::kRequestHead, "GET / HTTP/1.1\r\nA: b c d\r\n\r\n"), "");
}

TEST(LineScannerTest, EveryCheckHoldsAcrossSplits) {
  const std::string_view bad = "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n";
  for (size_t split = 1; split < bad.size(); ++split) {
    LineScanner scanner(Section::kRequestHead);
    std::string_view problem = scanner.scan(bad.data(), split);
    if (problem.empty()) problem = scanner.scan(bad.data() + split, bad.size() - split);
    EXPECT_NE(problem, "") << "split at " << split;
  }
}

// Each request line, cut into three pieces at every pair of points, gets the verdict it
// gets whole: the request line is checked by a loop of its own that a piece may end in.
TEST(LineScannerTest, RequestLineChecksHoldAcrossSplits) {
  const std::pair<std::string_view, bool> cases[] = {
      {"GET /a?b=c HTTP/1.1\r\nA: b\r\n\r\n", true}, {"\r\nGET / HTTP/1.1\r\n\r\n", true},
      {"GET  /a HTTP/1.1\r\n\r\n", false},           {"GET /a HTTP/1.1 \r\n\r\n", false},
      {"GET /a\tHTTP/1.1\r\n\r\n", false},           {"GET /a HTTP/1.1\nA: b\r\n\r\n", false},
      {"GET /a HTTP/1.1\rA: b\r\n\r\n", false},      {"GET /a\r\n\r\n", false},
  };
  for (const auto& [bytes, ok] : cases) {
    for (size_t a = 0; a <= bytes.size(); ++a) {
      for (size_t b = a; b <= bytes.size(); ++b) {
        LineScanner scanner(Section::kRequestHead);
        std::string_view problem = scanner.scan(bytes.data(), a);
        if (problem.empty()) problem = scanner.scan(bytes.data() + a, b - a);
        if (problem.empty()) problem = scanner.scan(bytes.data() + b, bytes.size() - b);
        EXPECT_EQ(problem.empty(), ok) << bytes << " split at " << a << ", " << b;
        if (ok) {
          EXPECT_TRUE(scanner.done());
        }
      }
    }
  }
}

TEST(LineScannerTest, ResetStartsANewSection) {
  LineScanner scanner(Section::kRequestHead);
  EXPECT_EQ(scanner.scan("GET / HTTP/1.1\r\n\r\n", 18), "");
  EXPECT_TRUE(scanner.done());
  scanner.reset(Section::kTrailers);
  EXPECT_FALSE(scanner.done());
  EXPECT_NE(scanner.scan(" x\r\n", 4), "");
}

}  // namespace
}  // namespace outrigger::http
