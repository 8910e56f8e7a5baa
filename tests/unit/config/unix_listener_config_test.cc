// `listen: unix:/path` and `socket_mode` (issue 18, item 4): what loads, and each bad input
// against its exact message.

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

// Listener "app": listen on line 3, `extra` from line 4, routes after it.
std::string listener(const std::string& listen, const std::string& extra = "") {
  return "listeners:\n  - name: app\n    listen: " + listen + "\n" + extra +
         "    routes: [ { upstream: u } ]\nupstreams:\n  u: { endpoints: [ \"10.0.0.1:80\" ] }\n";
}

TEST(UnixListenerConfigTest, PathAndMode) {
  const LoadResult r =
      load(listener("unix:/run/outrigger/app.sock", "    socket_mode: \"0660\"\n"));
  ASSERT_TRUE(r.errors.empty());
  const ListenerConfig& l = r.config->listeners[0];
  EXPECT_TRUE(l.isUnix());
  EXPECT_EQ(l.unix_path, "/run/outrigger/app.sock");
  EXPECT_EQ(l.socket_mode, 0660);
  EXPECT_EQ(l.listen.text, "unix:/run/outrigger/app.sock");
  // --print-config and /config show it as written, and it loads back the same.
  const std::string rendered = renderConfigYaml(*r.config, RenderOptions{});
  EXPECT_THAT(rendered, HasSubstr("listen: unix:/run/outrigger/app.sock"));
  EXPECT_THAT(rendered, HasSubstr("socket_mode: 0660"));
  const LoadResult again = load(rendered);
  ASSERT_TRUE(again.errors.empty());
  EXPECT_EQ(again.config->listeners[0], l);
}

TEST(UnixListenerConfigTest, ModeIsOptional) {
  const LoadResult r = load(listener("unix:/tmp/a.sock"));
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(r.config->listeners[0].socket_mode, -1);
}

TEST(UnixListenerConfigTest, SocketModeOnATcpListener) {
  EXPECT_THAT(errorsOf(listener("127.0.0.1:0", "    socket_mode: \"0660\"\n")),
              ElementsAre("test.yaml:4:18: listeners[0].socket_mode: applies only to Unix socket "
                          "listeners (listen: unix:/path)"));
}

TEST(UnixListenerConfigTest, SocketModeNotOctal) {
  EXPECT_THAT(errorsOf(listener("unix:/tmp/a.sock", "    socket_mode: rw-rw----\n")),
              ElementsAre("test.yaml:4:18: listeners[0].socket_mode: expected an octal file mode "
                          "like \"0660\", got 'rw-rw----'"));
  EXPECT_THAT(errorsOf(listener("unix:/tmp/a.sock", "    socket_mode: \"0980\"\n")),
              ElementsAre("test.yaml:4:18: listeners[0].socket_mode: expected an octal file mode "
                          "like \"0660\", got '0980'"));
}

TEST(UnixListenerConfigTest, RelativePath) {
  EXPECT_THAT(errorsOf(listener("unix:run/app.sock")),
              ElementsAre("test.yaml:3:13: listeners[0].listen: a Unix socket needs an absolute "
                          "path after 'unix:', got 'unix:run/app.sock'"));
}

TEST(UnixListenerConfigTest, PathTooLong) {
  EXPECT_THAT(errorsOf(listener("unix:/" + std::string(110, 'a'))),
              ElementsAre("test.yaml:3:13: listeners[0].listen: a Unix socket path must be at "
                          "most 107 bytes, got 111"));
}

TEST(UnixListenerConfigTest, SamePathTwice) {
  EXPECT_THAT(
      errorsOf("listeners:\n"
               "  - { name: a, listen: \"unix:/tmp/a.sock\", routes: [ { upstream: u } ] }\n"
               "  - { name: b, listen: \"unix:/tmp/a.sock\", routes: [ { upstream: u } ] }\n"
               "upstreams:\n  u: { endpoints: [ \"10.0.0.1:80\" ] }\n"),
      ElementsAre("test.yaml:3:24: listeners[1].listen: address unix:/tmp/a.sock is already "
                  "used by listener 'a'"));
}

}  // namespace
}  // namespace outrigger::config
