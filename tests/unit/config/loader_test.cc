// Valid files map onto the schema structs; defaults merge; ${VAR} substitution; error
// collection across the whole file.

#include "proxy/config/loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>

#include "tests/unit/config/config_test_util.h"

namespace outrigger::config {
namespace {

using ::testing::ElementsAre;
using testing::errorsOf;
using testing::fakeEnv;
using testing::load;
using testing::withListener;
using testing::withMinimal;

constexpr std::string_view kFullConfig = R"yaml(
workers: 4
log_level: debug
admin: { listen: "0.0.0.0:9902" }
access_log: { path: /var/log/outrigger.jsonl }
drain: { grace: 2s, timeout: 20s }
listeners:
  - name: outbound
    listen: 127.0.0.1:15001
    limits: { max_request_head: 32KiB, header_timeout: 5s, idle_timeout: 2m }
    routes:
      - { host: Payments.Internal, path_prefix: /, upstream: payments, preserve_host: true }
      - { path_prefix: /users, upstream: users }
  - name: catalog
    listen: "[::1]:15002"
    routes: [ { upstream: users } ]
upstreams:
  payments:
    endpoints: [ "payments.internal:443", "10.0.0.7:8443" ]
    load_balancing: least_request
    pool: { max_connections: 50, max_idle: 10, idle_timeout: 30s, max_requests_per_connection: 1000 }
    timeouts: { connect: 1s, write: 5s, read: 4s, pool: 500ms, per_try: 2s, request: 10s }
    dns_refresh: 1m
  users:
    endpoints: [ "[::1]:8080" ]
)yaml";

TEST(ConfigLoaderTest, FullConfigMapsOntoTheStructs) {
  const LoadResult r = load(kFullConfig);
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  const Config& c = *r.config;
  EXPECT_EQ(c.source_file, "");
  EXPECT_EQ(c.workers, 4);
  EXPECT_EQ(c.log_level, LogLevel::kDebug);
  EXPECT_EQ(c.admin.listen.host, "0.0.0.0");
  EXPECT_EQ(c.admin.listen.port, 9902);
  EXPECT_TRUE(c.access_log.enabled);
  EXPECT_EQ(c.access_log.path, "/var/log/outrigger.jsonl");
  EXPECT_EQ(c.drain.grace, seconds(2));
  EXPECT_EQ(c.drain.timeout, seconds(20));

  ASSERT_EQ(c.listeners.size(), 2u);
  const ListenerConfig& out = c.listeners[0];
  EXPECT_EQ(out.name, "outbound");
  EXPECT_EQ(out.listen.host, "127.0.0.1");
  EXPECT_EQ(out.listen.port, 15001);
  EXPECT_EQ(out.listen.text, "127.0.0.1:15001");
  EXPECT_EQ(out.limits.max_request_head, 32u * 1024);
  EXPECT_EQ(out.limits.header_timeout, seconds(5));
  EXPECT_EQ(out.limits.idle_timeout, seconds(120));
  ASSERT_EQ(out.routes.size(), 2u);
  EXPECT_EQ(out.routes[0].host, "payments.internal");  // lower-cased
  EXPECT_EQ(out.routes[0].path_prefix, "/");
  EXPECT_EQ(out.routes[0].upstream, "payments");
  EXPECT_TRUE(out.routes[0].preserve_host);
  EXPECT_EQ(out.routes[1].host, "*");
  EXPECT_EQ(out.routes[1].path_prefix, "/users");
  EXPECT_FALSE(out.routes[1].preserve_host);
  EXPECT_EQ(c.listeners[1].listen.host, "::1");
  EXPECT_EQ(c.listeners[1].listen.port, 15002);
  EXPECT_EQ(c.listeners[1].limits, ListenerLimits{});

  ASSERT_EQ(c.upstreams.size(), 2u);
  const UpstreamConfig* p = c.findUpstream("payments");
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(p->endpoints.size(), 2u);
  EXPECT_EQ(p->endpoints[0].host, "payments.internal");
  EXPECT_EQ(p->endpoints[0].port, 443);
  EXPECT_EQ(p->endpoints[1].text, "10.0.0.7:8443");
  EXPECT_EQ(p->load_balancing, LoadBalancing::kLeastRequest);
  EXPECT_EQ(p->pool.max_connections, 50u);
  EXPECT_EQ(p->pool.max_idle, 10u);
  EXPECT_EQ(p->pool.idle_timeout, seconds(30));
  EXPECT_EQ(p->pool.max_requests_per_connection, 1000u);
  EXPECT_EQ(p->timeouts.connect, seconds(1));
  EXPECT_EQ(p->timeouts.write, seconds(5));
  EXPECT_EQ(p->timeouts.read, seconds(4));
  EXPECT_EQ(p->timeouts.pool, milliseconds(500));
  EXPECT_EQ(p->timeouts.per_try, seconds(2));
  EXPECT_EQ(p->timeouts.request, seconds(10));
  EXPECT_EQ(p->dns_refresh, seconds(60));

  const UpstreamConfig& users = c.upstreams[1];
  EXPECT_EQ(users.name, "users");
  EXPECT_EQ(users.endpoints[0].host, "::1");
  EXPECT_EQ(users.endpoints[0].text, "[::1]:8080");
  EXPECT_EQ(users.load_balancing, LoadBalancing::kRoundRobin);
  EXPECT_EQ(users.pool, PoolConfig{});
  EXPECT_EQ(users.timeouts, TimeoutsConfig{});
  EXPECT_EQ(users.dns_refresh, seconds(30));
}

TEST(ConfigLoaderTest, DefaultsApplyWhenKeysAreLeftOut) {
  const LoadResult r = load(testing::kMinimal);
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  const Config& c = *r.config;
  EXPECT_EQ(c.workers, 1);
  EXPECT_EQ(c.log_level, LogLevel::kInfo);
  EXPECT_EQ(c.admin.listen.text, "127.0.0.1:9901");
  EXPECT_EQ(c.access_log, AccessLogConfig{});
  EXPECT_EQ(c.drain, DrainConfig{});
  RouteConfig route;
  route.upstream = "u";
  route.name = "routes[0]";  // the default name is the route's place in the list
  route.rewrite.replaced_path = "/";
  EXPECT_EQ(c.listeners[0].routes[0], route);
}

TEST(ConfigLoaderTest, DefaultsBlockIsMergedKeyByKeyUnderEveryUpstream) {
  const LoadResult r = load(withListener(R"yaml(defaults:
  load_balancing: least_request
  timeouts: { connect: 1s, read: 3s }
  pool: { max_connections: 20 }
upstreams:
  u:
    endpoints: [ "a:1" ]
    timeouts: { read: 9s }
  v:
    endpoints: [ "b:1" ]
    load_balancing: round_robin
    pool: ~
)yaml"));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  const UpstreamConfig& u = r.config->upstreams[0];
  EXPECT_EQ(u.load_balancing, LoadBalancing::kLeastRequest);
  EXPECT_EQ(u.timeouts.connect, seconds(1));  // from defaults
  EXPECT_EQ(u.timeouts.read, seconds(9));     // the upstream's own key wins
  EXPECT_EQ(u.timeouts.write, seconds(10));   // built-in default
  EXPECT_EQ(u.pool.max_connections, 20u);
  EXPECT_EQ(u.pool.max_idle, 20u);  // default 32, capped at max_connections
  const UpstreamConfig& v = r.config->upstreams[1];
  EXPECT_EQ(v.load_balancing, LoadBalancing::kRoundRobin);
  EXPECT_EQ(v.timeouts.read, seconds(3));
  EXPECT_EQ(v.pool.max_connections, 20u);  // an empty `pool:` still gets the defaults
}

TEST(ConfigLoaderTest, SubstitutesEnvironmentVariablesBeforeTyping) {
  const LoadResult r =
      load(withListener(R"yaml(workers: ${WORKERS}
access_log: { path: "/logs/${APP:-app}-$$1.log" }
upstreams:
  u:
    endpoints: [ "${UPSTREAM_HOST}:${UPSTREAM_PORT:-8080}", "${EMPTY:-fallback}:80" ]
)yaml"),
           fakeEnv({{"WORKERS", "3"}, {"UPSTREAM_HOST", "10.1.2.3"}, {"EMPTY", ""}}));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  EXPECT_EQ(r.config->workers, 3);
  EXPECT_EQ(r.config->access_log.path, "/logs/app-$1.log");
  EXPECT_EQ(r.config->upstreams[0].endpoints[0].text, "10.1.2.3:8080");
  EXPECT_EQ(r.config->upstreams[0].endpoints[0].port, 8080);
  EXPECT_EQ(r.config->upstreams[0].endpoints[1].host, "fallback");
}

TEST(ConfigLoaderTest, UnsetVariableIsOneErrorAtItsScalar) {
  EXPECT_THAT(errorsOf(withListener("upstreams:\n  u:\n    endpoints: [ \"${HOST}:80\" ]\n")),
              ElementsAre("test.yaml:7:18: upstreams.u.endpoints[0]: environment variable 'HOST' "
                          "is not set"));
}

TEST(ConfigLoaderTest, InvalidVariableReference) {
  EXPECT_THAT(errorsOf(withMinimal("access_log: { path: \"${1X}\" }\n")),
              ElementsAre("test.yaml:8:21: access_log.path: invalid variable reference '${1X}' "
                          "(write ${NAME} or ${NAME:-default}; names use letters, digits and '_', "
                          "and do not start with a digit)"));
}

TEST(ConfigLoaderTest, UnterminatedVariableReference) {
  EXPECT_THAT(errorsOf(withMinimal("access_log: { path: \"${LOG\" }\n")),
              ElementsAre("test.yaml:8:21: access_log.path: unterminated '${' (write ${NAME}, or "
                          "$$ for a literal '$')"));
}

TEST(ConfigLoaderTest, WorkersAutoUsesTheCoreCountCappedAt64) {
  const LoadResult r = load(withMinimal("workers: auto\n"));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  const int expected =
      static_cast<int>(std::clamp<unsigned>(std::thread::hardware_concurrency(), 1, 64));
  EXPECT_EQ(r.config->workers, expected);
}

TEST(ConfigLoaderTest, AdminTokenComesFromTheEnvironmentAndDefaultsToNone) {
  const LoadResult with_token =
      testing::load(testing::withMinimal("admin: { token: \"${OUTRIGGER_ADMIN_TOKEN}\" }\n"),
                    testing::fakeEnv({{"OUTRIGGER_ADMIN_TOKEN", "t0k3n/+=="}}));
  ASSERT_TRUE(with_token.ok()) << with_token.formatErrors();
  EXPECT_EQ(with_token.config->admin.token, "t0k3n/+==");

  const LoadResult without = testing::load(testing::kMinimal);
  ASSERT_TRUE(without.ok()) << without.formatErrors();
  EXPECT_EQ(without.config->admin.token, "");

  // ${VAR:-} makes the token optional: unset means no token, not an error.
  const LoadResult optional =
      testing::load(testing::withMinimal("admin: { token: \"${OUTRIGGER_ADMIN_TOKEN:-}\" }\n"));
  ASSERT_TRUE(optional.ok()) << optional.formatErrors();
  EXPECT_EQ(optional.config->admin.token, "");
}

TEST(ConfigLoaderTest, AccessLogOffDisablesIt) {
  const LoadResult r = load(withMinimal("access_log: { path: off }\n"));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  EXPECT_FALSE(r.config->access_log.enabled);
}

TEST(ConfigLoaderTest, SeveralListenersMayUsePortZero) {
  const LoadResult two = load(R"yaml(
listeners:
  - { name: a, listen: 127.0.0.1:0, routes: [ { upstream: u } ] }
  - { name: b, listen: 127.0.0.1:0, routes: [ { upstream: u } ] }
admin: { listen: 127.0.0.1:0 }
upstreams: { u: { endpoints: [ "127.0.0.1:1" ] } }
)yaml");
  EXPECT_TRUE(two.ok()) << two.formatErrors();
}

TEST(ConfigLoaderTest, ReportsEveryErrorInTheFileNotJustTheFirst) {
  EXPECT_THAT(errorsOf(R"yaml(workers: lots
listeners:
  - name: out
    listen: 127.0.0.1:15001
    routes: [ { upstream: paymnts } ]
upstreams:
  payments:
    endpoints: [ "10.0.0.1:80" ]
    timeouts: { conect: 1s }
)yaml"),
              ElementsAre("test.yaml:1:10: workers: expected a whole number or 'auto', got 'lots'",
                          "test.yaml:5:27: listeners[0].routes[0].upstream: unknown upstream "
                          "'paymnts' (did you mean 'payments'?)",
                          "test.yaml:9:17: upstreams.payments.timeouts: unknown key 'conect' (did "
                          "you mean 'connect'?)"));
}

TEST(ConfigLoaderTest, ErrorsLeaveNoConfig) {
  const LoadResult r = load(withMinimal("workers: 0\n"));
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.config.has_value());
}

TEST(ConfigLoaderTest, LoadsAFileAndRemembersItsPath) {
  const std::string path = ::testing::TempDir() + "/loader_test_config.yaml";
  {
    std::ofstream f(path);
    f << testing::kMinimal;
  }
  const LoadResult r = loadConfigFile(path, fakeEnv());
  std::remove(path.c_str());
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  EXPECT_EQ(r.config->source_file, path);
}

TEST(ConfigLoaderTest, FileErrorsNameTheFile) {
  const std::string path = ::testing::TempDir() + "/loader_test_bad.yaml";
  {
    std::ofstream f(path);
    f << testing::kMinimal << "workers: 0\n";
  }
  const LoadResult r = loadConfigFile(path, fakeEnv());
  std::remove(path.c_str());
  EXPECT_EQ(r.formatErrors(), path + ":8:10: workers: must be at least 1, got '0'\n");
}

TEST(ConfigErrorTest, FormatLeavesOutWhatIsUnknown) {
  EXPECT_EQ((ConfigError{"f.yaml", 3, 7, "a.b", "bad"}).format(), "f.yaml:3:7: a.b: bad");
  EXPECT_EQ((ConfigError{"f.yaml", 0, 0, "a.b", "bad"}).format(), "f.yaml: a.b: bad");
  EXPECT_EQ((ConfigError{"f.yaml", 3, 7, "", "bad"}).format(), "f.yaml:3:7: bad");
  EXPECT_EQ((ConfigError{"f.yaml", 0, 0, "", "bad"}).format(), "f.yaml: bad");
}

TEST(ConfigErrorTest, StringsWithoutAFileNameUseAPlaceholder) {
  const LoadResult r = loadConfigString("workers: 1\n", "", fakeEnv());
  EXPECT_EQ(r.formatErrors(), "<config>: listeners: at least one listener is required\n");
}

}  // namespace
}  // namespace outrigger::config
