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
using ::testing::Not;

constexpr RenderOptions kUnredacted{.redact_secrets = false};

Config loadOrDie(std::string_view yaml) {
  LoadResult r = load(yaml);
  EXPECT_TRUE(r.ok()) << r.formatErrors() << "\n" << yaml;
  return r.config.value_or(Config{});
}

// Renders `original`, loads the text back and expects the same values.
void expectRoundTrip(const Config& original) {
  const std::string yaml = renderConfigYaml(original, kUnredacted);
  const LoadResult again = load(yaml);
  ASSERT_TRUE(again.ok()) << again.formatErrors() << "\n" << yaml;
  EXPECT_TRUE(*again.config == original) << yaml;
  // A second pass prints the same text: nothing drifts.
  EXPECT_EQ(renderConfigYaml(*again.config, kUnredacted), yaml);
}

std::string withUpstreamBlock(std::string_view block) {
  return testing::withListener("upstreams:\n  u:\n    endpoints: [ \"10.0.0.1:80\" ]\n" +
                               std::string(block));
}

TEST(ConfigRenderTest, RoundTripsEveryValue) {
  const Config original = loadOrDie(R"yaml(
workers: 3
log_level: warn
admin: { listen: "[::1]:0", token: "s3cr$$et-token" }
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
    tls: { sni: pay.internal, ca_file: "ca $$.pem", cert_file: c.pem, key_file: k.pem, min_version: "1.3" }
  users:
    endpoints: [ "10.0.0.1:80" ]
    tls: { verify: false }
  plain:
    endpoints: [ "10.0.0.2:80" ]
    tls: {}
)yaml");
  ASSERT_TRUE(original.upstreams[0].tls);
  EXPECT_EQ(original.upstreams[0].tls->ca_file, "ca $.pem");
  EXPECT_EQ(original.upstreams[0].tls->min_version, TlsVersion::k1_3);
  EXPECT_FALSE(original.upstreams[1].tls->verify);
  EXPECT_TRUE(original.upstreams[2].tls->verify);
  expectRoundTrip(original);
  EXPECT_EQ(original.access_log.path, "/var/log/a$b.log");
  EXPECT_EQ(original.admin.token, "s3cr$et-token");
}

