// The rows `explain` prints for an upstream: every value of its policy, and where it came
// from.

#include "proxy/cli/effective_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/cli/cli_test_util.h"

namespace outrigger::cli {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kListener =
    "listeners:\n"
    "  - { name: l, listen: 127.0.0.1:0, routes: [ { upstream: u } ] }\n";

std::vector<PolicyRow> rowsOf(std::string_view rest,
                              const config::EnvLookup& env = config::testing::fakeEnv()) {
  const config::Config config = testing::loadOrDie(std::string(kListener) + std::string(rest), env);
  return effectivePolicyRows(config.upstreams.at(0), config.provenance);
}

std::vector<std::string> keysOf(const std::vector<PolicyRow>& rows) {
  std::vector<std::string> keys;
  for (const PolicyRow& row : rows) keys.push_back(row.key);
  return keys;
}

TEST(EffectivePolicyTest, EverySectionAppearsOnceInRequestOrder) {
  const auto keys = keysOf(rowsOf("upstreams:\n  u: { endpoints: [ \"10.0.0.1:80\" ] }\n"));
  const std::vector<std::string> expected_order = {
      "endpoints",         "timeouts.connect", "timeouts.request",     "retry",
      "circuit_breaker",   "bulkhead",         "rate_limit",           "fallback",
      "outlier_detection", "health_check",     "pool.max_connections", "shadow"};
  size_t at = 0;
  for (const std::string& key : expected_order) {
    const auto found = std::find(keys.begin() + static_cast<long>(at), keys.end(), key);
    ASSERT_NE(found, keys.end()) << key << " missing or out of order";
    at = static_cast<size_t>(found - keys.begin());
  }
}

TEST(EffectivePolicyTest, BlocksThatAreOffAreOneRowWithTheirSource) {
  const auto rows = rowsOf("upstreams:\n  u: { endpoints: [ \"10.0.0.1:80\" ] }\n");
  EXPECT_THAT(rows, Contains(PolicyRow{"retry", "off (one attempt)", "default"}));
  EXPECT_THAT(rows, Contains(PolicyRow{"circuit_breaker", "off", "default"}));
  EXPECT_THAT(rows, Contains(PolicyRow{"rate_limit", "off", "default"}));
  EXPECT_THAT(rows, Contains(PolicyRow{"timeouts.per_try", "not set", "default"}));
}

TEST(EffectivePolicyTest, ValuesCarryTheirSource) {
  const auto rows = rowsOf(
      "defaults: { profile: batch, timeouts: { connect: 1s } }\n"
      "upstreams:\n"
      "  u:\n"
      "    endpoints: [ \"10.0.0.1:80\" ]\n"
      "    retry: { max_attempts: 2 }\n"
      "    rate_limit: { requests_per_second: 50 }\n"
      "    shadow: [ rate_limit ]\n");
  EXPECT_THAT(rows, Contains(PolicyRow{"timeouts.connect", "1s", "defaults"}));
  EXPECT_THAT(rows, Contains(PolicyRow{"timeouts.read", "5m", "profile batch (defaults)"}));
  EXPECT_THAT(rows, Contains(PolicyRow{"retry.max_attempts", "2", "upstream"}));
  EXPECT_THAT(rows,
              Contains(PolicyRow{"retry.backoff.multiplier", "1.5", "profile batch (defaults)"}));
  EXPECT_THAT(rows, Contains(PolicyRow{"retry.budget.ratio", "20%", "default"}));
  EXPECT_THAT(rows, Contains(PolicyRow{"rate_limit.requests_per_second",
                                       "50 (shadow: counted, not enforced)", "upstream"}));
  EXPECT_THAT(rows, Contains(PolicyRow{"rate_limit.burst", "50", "default"}));
  EXPECT_THAT(rows, Contains(PolicyRow{"bulkhead.max_queue", "100", "profile batch (defaults)"}));
  EXPECT_THAT(rows, Contains(PolicyRow{"shadow", "rate_limit", "upstream"}));
}

TEST(EffectivePolicyTest, EveryBlockThatIsOnShowsAllItsKeys) {
  const auto keys =
      keysOf(rowsOf("upstreams:\n"
                    "  u:\n"
                    "    endpoints: [ \"10.0.0.1:80\" ]\n"
                    "    circuit_breaker: { slow_call: { duration: 1s, rate: 50% } }\n"
                    "    bulkhead: {}\n"
                    "    outlier_detection: {}\n"
                    "    health_check: {}\n"
                    "    fallback: { stale_if_error: {}, response: { body: ok } }\n"));
  for (const char* key : {"circuit_breaker.failure_threshold",
                          "circuit_breaker.failure_rate",
                          "circuit_breaker.window",
                          "circuit_breaker.minimum_requests",
                          "circuit_breaker.slow_call.duration",
                          "circuit_breaker.slow_call.rate",
                          "circuit_breaker.open_for",
                          "circuit_breaker.half_open_probes",
                          "bulkhead.max_concurrent",
                          "bulkhead.max_queue",
                          "bulkhead.queue_timeout",
                          "outlier_detection.consecutive_failures",
                          "outlier_detection.base_ejection",
                          "outlier_detection.max_ejection",
                          "outlier_detection.max_ejected_percent",
                          "health_check.path",
                          "health_check.interval",
                          "health_check.timeout",
                          "health_check.healthy_threshold",
                          "health_check.unhealthy_threshold",
                          "fallback.stale_if_error.ttl",
                          "fallback.stale_if_error.max_entries",
                          "fallback.stale_if_error.max_body_bytes",
                          "fallback.response.status",
                          "fallback.response.content_type",
                          "fallback.response.body",
                          "pool.max_idle",
                          "pool.idle_timeout",
                          "pool.max_requests_per_connection",
                          "load_balancing",
                          "dns_refresh"}) {
    EXPECT_THAT(keys, Contains(key));
  }
}

TEST(EffectivePolicyTest, SecretValuesAreRedacted) {
  const auto rows = rowsOf(
      "upstreams:\n"
      "  u:\n"
      "    endpoints: [ \"10.0.0.1:80\", \"${PARTNER_KEY}:443\" ]\n"
      "    fallback: { response: { body: \"${BODY_TOKEN}\" } }\n",
      config::testing::fakeEnv({{"PARTNER_KEY", "hidden"}, {"BODY_TOKEN", "tok"}}));
  EXPECT_THAT(rows, Contains(PolicyRow{"endpoints", "10.0.0.1:80, <redacted>", "upstream"}));
  EXPECT_THAT(rows, Contains(PolicyRow{"fallback.response.body", "<redacted>", "upstream"}));
}

TEST(EffectivePolicyTest, AttemptsDependOnTheMethod) {
  const config::Config config = testing::loadOrDie(
      std::string(kListener) +
      "upstreams:\n"
      "  u: { endpoints: [ \"10.0.0.1:80\" ], retry: { max_attempts: 3 } }\n"
      "  all: { endpoints: [ \"10.0.0.2:80\" ], retry: { methods: all } }\n"
      "  no_connect: { endpoints: [ \"10.0.0.3:80\" ], retry: { retry_on: [ 503 ] } }\n"
      "  once: { endpoints: [ \"10.0.0.4:80\" ] }\n"
      "  single: { endpoints: [ \"10.0.0.5:80\" ], retry: { max_attempts: 1 } }\n");
  EXPECT_EQ(attemptsFor(*config.findUpstream("u"), "GET"), "up to 3 (GET is idempotent)");
  EXPECT_EQ(attemptsFor(*config.findUpstream("u"), "POST"),
            "1, or up to 3 when connecting fails (POST is not idempotent; an Idempotency-Key "
            "header makes it retryable)");
  EXPECT_EQ(attemptsFor(*config.findUpstream("all"), "POST"), "up to 3 (retry.methods is all)");
  EXPECT_EQ(attemptsFor(*config.findUpstream("no_connect"), "PATCH"),
            "1 (PATCH is not idempotent; an Idempotency-Key header makes it retryable)");
  EXPECT_EQ(attemptsFor(*config.findUpstream("once"), "GET"), "1 (no retry block)");
  EXPECT_EQ(attemptsFor(*config.findUpstream("single"), "GET"), "1 (retry.max_attempts is 1)");
}

TEST(EffectivePolicyTest, LongFallbackBodyIsShortenedOnOneLine) {
  const auto rows = rowsOf(
      "upstreams:\n"
      "  u:\n"
      "    endpoints: [ \"10.0.0.1:80\" ]\n"
      "    fallback: { response: { body: \"line1\\nline2 and a lot more text after it, really\" } "
      "}\n");
  EXPECT_THAT(rows,
              Contains(PolicyRow{"fallback.response.body",
                                 "'line1\\nline2 and a lot more text after it...'", "upstream"}));
  for (const PolicyRow& row : rows) EXPECT_THAT(row.value, Not(HasSubstr("\n")));
}

}  // namespace
}  // namespace outrigger::cli
