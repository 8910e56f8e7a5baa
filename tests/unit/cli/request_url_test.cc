// Taking apart the URL given to `outrigger explain`.

#include "proxy/cli/request_url.h"

#include <gtest/gtest.h>

namespace outrigger::cli {
namespace {

RequestUrl parsed(std::string_view url) {
  const Result<RequestUrl> r = parseRequestUrl(url);
  EXPECT_TRUE(r.ok()) << url << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : RequestUrl{};
}

std::string errorOf(std::string_view url) {
  const Result<RequestUrl> r = parseRequestUrl(url);
  EXPECT_FALSE(r.ok()) << url;
  return r.ok() ? "" : r.error().message;
}

TEST(RequestUrlTest, HostPortAndPath) {
  const RequestUrl u = parsed("http://127.0.0.1:15001/users/42?x=1#top");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 15001);
  EXPECT_EQ(u.path, "/users/42");
}

TEST(RequestUrlTest, PortDefaultsTo80AndPathToSlash) {
  const RequestUrl u = parsed("http://payments");
  EXPECT_EQ(u.host, "payments");
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.path, "/");
  EXPECT_EQ(parsed("http://payments?q=1").path, "/");
}

TEST(RequestUrlTest, SchemeIsOptionalAndCaseInsensitive) {
  EXPECT_EQ(parsed("localhost:8080/a").port, 8080);
  EXPECT_EQ(parsed("HTTP://localhost:8080/a").path, "/a");
}

TEST(RequestUrlTest, Ipv6LiteralKeepsItsBrackets) {
  const RequestUrl u = parsed("http://[::1]:15001/x");
  EXPECT_EQ(u.host, "[::1]");
  EXPECT_EQ(u.port, 15001);
  EXPECT_EQ(withoutBrackets(u.host), "::1");
}

TEST(RequestUrlTest, BadUrlsAreExplained) {
  EXPECT_EQ(errorOf("https://payments/"),
            "listeners speak plain HTTP: write http://, got 'https://payments/'");
  EXPECT_EQ(errorOf("http:///path"), "no host in 'http:///path'");
  EXPECT_EQ(errorOf("http://h:0/"), "invalid port in 'http://h:0/' (expected 1 to 65535)");
  EXPECT_EQ(errorOf("http://h:99999/"), "invalid port in 'http://h:99999/' (expected 1 to 65535)");
  EXPECT_EQ(errorOf("http://h:80x/"), "invalid port in 'http://h:80x/' (expected 1 to 65535)");
  EXPECT_EQ(errorOf("http://[::1/"), "unterminated '[' in the host of 'http://[::1/'");
}

TEST(RequestUrlTest, HostWithoutPort) {
  EXPECT_EQ(hostWithoutPort("payments:8080"), "payments");
  EXPECT_EQ(hostWithoutPort("payments"), "payments");
  EXPECT_EQ(hostWithoutPort("[::1]:80"), "[::1]");
}

}  // namespace
}  // namespace outrigger::cli
