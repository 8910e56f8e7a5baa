// A route's own timeouts and retry (issue 20, item 2): read, merged key by key over the
// upstream's, rendered back, and each bad input reported at its position.

#include "proxy/config/route_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "proxy/config/policies.h"
#include "proxy/config/render.h"
#include "proxy/routing/router.h"
#include "tests/unit/config/config_test_util.h"

namespace outrigger::config {
namespace {

using ::testing::ElementsAre;
using testing::errorsOf;
using ::testing::HasSubstr;

// The upstream retries 3 times with a 10s request timeout; the route is on line 10, column 9.
std::string withRoute(std::string_view route) {
  return "upstreams:\n"
         "  payments:\n"
         "    endpoints: [ \"10.0.0.1:80\" ]\n"
         "    timeouts: { request: 10s, read: 4s }\n"
         "    retry: { max_attempts: 3, backoff: { initial: 10ms, max: 100ms } }\n"
         "listeners:\n"
         "  - name: out\n"
         "    listen: 127.0.0.1:0\n"
         "    routes:\n"
         "      - " +
         std::string(route) + "\n";
}

TEST(RoutePolicyTest, RouteKeysMergeOverTheUpstreamsKeyByKey) {
  const LoadResult r = testing::load(withRoute(
      "{ upstream: payments, timeouts: { request: 1s, per_try: 300ms }, retry: { max_attempts: "
      "1, backoff: { max: 50ms }, retry_on: [ reset, 503 ] } }"));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  const RouteConfig& route = r.config->listeners[0].routes[0];
  const UpstreamConfig& upstream = r.config->upstreams[0];
  const TimeoutsConfig t = effectiveTimeouts(upstream.timeouts, route.timeouts);
  EXPECT_EQ(t.request, seconds(1));
  EXPECT_EQ(t.per_try, milliseconds(300));
  EXPECT_EQ(t.read, seconds(4));  // the upstream's: the route does not set it
  EXPECT_EQ(t.connect, upstream.timeouts.connect);
  ASSERT_TRUE(route.retry);
  const policy::RetryPolicyConfig p = effectiveRetry(upstream.policies, *route.retry);
  EXPECT_EQ(p.max_attempts, 1u);
  EXPECT_EQ(p.backoff.initial, milliseconds(10));  // the upstream's
  EXPECT_EQ(p.backoff.max, milliseconds(50));
  EXPECT_TRUE(p.retry_on.reset);
  EXPECT_FALSE(p.retry_on.connect_failed);
  EXPECT_TRUE(p.retry_on.statuses.test(503));
  EXPECT_FALSE(p.retry_on.statuses.test(502));
  EXPECT_THAT(routeOverrideKeys(route),
              ElementsAre("timeouts.per_try", "timeouts.request", "retry.max_attempts",
                          "retry.backoff.max", "retry.retry_on"));
  // The router builds the merged policy once, for the request path to read.
  const routing::Router router(r.config->listeners[0], r.config->upstreams);
  const RouteConfig* matched = router.match("any", "/x");
  ASSERT_NE(matched, nullptr);
  const routing::RouteOverrides& built = router.targetsOf(matched)[0].overrides;
  ASSERT_TRUE(built.timeouts && built.retry);
  EXPECT_EQ(built.timeouts->request, seconds(1));
  EXPECT_EQ(built.retry->config().max_attempts, 1u);
}

TEST(RoutePolicyTest, RouteWithoutOverridesChangesNothing) {
  const LoadResult r = testing::load(withRoute("{ upstream: payments }"));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  const routing::Router router(r.config->listeners[0], r.config->upstreams);
  const routing::RouteOverrides& built = router.targetsOf(router.match("any", "/"))[0].overrides;
  EXPECT_FALSE(built.timeouts);
  EXPECT_FALSE(built.retry);
  EXPECT_TRUE(routeOverrideKeys(r.config->listeners[0].routes[0]).empty());
}

TEST(RoutePolicyTest, RetryOnARouteOfAnUpstreamWithoutRetryStartsFromTheBlockDefaults) {
  const LoadResult r = testing::load(
      "upstreams:\n  plain: { endpoints: [ \"10.0.0.1:80\" ] }\n"
      "listeners:\n  - name: out\n    listen: 127.0.0.1:0\n    routes:\n"
      "      - { upstream: plain, retry: { max_attempts: 2 } }\n");
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  const policy::RetryPolicyConfig p =
      effectiveRetry(r.config->upstreams[0].policies, *r.config->listeners[0].routes[0].retry);
  EXPECT_EQ(p.max_attempts, 2u);
  EXPECT_EQ(p.retry_on, defaultRetry().policy.retry_on);
}

TEST(RoutePolicyTest, RenderedRouteLoadsBackTheSame) {
  const LoadResult r = testing::load(withRoute(
      "{ upstream: payments, timeouts: { request: none, read: 2s }, retry: { methods: all, "
      "backoff: { jitter: none }, respect_retry_after: false } }"));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  const std::string yaml = renderConfigYaml(*r.config);
  const LoadResult again = testing::load(yaml);
  ASSERT_TRUE(again.ok()) << again.formatErrors() << yaml;
  EXPECT_EQ(again.config->listeners, r.config->listeners);
}

TEST(RoutePolicyTest, BudgetStaysTheUpstreams) {
  EXPECT_THAT(
      errorsOf(withRoute("{ upstream: payments, retry: { budget: { ratio: 50% } } }")),
      ElementsAre("test.yaml:10:40: listeners[0].routes[0].retry: the retry budget protects the "
                  "upstream, so it is set on the upstream, not on a route"));
}

TEST(RoutePolicyTest, ConnectAndPoolAreNotRouteKeys) {
  EXPECT_THAT(errorsOf(withRoute("{ upstream: payments, timeouts: { connect: 1s } }")),
              ElementsAre("test.yaml:10:43: listeners[0].routes[0].timeouts: unknown key 'connect' "
                          "(expected one of: request, per_try, read, write)"));
}

TEST(RoutePolicyTest, PerTryOverTheMergedRequestTimeout) {
  EXPECT_THAT(
      errorsOf(withRoute("{ upstream: payments, timeouts: { per_try: 20s } }")),
      ElementsAre("test.yaml:10:41: listeners[0].routes[0].timeouts: per_try (20s) must not be "
                  "longer than request (10s) once merged over upstream 'payments'"));
}

TEST(RoutePolicyTest, BackoffThatOnlyBreaksOnceMerged) {
  EXPECT_THAT(
      errorsOf(withRoute("{ upstream: payments, retry: { backoff: { initial: 1s } } }")),
      ElementsAre("test.yaml:10:38: listeners[0].routes[0].retry: backoff.max must be at least "
                  "backoff.initial once merged over upstream 'payments'"));
}

TEST(RoutePolicyTest, DirectResponseTakesNoPolicy) {
  EXPECT_THAT(
      errorsOf(withRoute("{ direct_response: { status: 200 }, retry: { max_attempts: 1 "
                         "} }")),
      ElementsAre("test.yaml:10:45: listeners[0].routes[0]: a route with direct_response makes no "
                  "upstream request, so 'retry' would do nothing"));
}

TEST(RoutePolicyTest, BadValuesAreReportedAtTheirKey) {
  EXPECT_THAT(
      errorsOf(withRoute("{ upstream: payments, retry: { max_attempts: 0, retry_on: [ "
                         "503 ] }, timeouts: { request: soon } }")),
      ElementsAre("test.yaml:10:54: listeners[0].routes[0].retry.max_attempts: must be at least 1, "
                  "got '0'",
                  "test.yaml:10:99: listeners[0].routes[0].timeouts.request: expected a "
                  "duration like 250ms, 2s or 1m, or none, got 'soon'"));
}

TEST(RoutePolicyTest, RouteFallbackMergesKeyByKeyAndCanTurnPartsOff) {
  FallbackConfig upstream;
  upstream.stale_if_error = StaleIfErrorConfig{};
  upstream.response = StaticResponseConfig{503, "application/json", "{\"degraded\":true}", {}, ""};
  RouteFallback route;
  route.body = "[]";
  FallbackConfig merged = effectiveFallback(upstream, route);
  ASSERT_TRUE(merged.response);
  EXPECT_EQ(merged.response->status, 503);  // the upstream's
  EXPECT_EQ(merged.response->body, "[]");
  EXPECT_TRUE(merged.stale_if_error);
  route = RouteFallback{};
  route.stale_off = true;
  route.response_off = true;
  merged = effectiveFallback(upstream, route);
  EXPECT_FALSE(merged.stale_if_error);
  EXPECT_FALSE(merged.response);
  // Over an upstream with no fallback, the route's keys go over the built-in response.
  route = RouteFallback{};
  route.status = 200;
  merged = effectiveFallback(FallbackConfig{}, route);
  ASSERT_TRUE(merged.response);
  EXPECT_EQ(merged.response->status, 200);
  EXPECT_EQ(merged.response->content_type, "application/json");
}

TEST(RoutePolicyTest, RouteFallbackIsReadRenderedAndChecked) {
  const LoadResult r = testing::load(withRoute(
      "{ upstream: payments, fallback: { stale_if_error: off, response: { status: 200 } } }"));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  const RouteFallback& f = r.config->listeners[0].routes[0].fallback;
  EXPECT_TRUE(f.stale_off);
  EXPECT_EQ(f.status, 200);
  EXPECT_THAT(routeOverrideKeys(r.config->listeners[0].routes[0]),
              ElementsAre("fallback.stale_if_error", "fallback.response.status"));
  const LoadResult again = testing::load(renderConfigYaml(*r.config));
  ASSERT_TRUE(again.ok()) << again.formatErrors();
  EXPECT_EQ(again.config->listeners[0].routes[0].fallback, f);
  EXPECT_THAT(
      errorsOf(withRoute("{ upstream: payments, fallback: { stale_if_error: { ttl: 1s } } }")),
      ElementsAre(HasSubstr("listeners[0].routes[0].fallback.stale_if_error: stale copies "
                            "are kept per upstream")));
  EXPECT_THAT(
      errorsOf(withRoute("{ direct_response: { status: 200 }, fallback: { response: off } }")),
      ElementsAre(HasSubstr("would do nothing")));
}

}  // namespace
}  // namespace outrigger::config
