// renderConfigYaml prints the effective config so that loading it gives the same values.

#include "proxy/config/render.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "proxy/config/loader.h"
#include "tests/unit/config/config_test_util.h"

namespace outrigger::config {
namespace {

using ::testing::HasSubstr;
using testing::load;

Config loadOrDie(std::string_view yaml) {
  LoadResult r = load(yaml);
  EXPECT_TRUE(r.ok()) << r.formatErrors() << "\n" << yaml;
  return r.config.value_or(Config{});
}

TEST(ConfigRenderTest, RoundTripsEveryValue) {
  const Config original = loadOrDie(R"yaml(
workers: 3
log_level: warn
admin: { listen: "[::1]:0" }
access_log: { path: "/var/log/a$$b.log" }
drain: { grace: 1500ms, timeout: 1m }
listeners:
  - name: outbound
    listen: 127.0.0.1:15001
    limits: { max_request_head: 1000KB, header_timeout: 250ms, idle_timeout: 1h }
    routes:
      - { host: payments, path_prefix: /, upstream: "null", preserve_host: true }
      - { path_prefix: "/users/$$id", upstream: users }
upstreams:
  "null":
    endpoints: [ "payments.internal:443", "[::1]:8443" ]
    load_balancing: least_request
    pool: { max_connections: 7, max_idle: 0, idle_timeout: 1.5s, max_requests_per_connection: 9 }
    timeouts: { connect: 1us, write: 5s, read: 4s, pool: 500ms, per_try: 2s, request: 10s }
    dns_refresh: 90s
  users:
    endpoints: [ "10.0.0.1:80" ]
)yaml");
  const std::string yaml = renderConfigYaml(original);
  const LoadResult again = load(yaml);
  ASSERT_TRUE(again.ok()) << again.formatErrors() << "\n" << yaml;
  EXPECT_TRUE(*again.config == original) << yaml;
  EXPECT_EQ(again.config->access_log.path, "/var/log/a$b.log");
}

TEST(ConfigRenderTest, RoundTripsAccessLogOffAndDefaults) {
  const Config original = loadOrDie(std::string(testing::kMinimal) + "access_log: { path: off }\n");
  const std::string yaml = renderConfigYaml(original);
  const LoadResult again = load(yaml);
  ASSERT_TRUE(again.ok()) << again.formatErrors() << "\n" << yaml;
  EXPECT_TRUE(*again.config == original) << yaml;
}

TEST(ConfigRenderTest, PrintsDurationsAndSizesWithUnits) {
  const std::string yaml = renderConfigYaml(loadOrDie(testing::kMinimal));
  EXPECT_THAT(yaml, HasSubstr("max_request_head: 64KiB\n"));
  EXPECT_THAT(yaml, HasSubstr("header_timeout: 10s\n"));
  EXPECT_THAT(yaml, HasSubstr("connect: 2s\n"));
  EXPECT_THAT(yaml, HasSubstr("grace: 5s\n"));
  EXPECT_THAT(yaml, ::testing::Not(HasSubstr("per_try")));  // unset is left out
}

}  // namespace
}  // namespace outrigger::config
