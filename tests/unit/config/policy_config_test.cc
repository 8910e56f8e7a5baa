// The resilience blocks of an upstream: profiles, explicit keys over them, and one bad input
// per rule with its exact message.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/config/config_test_util.h"

namespace outrigger::config {
namespace {

using ::testing::ElementsAre;
using testing::errorsOf;
using testing::withListener;

// Upstream "u" on lines 5-7; `extra` (indented by 4) is line 8.
std::string withPolicy(std::string_view extra) {
  return withListener("upstreams:\n  u:\n    endpoints: [ \"10.0.0.1:80\" ]\n" +
                      std::string(extra));
}

const UpstreamConfig& upstreamOf(const LoadResult& r) { return r.config->upstreams.at(0); }

TEST(PolicyConfigTest, NoBlocksMeansOneAttemptAndEveryPolicyOff) {
  const LoadResult r = testing::load(withPolicy(""));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  const PolicyConfig& p = upstreamOf(r).policies;
  EXPECT_FALSE(p.retry);
  EXPECT_FALSE(p.circuit_breaker);
  EXPECT_FALSE(p.bulkhead);
  EXPECT_FALSE(p.rate_limit);
  EXPECT_FALSE(p.outlier_detection);
  EXPECT_FALSE(p.fallback.response);
}

TEST(PolicyConfigTest, FastMicroserviceProfileHasTheDesignValues) {
  const LoadResult r = testing::load(withPolicy("    profile: fast-microservice\n"));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  const UpstreamConfig& u = upstreamOf(r);
  EXPECT_EQ(u.timeouts.connect, seconds(2));
  EXPECT_EQ(u.timeouts.read, seconds(5));
  EXPECT_EQ(u.timeouts.write, seconds(5));
  EXPECT_EQ(u.timeouts.pool, seconds(1));
  ASSERT_TRUE(u.policies.retry);
  EXPECT_EQ(u.policies.retry->policy.max_attempts, 2u);
  EXPECT_EQ(u.policies.retry->policy.backoff.initial, milliseconds(500));
  EXPECT_EQ(u.policies.retry->policy.backoff.max, seconds(10));
  EXPECT_EQ(u.policies.retry->policy.backoff.multiplier, 2.0);
  ASSERT_TRUE(u.policies.circuit_breaker);
  EXPECT_EQ(u.policies.circuit_breaker->failure_threshold, 3u);
  EXPECT_EQ(u.policies.circuit_breaker->open_for, seconds(10));
  ASSERT_TRUE(u.policies.bulkhead);
  EXPECT_EQ(u.policies.bulkhead->max_concurrent, 100u);
  EXPECT_EQ(u.policies.bulkhead->queue_timeout, seconds(5));
}

TEST(PolicyConfigTest, HighLatencyAndBatchProfilesHaveTheDesignValues) {
  const LoadResult high = testing::load(withPolicy("    profile: high-latency\n"));
  ASSERT_TRUE(high.ok()) << high.formatErrors();
  const UpstreamConfig& h = upstreamOf(high);
  EXPECT_EQ(h.timeouts.connect, seconds(30));
  EXPECT_EQ(h.timeouts.read, seconds(120));
  EXPECT_EQ(h.timeouts.write, seconds(60));
  EXPECT_EQ(h.timeouts.pool, seconds(15));
  EXPECT_EQ(h.policies.retry->policy.max_attempts, 5u);
  EXPECT_EQ(h.policies.retry->policy.backoff.initial, seconds(2));
  EXPECT_EQ(h.policies.retry->policy.backoff.max, seconds(300));
  EXPECT_EQ(h.policies.circuit_breaker->failure_threshold, 10u);
  EXPECT_EQ(h.policies.circuit_breaker->open_for, seconds(120));
  EXPECT_EQ(h.policies.bulkhead->max_concurrent, 20u);
  EXPECT_EQ(h.policies.bulkhead->queue_timeout, seconds(60));

  const LoadResult batch = testing::load(withPolicy("    profile: batch\n"));
  ASSERT_TRUE(batch.ok()) << batch.formatErrors();
  const UpstreamConfig& b = upstreamOf(batch);
  EXPECT_EQ(b.timeouts.connect, seconds(10));
  EXPECT_EQ(b.timeouts.read, seconds(300));
  EXPECT_EQ(b.timeouts.write, seconds(120));
  EXPECT_EQ(b.timeouts.pool, seconds(30));
  EXPECT_EQ(b.policies.retry->policy.max_attempts, 10u);
  EXPECT_EQ(b.policies.retry->policy.backoff.initial, seconds(5));
  EXPECT_EQ(b.policies.retry->policy.backoff.max, seconds(600));
  EXPECT_EQ(b.policies.retry->policy.backoff.multiplier, 1.5);
  EXPECT_EQ(b.policies.circuit_breaker->failure_threshold, 15u);
  EXPECT_EQ(b.policies.circuit_breaker->open_for, seconds(180));
  EXPECT_EQ(b.policies.bulkhead->max_concurrent, 5u);
  EXPECT_EQ(b.policies.bulkhead->queue_timeout, seconds(120));
}

TEST(PolicyConfigTest, ExplicitKeysOverrideTheProfileKeyByKey) {
  const LoadResult r = testing::load(withPolicy(
      "    profile: fast-microservice\n"
      "    timeouts: { read: 1s }\n"
      "    retry: { max_attempts: 4 }\n"));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  const UpstreamConfig& u = upstreamOf(r);
  EXPECT_EQ(u.timeouts.read, seconds(1));
  EXPECT_EQ(u.timeouts.connect, seconds(2));  // still the profile's
  EXPECT_EQ(u.policies.retry->policy.max_attempts, 4u);
  EXPECT_EQ(u.policies.retry->policy.backoff.initial, milliseconds(500));  // the profile's
}

TEST(PolicyConfigTest, ProfileInDefaultsAppliesToEveryUpstream) {
  const LoadResult r = testing::load(
      withListener("defaults: { profile: batch }\n"
                   "upstreams:\n  u:\n    endpoints: [ \"10.0.0.1:80\" ]\n"));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  EXPECT_EQ(upstreamOf(r).policies.profile, "batch");
  EXPECT_EQ(upstreamOf(r).policies.bulkhead->max_concurrent, 5u);
}

TEST(PolicyConfigTest, ZeroInitialBackoffIsAccepted) {
  // 0s asks for immediate retries (HAProxy's and linkerd2-proxy's way); the budget limits them.
  const LoadResult r = testing::load(withPolicy("    retry: { backoff: { initial: 0s } }\n"));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  EXPECT_EQ(upstreamOf(r).policies.retry->policy.backoff.initial, Duration::zero());
  EXPECT_EQ(upstreamOf(r).policies.retry->policy.backoff.max, seconds(1));
}

TEST(PolicyConfigTest, FullBlocksAreRead) {
  const LoadResult r = testing::load(withPolicy(
      "    retry:\n"
      "      max_attempts: 3\n"
      "      backoff: { initial: 25ms, max: 1s, multiplier: 2, jitter: none }\n"
      "      retry_on: [ connect_failed, 503 ]\n"
      "      methods: all\n"
      "      max_body_bytes: 1KiB\n"
      "      budget: { ratio: 10%, min_per_second: 5, window: 20s }\n"
      "      respect_retry_after: false\n"
      "    circuit_breaker: { failure_rate: 50%, window: 10s, minimum_requests: 20, "
      "slow_call: { duration: 2s, rate: 80% }, open_for: 30s, half_open_probes: 2 }\n"
      "    bulkhead: { max_concurrent: 50, max_queue: 100, queue_timeout: 1s }\n"
      "    rate_limit: { requests_per_second: 200, burst: 50 }\n"
      "    outlier_detection: { consecutive_failures: 5, base_ejection: 30s, "
      "max_ejection: 300s, max_ejected_percent: 50% }\n"
      "    fallback:\n"
      "      stale_if_error: { ttl: 60s, max_entries: 1000, max_body_bytes: 1MiB }\n"
      "      response: { status: 503, content_type: application/json, body: '{\"d\":1}' }\n"
      "    shadow: [ circuit_breaker, rate_limit ]\n"));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  const PolicyConfig& p = upstreamOf(r).policies;
  EXPECT_EQ(p.retry->policy.backoff.jitter, policy::Jitter::kNone);
  EXPECT_TRUE(p.retry->policy.retry_on.connect_failed);
  EXPECT_FALSE(p.retry->policy.retry_on.reset);
  EXPECT_TRUE(p.retry->policy.retry_on.statuses.test(503));
  EXPECT_FALSE(p.retry->policy.retry_on.statuses.test(502));
  EXPECT_EQ(p.retry->policy.methods, policy::RetryMethods::kAll);
  EXPECT_EQ(p.retry->policy.max_body_bytes, 1024u);
  EXPECT_DOUBLE_EQ(p.retry->budget.ratio, 0.1);
  EXPECT_FALSE(p.retry->policy.respect_retry_after);
  EXPECT_DOUBLE_EQ(p.circuit_breaker->failure_rate, 0.5);
  EXPECT_EQ(p.circuit_breaker->slow_call_duration, seconds(2));
  EXPECT_EQ(p.circuit_breaker->half_open_probes, 2u);
  EXPECT_EQ(p.bulkhead->max_queue, 100u);
  EXPECT_DOUBLE_EQ(p.rate_limit->burst, 50);
  EXPECT_EQ(p.outlier_detection->max_ejection, seconds(300));
  EXPECT_EQ(p.fallback.stale_if_error->max_entries, 1000u);
  EXPECT_EQ(p.fallback.response->body, "{\"d\":1}");
  EXPECT_TRUE(p.shadow.circuit_breaker);
  EXPECT_TRUE(p.shadow.rate_limit);
  EXPECT_FALSE(p.shadow.bulkhead);
}

TEST(PolicyConfigTest, RetryOnTakesGrpcStatusNames) {
  const LoadResult r = testing::load(withPolicy(
      "    retry: { retry_on: [ connect_failed, unavailable, resource_exhausted, 503 ] }\n"));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  const policy::RetryOn& on = upstreamOf(r).policies.retry->policy.retry_on;
  EXPECT_TRUE(on.grpc_statuses.test(14));  // unavailable
  EXPECT_TRUE(on.grpc_statuses.test(8));   // resource_exhausted
  EXPECT_FALSE(on.grpc_statuses.test(4));  // deadline_exceeded: not listed
  EXPECT_TRUE(on.statuses.test(503));
}

TEST(PolicyConfigTest, TheDefaultRetryOnCountsUnavailable) {
  const LoadResult r = testing::load(withPolicy("    retry: { max_attempts: 2 }\n"));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  const policy::RetryOn& on = upstreamOf(r).policies.retry->policy.retry_on;
  EXPECT_TRUE(on.grpc_statuses.test(14));
  EXPECT_EQ(on.grpc_statuses.count(), 1u);
}

struct BadPolicy {
  const char* yaml;
  const char* error;
};

class PolicyErrorTest : public ::testing::TestWithParam<BadPolicy> {};

TEST_P(PolicyErrorTest, IsRejectedWithAPositionedMessage) {
  EXPECT_THAT(errorsOf(withPolicy(GetParam().yaml)), ElementsAre(GetParam().error));
}

INSTANTIATE_TEST_SUITE_P(
    EveryRule, PolicyErrorTest,
    ::testing::Values(
        BadPolicy{"    retry: { max_attempts: 0 }\n",
                  "test.yaml:8:28: upstreams.u.retry.max_attempts: must be at least 1, got '0'"},
        BadPolicy{"    retry: { backoff: { initial: 2s, max: 1s } }\n",
                  "test.yaml:8:23: upstreams.u.retry.backoff: backoff.max must be at least "
                  "backoff.initial"},
        BadPolicy{"    retry: { backoff: { initial: -1ms } }\n",
                  "test.yaml:8:34: upstreams.u.retry.backoff.initial: a duration cannot be "
                  "negative, got '-1ms'"},
        BadPolicy{"    retry: { backoff: { multiplier: 0.5 } }\n",
                  "test.yaml:8:37: upstreams.u.retry.backoff.multiplier: must be at least 1, "
                  "got '0.5'"},
        BadPolicy{"    retry: { retry_on: [ 304 ] }\n",
                  "test.yaml:8:26: upstreams.u.retry.retry_on[0]: only 4xx and 5xx statuses can "
                  "be retried, got '304'"},
        BadPolicy{"    retry: { retry_on: [ sometimes ] }\n",
                  "test.yaml:8:26: upstreams.u.retry.retry_on[0]: expected connect_failed, "
                  "reset, timeout, a 4xx or 5xx status or a gRPC status name (unavailable, "
                  "deadline_exceeded...), got 'sometimes'"},
        BadPolicy{"    retry: { retry_on: [ unavailble ] }\n",
                  "test.yaml:8:26: upstreams.u.retry.retry_on[0]: expected connect_failed, "
                  "reset, timeout, a 4xx or 5xx status or a gRPC status name (unavailable, "
                  "deadline_exceeded...), got 'unavailble' (did you mean 'unavailable'?)"},
        BadPolicy{"    retry: { retry_on: [ ok ] }\n",
                  "test.yaml:8:26: upstreams.u.retry.retry_on[0]: expected connect_failed, "
                  "reset, timeout, a 4xx or 5xx status or a gRPC status name (unavailable, "
                  "deadline_exceeded...), got 'ok'"},
        BadPolicy{"    retry: { methods: some }\n",
                  "test.yaml:8:23: upstreams.u.retry.methods: expected one of idempotent or all, "
                  "got 'some'"},
        BadPolicy{"    retry: { budget: { ratio: 150% } }\n",
                  "test.yaml:8:31: upstreams.u.retry.budget.ratio: a percentage must be between "
                  "0% and 100%, got '150%'"},
        BadPolicy{"    circuit_breaker: { failure_threshold: 0 }\n",
                  "test.yaml:8:22: upstreams.u.circuit_breaker: nothing can open this breaker: "
                  "set failure_threshold, failure_rate or slow_call"},
        BadPolicy{"    circuit_breaker: { failure_rate: 50%, half_open_probes: 0 }\n",
                  "test.yaml:8:61: upstreams.u.circuit_breaker.half_open_probes: must be at "
                  "least 1, got '0'"},
        BadPolicy{"    circuit_breaker: { slow_call: { duration: 2s } }\n",
                  "test.yaml:8:35: upstreams.u.circuit_breaker.slow_call: missing required key "
                  "'rate'"},
        BadPolicy{"    bulkhead: { max_concurrent: 0 }\n",
                  "test.yaml:8:33: upstreams.u.bulkhead.max_concurrent: must be at least 1, got "
                  "'0'"},
        BadPolicy{"    rate_limit: { burst: 5 }\n",
                  "test.yaml:8:17: upstreams.u.rate_limit: missing required key "
                  "'requests_per_second'"},
        BadPolicy{"    rate_limit: { requests_per_second: -1 }\n",
                  "test.yaml:8:40: upstreams.u.rate_limit.requests_per_second: expected a number "
                  "greater than 0, got '-1'"},
        BadPolicy{"    outlier_detection: { base_ejection: 10s, max_ejection: 5s }\n",
                  "test.yaml:8:24: upstreams.u.outlier_detection: max_ejection must be at least "
                  "base_ejection"},
        BadPolicy{"    outlier_detection: { max_ejected_percent: 120% }\n",
                  "test.yaml:8:47: upstreams.u.outlier_detection.max_ejected_percent: a "
                  "percentage must be between 0% and 100%, got '120%'"},
        BadPolicy{"    fallback: { response: { status: 99 } }\n",
                  "test.yaml:8:37: upstreams.u.fallback.response.status: must be at least 200, "
                  "got '99'"},
        BadPolicy{"    fallback: { stale_if_error: { ttl: 0s } }\n",
                  "test.yaml:8:40: upstreams.u.fallback.stale_if_error.ttl: must be greater than "
                  "0, got '0s'"},
        BadPolicy{"    shadow: [ retry ]\n",
                  "test.yaml:8:15: upstreams.u.shadow[0]: expected one of circuit_breaker, "
                  "rate_limit or bulkhead, got 'retry'"},
        BadPolicy{"    profile: turbo\n",
                  "test.yaml:8:14: upstreams.u.profile: expected one of fast-microservice, "
                  "high-latency or batch, got 'turbo'"},
        BadPolicy{"    tls: { cert_file: c.pem }\n",
                  "test.yaml:8:10: upstreams.u.tls: a client certificate needs both cert_file "
                  "and key_file; key_file is missing"},
        BadPolicy{"    tls: { key_file: k.pem }\n",
                  "test.yaml:8:10: upstreams.u.tls: a client certificate needs both cert_file "
                  "and key_file; cert_file is missing"},
        BadPolicy{"    tls: { min_version: 1.1 }\n",
                  "test.yaml:8:25: upstreams.u.tls.min_version: expected one of 1.2 or 1.3, got "
                  "'1.1' (did you mean '1.2'?)"},
        BadPolicy{"    tls: { verify: maybe }\n",
                  "test.yaml:8:20: upstreams.u.tls.verify: expected true or false, got 'maybe'"},
        BadPolicy{"    tls: { ca_file: '' }\n",
                  "test.yaml:8:21: upstreams.u.tls.ca_file: must name a file; leave the key out "
                  "instead"},
        BadPolicy{"    tls: { sni: 'a b' }\n",
                  "test.yaml:8:17: upstreams.u.tls.sni: must be a host name, got 'a b'"},
        BadPolicy{"    tls: { verify: false, ca_file: ca.pem }\n",
                  "test.yaml:8:36: upstreams.u.tls.ca_file: ca_file is unused with verify: false; "
                  "remove one of them"},
        BadPolicy{
            "    tls: { ca_flie: ca.pem }\n",
            "test.yaml:8:12: upstreams.u.tls: unknown key 'ca_flie' (did you mean 'ca_file'?)"}));

}  // namespace
}  // namespace outrigger::config
