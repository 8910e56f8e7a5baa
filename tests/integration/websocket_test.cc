// WebSocket through outrigger (issue 18): a real python3-websockets echo server behind a
// route, and a python3-websockets client in front; the Upgrade a route does not allow, and
// h2c, are never forwarded.

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "tests/integration/proxy_fixture.h"
#include "tests/integration/raw_upstream.h"
#include "tests/support/lib/http_client.h"

namespace outrigger::testing {
namespace {

const std::string kPeer = std::string(OUTRIGGER_SOURCE_DIR) + "/tests/support/websocket/ws_peer.py";

bool websocketsInstalled() {
  std::string out;
  return runCommand("/usr/bin/python3 -c 'import websockets'", &out) == 0;
}

long peakRssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

class WebSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!websocketsInstalled()) GTEST_SKIP() << "python3-websockets is not installed";
    const std::string port_file = dir_.file("ws.port");
    ASSERT_TRUE(server_.start({"/usr/bin/python3", kPeer, "server", port_file},
                              dir_.file("ws-server.log")));
    ASSERT_TRUE(waitForFile(port_file, std::chrono::milliseconds(10000))) << server_.log();
    server_port_ = readFile(port_file);
  }
  void startProxy(const std::string& route_extra) {
    const std::string yaml =
        "admin: { listen: 127.0.0.1:0 }\n"
        "access_log: { path: off }\n"
        "listeners:\n"
        "  - name: main\n"
        "    listen: 127.0.0.1:0\n"
        "    routes: [ { path_prefix: /, upstream: ws" +
        route_extra +
        " } ]\n"
        "upstreams:\n"
        "  ws:\n"
        "    endpoints: [ \"127.0.0.1:" +
        server_port_ + "\" ]\n";
    proxy_ = std::make_unique<OutriggerProcess>(dir_, yaml);
    ASSERT_TRUE(proxy_->ok()) << proxy_->log();
    port_ = proxy_->port("main");
  }
  std::string peer(const std::string& mode, const std::string& path) {
    std::string out;
    runCommand("/usr/bin/python3 " + kPeer + " " + mode +
                   " ws://127.0.0.1:" + std::to_string(port_) + path,
               &out);
    return out;
  }
  double metric(const std::string& name, const std::map<std::string, std::string>& labels) {
    return proxy_->metric(name, labels).value_or(0);
  }

  TempDir dir_;
  ChildProcess server_;
  std::string server_port_;
  std::unique_ptr<OutriggerProcess> proxy_;
  uint16_t port_ = 0;
};

TEST_F(WebSocketTest, EchoesTextBinaryPingABigMessageAndTheCloseCode) {
  startProxy("");
  const std::string out = peer("client", "/chat");
  EXPECT_NE(out.find("text hello\n"), std::string::npos) << out;
  EXPECT_NE(out.find("binary 0001ff\n"), std::string::npos) << out;
  EXPECT_NE(out.find("pong\n"), std::string::npos) << out;
  EXPECT_NE(out.find("big 10485760 True\n"), std::string::npos) << out;
  EXPECT_NE(out.find("close 4001 bye\n"), std::string::npos) << out;
  const std::map<std::string, std::string> closed = {
      {"upstream", "ws"}, {"kind", "websocket"}, {"result", "closed"}};
  EXPECT_TRUE(eventually([&] { return metric("outrigger_tunnels_total", closed) == 1; }));
  EXPECT_GT(metric("outrigger_tunnel_bytes_total", {{"upstream", "ws"}, {"direction", "up"}}),
            10e6);
  EXPECT_EQ(metric("outrigger_tunnels_active", {{"upstream", "ws"}, {"kind", "websocket"}}), 0);
  EXPECT_EQ(metric("outrigger_requests_total", {{"upstream", "ws"}, {"code", "101"}}), 1);
  // Back-pressure: 10 MB each way went through without being held whole.
  if (!kUnderAddressSanitizer) {
    EXPECT_LT(peakRssKiB(proxy_->process().pid()), 40 * 1024);
  }
}

TEST_F(WebSocketTest, ARouteWithoutUpgradesStripsTheHandshake) {
  startProxy(", upgrades: []");
  // The server sees a plain GET and refuses it: 426 Upgrade Required comes back as is.
  EXPECT_EQ(peer("handshake", "/chat"), "status 426\n");
  EXPECT_EQ(metric("outrigger_tunnels_total",
                   {{"upstream", "ws"}, {"kind", "websocket"}, {"result", "closed"}}),
            0);
}

TEST_F(WebSocketTest, AnH2cUpgradeIsNeverForwarded) {
  startProxy("");
  HttpConnection app(port_);
  ASSERT_TRUE(
      app.sendRaw("GET /headers HTTP/1.1\r\nHost: ws\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                  "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n"));
  const auto response = app.readResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body.find("\"upgrade\""), std::string::npos) << response->body;
  EXPECT_EQ(response->body.find("http2-settings"), std::string::npos) << response->body;
  EXPECT_NE(response->body.find("\"host\""), std::string::npos) << response->body;
}

}  // namespace
}  // namespace outrigger::testing

namespace outrigger::testing {
namespace {

TEST(UnaskedSwitchTest, A101ThatTheAppDidNotAskForIsA502) {
  RawUpstream upstream(std::map<std::string, std::string>{
      {"/plain",
       "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"}});
  TempDir dir;
  OutriggerProcess proxy(dir, proxyConfig(upstream.address()));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  const auto response = httpRequest(proxy.port("main"), "GET", "/plain");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 502);
}

}  // namespace
}  // namespace outrigger::testing

namespace outrigger::testing {
namespace {

TEST(ConnectTest, ACONNECTIsRefusedWith403NeverRouted) {
  RawUpstream upstream(std::map<std::string, std::string>{});
  TempDir dir;
  OutriggerProcess proxy(dir, proxyConfig(upstream.address()));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  HttpConnection app(proxy.port("main"));
  ASSERT_TRUE(
      app.sendRaw("CONNECT users.internal:443 HTTP/1.1\r\nHost: users.internal:443\r\n\r\n"));
  const auto response = app.readResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 403);
  EXPECT_EQ(response->header("x-outrigger-reason"), "connect_not_allowed");
  EXPECT_EQ(upstream.accepts(), 0);  // the catch-all route did not take it
}

}  // namespace
}  // namespace outrigger::testing

namespace outrigger::testing {
namespace {

TEST(UnknownMethodTest, AMethodOutriggerCannotServeGets501NotImplemented) {
  RawUpstream upstream(std::map<std::string, std::string>{});
  TempDir dir;
  OutriggerProcess proxy(dir, proxyConfig(upstream.address()));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  HttpConnection app(proxy.port("main"));
  ASSERT_TRUE(app.sendRaw("FOO /x HTTP/1.1\r\nHost: a\r\n\r\n"));
  const auto response = app.readResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 501);
  EXPECT_EQ(response->header("x-outrigger-reason"), "not_implemented");
  EXPECT_EQ(upstream.accepts(), 0);
}

}  // namespace
}  // namespace outrigger::testing
