// Match conditions and precedence (issue 20), with routes loaded from YAML as operators write
// them.

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "proxy/routing/router.h"
#include "tests/unit/config/config_test_util.h"

// Requests are written with designated initializers that leave the rest at their defaults.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace outrigger::routing {
namespace {

// A router over `routes` (YAML list items, one per line); each route names its upstream
// after itself so tests read which one won.
Router routerFor(const std::string& routes) {
  std::string yaml =
      "upstreams:\n"
      "  a: { endpoints: [ \"10.0.0.1:80\" ] }\n"
      "  b: { endpoints: [ \"10.0.0.1:80\" ] }\n"
      "  c: { endpoints: [ \"10.0.0.1:80\" ] }\n"
      "  d: { endpoints: [ \"10.0.0.1:80\" ] }\n"
      "listeners:\n"
      "  - name: l\n"
      "    listen: 127.0.0.1:0\n"
      "    routes:\n" +
      routes;
  config::LoadResult r = config::testing::load(yaml);
  EXPECT_TRUE(r.ok()) << r.formatErrors() << "\n" << yaml;
  return Router(r.ok() ? r.config->listeners[0] : config::ListenerConfig{});
}

struct Request {
  std::string host = "svc";
  std::string path = "/";
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;
};

std::string upstreamFor(const Router& router, const Request& request) {
  http::Headers headers;
  for (const auto& [name, value] : request.headers) headers.add(name, value);
  const config::RouteConfig* r =
      router.match(RouteRequest{request.host, request.path, request.method, &headers});
  return r == nullptr ? "<none>" : r->upstream;
}

TEST(RouterMatchTest, WildcardDomainMatchesSubdomainsButNotTheDomainItself) {
  const Router router = routerFor("      - { match: { host: \"*.example.com\" }, upstream: a }\n");
  EXPECT_EQ(upstreamFor(router, {.host = "api.example.com"}), "a");
  EXPECT_EQ(upstreamFor(router, {.host = "A.B.Example.COM"}), "a");
  EXPECT_EQ(upstreamFor(router, {.host = "example.com"}), "<none>");
  EXPECT_EQ(upstreamFor(router, {.host = "badexample.com"}), "<none>");
}

TEST(RouterMatchTest, HostTiersExactThenLongestWildcardThenAny) {
  const Router router = routerFor(
      "      - { match: { path_prefix: /long/path }, upstream: d }\n"
      "      - { match: { host: \"*.com\" }, upstream: c }\n"
      "      - { match: { host: \"*.example.com\" }, upstream: b }\n"
      "      - { match: { host: api.example.com }, upstream: a }\n");
  EXPECT_EQ(upstreamFor(router, {.host = "api.example.com", .path = "/long/path"}), "a");
  EXPECT_EQ(upstreamFor(router, {.host = "web.example.com", .path = "/long/path"}), "b");
  EXPECT_EQ(upstreamFor(router, {.host = "other.com", .path = "/long/path"}), "c");
  EXPECT_EQ(upstreamFor(router, {.host = "other.org", .path = "/long/path"}), "d");
}

// Suffixes shorter than every wildcard domain are not looked up: the shortest host that can
// match still does, and a shorter one (an IP, say) falls through to the any-host routes.
TEST(RouterMatchTest, HostsAsShortAsTheShortestDomainStillMatchIt) {
  const Router router = routerFor(
      "      - { match: { host: \"*.example.com\" }, upstream: a }\n"
      "      - { match: { host: \"*.io\" }, upstream: b }\n"
      "      - { match: { path_prefix: / }, upstream: c }\n");
  EXPECT_EQ(upstreamFor(router, {.host = "x.io"}), "b");
  EXPECT_EQ(upstreamFor(router, {.host = "a.b.io"}), "b");
  EXPECT_EQ(upstreamFor(router, {.host = "x.example.com"}), "a");
  EXPECT_EQ(upstreamFor(router, {.host = ".io"}), "c");
  EXPECT_EQ(upstreamFor(router, {.host = "io"}), "c");
  EXPECT_EQ(upstreamFor(router, {.host = "127.0.0.1"}), "c");
}

TEST(RouterMatchTest, PathExactMatchesOnlyThatPath) {
  const Router router = routerFor("      - { match: { path_exact: /healthz }, upstream: a }\n");
  EXPECT_EQ(upstreamFor(router, {.path = "/healthz"}), "a");
  EXPECT_EQ(upstreamFor(router, {.path = "/healthz/"}), "<none>");
  EXPECT_EQ(upstreamFor(router, {.path = "/healthzz"}), "<none>");
  EXPECT_EQ(upstreamFor(router, {.path = "/"}), "<none>");
}

TEST(RouterMatchTest, MethodsMustIncludeTheRequestMethodExactly) {
  const Router router = routerFor("      - { match: { methods: [ POST, PUT ] }, upstream: a }\n");
  EXPECT_EQ(upstreamFor(router, {.method = "POST"}), "a");
  EXPECT_EQ(upstreamFor(router, {.method = "PUT"}), "a");
  EXPECT_EQ(upstreamFor(router, {.method = "GET"}), "<none>");
  EXPECT_EQ(upstreamFor(router, {.method = "post"}), "<none>");  // methods are case-sensitive
}

TEST(RouterMatchTest, HeaderValueIsExactAndItsNameCaseInsensitive) {
  const Router router =
      routerFor("      - { match: { headers: { x-tenant: gold } }, upstream: a }\n");
  EXPECT_EQ(upstreamFor(router, {.headers = {{"X-Tenant", "gold"}}}), "a");
  EXPECT_EQ(upstreamFor(router, {.headers = {{"x-tenant", "silver"}, {"x-tenant", "gold"}}}), "a");
  EXPECT_EQ(upstreamFor(router, {.headers = {{"x-tenant", "Gold"}}}), "<none>");
  EXPECT_EQ(upstreamFor(router, {.headers = {{"x-tenant", "gold2"}}}), "<none>");
  EXPECT_EQ(upstreamFor(router, {}), "<none>");
}

TEST(RouterMatchTest, HeaderPresenceAndAbsence) {
  const Router router = routerFor(
      "      - { match: { path_prefix: /p, headers: { x-debug: { present: true } } }, upstream: a "
      "}\n"
      "      - { match: { path_prefix: /q, headers: { x-debug: { present: false } } }, upstream: "
      "b }\n");
  EXPECT_EQ(upstreamFor(router, {.path = "/p", .headers = {{"X-Debug", ""}}}), "a");
  EXPECT_EQ(upstreamFor(router, {.path = "/p"}), "<none>");
  EXPECT_EQ(upstreamFor(router, {.path = "/q"}), "b");
  EXPECT_EQ(upstreamFor(router, {.path = "/q", .headers = {{"x-debug", "1"}}}), "<none>");
}

TEST(RouterMatchTest, EveryConditionMustHold) {
  const Router router = routerFor(
      "      - match: { host: payments, path_prefix: /v1/charges, methods: [ POST ], headers: { "
      "x-tenant: gold } }\n"
      "        upstream: a\n");
  const Request all{"payments", "/v1/charges/7", "POST", {{"x-tenant", "gold"}}};
  EXPECT_EQ(upstreamFor(router, all), "a");
  Request wrong = all;
  wrong.host = "users";
  EXPECT_EQ(upstreamFor(router, wrong), "<none>");
  wrong = all;
  wrong.path = "/v1/refunds";
  EXPECT_EQ(upstreamFor(router, wrong), "<none>");
  wrong = all;
  wrong.method = "GET";
  EXPECT_EQ(upstreamFor(router, wrong), "<none>");
  wrong = all;
  wrong.headers = {{"x-tenant", "silver"}};
  EXPECT_EQ(upstreamFor(router, wrong), "<none>");
}

TEST(RouterMatchTest, ExactPathBeatsAnyPrefixWhateverTheOrder) {
  const Router router = routerFor(
      "      - { match: { path_prefix: /healthz, methods: [ GET ] }, upstream: a }\n"
      "      - { match: { path_exact: /healthz }, upstream: b }\n");
  EXPECT_EQ(upstreamFor(router, {.path = "/healthz"}), "b");
  EXPECT_EQ(upstreamFor(router, {.path = "/healthz/deep"}), "a");
}

TEST(RouterMatchTest, LongestPrefixBeatsMoreConditions) {
  const Router router = routerFor(
      "      - { match: { path_prefix: /v1, methods: [ GET ], headers: { x-a: \"1\" } }, upstream: "
      "a }\n"
      "      - { match: { path_prefix: /v1/users }, upstream: b }\n");
  EXPECT_EQ(upstreamFor(router, {.path = "/v1/users/1", .headers = {{"x-a", "1"}}}), "b");
  EXPECT_EQ(upstreamFor(router, {.path = "/v1/items", .headers = {{"x-a", "1"}}}), "a");
}

TEST(RouterMatchTest, SamePrefixMoreConditionsWins) {
  const Router router = routerFor(
      "      - { match: { path_prefix: /v1 }, upstream: a }\n"
      "      - { match: { path_prefix: /v1, methods: [ POST ] }, upstream: b }\n"
      "      - { match: { path_prefix: /v1, methods: [ POST ], headers: { x-canary: \"1\" } }, "
      "upstream: c }\n");
  EXPECT_EQ(upstreamFor(router, {.path = "/v1", .method = "POST", .headers = {{"x-canary", "1"}}}),
            "c");
  EXPECT_EQ(upstreamFor(router, {.path = "/v1", .method = "POST"}), "b");
  EXPECT_EQ(upstreamFor(router, {.path = "/v1"}), "a");
}

TEST(RouterMatchTest, DeclarationOrderBreaksTies) {
  const Router router = routerFor(
      "      - { match: { path_prefix: /v1, methods: [ GET ] }, upstream: a }\n"
      "      - { match: { path_prefix: /v1, headers: { x-b: { present: true } } }, upstream: b "
      "}\n");
  EXPECT_EQ(upstreamFor(router, {.path = "/v1", .headers = {{"x-b", "1"}}}), "a");
  EXPECT_EQ(upstreamFor(router, {.path = "/v1", .method = "PUT", .headers = {{"x-b", "1"}}}), "b");
}

TEST(RouterMatchTest, ShortFormStillRoutesByHostAndPrefix) {
  const Router router = routerFor(
      "      - { host: payments, path_prefix: /v1, upstream: a }\n"
      "      - { path_prefix: /, upstream: b }\n");
  EXPECT_EQ(upstreamFor(router, {.host = "Payments", .path = "/v1/x"}), "a");
  EXPECT_EQ(upstreamFor(router, {.host = "payments", .path = "/v2"}), "b");
}

}  // namespace
}  // namespace outrigger::routing
