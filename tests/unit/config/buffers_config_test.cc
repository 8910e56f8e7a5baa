// The slow-client buffers of issue 18: listeners[].limits.request_buffer and
// upstreams.<name>.limits.response_buffer. Defaults, good values, the rendered config, and
// each bad value against its exact message.

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

// Listener "l" with `limits` on line 4; upstream "u" with `upstream_limits` on line 8.
std::string withLimits(std::string_view limits, std::string_view upstream_limits) {
  return "listeners:\n  - name: l\n    listen: 127.0.0.1:0\n    limits: " + std::string(limits) +
         "\n    routes: [ { upstream: u } ]\nupstreams:\n  u:\n    limits: " +
         std::string(upstream_limits) + "\n    endpoints: [ \"10.0.0.1:80\" ]\n";
}

TEST(BuffersConfigTest, Defaults) {
  const LoadResult r = load(withLimits("{}", "{}"));
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.config->listeners[0].limits.request_buffer, 64u * 1024);
  EXPECT_EQ(r.config->upstreams[0].limits.response_buffer, 256u * 1024);
}

TEST(BuffersConfigTest, SetAndRendered) {
  const LoadResult r = load(withLimits("{ request_buffer: 1MiB }", "{ response_buffer: 0 }"));
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.config->listeners[0].limits.request_buffer, 1024u * 1024);
  EXPECT_EQ(r.config->upstreams[0].limits.response_buffer, 0u);
  const std::string rendered = renderConfigYaml(*r.config, RenderOptions{});
  EXPECT_THAT(rendered, HasSubstr("request_buffer: 1MiB"));
  EXPECT_THAT(rendered, HasSubstr("response_buffer: 0"));
  const LoadResult again = load(rendered);
  ASSERT_TRUE(again.errors.empty());
  EXPECT_EQ(again.config->listeners[0].limits.request_buffer, 1024u * 1024);
}

TEST(BuffersConfigTest, RequestBufferOutOfRange) {
  EXPECT_THAT(errorsOf(withLimits("{ request_buffer: 1GiB }", "{}")),
              ElementsAre("test.yaml:4:31: listeners[0].limits.request_buffer: must be between "
                          "0B and 64MiB, got '1GiB'"));
}

TEST(BuffersConfigTest, ResponseBufferNotASize) {
  EXPECT_THAT(
      errorsOf(withLimits("{}", "{ response_buffer: lots }")),
      ElementsAre(::testing::StartsWith("test.yaml:8:32: upstreams.u.limits.response_buffer: ")));
}

}  // namespace
}  // namespace outrigger::config
