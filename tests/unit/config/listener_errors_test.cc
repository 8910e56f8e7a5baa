// One bad input per listener and route rule, each checked against the exact message.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/config/config_test_util.h"

namespace outrigger::config {
namespace {

using ::testing::ElementsAre;
using testing::errorsOf;

// Lines 1-2; listeners start on line 3.
constexpr std::string_view kUpstreams =
    "upstreams:\n"
    "  payments: { endpoints: [ \"10.0.0.1:80\" ] }\n";

std::string withUpstreams(std::string_view listeners) {
  return std::string(kUpstreams) + "listeners:\n" + std::string(listeners);
}

// A listener on line 4 with one route to `route` on line 7.
std::string withRoute(std::string_view route) {
  return withUpstreams(
      "  - name: out\n"
      "    listen: 127.0.0.1:0\n"
      "    routes:\n"
      "      - " +
      std::string(route) + "\n");
}

TEST(ConfigListenerErrorsTest, NameMissing) {
  EXPECT_THAT(
      errorsOf(withUpstreams("  - listen: 127.0.0.1:0\n    routes: [ { upstream: payments } ]\n")),
      ElementsAre("test.yaml:4:5: listeners[0]: missing required key 'name'"));
}

TEST(ConfigListenerErrorsTest, NameWithInvalidCharacters) {
  EXPECT_THAT(errorsOf(withUpstreams("  - name: my listener\n    listen: 127.0.0.1:0\n"
                                     "    routes: [ { upstream: payments } ]\n")),
              ElementsAre("test.yaml:4:11: listeners[0].name: invalid listener name 'my listener': "
                          "use only letters, digits, '_', '.' and '-'"));
}

TEST(ConfigListenerErrorsTest, NameUsedTwice) {
  EXPECT_THAT(errorsOf(withUpstreams(
                  "  - { name: a, listen: 127.0.0.1:0, routes: [ { upstream: payments } ] }\n"
                  "  - { name: a, listen: 127.0.0.1:0, routes: [ { upstream: payments } ] }\n")),
              ElementsAre("test.yaml:5:13: listeners[1].name: listener name 'a' is already used by "
                          "listeners[0]"));
}

TEST(ConfigListenerErrorsTest, ListenMissing) {
  EXPECT_THAT(errorsOf(withUpstreams("  - name: out\n    routes: [ { upstream: payments } ]\n")),
              ElementsAre("test.yaml:4:5: listeners[0]: missing required key 'listen'"));
}

TEST(ConfigListenerErrorsTest, ListenPortOutOfRange) {
  EXPECT_THAT(errorsOf(withUpstreams("  - name: out\n    listen: 127.0.0.1:70000\n"
                                     "    routes: [ { upstream: payments } ]\n")),
              ElementsAre("test.yaml:5:13: listeners[0].listen: port must be between 0 and 65535, "
                          "got '70000'"));
}

TEST(ConfigListenerErrorsTest, TwoListenersOnTheSameAddress) {
  EXPECT_THAT(
      errorsOf(withUpstreams(
          "  - { name: a, listen: 127.0.0.1:15001, routes: [ { upstream: payments } ] }\n"
          "  - { name: b, listen: 127.0.0.1:15001, routes: [ { upstream: payments } ] }\n")),
      ElementsAre("test.yaml:5:24: listeners[1].listen: address 127.0.0.1:15001 is already "
                  "used by listener 'a'"));
}

TEST(ConfigListenerErrorsTest, ListenerOnTheAdminAddress) {
  EXPECT_THAT(errorsOf(withUpstreams(
                  "  - { name: a, listen: 127.0.0.1:9901, routes: [ { upstream: payments } ] }\n")),
              ElementsAre("test.yaml:4:24: listeners[0].listen: address 127.0.0.1:9901 is already "
                          "used by the admin listener"));
}

TEST(ConfigListenerErrorsTest, RoutesMissing) {
  EXPECT_THAT(errorsOf(withUpstreams("  - name: out\n    listen: 127.0.0.1:0\n")),
              ElementsAre("test.yaml:4:5: listeners[0]: missing required key 'routes'"));
}

TEST(ConfigListenerErrorsTest, RoutesEmpty) {
  EXPECT_THAT(errorsOf(withUpstreams("  - name: out\n    listen: 127.0.0.1:0\n    routes: []\n")),
              ElementsAre("test.yaml:6:13: listeners[0].routes: at least one route is required"));
}

TEST(ConfigListenerErrorsTest, ListenerNotAMap) {
  EXPECT_THAT(errorsOf(withUpstreams("  - 127.0.0.1:15001\n")),
              ElementsAre("test.yaml:4:5: listeners[0]: expected a map with name, listen and "
                          "routes, got '127.0.0.1:15001'"));
}

TEST(ConfigListenerErrorsTest, UnknownListenerKey) {
  EXPECT_THAT(errorsOf(withUpstreams("  - name: out\n    listen: 127.0.0.1:0\n"
                                     "    route: [ { upstream: payments } ]\n")),
              ElementsAre("test.yaml:4:5: listeners[0]: missing required key 'routes'",
                          "test.yaml:6:5: listeners[0]: unknown key 'route' (did you mean "
                          "'routes'?)"));
}

TEST(ConfigListenerErrorsTest, MaxRequestHeadTooLarge) {
  EXPECT_THAT(errorsOf(withUpstreams("  - name: out\n    listen: 127.0.0.1:0\n"
                                     "    routes: [ { upstream: payments } ]\n"
                                     "    limits: { max_request_head: 2MiB }\n")),
              ElementsAre("test.yaml:7:33: listeners[0].limits.max_request_head: must be between "
                          "1KiB and 1MiB, got '2MiB'"));
}

TEST(ConfigListenerErrorsTest, MaxRequestHeadNotASize) {
  EXPECT_THAT(errorsOf(withUpstreams("  - name: out\n    listen: 127.0.0.1:0\n"
                                     "    routes: [ { upstream: payments } ]\n"
                                     "    limits: { max_request_head: 64k }\n")),
              ElementsAre("test.yaml:7:33: listeners[0].limits.max_request_head: unknown unit 'k' "
                          "in '64k' (use B, KiB, MiB, GiB, TiB, or KB, MB, GB, TB for powers of "
                          "1000)"));
}

TEST(ConfigListenerErrorsTest, HeaderTimeoutZero) {
  EXPECT_THAT(errorsOf(withUpstreams("  - name: out\n    listen: 127.0.0.1:0\n"
                                     "    routes: [ { upstream: payments } ]\n"
                                     "    limits: { header_timeout: 0s }\n")),
              ElementsAre("test.yaml:7:31: listeners[0].limits.header_timeout: must be greater "
                          "than 0, got '0s'"));
}

TEST(ConfigListenerErrorsTest, RouteHostWithAPort) {
  EXPECT_THAT(errorsOf(withRoute("{ host: payments:8080, upstream: payments }")),
              ElementsAre("test.yaml:7:17: listeners[0].routes[0].host: must not include a port "
                          "(routes match the Host header without its port), got 'payments:8080'"));
}

TEST(ConfigListenerErrorsTest, RouteHostWithASpace) {
  EXPECT_THAT(errorsOf(withRoute("{ host: \"pay ments\", upstream: payments }")),
              ElementsAre("test.yaml:7:17: listeners[0].routes[0].host: must not contain spaces, "
                          "got 'pay ments'"));
}

TEST(ConfigListenerErrorsTest, RouteHostWithAPartialWildcard) {
  EXPECT_THAT(errorsOf(withRoute("{ host: \"*example.com\", upstream: payments }")),
              ElementsAre("test.yaml:7:17: listeners[0].routes[0].host: '*' is only allowed on its "
                          "own, to match any host, or as '*.' before a domain ('*.example.com'), "
                          "got '*example.com'"));
}

TEST(ConfigListenerErrorsTest, RoutePathPrefixWithoutLeadingSlash) {
  EXPECT_THAT(
      errorsOf(withRoute("{ path_prefix: users, upstream: payments }")),
      ElementsAre("test.yaml:7:24: listeners[0].routes[0].path_prefix: must start with '/', "
                  "got 'users'"));
}

TEST(ConfigListenerErrorsTest, RouteUpstreamMissing) {
  EXPECT_THAT(
      errorsOf(withRoute("{ path_prefix: / }")),
      ElementsAre("test.yaml:7:9: listeners[0].routes[0]: missing required key 'upstream'"));
}

TEST(ConfigListenerErrorsTest, RouteToAnUnknownUpstreamSuggestsTheClosestName) {
  EXPECT_THAT(errorsOf(withRoute("{ upstream: paymnets }")),
              ElementsAre("test.yaml:7:21: listeners[0].routes[0].upstream: unknown upstream "
                          "'paymnets' (did you mean 'payments'?)"));
}

TEST(ConfigListenerErrorsTest, RouteToAnUnknownUpstreamListsTheDefinedOnes) {
  EXPECT_THAT(errorsOf(withRoute("{ upstream: catalog }")),
              ElementsAre("test.yaml:7:21: listeners[0].routes[0].upstream: unknown upstream "
                          "'catalog' (defined upstreams: payments)"));
}

TEST(ConfigListenerErrorsTest, RouteToAnUpstreamWhenNoneAreDefined) {
  EXPECT_THAT(
      errorsOf("listeners:\n  - { name: a, listen: 127.0.0.1:0, routes: [ { upstream: x } ] }\n"),
      ElementsAre("test.yaml:2:59: listeners[0].routes[0].upstream: unknown upstream 'x' "
                  "(no upstreams are defined)"));
}

TEST(ConfigListenerErrorsTest, TwoRoutesWithTheSameHostAndPrefix) {
  EXPECT_THAT(
      errorsOf(withRoute("{ host: Payments, path_prefix: /a, upstream: payments }\n"
                         "      - { host: payments, path_prefix: /a, upstream: payments }")),
      ElementsAre("test.yaml:8:9: listeners[0].routes[1]: duplicate route: host 'payments' "
                  "with path_prefix '/a' is already routed by routes[0]"));
}

TEST(ConfigListenerErrorsTest, PreserveHostNotABool) {
  EXPECT_THAT(errorsOf(withRoute("{ upstream: payments, preserve_host: yes }")),
              ElementsAre("test.yaml:7:46: listeners[0].routes[0].preserve_host: expected true or "
                          "false, got 'yes'"));
}

TEST(ConfigListenerErrorsTest, UnknownRouteKey) {
  EXPECT_THAT(errorsOf(withRoute("{ upstream: payments, prefix: /a }")),
              ElementsAre("test.yaml:7:31: listeners[0].routes[0]: unknown key 'prefix' (did you "
                          "mean 'prefix_rewrite'?)"));
}

}  // namespace
}  // namespace outrigger::config
