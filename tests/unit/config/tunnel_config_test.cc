// protocol: tcp listeners, routes[].upgrades and timeouts.tunnel_idle (issue 18): what
// loads, what --print-config shows, and each bad input against its exact message.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "proxy/config/render.h"
#include "tests/unit/config/config_test_util.h"

namespace outrigger::config {
namespace {

using ::testing::ElementsAre;
using testing::errorsOf;
using ::testing::HasSubstr;
using testing::load;

constexpr const char* kUpstreams =
    "upstreams:\n  cache: { endpoints: [ \"10.0.0.1:6379\" ], timeouts: { tunnel_idle: 5m } }\n";

TEST(TunnelConfigTest, ATcpListenerPipesToItsUpstreamAndRendersBack) {
  const LoadResult r = load(std::string("listeners:\n  - name: redis\n    listen: 127.0.0.1:0\n"
                                        "    protocol: tcp\n    upstream: cache\n") +
                            kUpstreams);
  ASSERT_TRUE(r.errors.empty());
  const ListenerConfig& l = r.config->listeners[0];
  EXPECT_EQ(l.protocol, ListenerProtocol::kTcp);
  EXPECT_EQ(l.upstream, "cache");
  EXPECT_TRUE(l.routes.empty());
  EXPECT_EQ(r.config->upstreams[0].timeouts.tunnel_idle, seconds(300));
  const std::string rendered = renderConfigYaml(*r.config, RenderOptions{});
  EXPECT_THAT(rendered, HasSubstr("protocol: tcp"));
  EXPECT_THAT(rendered, HasSubstr("tunnel_idle: 5m"));
  const LoadResult again = load(rendered);
  ASSERT_TRUE(again.errors.empty());
  EXPECT_EQ(again.config->listeners[0], l);
}

TEST(TunnelConfigTest, TunnelIdleDefaultsToAnHour) {
  const LoadResult r = load(
      "listeners:\n  - { name: a, listen: 127.0.0.1:0, routes: [ { upstream: u } ] }\n"
      "upstreams:\n  u: { endpoints: [ \"10.0.0.1:80\" ] }\n");
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.config->upstreams[0].timeouts.tunnel_idle, seconds(3600));
  EXPECT_EQ(r.config->listeners[0].routes[0].upgrades, std::vector<std::string>{"websocket"});
}

TEST(TunnelConfigTest, ATcpListenerNeedsAnUpstreamAndHasNoRoutes) {
  EXPECT_THAT(errorsOf(std::string("listeners:\n  - name: redis\n    listen: 127.0.0.1:0\n"
                                   "    protocol: tcp\n    routes: [ { upstream: cache } ]\n") +
                       kUpstreams),
              ElementsAre("test.yaml:2:5: listeners[0]: missing required key 'upstream'",
                          "test.yaml:5:13: listeners[0].routes: a listener with protocol: tcp "
                          "has no routes: every connection goes to its upstream"));
}

TEST(TunnelConfigTest, AnHttpListenerNamesNoUpstream) {
  EXPECT_THAT(
      errorsOf(std::string("listeners:\n  - name: a\n    listen: 127.0.0.1:0\n"
                           "    upstream: cache\n    routes: [ { upstream: cache } ]\n") +
               kUpstreams),
      ElementsAre("test.yaml:4:15: listeners[0].upstream: only a listener with protocol: tcp "
                  "names an upstream; an http listener routes with routes[].upstream"));
}

TEST(TunnelConfigTest, UpgradesAreTokensAndNeverH2c) {
  const std::string head = "listeners:\n  - name: a\n    listen: 127.0.0.1:0\n    routes:\n";
  const LoadResult r =
      load(head + "      - { upstream: cache, upgrades: [ WebSocket, foo ] }\n" + kUpstreams);
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.config->listeners[0].routes[0].upgrades,
            (std::vector<std::string>{"websocket", "foo"}));
  const LoadResult off = load(head + "      - { upstream: cache, upgrades: [] }\n" + kUpstreams);
  ASSERT_TRUE(off.errors.empty());
  EXPECT_TRUE(off.config->listeners[0].routes[0].upgrades.empty());
  EXPECT_THAT(errorsOf(head + "      - { upstream: cache, upgrades: [ h2c ] }\n" + kUpstreams),
              ElementsAre("test.yaml:5:40: listeners[0].routes[0].upgrades[0]: h2c is never "
                          "forwarded: an h2c upgrade through a proxy lets a client slip past its "
                          "routes (h2c smuggling)"));
}

}  // namespace
}  // namespace outrigger::config
