#include "proxy/policy/shared_stale_copy.h"

#include <gtest/gtest.h>

namespace outrigger::policy {
namespace {

http::Headers headers(std::initializer_list<std::pair<std::string, std::string>> list) {
  http::Headers h;
  for (const auto& [name, value] : list) h.add(name, value);
  return h;
}

TEST(SharedStaleKeyTest, IsPrefixedHashedAndTaggedByUpstream) {
  const std::string key = sharedStaleKey("outrigger:", "payments", "api.local /v1/pay?card=4111");
  EXPECT_EQ(key.rfind("outrigger:{payments}:stale:", 0), 0u) << key;
  EXPECT_EQ(key.size(), std::string("outrigger:{payments}:stale:").size() + 16);
  EXPECT_EQ(key.find("4111"), std::string::npos);
  EXPECT_EQ(key.find("/v1"), std::string::npos);
}

TEST(SharedStaleKeyTest, SameRequestSameKeyAcrossCallsAndDifferentRequestsDiffer) {
  EXPECT_EQ(sharedStaleKey("p:", "u", "h /a"), sharedStaleKey("p:", "u", "h /a"));
  EXPECT_NE(sharedStaleKey("p:", "u", "h /a"), sharedStaleKey("p:", "u", "h /b"));
  EXPECT_NE(sharedStaleKey("p:", "u", "h /a"), sharedStaleKey("p:", "v", "h /a"));
  // FNV-1a 64 of "" is its offset basis: the hash is the published one, stable across builds.
  EXPECT_EQ(sharedStaleKey("", "u", ""), "{u}:stale:cbf29ce484222325");
}

TEST(MaySharedKeepTest, APlainResponseIsKept) {
  EXPECT_TRUE(maySharedKeep(false, headers({{"Content-Type", "text/plain"}})));
}

TEST(MaySharedKeepTest, NoStoreAndPrivateAreNeverKept) {
  EXPECT_FALSE(maySharedKeep(false, headers({{"Cache-Control", "no-store"}})));
  EXPECT_FALSE(maySharedKeep(false, headers({{"cache-control", "max-age=5, private"}})));
  EXPECT_FALSE(maySharedKeep(false, headers({{"Cache-Control", "public, no-store"}})));
}

TEST(MaySharedKeepTest, AuthorizationOrSetCookieOnlyWhenPublic) {
  EXPECT_FALSE(maySharedKeep(true, headers({})));
  EXPECT_FALSE(maySharedKeep(false, headers({{"Set-Cookie", "sid=1"}})));
  EXPECT_TRUE(maySharedKeep(true, headers({{"Cache-Control", "public, max-age=60"}})));
  EXPECT_TRUE(maySharedKeep(false, headers({{"Set-Cookie", "a=1"}, {"Cache-Control", "public"}})));
}

TEST(SharedCopyCodecTest, RoundTripsStatusHeadersBodyAndTime) {
  StaleEntry copy;
  copy.status = 200;
  copy.headers =
      headers({{"Content-Type", "application/json"}, {"X-Empty", ""}, {"X-Colon", "a:b"}});
  copy.body = std::string("{\"a\":1}\0\n12:x", 14);
  std::string bytes;
  encodeSharedCopy("h /x", copy, 1700000000123, bytes);
  auto back = decodeSharedCopy(bytes, "h /x");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->entry.status, 200);
  EXPECT_EQ(back->stored_wall_ms, 1700000000123);
  EXPECT_EQ(back->entry.body, copy.body);
  ASSERT_EQ(back->entry.headers.size(), 3u);
  EXPECT_EQ(*back->entry.headers.get("content-type"), "application/json");
  EXPECT_EQ(*back->entry.headers.get("x-empty"), "");
  EXPECT_EQ(*back->entry.headers.get("x-colon"), "a:b");
}

TEST(SharedCopyCodecTest, AnotherRequestsCopyIsAMiss) {
  StaleEntry copy;
  copy.body = "page of /a";
  std::string bytes;
  encodeSharedCopy("h /a", copy, 1, bytes);
  EXPECT_FALSE(decodeSharedCopy(bytes, "h /b"));
}

TEST(SharedCopyCodecTest, TruncatedOrForeignBytesAreAMiss) {
  StaleEntry copy;
  copy.body = "hello";
  std::string bytes;
  encodeSharedCopy("k", copy, 1, bytes);
  EXPECT_FALSE(decodeSharedCopy(bytes.substr(0, bytes.size() - 1), "k"));
  EXPECT_FALSE(decodeSharedCopy(bytes + "x", "k"));
  EXPECT_FALSE(decodeSharedCopy("", "k"));
  EXPECT_FALSE(decodeSharedCopy("hello world", "k"));
  EXPECT_FALSE(decodeSharedCopy("99999999999999:x", "k"));
}

TEST(RewriteThrottleTest, AKeyIsRewrittenOncePerInterval) {
  ManualClock clock;
  RewriteThrottle throttle(seconds(15), 100);
  EXPECT_TRUE(throttle.due("a", clock.now()));
  EXPECT_FALSE(throttle.due("a", clock.now()));
  EXPECT_TRUE(throttle.due("b", clock.now()));  // each key has its own interval
  clock.advance(seconds(15) - milliseconds(1));
  EXPECT_FALSE(throttle.due("a", clock.now()));
  clock.advance(milliseconds(1));
  EXPECT_TRUE(throttle.due("a", clock.now()));
  EXPECT_FALSE(throttle.due("a", clock.now()));
}

TEST(RewriteThrottleTest, StaysBoundedAndForgetsPassedKeysFirst) {
  ManualClock clock;
  RewriteThrottle throttle(seconds(10), 2);
  EXPECT_TRUE(throttle.due("a", clock.now()));
  clock.advance(seconds(10));
  EXPECT_TRUE(throttle.due("b", clock.now()));
  EXPECT_TRUE(throttle.due("c", clock.now()));  // full: "a" has passed, and goes
  EXPECT_EQ(throttle.size(), 2u);
  EXPECT_FALSE(throttle.due("b", clock.now()));  // still remembered
  EXPECT_TRUE(throttle.due("d", clock.now()));   // full of live keys: all forgotten
  EXPECT_LE(throttle.size(), 2u);
}

}  // namespace
}  // namespace outrigger::policy
