// routes[].connect (issue 18, item 2): what loads, what --print-config shows, and the
// conditions a connect route cannot have.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "proxy/config/render.h"
#include "tests/unit/config/config_test_util.h"

namespace outrigger::config {
namespace {

using testing::errorsOf;
using ::testing::HasSubstr;
using testing::load;

constexpr const char* kHead =
    "upstreams:\n  stripe: { endpoints: [ \"api.stripe.com:443\" ] }\n"
    "listeners:\n  - name: app\n    listen: 127.0.0.1:0\n    routes:\n";

TEST(ConnectConfigTest, AConnectRouteLoadsAndRendersBack) {
  const LoadResult r = load(std::string(kHead) +
                            "      - { host: api.stripe.com, upstream: stripe, connect: true }\n"
                            "      - { host: api.stripe.com, upstream: stripe }\n");
  ASSERT_TRUE(r.errors.empty()) << r.formatErrors();  // not a duplicate of the ordinary one
  const ListenerConfig& l = r.config->listeners[0];
  EXPECT_TRUE(l.routes[0].connect);
  EXPECT_FALSE(l.routes[1].connect);
  const std::string rendered = renderConfigYaml(*r.config, RenderOptions{});
  EXPECT_THAT(rendered, HasSubstr("connect: true"));
  const LoadResult again = load(rendered);
  ASSERT_TRUE(again.errors.empty()) << again.formatErrors();
  EXPECT_EQ(again.config->listeners[0], l);
}

TEST(ConnectConfigTest, AConnectRouteTakesNoPathNoMethodsAndNoDirectResponse) {
  EXPECT_THAT(errorsOf(std::string(kHead) +
                       "      - { host: a, path_prefix: /x, upstream: stripe, connect: true }\n"),
              ::testing::ElementsAre(HasSubstr("matches a CONNECT's host (and headers) only")));
  EXPECT_THAT(errorsOf(std::string(kHead) +
                       "      - { host: a, direct_response: { status: 200 }, connect: true }\n"),
              ::testing::Contains(HasSubstr("cannot have a direct_response")));
  EXPECT_THAT(
      errorsOf(std::string(kHead) + "      - { host: a, upstream: stripe, connect: yes please }\n"),
      ::testing::SizeIs(1));
}

}  // namespace
}  // namespace outrigger::config