TEST(ConfigRenderTest, RoundTripsEveryPolicyBlock) {
  expectRoundTrip(loadOrDie(withUpstreamBlock(R"yaml(    retry:
      max_attempts: 4
      backoff: { initial: 10ms, max: 3s, multiplier: 1.1, jitter: none }
      retry_on: [ timeout, 500, 599 ]
      methods: all
      max_body_bytes: 1500B
      budget: { ratio: 12.345%, min_per_second: 0, window: 20s }
      respect_retry_after: false
    circuit_breaker:
      failure_threshold: 0
      failure_rate: 33.3%
      window: 7s
      minimum_requests: 3
      slow_call: { duration: 750ms, rate: 0.1% }
      open_for: 45s
      half_open_probes: 4
    bulkhead: { max_concurrent: 9, max_queue: 0, queue_timeout: 2500ms }
    rate_limit: { requests_per_second: 0.5, burst: 2.5 }
    outlier_detection: { consecutive_failures: 2, base_ejection: 5s, max_ejection: 50s, max_ejected_percent: 100% }
    health_check: { path: "/healthz?a=$$x", interval: 3s, timeout: 3s, healthy_threshold: 1, unhealthy_threshold: 7 }
    fallback:
      stale_if_error: { ttl: 2m, max_entries: 5, max_body_bytes: 0 }
      response: { status: 200, content_type: "text/plain; charset=utf-8", body: "line one\n  \"two\" $$3: #four" }
    shadow: [ rate_limit, circuit_breaker, bulkhead ]
)yaml")));
}

TEST(ConfigRenderTest, RoundTripsEachProfileAndItsOverrides) {
  for (const char* profile : {"fast-microservice", "high-latency", "batch"}) {
    SCOPED_TRACE(profile);
    expectRoundTrip(loadOrDie(withUpstreamBlock("    profile: " + std::string(profile) +
                                                "\n    retry: { retry_on: [] }\n"
                                                "    timeouts: { read: 1s }\n")));
  }
}

TEST(ConfigRenderTest, RoundTripsSparseBlocksAndEmptyValues) {
  expectRoundTrip(loadOrDie(withUpstreamBlock(
      "    retry: {}\n    circuit_breaker: { failure_threshold: 1 }\n    bulkhead: {}\n"
      "    rate_limit: { requests_per_second: 100000 }\n    outlier_detection: {}\n"
      "    health_check: { interval: 500ms }\n"
      "    fallback: { response: { body: \"\", content_type: \"\" } }\n")));
  expectRoundTrip(loadOrDie(withUpstreamBlock("    fallback: { stale_if_error: {} }\n")));
}

TEST(ConfigRenderTest, RoundTripsAccessLogOffAndDefaults) {
  expectRoundTrip(loadOrDie(std::string(testing::kMinimal) + "access_log: { path: off }\n"));
}

TEST(ConfigRenderTest, PrintsDurationsSizesAndRatiosWithUnits) {
  const std::string yaml = renderConfigYaml(
      loadOrDie(withUpstreamBlock("    retry: { budget: { ratio: 20% } }\n")), kUnredacted);
  EXPECT_THAT(yaml, HasSubstr("max_request_head: 64KiB\n"));
  EXPECT_THAT(yaml, HasSubstr("header_timeout: 10s\n"));
  EXPECT_THAT(yaml, HasSubstr("connect: 2s\n"));
  EXPECT_THAT(yaml, HasSubstr("grace: 5s\n"));
  EXPECT_THAT(yaml, HasSubstr("initial: 25ms\n"));
  EXPECT_THAT(yaml, HasSubstr("max_body_bytes: 64KiB\n"));
  EXPECT_THAT(yaml, HasSubstr("ratio: 20%\n"));
  EXPECT_THAT(yaml, HasSubstr("retry_on: [connect_failed, reset, timeout, 502, 503, 504, unavailable]\n"));
  EXPECT_THAT(yaml, Not(HasSubstr("per_try")));  // unset is left out
}

TEST(ConfigRenderTest, BlocksThatAreOffAreLeftOut) {
  const std::string yaml = renderConfigYaml(loadOrDie(testing::kMinimal), kUnredacted);
  for (const char* block :
       {"profile:", "retry:", "circuit_breaker:", "bulkhead:", "rate_limit:", "outlier_detection:",
        "health_check:", "fallback:", "shadow:", "slow_call:", "token:"}) {
    EXPECT_THAT(yaml, Not(HasSubstr(block))) << yaml;
  }
}

TEST(ConfigRenderTest, ProfilePrintsItsNameAndEveryValueItSet) {
  const std::string yaml =
      renderConfigYaml(loadOrDie(withUpstreamBlock("    profile: batch\n")), kUnredacted);
  EXPECT_THAT(yaml, HasSubstr("profile: batch\n"));
  EXPECT_THAT(yaml, HasSubstr("max_attempts: 10\n"));
  EXPECT_THAT(yaml, HasSubstr("multiplier: 1.5\n"));
  EXPECT_THAT(yaml, HasSubstr("open_for: 3m\n"));
  EXPECT_THAT(yaml, HasSubstr("max_concurrent: 5\n"));
}

TEST(ConfigRenderTest, RoundTripsRouteMatchesRewritesAndDirectResponses) {
  const Config original = loadOrDie(R"yaml(
listeners:
  - name: outbound
    listen: 127.0.0.1:15001
    routes:
      - name: charges
        match: { host: "*.pay.example", path_prefix: /v1, methods: [ POST ], headers: { x-tenant: gold, x-debug: { present: false } } }
        upstream: u
        prefix_rewrite: /charges
        host_rewrite: "payments.internal:8443"
        request_headers: { set: { x-team: "billing %ROUTE% 100%%" }, add: { x-via: outrigger }, remove: [ cookie ] }
        response_headers: { set: { cache-control: no-store }, remove: [ server ] }
      - match: { path_exact: /healthz }
        direct_response: { status: 200, body: ok }
      - { path_prefix: /, upstream: u }
upstreams:
  u: { endpoints: [ "10.0.0.1:80" ] }
)yaml");
  ASSERT_EQ(original.listeners[0].routes.size(), 3u);
  EXPECT_EQ(original.listeners[0].routes[1].name, "routes[1]");
  EXPECT_EQ(original.listeners[0].routes[0].rewrite.request.set[0].value.text,
            "billing %ROUTE% 100%%");
  expectRoundTrip(original);
}

}  // namespace
}  // namespace outrigger::config
