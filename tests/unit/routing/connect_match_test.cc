// Which CONNECT a listener tunnels (issue 18, item 2): only connect: true routes are looked
// at, by the authority's host, ranked like ordinary routes; ordinary requests never match
// them. And the host a CONNECT's authority-form target names.

#include <gtest/gtest.h>

#include <string>

#include "proxy/http/header_rules.h"
#include "proxy/routing/router.h"
#include "tests/unit/config/config_test_util.h"

namespace outrigger::routing {
namespace {

Router routerFor(const std::string& routes) {
  std::string yaml =
      "upstreams:\n"
      "  a: { endpoints: [ \"10.0.0.1:443\" ] }\n"
      "  b: { endpoints: [ \"10.0.0.2:443\" ] }\n"
      "  c: { endpoints: [ \"10.0.0.3:443\" ] }\n"
      "listeners:\n"
      "  - name: l\n"
      "    listen: 127.0.0.1:0\n"
      "    routes:\n" +
      routes;
  config::LoadResult r = config::testing::load(yaml);
  EXPECT_TRUE(r.ok()) << r.formatErrors() << "\n" << yaml;
  return Router(r.ok() ? r.config->listeners[0] : config::ListenerConfig{});
}

std::string connectTo(const Router& router, std::string_view target,
                      const http::Headers* headers = nullptr) {
  const config::RouteConfig* r = router.matchConnect(http::connectAuthorityHost(target), headers);
  return r == nullptr ? "<refused>" : r->upstream;
}

TEST(ConnectMatchTest, OnlyConnectRoutesTakeACONNECTByTheAuthorityHost) {
  const Router router = routerFor(
      "      - { host: api.stripe.com, upstream: a, connect: true }\n"
      "      - { host: \"*\", upstream: b }\n");
  EXPECT_EQ(connectTo(router, "api.stripe.com:443"), "a");
  EXPECT_EQ(connectTo(router, "API.Stripe.com:8443"), "a");       // any port, any case
  EXPECT_EQ(connectTo(router, "evil.example:443"), "<refused>");  // "*" is not a connect route
  EXPECT_EQ(connectTo(router, "api.stripe.com"), "<refused>");    // not host:port
}

TEST(ConnectMatchTest, OrdinaryRequestsNeverMatchAConnectRoute) {
  const Router router = routerFor("      - { host: api.stripe.com, upstream: a, connect: true }\n");
  EXPECT_EQ(router.match("api.stripe.com", "/"), nullptr);
}

TEST(ConnectMatchTest, ExactHostBeatsTheLongestWildcardWhichBeatsAnyHost) {
  const Router router = routerFor(
      "      - { host: \"*\", upstream: c, connect: true }\n"
      "      - { host: \"*.example.com\", upstream: b, connect: true }\n"
      "      - { host: pay.example.com, upstream: a, connect: true }\n");
  EXPECT_EQ(connectTo(router, "pay.example.com:443"), "a");
  EXPECT_EQ(connectTo(router, "x.y.example.com:443"), "b");
  EXPECT_EQ(connectTo(router, "example.com:443"), "c");
}

TEST(ConnectMatchTest, HeadersConditionsHold) {
  const Router router = routerFor(
      "      - match: { host: api.stripe.com, headers: { proxy-authorization: \"Basic eA==\" } }\n"
      "        upstream: a\n"
      "        connect: true\n");
  http::Headers with;
  with.add("Proxy-Authorization", "Basic eA==");
  http::Headers without;
  EXPECT_EQ(connectTo(router, "api.stripe.com:443", &with), "a");
  EXPECT_EQ(connectTo(router, "api.stripe.com:443", &without), "<refused>");
}

TEST(ConnectAuthorityHostTest, TheHostOfHostColonPort) {
  EXPECT_EQ(http::connectAuthorityHost("api.stripe.com:443"), "api.stripe.com");
  EXPECT_EQ(http::connectAuthorityHost("[::1]:443"), "[::1]");
  EXPECT_EQ(http::connectAuthorityHost("10.0.0.1:22"), "10.0.0.1");
  EXPECT_EQ(http::connectAuthorityHost("api.stripe.com"), "");
  EXPECT_EQ(http::connectAuthorityHost("api.stripe.com:"), "");
  EXPECT_EQ(http::connectAuthorityHost(":443"), "");
  EXPECT_EQ(http::connectAuthorityHost("a:b:443"), "");
  EXPECT_EQ(http::connectAuthorityHost("user@host:443"), "");
  EXPECT_EQ(http::connectAuthorityHost("host:44x"), "");
  EXPECT_EQ(http::connectAuthorityHost("[::1]"), "");
}

}  // namespace
}  // namespace outrigger::routing
