#include "proxy/http/head_checks.h"

#include <gtest/gtest.h>

#include <string>

namespace outrigger::http {
namespace {

RequestHead request(std::string method, std::string target) {
  RequestHead head;
  head.method = std::move(method);
  head.target = std::move(target);
  return head;
}

RequestHead withHost(std::string target, std::string host) {
  RequestHead head = request("GET", std::move(target));
  head.headers.add("Host", host);
  return head;
}

RequestHead withTe(std::vector<std::string> values, int version_minor = 1) {
  RequestHead head = request("POST", "/");
  head.version_minor = version_minor;
  for (const std::string& v : values) head.headers.add("Transfer-Encoding", v);
  return head;
}

TEST(HeadChecksTest, TokenCharacters) {
  for (char c : std::string("azAZ09!#$%&'*+-.^_`|~")) EXPECT_TRUE(isTokenChar(c)) << c;
  for (char c : std::string(" \t:\"(),/;<=>?@[\\]{}\x7f\x01")) EXPECT_FALSE(isTokenChar(c)) << c;
  EXPECT_FALSE(isTokenChar('\0'));
  EXPECT_FALSE(isTokenChar(static_cast<char>(0xe9)));
}

TEST(HeadChecksTest, TransferEncodingMustBeExactlyChunked) {
  EXPECT_EQ(checkRequestHead(withTe({"chunked"})), "");
  EXPECT_EQ(checkRequestHead(withTe({"Chunked"})), "");
  EXPECT_EQ(checkRequestHead(withTe({"\tchunked "})), "");
  for (const char* bad :
       {"", "identity", "gzip", "gzip, chunked", "chunked, identity", "chunked, chunked",
        "xchunked", "chunked;q=1", "\"chunked\"", ", chunked", "chunked,"}) {
    EXPECT_NE(checkRequestHead(withTe({bad})), "") << bad;
  }
  EXPECT_NE(checkRequestHead(withTe({"chunked", "chunked"})), "");
  EXPECT_NE(checkRequestHead(withTe({"identity", "chunked"})), "");
}

TEST(HeadChecksTest, TransferEncodingIsRefusedInHttp10AndWithContentLength) {
  EXPECT_NE(checkRequestHead(withTe({"chunked"}, 0)), "");
  RequestHead head = withTe({"chunked"});
  head.headers.add("Content-Length", "3");
  EXPECT_NE(checkRequestHead(head), "");
}

TEST(HeadChecksTest, HostMustBeSingleAndWellFormed) {
  EXPECT_EQ(checkRequestHead(withHost("/", "api.internal:8080")), "");
  EXPECT_EQ(checkRequestHead(withHost("/", "[::1]:80")), "");
  EXPECT_EQ(checkRequestHead(request("GET", "/")), "");  // no Host: routed as no host
  RequestHead two = withHost("/", "a");
  two.headers.add("host", "b");
  EXPECT_NE(checkRequestHead(two), "");
  EXPECT_NE(checkRequestHead(withHost("/", "a b")), "");
  EXPECT_NE(checkRequestHead(withHost("/", "user@a")), "");
  EXPECT_NE(checkRequestHead(withHost("/", "a/b")), "");
}

TEST(HeadChecksTest, RequestTargetForms) {
  EXPECT_EQ(checkRequestHead(request("GET", "/a?b=c")), "");
  EXPECT_EQ(checkRequestHead(request("OPTIONS", "*")), "");
  EXPECT_EQ(checkRequestHead(request("CONNECT", "h:443")), "");
  EXPECT_NE(checkRequestHead(request("GET", "*")), "");
  EXPECT_NE(checkRequestHead(request("GET", "")), "");
  EXPECT_NE(checkRequestHead(request("GET", "/a#f")), "");
  EXPECT_NE(checkRequestHead(request("GET", "/a\tb")), "");
  EXPECT_NE(checkRequestHead(request("GET", "/caf\xc3\xa9")), "");
  EXPECT_NE(checkRequestHead(request("GET", "h:443")), "");
}

TEST(HeadChecksTest, AbsoluteFormMustNameTheHost) {
  EXPECT_EQ(checkRequestHead(withHost("http://h:8080/a", "h:8080")), "");
  EXPECT_EQ(checkRequestHead(withHost("HTTPS://H?x", "h")), "");
  EXPECT_NE(checkRequestHead(withHost("http://other/a", "h")), "");
  EXPECT_NE(checkRequestHead(withHost("http://h:8080/a", "h")), "");
  EXPECT_NE(checkRequestHead(withHost("http:///a", "h")), "");
  EXPECT_NE(checkRequestHead(withHost("ftp://h/a", "h")), "");
  EXPECT_NE(checkRequestHead(request("GET", "http://h/a")), "");
}

TEST(HeadChecksTest, StatusLine) {
  ResponseHead head;
  head.status = 200;
  head.reason = "Tr\xc3\xa8s\tbien";
  EXPECT_EQ(checkResponseHead(head), "");
  head.reason = "O\x01K";
  EXPECT_NE(checkResponseHead(head), "");
  head.reason = "OK";
  for (int status : {99, 600, 0}) {
    head.status = status;
    EXPECT_NE(checkResponseHead(head), "") << status;
  }
}

TEST(HeadChecksTest, ResponseTransferEncoding) {
  ResponseHead head;
  head.headers.add("Transfer-Encoding", "gzip");
  EXPECT_NE(checkResponseHead(head), "");
  head.headers.set("Transfer-Encoding", "chunked");
  EXPECT_EQ(checkResponseHead(head), "");
  head.version_minor = 0;
  EXPECT_NE(checkResponseHead(head), "");
}

}  // namespace
}  // namespace outrigger::http
