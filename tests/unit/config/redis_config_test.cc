// The `redis:` block and the keys that need it (rate_limit.scope: global,
// fallback.stale_if_error.store: redis): what loads, and the exact message for each mistake.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "proxy/config/render.h"
#include "tests/unit/config/config_test_util.h"

namespace outrigger::config {
namespace {

using ::testing::ElementsAre;
using testing::errorsOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::withMinimal;

Config loadOrDie(std::string_view yaml, const EnvLookup& env = testing::fakeEnv()) {
  LoadResult r = testing::load(yaml, env);
  EXPECT_TRUE(r.ok()) << r.formatErrors() << "\n" << yaml;
  return r.config.value_or(Config{});
}

// kMinimal's upstream "u" (lines 5-7) gets `block` from line 8 on, then `top` follows.
std::string upstreamWith(std::string_view block, std::string_view top = "") {
  return std::string(testing::kMinimal) + std::string(block) + std::string(top);
}

TEST(RedisConfigTest, AbsentBlockMeansNoStore) {
  EXPECT_FALSE(loadOrDie(testing::kMinimal).redis.has_value());
}

TEST(RedisConfigTest, FullBlockLoadsEveryKey) {
  const Config c =
      loadOrDie(withMinimal("redis:\n"
                            "  address: redis.shared.svc:6379\n"
                            "  username: ${REDIS_USER:-}\n"
                            "  password: ${REDIS_PASSWORD}\n"
                            "  database: 3\n"
                            "  key_prefix: \"fleet-a:\"\n"
                            "  timeouts: { connect: 250ms, command: 20ms }\n"),
                testing::fakeEnv({{"REDIS_PASSWORD", "s3cret"}, {"REDIS_USER", "app"}}));
  ASSERT_TRUE(c.redis);
  ASSERT_TRUE(c.redis->tcp);
  EXPECT_EQ(c.redis->tcp->host, "redis.shared.svc");
  EXPECT_EQ(c.redis->tcp->port, 6379);
  EXPECT_EQ(c.redis->username, "app");
  EXPECT_EQ(c.redis->password, "s3cret");
  EXPECT_EQ(c.redis->database, 3u);
  EXPECT_EQ(c.redis->key_prefix, "fleet-a:");
  EXPECT_EQ(c.redis->connect_timeout, milliseconds(250));
  EXPECT_EQ(c.redis->command_timeout, milliseconds(20));
}

TEST(RedisConfigTest, DefaultsAreTheDocumentedOnes) {
  const Config c = loadOrDie(withMinimal("redis: { address: \"unix:/run/redis/redis.sock\" }\n"));
  ASSERT_TRUE(c.redis);
  EXPECT_EQ(c.redis->unix_path, "/run/redis/redis.sock");
  EXPECT_FALSE(c.redis->tcp);
  EXPECT_EQ(c.redis->database, 0u);
  EXPECT_EQ(c.redis->key_prefix, "outrigger:");
  EXPECT_EQ(c.redis->connect_timeout, milliseconds(500));
  EXPECT_EQ(c.redis->command_timeout, milliseconds(50));
}

TEST(RedisConfigTest, AddressIsRequired) {
  EXPECT_THAT(errorsOf(withMinimal("redis: { database: 1 }\n")),
              ElementsAre("test.yaml:8:8: redis: missing required key 'address'"));
}

TEST(RedisConfigTest, AddressWithoutAPort) {
  EXPECT_THAT(errorsOf(withMinimal("redis: { address: redis.svc }\n")),
              ElementsAre("test.yaml:8:19: redis.address: expected host:port, got 'redis.svc' "
                          "(the port is missing) (or use unix:/path for a Unix socket)"));
}

TEST(RedisConfigTest, RelativeUnixPath) {
  EXPECT_THAT(errorsOf(withMinimal("redis: { address: \"unix:redis.sock\" }\n")),
              ElementsAre("test.yaml:8:19: redis.address: a Unix socket path must be absolute "
                          "(unix:/path), got 'unix:redis.sock'"));
}

TEST(RedisConfigTest, UnknownKeySuggestsTheClosestOne) {
  EXPECT_THAT(errorsOf(withMinimal("redis: { address: \"r:6379\", pasword: x }\n")),
              ElementsAre("test.yaml:8:29: redis: unknown key 'pasword' (did you mean 'password'?)"));
}

TEST(RedisConfigTest, CommandTimeoutMustBePositive) {
  EXPECT_THAT(errorsOf(withMinimal("redis: { address: \"r:6379\", timeouts: { command: 0s } }\n")),
              ElementsAre("test.yaml:8:50: redis.timeouts.command: must be greater than 0, got "
                          "'0s'"));
}

TEST(RedisConfigTest, PasswordIsAlwaysRedacted) {
  const Config c = loadOrDie(withMinimal("redis: { address: \"r:6379\", password: hunter2 }\n"));
  EXPECT_THAT(renderConfigYaml(c), HasSubstr("password: <redacted>\n"));
  EXPECT_THAT(renderConfigYaml(c), Not(HasSubstr("hunter2")));
  EXPECT_THAT(renderConfigYaml(c, {.redact_secrets = false}), HasSubstr("password: hunter2\n"));
}

TEST(RedisConfigTest, PrintedBlockLoadsBackToTheSameConfig) {
  const Config c = loadOrDie(upstreamWith(
      "    rate_limit: { requests_per_second: 300, scope: global, on_store_error: deny }\n",
      "redis: { address: \"unix:/tmp/r.sock\", username: app, password: pw, database: 2 }\n"));
  const std::string yaml = renderConfigYaml(c, {.redact_secrets = false});
  EXPECT_THAT(yaml, HasSubstr("scope: global\n"));
  EXPECT_THAT(yaml, HasSubstr("on_store_error: deny\n"));
  Config again = loadOrDie(yaml);
  again.source_file = c.source_file;
  EXPECT_EQ(again, c);
}

TEST(RedisConfigTest, ScopeAndOnStoreErrorDefaultToLocal) {
  const Config c = loadOrDie(upstreamWith("    rate_limit: { requests_per_second: 10 }\n"));
  const RateLimitConfig& r = *c.upstreams[0].policies.rate_limit;
  EXPECT_EQ(r.scope, RateLimitScope::kLocal);
  EXPECT_EQ(r.on_store_error, StoreErrorMode::kLocal);
}

TEST(RedisConfigTest, GlobalScopeWithRedisLoads) {
  const Config c = loadOrDie(upstreamWith(
      "    rate_limit: { requests_per_second: 10, scope: global, on_store_error: allow }\n",
      "redis: { address: \"127.0.0.1:6379\" }\n"));
  const RateLimitConfig& r = *c.upstreams[0].policies.rate_limit;
  EXPECT_EQ(r.scope, RateLimitScope::kGlobal);
  EXPECT_EQ(r.on_store_error, StoreErrorMode::kAllow);
}

TEST(RedisConfigTest, GlobalScopeWithoutRedisIsAnErrorAtTheScope) {
  EXPECT_THAT(
      errorsOf(upstreamWith("    rate_limit: { requests_per_second: 10, scope: global }\n")),
      ElementsAre("test.yaml:8:51: upstreams.u.rate_limit.scope: scope: global needs a "
                  "top-level redis: block (the fleet's shared store), and there is none"));
}

TEST(RedisConfigTest, GlobalScopeInDefaultsWithoutRedisIsReportedOnceAtDefaults) {
  EXPECT_THAT(
      errorsOf(
          upstreamWith("defaults:\n  rate_limit: { requests_per_second: 5, scope: global }\n")),
      ElementsAre("test.yaml:9:48: defaults.rate_limit.scope: scope: global needs a top-level "
                  "redis: block (the fleet's shared store), and there is none"));
}

TEST(RedisConfigTest, UnknownScope) {
  EXPECT_THAT(errorsOf(upstreamWith("    rate_limit: { requests_per_second: 10, scope: fleet }\n")),
              ElementsAre("test.yaml:8:51: upstreams.u.rate_limit.scope: expected one of local or "
                          "global, got 'fleet'"));
}

TEST(RedisConfigTest, UnknownOnStoreError) {
  EXPECT_THAT(
      errorsOf(upstreamWith("    rate_limit: { requests_per_second: 1, on_store_error: reject }\n",
                            "redis: { address: \"r:1\" }\n")),
      ElementsAre("test.yaml:8:59: upstreams.u.rate_limit.on_store_error: expected one of local, "
                  "allow or deny, got 'reject'"));
}

TEST(RedisConfigTest, StaleStoreRedisNeedsTheRedisBlock) {
  EXPECT_THAT(errorsOf(upstreamWith("    fallback: { stale_if_error: { store: redis } }\n")),
              ElementsAre("test.yaml:8:42: upstreams.u.fallback.stale_if_error.store: store: redis "
                          "needs a top-level redis: block (the fleet's shared store), and there is "
                          "none"));
}

TEST(RedisConfigTest, StaleStoreLoads) {
  const Config c = loadOrDie(upstreamWith("    fallback: { stale_if_error: { store: redis } }\n",
                                          "redis: { address: \"r:6379\" }\n"));
  EXPECT_EQ(c.upstreams[0].policies.fallback.stale_if_error->store, StaleStoreKind::kRedis);
  EXPECT_THAT(errorsOf(upstreamWith("    fallback: { stale_if_error: { store: disk } }\n")),
              ElementsAre("test.yaml:8:42: upstreams.u.fallback.stale_if_error.store: expected "
                          "one of memory or redis, got 'disk'"));
}

}  // namespace
}  // namespace outrigger::config
