#include "proxy/http/message.h"

#include <gtest/gtest.h>

namespace outrigger::http {
namespace {

TEST(HttpMessageTest, EqualsIgnoreCase) {
  EXPECT_TRUE(equalsIgnoreCase("Content-Length", "content-LENGTH"));
  EXPECT_FALSE(equalsIgnoreCase("Content-Length", "Content-Lengt"));
  EXPECT_FALSE(equalsIgnoreCase("a-b", "a_b"));
  EXPECT_TRUE(equalsIgnoreCase("", ""));
}

TEST(HttpMessageTest, HeadersKeepOrderAndDuplicates) {
  Headers headers;
  headers.add("Set-Cookie", "a=1");
  headers.add("Host", "x");
  headers.add("set-cookie", "b=2");
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(*headers.get("SET-COOKIE"), "a=1");
  EXPECT_EQ(headers.get("Missing"), nullptr);
  EXPECT_TRUE(headers.has("host"));
}

TEST(HttpMessageTest, SetReplacesEveryHeaderOfThatName) {
  Headers headers;
  headers.add("A", "1");
  headers.add("X-Id", "old1");
  headers.add("B", "2");
  headers.add("x-id", "old2");
  headers.set("X-ID", "new");
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers.list()[1].value, "new");
  EXPECT_EQ(headers.list()[2].name, "B");
  headers.set("C", "3");
  EXPECT_EQ(headers.list().back().name, "C");
}

TEST(HttpMessageTest, RemoveCountsRemovedHeaders) {
  Headers headers;
  headers.add("A", "1");
  headers.add("b", "2");
  headers.add("B", "3");
  EXPECT_EQ(headers.remove("B"), 2u);
  EXPECT_EQ(headers.remove("B"), 0u);
  EXPECT_EQ(headers.size(), 1u);
}

TEST(HttpMessageTest, PathDropsTheQuery) {
  RequestHead head;
  head.target = "/users/7?expand=1#frag";
  EXPECT_EQ(head.path(), "/users/7");
  head.target = "/plain";
  EXPECT_EQ(head.path(), "/plain");
  head.target = "http://api.example/v1/x?y";
  EXPECT_EQ(head.path(), "/v1/x");
  head.target = "HTTP://api.example";
  EXPECT_EQ(head.path(), "/");
  head.target = "*";
  EXPECT_EQ(head.path(), "*");
}

TEST(HttpMessageTest, ReasonPhrases) {
  EXPECT_EQ(reasonPhrase(200), "OK");
  EXPECT_EQ(reasonPhrase(100), "Continue");
  EXPECT_EQ(reasonPhrase(429), "Too Many Requests");
  EXPECT_EQ(reasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reasonPhrase(511), "Network Authentication Required");
  EXPECT_EQ(reasonPhrase(299), "Unknown");
  EXPECT_EQ(reasonPhrase(0), "Unknown");
}

}  // namespace
}  // namespace outrigger::http
