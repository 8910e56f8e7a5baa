// fallback.stale_if_error.store: redis with a real redis-server and real outrigger processes:
// a copy written through replica A is served by replica B once the upstream is down; what
// must not be shared never reaches Redis; a Redis that is down or stalled costs a failing
// request no more than redis.timeouts.command.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "tests/integration/proxy_fixture.h"
#include "tests/integration/raw_upstream.h"
#include "tests/integration/redis_server.h"

namespace outrigger::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kStaleKeys[] = "outrigger:{mock}:stale:*";

std::string staleConfig(const std::string& endpoint, const std::string& redis_address,
                        const std::string& store = "redis") {
  return proxyConfig(endpoint,
                     "    fallback: { stale_if_error: { ttl: 60s, store: " + store + " } }\n", "",
                     "redis: { address: \"" + redis_address +
                         "\", timeouts: { connect: 200ms, command: 100ms } }\n");
}

// The keys redis-cli lists for `pattern`, one per line.
std::vector<std::string> keys(const RedisServer& redis, const std::string& pattern) {
  std::istringstream in(redis.cli("--scan --pattern '" + pattern + "'"));
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::string rawReply(const std::string& extra_headers, const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         extra_headers + "\r\n" + body;
}

class SharedStaleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!redisInstalled())
      GTEST_SKIP() << "redis-server is not installed (apt-get install redis-server)";
    redis_ = std::make_unique<RedisServer>(dir_);
    ASSERT_TRUE(redis_->ok());
  }

  std::unique_ptr<OutriggerProcess> replica(const std::string& endpoint, const std::string& name) {
    auto p =
        std::make_unique<OutriggerProcess>(dir_, staleConfig(endpoint, redis_->address()), name);
    EXPECT_TRUE(p->ok()) << p->log();
    return p;
  }

  bool storeUp(const OutriggerProcess& p) {
    return eventually([&] { return p.metric("outrigger_store_up").value_or(0) == 1; });
  }

  TempDir dir_;
  std::unique_ptr<RedisServer> redis_;
};

TEST_F(SharedStaleTest, AnUpstream503GetsTheCopyFromRedisOrKeepsItsStatus) {
  MockUpstream mock(dir_);
  ASSERT_TRUE(mock.ok());
  auto a = replica(mock.address(), "replica-a");
  auto b = replica(mock.address(), "replica-b");
  ASSERT_TRUE(a->ok() && b->ok());
  ASSERT_TRUE(storeUp(*a) && storeUp(*b));
  auto fresh = httpRequest(a->port("main"), "GET", "/get?item=7");
  ASSERT_TRUE(fresh);
  ASSERT_EQ(fresh->status, 200);
  ASSERT_TRUE(eventually([&] { return keys(*redis_, kStaleKeys).size() == 1; }));
  ASSERT_EQ(httpRequest(mock.port(), "POST", "/__fail/on?status=503")->status, 200);

  // B never saw it: a live upstream's 503 is answered from A's copy (stale-if-error).
  auto stale = httpRequest(b->port("main"), "GET", "/get?item=7");
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 200);
  EXPECT_EQ(stale->body, fresh->body);
  EXPECT_EQ(stale->header("x-outrigger-reason"), "failure_status");
  EXPECT_EQ(b->metric("outrigger_fallbacks_total",
                      {{"upstream", "mock"}, {"kind", "stale"}, {"source", "redis"}}),
            1);
  // No copy anywhere: the app still gets the upstream's status.
  auto none = httpRequest(b->port("main"), "GET", "/get?item=8");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 503);
  EXPECT_EQ(none->header("x-outrigger-reason"), "failure_status");
}

