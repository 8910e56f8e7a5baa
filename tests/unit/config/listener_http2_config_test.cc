// listeners[].http2 (issue 17): the limits for app connections that speak HTTP/2.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "proxy/config/render.h"
#include "tests/unit/config/config_test_util.h"

namespace outrigger::config {
namespace {

using ::testing::ElementsAre;
using testing::errorsOf;
using testing::load;

// A listener on line 4 whose http2 block is on line 7.
std::string withHttp2(std::string_view block) {
  return "upstreams:\n"
         "  payments: { endpoints: [ \"10.0.0.1:80\" ] }\n"
         "listeners:\n"
         "  - name: out\n"
         "    listen: 127.0.0.1:0\n"
         "    routes: [ { upstream: payments } ]\n"
         "    http2: " +
         std::string(block) + "\n";
}

TEST(ListenerHttp2ConfigTest, DefaultsAreTheIssuesValues) {
  const LoadResult r = load(withHttp2("{}"));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  EXPECT_EQ(r.config->listeners[0].http2.max_concurrent_streams, 100u);
  EXPECT_EQ(r.config->listeners[0].http2.initial_window, 1024u * 1024);
}

TEST(ListenerHttp2ConfigTest, KeysAreReadAndRenderedBack) {
  const LoadResult r = load(withHttp2("{ max_concurrent_streams: 250, initial_window: 256KiB }"));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  EXPECT_EQ(r.config->listeners[0].http2.max_concurrent_streams, 250u);
  EXPECT_EQ(r.config->listeners[0].http2.initial_window, 256u * 1024);
  const LoadResult again = load(renderConfigYaml(*r.config, RenderOptions{false}));
  ASSERT_TRUE(again.ok()) << again.formatErrors();
  EXPECT_EQ(again.config->listeners[0].http2, r.config->listeners[0].http2);
}

TEST(ListenerHttp2ConfigTest, MaxConcurrentStreamsZero) {
  EXPECT_THAT(errorsOf(withHttp2("{ max_concurrent_streams: 0 }")),
              ElementsAre("test.yaml:7:38: listeners[0].http2.max_concurrent_streams: must be at "
                          "least 1, got '0'"));
}

TEST(ListenerHttp2ConfigTest, InitialWindowOverTheProtocolsLimit) {
  EXPECT_THAT(errorsOf(withHttp2("{ initial_window: 4GiB }")),
              ElementsAre("test.yaml:7:30: listeners[0].http2.initial_window: must be between "
                          "1KiB and 1GiB, got '4GiB'"));
}

TEST(ListenerHttp2ConfigTest, MisspelledKey) {
  EXPECT_THAT(errorsOf(withHttp2("{ max_concurent_streams: 10 }")),
              ElementsAre("test.yaml:7:14: listeners[0].http2: unknown key "
                          "'max_concurent_streams' (did you mean 'max_concurrent_streams'?)"));
}

}  // namespace
}  // namespace outrigger::config
