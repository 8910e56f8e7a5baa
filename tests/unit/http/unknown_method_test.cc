// A request method llhttp does not know (RFC 9110 §9.1): 501 not_implemented for a
// well-formed method name, 400 for a broken request line.

#include <gtest/gtest.h>

#include <string>

#include "proxy/http/parser.h"
#include "tests/support/http/counting_handler.h"

namespace outrigger::http {
namespace {

ParseError errorOf(const std::string& bytes) {
  CountingRequestHandler handler;
  RequestParser parser(handler, ParserLimits{});
  const ParseResult result = parser.feed(bytes.data(), bytes.size());
  return result.status == ParseStatus::kError ? result.error : ParseError::kNone;
}

TEST(UnknownMethodTest, AWellFormedMethodNobodyImplementsIsNotImplemented) {
  EXPECT_EQ(errorOf("FOO / HTTP/1.1\r\nHost: a\r\n\r\n"), ParseError::kNotImplemented);
  EXPECT_EQ(errorOf("BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n"), ParseError::kNotImplemented);
  // After a request served on the same connection.
  EXPECT_EQ(errorOf("GET / HTTP/1.1\r\nHost: a\r\n\r\nWOBBLE / HTTP/1.1\r\nHost: a\r\n\r\n"),
            ParseError::kNotImplemented);
}

TEST(UnknownMethodTest, ABrokenRequestLineIsStillABadRequest) {
  EXPECT_EQ(errorOf("G\x01T / HTTP/1.1\r\nHost: a\r\n\r\n"), ParseError::kBadMessage);
  EXPECT_EQ(errorOf("FOO\r\nHost: a\r\n\r\n"), ParseError::kBadMessage);
  EXPECT_EQ(errorOf("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), ParseError::kNone);
}

}  // namespace
}  // namespace outrigger::http