TEST_F(SharedStaleTest, CopyWrittenThroughOneReplicaIsServedByAnother) {
  MockUpstream mock(dir_);
  ASSERT_TRUE(mock.ok());
  auto a = replica(mock.address(), "replica-a");
  auto b = replica(mock.address(), "replica-b");
  ASSERT_TRUE(a->ok() && b->ok());
  ASSERT_TRUE(storeUp(*a) && storeUp(*b));

  auto fresh = httpRequest(a->port("main"), "GET", "/get?item=1");
  ASSERT_TRUE(fresh);
  ASSERT_EQ(fresh->status, 200);
  ASSERT_TRUE(eventually([&] { return keys(*redis_, kStaleKeys).size() == 1; }));
  const std::string key = keys(*redis_, kStaleKeys)[0];
  EXPECT_THAT(key, Not(HasSubstr("item")));  // hashed: no URL or query in the key
  const long ttl_ms = std::atol(redis_->cli("PTTL '" + key + "'").c_str());
  EXPECT_GT(ttl_ms, 50000);
  EXPECT_LE(ttl_ms, 60000);

  mock.kill();
  auto stale = httpRequest(b->port("main"), "GET", "/get?item=1");
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 200);
  EXPECT_EQ(stale->body, fresh->body);
  EXPECT_EQ(stale->header("x-outrigger-fallback"), "stale");
  EXPECT_EQ(stale->header("x-outrigger-reason"), "connect_failed");
  EXPECT_TRUE(stale->hasHeader("Age"));
  EXPECT_EQ(b->metric("outrigger_fallbacks_total",
                      {{"upstream", "mock"}, {"kind", "stale"}, {"source", "redis"}}),
            1);
  EXPECT_EQ(b->metric("outrigger_fallbacks_total",
                      {{"upstream", "mock"}, {"kind", "stale"}, {"source", "memory"}}),
            0);

  // A keeps its own copy too, and serves it without asking Redis.
  auto local = httpRequest(a->port("main"), "GET", "/get?item=1");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->body, fresh->body);
  EXPECT_EQ(a->metric("outrigger_fallbacks_total",
                      {{"upstream", "mock"}, {"kind", "stale"}, {"source", "memory"}}),
            1);

  auto never_seen = httpRequest(b->port("main"), "GET", "/get?item=2");
  ASSERT_TRUE(never_seen);
  EXPECT_EQ(never_seen->status, 502);
  EXPECT_EQ(never_seen->header("x-outrigger-reason"), "connect_failed");

  auto status = httpRequest(b->adminPort(), "GET", "/upstreams");
  ASSERT_TRUE(status);
  EXPECT_THAT(status->body, HasSubstr("\"stale_store\":\"redis\""));
}

