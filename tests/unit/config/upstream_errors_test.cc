// One bad input per upstream and defaults rule, each checked against the exact message.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "proxy/config/keys.h"
#include "tests/unit/config/config_test_util.h"

namespace outrigger::config {
namespace {

using ::testing::ElementsAre;
using testing::errorsOf;
using testing::withListener;

// Upstream "u" on lines 5-7, with `extra` (indented by 4) from line 7 on.
std::string withUpstream(std::string_view extra) {
  return withListener("upstreams:\n  u:\n    endpoints: [ \"10.0.0.1:80\" ]\n" +
                      std::string(extra));
}

TEST(ConfigUpstreamErrorsTest, UpstreamsNotAMap) {
  EXPECT_THAT(errorsOf(withListener("upstreams:\n  - u\n")),
              ElementsAre("test.yaml:4:27: listeners[0].routes[0].upstream: unknown upstream 'u' "
                          "(no upstreams are defined)",
                          "test.yaml:6:3: upstreams: expected a map of upstream names to their "
                          "settings, got a list"));
}

TEST(ConfigUpstreamErrorsTest, InvalidName) {
  EXPECT_THAT(errorsOf(withListener("upstreams:\n  u: { endpoints: [ \"a:1\" ] }\n"
                                    "  \"pay ments\": { endpoints: [ \"a:1\" ] }\n")),
              ElementsAre("test.yaml:7:3: upstreams.pay ments: invalid upstream name 'pay ments': "
                          "use only letters, digits, '_', '.' and '-'"));
}

TEST(ConfigUpstreamErrorsTest, DefinedTwice) {
  EXPECT_THAT(errorsOf(withListener("upstreams:\n  u: { endpoints: [ \"a:1\" ] }\n"
                                    "  u: { endpoints: [ \"b:1\" ] }\n")),
              ElementsAre("test.yaml:7:3: upstreams.u: upstream 'u' is defined twice (first on "
                          "line 6)"));
}

TEST(ConfigUpstreamErrorsTest, EndpointsMissing) {
  EXPECT_THAT(errorsOf(withListener("upstreams:\n  u:\n    load_balancing: round_robin\n")),
              ElementsAre("test.yaml:7:5: upstreams.u: missing required key 'endpoints'"));
}

TEST(ConfigUpstreamErrorsTest, EndpointsMisspelled) {
  EXPECT_THAT(errorsOf(withListener("upstreams:\n  u:\n    endpoits: [ \"a:1\" ]\n")),
              ElementsAre("test.yaml:7:5: upstreams.u: unknown key 'endpoits' (did you mean "
                          "'endpoints'?)",
                          "test.yaml:7:5: upstreams.u: missing required key 'endpoints'"));
}

TEST(ConfigUpstreamErrorsTest, EndpointsEmpty) {
  EXPECT_THAT(errorsOf(withListener("upstreams:\n  u:\n    endpoints: []\n")),
              ElementsAre("test.yaml:7:16: upstreams.u.endpoints: at least one endpoint is "
                          "required"));
}

TEST(ConfigUpstreamErrorsTest, EndpointsNotAList) {
  EXPECT_THAT(errorsOf(withListener("upstreams:\n  u:\n    endpoints: 10.0.0.1:80\n")),
              ElementsAre("test.yaml:7:16: upstreams.u.endpoints: expected a list, got "
                          "'10.0.0.1:80'"));
}

TEST(ConfigUpstreamErrorsTest, EndpointPortZero) {
  EXPECT_THAT(errorsOf(withListener("upstreams:\n  u:\n    endpoints: [ \"10.0.0.1:0\" ]\n")),
              ElementsAre("test.yaml:7:18: upstreams.u.endpoints[0]: port must be between 1 and "
                          "65535, got '0'"));
}

TEST(ConfigUpstreamErrorsTest, EndpointIpv6WithoutBrackets) {
  EXPECT_THAT(errorsOf(withListener("upstreams:\n  u:\n    endpoints: [ \"::1:8080\" ]\n")),
              ElementsAre("test.yaml:7:18: upstreams.u.endpoints[0]: expected host:port, got "
                          "'::1:8080' (write IPv6 addresses in brackets, like [::1]:8080)"));
}

TEST(ConfigUpstreamErrorsTest, EndpointWithAScheme) {
  EXPECT_THAT(errorsOf(withListener("upstreams:\n  u:\n    endpoints: [ \"http://a:80\" ]\n")),
              ElementsAre("test.yaml:7:18: upstreams.u.endpoints[0]: expected host:port without a "
                          "scheme, got 'http://a:80'"));
}

TEST(ConfigUpstreamErrorsTest, EndpointListedTwice) {
  EXPECT_THAT(errorsOf(withListener("upstreams:\n  u:\n    endpoints: [ \"a:80\", \"A:80\" ]\n")),
              ElementsAre("test.yaml:7:26: upstreams.u.endpoints[1]: endpoint 'A:80' is listed "
                          "twice"));
}

TEST(ConfigUpstreamErrorsTest, LoadBalancingUnknownSuggestsTheClosest) {
  EXPECT_THAT(
      errorsOf(withUpstream("    load_balancing: least_requests\n")),
      ElementsAre("test.yaml:8:21: upstreams.u.load_balancing: expected one of round_robin "
                  "or least_request, got 'least_requests' (did you mean 'least_request'?)"));
}

TEST(ConfigUpstreamErrorsTest, PoolNotAMap) {
  EXPECT_THAT(errorsOf(withUpstream("    pool: [ 10 ]\n")),
              ElementsAre("test.yaml:8:11: upstreams.u.pool: expected a map, got a list"));
}

TEST(ConfigUpstreamErrorsTest, MaxConnectionsZero) {
  EXPECT_THAT(errorsOf(withUpstream("    pool: { max_connections: 0 }\n")),
              ElementsAre("test.yaml:8:30: upstreams.u.pool.max_connections: must be at least 1, "
                          "got '0'"));
}

TEST(ConfigUpstreamErrorsTest, MaxConnectionsNotAWholeNumber) {
  EXPECT_THAT(errorsOf(withUpstream("    pool: { max_connections: 1.5 }\n")),
              ElementsAre("test.yaml:8:30: upstreams.u.pool.max_connections: expected a whole "
                          "number, got '1.5'"));
}

TEST(ConfigUpstreamErrorsTest, MaxIdleAboveMaxConnections) {
  EXPECT_THAT(errorsOf(withUpstream("    pool: { max_connections: 10, max_idle: 20 }\n")),
              ElementsAre("test.yaml:8:44: upstreams.u.pool.max_idle: must not be greater than "
                          "max_connections (10), got '20'"));
}

TEST(ConfigUpstreamErrorsTest, MaxRequestsPerConnectionNegative) {
  EXPECT_THAT(errorsOf(withUpstream("    pool: { max_requests_per_connection: -1 }\n")),
              ElementsAre("test.yaml:8:42: upstreams.u.pool.max_requests_per_connection: must be "
                          "at least 0, got '-1'"));
}

TEST(ConfigUpstreamErrorsTest, PoolIdleTimeoutNotADuration) {
  EXPECT_THAT(errorsOf(withUpstream("    pool: { idle_timeout: soon }\n")),
              ElementsAre("test.yaml:8:27: upstreams.u.pool.idle_timeout: expected a duration like "
                          "250ms, 2s or 1m, got 'soon'"));
}

TEST(ConfigUpstreamErrorsTest, TimeoutZero) {
  EXPECT_THAT(errorsOf(withUpstream("    timeouts: { connect: 0s }\n")),
              ElementsAre("test.yaml:8:26: upstreams.u.timeouts.connect: must be greater than 0, "
                          "got '0s'"));
}

TEST(ConfigUpstreamErrorsTest, TimeoutWrongType) {
  EXPECT_THAT(errorsOf(withUpstream("    timeouts: { read: [ 1s ] }\n")),
              ElementsAre("test.yaml:8:23: upstreams.u.timeouts.read: expected a duration like "
                          "250ms, 2s or 1m, got a list"));
}

TEST(ConfigUpstreamErrorsTest, PerTryLongerThanRequest) {
  EXPECT_THAT(errorsOf(withUpstream("    timeouts: { per_try: 3s, request: 2s }\n")),
              ElementsAre("test.yaml:8:26: upstreams.u.timeouts.per_try: must not be longer than "
                          "request (2s), got '3s'"));
}

TEST(ConfigUpstreamErrorsTest, PerTryZero) {
  EXPECT_THAT(errorsOf(withUpstream("    timeouts: { per_try: 0 }\n")),
              ElementsAre("test.yaml:8:26: upstreams.u.timeouts.per_try: must be greater than 0, "
                          "got '0'"));
}

TEST(ConfigUpstreamErrorsTest, TimeoutKeyMisspelled) {
  EXPECT_THAT(errorsOf(withUpstream("    timeouts: { conect: 1s }\n")),
              ElementsAre("test.yaml:8:17: upstreams.u.timeouts: unknown key 'conect' (did you "
                          "mean 'connect'?)"));
}

TEST(ConfigUpstreamErrorsTest, DnsRefreshBelowOneSecond) {
  EXPECT_THAT(errorsOf(withUpstream("    dns_refresh: 500ms\n")),
              ElementsAre("test.yaml:8:18: upstreams.u.dns_refresh: must be at least 1s, got "
                          "'500ms'"));
}

TEST(ConfigUpstreamErrorsTest, MisspelledKeyGetsAHint) {
  EXPECT_THAT(errorsOf(withUpstream("    retyr: {}\n")),
              ElementsAre("test.yaml:8:5: upstreams.u: unknown key 'retyr' (did you mean "
                          "'retry'?)"));
}

TEST(ConfigDefaultsErrorsTest, EndpointsCannotBeDefaulted) {
  EXPECT_THAT(errorsOf(withUpstream("defaults:\n  endpoints: [ \"a:1\" ]\n")),
              ElementsAre("test.yaml:9:3: defaults.endpoints: cannot be set in defaults: each "
                          "upstream lists its own"));
}

TEST(ConfigDefaultsErrorsTest, BadValueIsReportedOnceAtTheDefaultsLine) {
  EXPECT_THAT(errorsOf(withListener("upstreams:\n"
                                    "  u: { endpoints: [ \"a:1\" ] }\n"
                                    "  v: { endpoints: [ \"b:1\" ] }\n"
                                    "defaults:\n"
                                    "  timeouts: { connect: fast }\n")),
              ElementsAre("test.yaml:9:24: defaults.timeouts.connect: expected a duration like "
                          "250ms, 2s or 1m, got 'fast'"));
}

TEST(ConfigDefaultsErrorsTest, BadValueIsReportedEvenWhenEveryUpstreamOverridesIt) {
  EXPECT_THAT(errorsOf(withListener("upstreams:\n"
                                    "  u: { endpoints: [ \"a:1\" ], timeouts: { connect: 1s } }\n"
                                    "defaults:\n"
                                    "  timeouts: { connect: fast }\n")),
              ElementsAre("test.yaml:8:24: defaults.timeouts.connect: expected a duration like "
                          "250ms, 2s or 1m, got 'fast'"));
}

TEST(ConfigDefaultsErrorsTest, UnknownKey) {
  EXPECT_THAT(errorsOf(withUpstream("defaults:\n  pool: { max_conections: 5 }\n")),
              ElementsAre("test.yaml:9:11: defaults.pool: unknown key 'max_conections' (did you "
                          "mean 'max_connections'?)"));
}

TEST(ConfigDefaultsErrorsTest, ConflictWithAnUpstreamValueNamesTheUpstream) {
  EXPECT_THAT(errorsOf(withUpstream("    pool: { max_connections: 10 }\n"
                                    "defaults:\n  pool: { max_idle: 50 }\n")),
              ElementsAre("test.yaml:10:21: defaults.pool.max_idle: must not be greater than "
                          "max_connections (10), got '50' (in upstream 'u')"));
}

}  // namespace
}  // namespace outrigger::config
