// The HTTP/1.1 strictness keys of issue 18: listeners[].limits.headers_with_underscores,
// upstreams.<name>.limits.max_response_head and `timeouts.request: none`. Defaults, good
// values, and each bad one against its exact message.

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
using testing::withListener;

// Upstream "u" on lines 5-7, with `extra` (indented by 4) from line 8 on.
std::string withUpstream(std::string_view extra) {
  return withListener("upstreams:\n  u:\n    endpoints: [ \"10.0.0.1:80\" ]\n" +
                      std::string(extra));
}

// Listener "l" with `limits` on line 4; upstream "u" after it.
std::string withListenerLimits(std::string_view limits) {
  return "listeners:\n  - name: l\n    listen: 127.0.0.1:0\n    limits: " + std::string(limits) +
         "\n    routes: [ { upstream: u } ]\nupstreams:\n  u: { endpoints: [ \"10.0.0.1:80\" ] }\n";
}

TEST(StrictnessConfigTest, Defaults) {
  const LoadResult r = load(withUpstream(""));
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.config->listeners[0].limits.headers_with_underscores, UnderscoreHeaders::kDrop);
  EXPECT_EQ(r.config->upstreams[0].limits.max_response_head, 64u * 1024);
  EXPECT_EQ(r.config->upstreams[0].timeouts.request, seconds(15));
}

TEST(StrictnessConfigTest, UnderscoreChoices) {
  const std::pair<const char*, UnderscoreHeaders> cases[] = {
      {"allow", UnderscoreHeaders::kAllow},
      {"drop", UnderscoreHeaders::kDrop},
      {"reject", UnderscoreHeaders::kReject}};
  for (const auto& [text, value] : cases) {
    const LoadResult r =
        load(withListenerLimits(std::string("{ headers_with_underscores: ") + text + " }"));
    ASSERT_TRUE(r.errors.empty()) << text;
    EXPECT_EQ(r.config->listeners[0].limits.headers_with_underscores, value) << text;
  }
}

TEST(StrictnessConfigTest, UnderscoreUnknownChoice) {
  EXPECT_THAT(errorsOf(withListenerLimits("{ headers_with_underscores: strip }")),
              ElementsAre("test.yaml:4:41: listeners[0].limits.headers_with_underscores: "
                          "expected one of allow, drop or reject, got 'strip'"));
}

TEST(StrictnessConfigTest, MaxResponseHead) {
  const LoadResult r = load(withUpstream("    limits: { max_response_head: 256KiB }\n"));
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.config->upstreams[0].limits.max_response_head, 256u * 1024);
}

TEST(StrictnessConfigTest, MaxResponseHeadOutOfRange) {
  EXPECT_THAT(errorsOf(withUpstream("    limits: { max_response_head: 100MiB }\n")),
              ElementsAre("test.yaml:8:34: upstreams.u.limits.max_response_head: must be between "
                          "1KiB and 16MiB, got '100MiB'"));
}

TEST(StrictnessConfigTest, UnknownUpstreamLimitsKey) {
  EXPECT_THAT(errorsOf(withUpstream("    limits: { max_response_heads: 1MiB }\n")),
              ElementsAre("test.yaml:8:15: upstreams.u.limits: unknown key 'max_response_heads' "
                          "(did you mean 'max_response_head'?)"));
}

TEST(StrictnessConfigTest, RequestTimeoutNone) {
  const LoadResult r =
      load(withUpstream("    timeouts: { request: none, per_try: 2s, read: 30s }\n"));
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.config->upstreams[0].timeouts.request, kNoRequestTimeout);
  EXPECT_EQ(r.config->upstreams[0].timeouts.per_try, seconds(2));
  const std::string rendered = renderConfigYaml(*r.config, RenderOptions{});
  EXPECT_THAT(rendered, HasSubstr("request: none"));
  // The rendered config loads back to the same value.
  EXPECT_TRUE(load(rendered).errors.empty());
}

TEST(StrictnessConfigTest, RequestTimeoutNotADurationNorNone) {
  EXPECT_THAT(errorsOf(withUpstream("    timeouts: { request: never }\n")),
              ElementsAre("test.yaml:8:26: upstreams.u.timeouts.request: expected a duration "
                          "like 250ms, 2s or 1m, or none, got 'never'"));
}

TEST(StrictnessConfigTest, RequestTimeoutZeroIsNotNone) {
  EXPECT_THAT(errorsOf(withUpstream("    timeouts: { request: 0s }\n")),
              ElementsAre("test.yaml:8:26: upstreams.u.timeouts.request: must be greater than 0, "
                          "got '0s'"));
}

TEST(StrictnessConfigTest, NoneFromDefaults) {
  const LoadResult r = load(withListener(
      "defaults:\n  timeouts: { request: none }\nupstreams:\n  u: { endpoints: [ \"a:1\" ] }\n"));
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.config->upstreams[0].timeouts.request, kNoRequestTimeout);
}

}  // namespace
}  // namespace outrigger::config