TEST_F(SharedStaleTest, NoStorePrivateAuthorizationAndSetCookieAreNeverWritten) {
  RawUpstream upstream({
      {"/no-store", rawReply("Cache-Control: no-store\r\n", "secret")},
      {"/private", rawReply("Cache-Control: private, max-age=60\r\n", "secret")},
      {"/cookie", rawReply("Set-Cookie: session=abc\r\n", "secret")},
      {"/auth", rawReply("", "secret")},
      {"/public-cookie", rawReply("Set-Cookie: theme=dark\r\nCache-Control: public\r\n", "ok")},
      {"/plain", rawReply("", "ok")},
  });
  auto a = replica(upstream.address(), "replica-a");
  ASSERT_TRUE(a->ok());
  ASSERT_TRUE(storeUp(*a));
  HttpConnection c(a->port("main"));
  for (const char* path : {"/no-store", "/private", "/cookie"}) {
    auto r = c.request("GET", path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  auto with_auth = c.request("GET", "/auth", "", {"Authorization: Bearer t0ken"});
  ASSERT_TRUE(with_auth);
  EXPECT_EQ(with_auth->status, 200);
  // Then two that may be kept, on the same connection to Redis (one worker): once they are
  // there, anything written before them would be too.
  ASSERT_EQ(c.request("GET", "/public-cookie")->status, 200);
  ASSERT_EQ(c.request("GET", "/plain")->status, 200);
  ASSERT_TRUE(eventually([&] { return keys(*redis_, kStaleKeys).size() >= 2; }));
  EXPECT_EQ(keys(*redis_, kStaleKeys).size(), 2u);
  EXPECT_EQ(redis_->cli("--scan").find("secret"), std::string::npos);
  for (const std::string& key : keys(*redis_, kStaleKeys)) {
    EXPECT_THAT(redis_->cli("GET '" + key + "'"), Not(HasSubstr("secret")));
  }
}

TEST_F(SharedStaleTest, RewrittenAtMostOncePerQuarterTtl) {
  MockUpstream mock(dir_);
  ASSERT_TRUE(mock.ok());
  auto a = replica(mock.address(), "replica-a");
  ASSERT_TRUE(a->ok());
  ASSERT_TRUE(storeUp(*a));
  const long sets_before = redis_->calls("set");
  HttpConnection c(a->port("main"));
  for (int i = 0; i < 20; ++i) ASSERT_EQ(c.request("GET", "/get?item=1")->status, 200);
  ASSERT_EQ(c.request("GET", "/get?item=2")->status, 200);
  ASSERT_TRUE(eventually([&] { return keys(*redis_, kStaleKeys).size() == 2; }));
  EXPECT_EQ(redis_->calls("set") - sets_before, 2);  // one per key within ttl / 4 (15s)
}

TEST_F(SharedStaleTest, StalledRedisCostsAFailingRequestAtMostTheCommandTimeout) {
  MockUpstream mock(dir_);
  ASSERT_TRUE(mock.ok());
  auto a = replica(mock.address(), "replica-a");
  auto b = replica(mock.address(), "replica-b");
  ASSERT_TRUE(a->ok() && b->ok());
  ASSERT_TRUE(storeUp(*a) && storeUp(*b));
  ASSERT_EQ(httpRequest(a->port("main"), "GET", "/get?item=1")->status, 200);
  ASSERT_TRUE(eventually([&] { return keys(*redis_, kStaleKeys).size() == 1; }));
  mock.kill();

  redis_->pause();  // connected, but answers nothing
  auto start = std::chrono::steady_clock::now();
  auto r = httpRequest(b->port("main"), "GET", "/get?item=1");
  const long stalled_ms = elapsedMs(start);
  redis_->resume();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);  // what it gets with no copy anywhere
  EXPECT_EQ(r->header("x-outrigger-reason"), "connect_failed");
  EXPECT_GE(stalled_ms, 90);    // it did wait for Redis ...
  EXPECT_LT(stalled_ms, 1000);  // ... no longer than timeouts.command (100ms) and some

  redis_->kill();  // down: no wait at all
  ASSERT_TRUE(eventually([&] { return b->metric("outrigger_store_up").value_or(1) == 0; }));
  start = std::chrono::steady_clock::now();
  r = httpRequest(b->port("main"), "GET", "/get?item=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_LT(elapsedMs(start), 1000);
  EXPECT_EQ(b->metric("outrigger_fallbacks_total",
                      {{"upstream", "mock"}, {"kind", "stale"}, {"source", "redis"}}),
            0);
}

TEST_F(SharedStaleTest, ReloadTurnsSharingOnAndOff) {
  MockUpstream mock(dir_);
  ASSERT_TRUE(mock.ok());
  auto a = std::make_unique<OutriggerProcess>(
      dir_, staleConfig(mock.address(), redis_->address(), "memory"), "replica-a");
  ASSERT_TRUE(a->ok()) << a->log();
  auto reload = [&](const std::string& yaml, double generation) {
    a->writeConfig(yaml);
    httpRequest(a->adminPort(), "POST", "/reload");
    return eventually(
        [&] { return a->metric("outrigger_config_generation").value_or(0) >= generation; });
  };
  HttpConnection c(a->port("main"));
  ASSERT_EQ(c.request("GET", "/get?item=1")->status, 200);  // store: memory: kept here only

  ASSERT_TRUE(reload(staleConfig(mock.address(), redis_->address(), "redis"), 2)) << a->log();
  int next = 2;  // a new key each time: a write that failed is not retried within ttl / 4
  ASSERT_TRUE(eventually([&] {
    c.request("GET", "/get?item=" + std::to_string(next++));  // until its connection is up
    return !keys(*redis_, kStaleKeys).empty();
  })) << a->log();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // writes still on their way
  const size_t written = keys(*redis_, kStaleKeys).size();

  ASSERT_TRUE(reload(staleConfig(mock.address(), redis_->address(), "memory"), 3)) << a->log();
  ASSERT_EQ(c.request("GET", "/get?item=off")->status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(keys(*redis_, kStaleKeys).size(), written);  // nothing written once it is off
}

}  // namespace
}  // namespace outrigger::testing
