// One bad input per route match and rewrite rule (issue 20), each checked against the exact
// message and position.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/config/config_test_util.h"

namespace outrigger::config {
namespace {

using ::testing::ElementsAre;
using testing::errorsOf;

// A listener on line 4 with its first route on line 7, column 9.
std::string withRoute(std::string_view route) {
  return "upstreams:\n"
         "  payments: { endpoints: [ \"10.0.0.1:80\" ] }\n"
         "listeners:\n"
         "  - name: out\n"
         "    listen: 127.0.0.1:0\n"
         "    routes:\n"
         "      - " +
         std::string(route) + "\n";
}

TEST(ConfigRouteErrorsTest, MatchBlockAcceptsEveryCondition) {
  const LoadResult r = testing::load(withRoute(
      "{ match: { host: \"*.Example.com\", path_exact: /healthz, methods: [ GET, POST, GET ], "
      "headers: { X-Tenant: gold, x-debug: { present: true } } }, upstream: payments }"));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  const RouteConfig& route = r.config->listeners[0].routes[0];
  EXPECT_EQ(route.host, "*.example.com");
  EXPECT_EQ(route.path_exact, "/healthz");
  EXPECT_EQ(route.methods, (std::vector<std::string>{"GET", "POST"}));
  ASSERT_EQ(route.headers.size(), 2u);
  EXPECT_EQ(route.headers[0].name, "x-debug");
  EXPECT_EQ(route.headers[0].kind, HeaderMatch::Kind::kPresent);
  EXPECT_EQ(route.headers[1].name, "x-tenant");
  EXPECT_EQ(route.headers[1].value, "gold");
  EXPECT_EQ(route.name, "routes[0]");
}

TEST(ConfigRouteErrorsTest, ShortFormKeysBesideMatch) {
  EXPECT_THAT(errorsOf(withRoute("{ host: a, match: { path_prefix: /x }, upstream: payments }")),
              ElementsAre("test.yaml:7:11: listeners[0].routes[0]: 'host' belongs inside match: "
                          "when the route has one"));
}

TEST(ConfigRouteErrorsTest, UnknownMatchKey) {
  EXPECT_THAT(errorsOf(withRoute("{ match: { path: /x }, upstream: payments }")),
              ElementsAre("test.yaml:7:20: listeners[0].routes[0].match: unknown key 'path' "
                          "(did you mean 'path_prefix'?)"));
}

TEST(ConfigRouteErrorsTest, PathExactAndPrefixTogether) {
  EXPECT_THAT(
      errorsOf(withRoute("{ match: { path_prefix: /a, path_exact: /b }, upstream: payments }")),
      ElementsAre("test.yaml:7:49: listeners[0].routes[0].match.path_exact: use path_exact or "
                  "path_prefix, not both"));
}

TEST(ConfigRouteErrorsTest, PathExactWithQuery) {
  EXPECT_THAT(errorsOf(withRoute("{ match: { path_exact: \"/a?b\" }, upstream: payments }")),
              ElementsAre("test.yaml:7:32: listeners[0].routes[0].match.path_exact: is compared "
                          "with the path without its query, so it cannot contain '?' or '#', got "
                          "'/a?b'"));
}

TEST(ConfigRouteErrorsTest, LowerCaseMethod) {
  EXPECT_THAT(errorsOf(withRoute("{ match: { methods: [ post ] }, upstream: payments }")),
              ElementsAre("test.yaml:7:31: listeners[0].routes[0].match.methods[0]: methods are "
                          "compared exactly and written in capitals, got 'post' (did you mean "
                          "'POST'?)"));
}

TEST(ConfigRouteErrorsTest, EmptyMethods) {
  EXPECT_THAT(errorsOf(withRoute("{ match: { methods: [] }, upstream: payments }")),
              ElementsAre("test.yaml:7:29: listeners[0].routes[0].match.methods: must list at "
                          "least one method (leave methods out to match any method)"));
}

TEST(ConfigRouteErrorsTest, HeaderConditionNeitherValueNorPresence) {
  EXPECT_THAT(errorsOf(withRoute("{ match: { headers: { x-a: [ 1 ] } }, upstream: payments }")),
              ElementsAre("test.yaml:7:36: listeners[0].routes[0].match.headers.x-a: expected a "
                          "value to compare, or { present: true }, got a list"));
}

TEST(ConfigRouteErrorsTest, HeaderPresenceUnknownKey) {
  EXPECT_THAT(
      errorsOf(withRoute("{ match: { headers: { x-a: { exists: true } } }, upstream: payments }")),
      ElementsAre("test.yaml:7:36: listeners[0].routes[0].match.headers.x-a: missing required key "
                  "'present'",
                  "test.yaml:7:38: listeners[0].routes[0].match.headers.x-a: unknown key "
                  "'exists' (expected one of: present)"));
}

TEST(ConfigRouteErrorsTest, WildcardHostOnlyAsLeadingLabel) {
  EXPECT_THAT(errorsOf(withRoute("{ match: { host: \"api.*.com\" }, upstream: payments }")),
              ElementsAre("test.yaml:7:26: listeners[0].routes[0].match.host: '*' is only allowed "
                          "on its own, to match any host, or as '*.' before a domain "
                          "('*.example.com'), got 'api.*.com'"));
}

TEST(ConfigRouteErrorsTest, DuplicateMatchWithConditions) {
  EXPECT_THAT(
      errorsOf(withRoute("{ match: { path_exact: /a, methods: [ GET ] }, upstream: payments }\n"
                         "      - { match: { path_exact: /a, methods: [ GET ] }, upstream: "
                         "payments }")),
      ElementsAre("test.yaml:8:9: listeners[0].routes[1]: duplicate route: host '*' with "
                  "path_exact '/a', the same methods is already routed by routes[0]"));
}

TEST(ConfigRouteErrorsTest, SamePrefixDifferentMethodsIsNoDuplicate) {
  EXPECT_THAT(errorsOf(withRoute("{ match: { path_prefix: /a, methods: [ GET ] }, upstream: "
                                 "payments }\n"
                                 "      - { path_prefix: /a, upstream: payments }")),
              ElementsAre());
}

TEST(ConfigRouteErrorsTest, RouteNames) {
  EXPECT_THAT(errorsOf(withRoute("{ name: \"a b\", upstream: payments }")),
              ElementsAre("test.yaml:7:17: listeners[0].routes[0].name: invalid route name 'a b': "
                          "use only letters, digits, '_', '.' and '-'"));
  EXPECT_THAT(errorsOf(withRoute("{ name: x, path_prefix: /a, upstream: payments }\n"
                                 "      - { name: x, path_prefix: /b, upstream: payments }")),
              ElementsAre("test.yaml:8:17: listeners[0].routes[1].name: route name 'x' is already "
                          "used by routes[0]"));
}

}  // namespace
}  // namespace outrigger::config
