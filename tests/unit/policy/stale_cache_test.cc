#include "proxy/policy/stale_cache.h"

#include <gtest/gtest.h>

namespace outrigger::policy {
namespace {

StaleEntry entry(const std::string& body, MonoTime stored) {
  StaleEntry e;
  e.body = body;
  e.stored = stored;
  return e;
}

// Puts `e` and returns what put() left in it: the displaced entry, or an empty one.
StaleEntry put(StaleCache& cache, const std::string& key, StaleEntry e) {
  cache.put(key, e);
  return e;
}

TEST(StaleCacheTest, ServesAnEntryYoungerThanTtl) {
  ManualClock clock;
  StaleCache cache(10, seconds(60));
  put(cache, "GET a/x", entry("one", clock.now()));
  clock.advance(seconds(59));
  auto hit = cache.get("GET a/x", clock.now());
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->body, "one");
}

TEST(StaleCacheTest, ExpiredEntryIsDroppedAtTtl) {
  ManualClock clock;
  StaleCache cache(10, seconds(60));
  put(cache, "k", entry("one", clock.now()));
  clock.advance(seconds(60));
  EXPECT_FALSE(cache.get("k", clock.now()));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(StaleCacheTest, LeastRecentlyUsedGoesWhenFull) {
  ManualClock clock;
  StaleCache cache(2, seconds(60));
  put(cache, "a", entry("A", clock.now()));
  put(cache, "b", entry("B", clock.now()));
  ASSERT_TRUE(cache.get("a", clock.now()));  // a is now the most recent
  put(cache, "c", entry("C", clock.now()));
  EXPECT_TRUE(cache.get("a", clock.now()));
  EXPECT_FALSE(cache.get("b", clock.now()));
  EXPECT_TRUE(cache.get("c", clock.now()));
}

TEST(StaleCacheTest, PutReplacesAndRefreshesTheEntry) {
  ManualClock clock;
  StaleCache cache(2, seconds(60));
  put(cache, "a", entry("old", clock.now()));
  clock.advance(seconds(50));
  put(cache, "a", entry("new", clock.now()));
  clock.advance(seconds(50));
  auto hit = cache.get("a", clock.now());
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->body, "new");
  EXPECT_EQ(cache.size(), 1u);
}

TEST(StaleCacheTest, PutHandsBackTheCopyItReplaced) {
  ManualClock clock;
  StaleCache cache(2, seconds(60));
  StaleEntry nothing = put(cache, "a", entry("old", clock.now()));
  EXPECT_TRUE(nothing.body.empty());
  EXPECT_TRUE(nothing.headers.empty());
  StaleEntry displaced = put(cache, "a", entry("new", clock.now()));
  EXPECT_EQ(displaced.body, "old");
  EXPECT_EQ(cache.get("a", clock.now())->body, "new");
}

TEST(StaleCacheTest, PutHandsBackTheEvictedEntryWhenFull) {
  ManualClock clock;
  StaleCache cache(2, seconds(60));
  put(cache, "a", entry("A", clock.now()));
  put(cache, "b", entry("B", clock.now()));
  EXPECT_EQ(put(cache, "c", entry("C", clock.now())).body, "A");
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.get("a", clock.now()));
}

TEST(StaleCacheTest, ReplacingAnEntryMakesItTheMostRecent) {
  ManualClock clock;
  StaleCache cache(2, seconds(60));
  put(cache, "a", entry("A", clock.now()));
  put(cache, "b", entry("B", clock.now()));
  put(cache, "a", entry("A2", clock.now()));  // a is now the most recent: b goes next
  put(cache, "c", entry("C", clock.now()));
  EXPECT_TRUE(cache.get("a", clock.now()));
  EXPECT_FALSE(cache.get("b", clock.now()));
}

http::Headers headersOf(std::initializer_list<std::pair<std::string_view, std::string_view>> list) {
  http::Headers headers;
  for (const auto& [name, value] : list) headers.add(name, value);
  return headers;
}

TEST(StaleCacheTest, TakeFirstHeadersMovesTheFirstOnesWithoutACopy) {
  http::Headers from = headersOf({{"Content-Type", "text/plain"},
                                  {"X-Request-ID", "abc"},
                                  {"Date", "Mon, 23 Nov 2026 06:05:11 GMT"},
                                  {"Connection", "keep-alive"}});  // appended after: not taken
  http::Headers to = headersOf({{"old", "a value long enough to be on the heap"}});
  const char* from_bytes = from[0].name.data();
  takeFirstHeaders(from, 3, to);
  ASSERT_EQ(to.size(), 3u);
  EXPECT_EQ(to[0].name, "Content-Type");
  EXPECT_EQ(to[0].value, "text/plain");
  EXPECT_EQ(to[0].name.data(), from_bytes);  // taken, not copied
  EXPECT_EQ(to[2].name, "Date");
  EXPECT_EQ(to[2].value, "Mon, 23 Nov 2026 06:05:11 GMT");
  ASSERT_EQ(from.size(), 1u);  // what `to` held, for its store's room
  EXPECT_EQ(from[0].name, "old");
}

TEST(StaleCacheTest, TakeFirstHeadersWithACountBeyondTheListTakesAll) {
  http::Headers from = headersOf({{"A", "1"}, {"B", "2"}});
  http::Headers to;
  takeFirstHeaders(from, 10, to);
  ASSERT_EQ(to.size(), 2u);
  EXPECT_EQ(to[1].name, "B");
  EXPECT_TRUE(from.empty());
}

TEST(StaleCacheTest, OnlyPlainGet200IsCacheable) {
  http::ResponseHead ok;
  ok.status = 200;
  EXPECT_TRUE(isStaleCacheable("GET", ok));
  EXPECT_FALSE(isStaleCacheable("POST", ok));
  http::ResponseHead created = ok;
  created.status = 201;
  EXPECT_FALSE(isStaleCacheable("GET", created));
  http::ResponseHead no_store = ok;
  no_store.headers.add("Cache-Control", "max-age=0, No-Store");
  EXPECT_FALSE(isStaleCacheable("GET", no_store));
  http::ResponseHead priv = ok;
  priv.headers.add("cache-control", "private");
  EXPECT_FALSE(isStaleCacheable("GET", priv));
  http::ResponseHead public_ok = ok;
  public_ok.headers.add("Cache-Control", "public, max-age=60");
  EXPECT_TRUE(isStaleCacheable("GET", public_ok));
}

}  // namespace
}  // namespace outrigger::policy
