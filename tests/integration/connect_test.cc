// CONNECT through outrigger (issue 18, item 2): curl with -x tunnels TLS to a local
// `openssl s_server` behind a connect: true route and verifies its certificate end to end.
// A CONNECT no such route allows gets 403 connect_not_allowed and reaches no upstream; a
// connect: true route whose upstream is down answers 502 connect_failed. During the drain a
// CONNECT on a kept-alive connection opens no tunnel: 503 draining, Connection: close.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <csignal>
#include <memory>
#include <string>

#include "tests/integration/proxy_fixture.h"
#include "tests/integration/raw_upstream.h"
#include "tests/support/lib/http_client.h"
#include "tests/support/lib/test_pki.h"

namespace outrigger::testing {
namespace {

// One listener whose only route is `{ host: localhost, upstream: tls-server, connect: true }`,
// plus `extra_routes`; upstream tls-server's endpoint is 127.0.0.1:`port`.
std::string connectConfig(uint16_t port, const std::string& extra_routes = "",
                          const std::string& upstreams_extra = "") {
  return "admin: { listen: 127.0.0.1:0 }\n"
         "access_log: { path: off }\n"
         "listeners:\n"
         "  - name: main\n"
         "    listen: 127.0.0.1:0\n"
         "    routes:\n"
         "      - { host: localhost, upstream: tls-server, connect: true }\n" +
         extra_routes +
         "upstreams:\n"
         "  tls-server:\n"
         "    endpoints: [ \"127.0.0.1:" +
         std::to_string(port) + "\" ]\n" + upstreams_extra;
}

class ConnectTunnelTest : public ::testing::Test {
 protected:
  // A TLS server (openssl s_server -www) for "localhost", signed by a CA written to ca.pem.
  void startTlsServer() {
    writeLocalhostPki(dir_);
    tls_port_ = closedPort();
    ASSERT_TRUE(
        server_.start({"/usr/bin/openssl", "s_server", "-www", "-accept", std::to_string(tls_port_),
                       "-cert", dir_.file("server.pem"), "-key", dir_.file("server.key")},
                      dir_.file("s_server.log")));
    const bool listening = eventually(
        [&] { return HttpConnection(tls_port_, std::chrono::milliseconds(500)).connected(); },
        std::chrono::milliseconds(10000));
    ASSERT_TRUE(listening) << server_.log();
  }
  void startProxy(const std::string& yaml) {
    proxy_ = std::make_unique<OutriggerProcess>(dir_, yaml);
    ASSERT_TRUE(proxy_->ok()) << proxy_->log();
  }
  double tunnels(const std::string& result) const {
    return proxy_
        ->metric("outrigger_tunnels_total",
                 {{"upstream", "tls-server"}, {"kind", "connect"}, {"result", result}})
        .value_or(0);
  }

  TempDir dir_;
  ChildProcess server_;
  uint16_t tls_port_ = 0;
  std::unique_ptr<OutriggerProcess> proxy_;
};

TEST_F(ConnectTunnelTest, CurlThroughTheProxyVerifiesTheServerCertificateEndToEnd) {
  startTlsServer();
  startProxy(connectConfig(tls_port_));
  std::string out;
  const std::string command =
      "curl -s -S --max-time 20 -x http://127.0.0.1:" + std::to_string(proxy_->port("main")) +
      " https://localhost:" + std::to_string(tls_port_) + "/ --cacert " + dir_.file("ca.pem");
  ASSERT_EQ(runCommand(command, &out), 0) << out << "\n" << proxy_->log();
  EXPECT_NE(out.find("s_server"), std::string::npos) << out;  // s_server's -www page
  EXPECT_TRUE(eventually([&] { return tunnels("closed") == 1; })) << proxy_->log();
  EXPECT_EQ(tunnels("connect_failed"), 0);
}

TEST_F(ConnectTunnelTest, ACONNECTToAnUnlistedHostGets403AndReachesNoUpstream) {
  RawUpstream upstream(std::map<std::string, std::string>{});
  const std::string port = upstream.address().substr(upstream.address().rfind(':') + 1);
  // Even a catch-all ordinary route does not take it.
  startProxy(connectConfig(static_cast<uint16_t>(std::stoi(port)),
                           "      - { host: \"*\", upstream: tls-server }\n"));
  HttpConnection app(proxy_->port("main"));
  ASSERT_TRUE(
      app.sendRaw("CONNECT api.other.example:443 HTTP/1.1\r\n"
                  "Host: api.other.example:443\r\n\r\n"));
  const auto response = app.readResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 403);
  EXPECT_EQ(response->header("x-outrigger-reason"), "connect_not_allowed");
  EXPECT_EQ(upstream.accepts(), 0);
  EXPECT_EQ(tunnels("closed"), 0);
}

TEST_F(ConnectTunnelTest, AConnectRouteWhoseUpstreamIsDownAnswers502ConnectFailed) {
  startProxy(connectConfig(closedPort()));
  HttpConnection app(proxy_->port("main"));
  ASSERT_TRUE(app.sendRaw("CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n"));
  const auto response = app.readResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 502);
  EXPECT_EQ(response->header("x-outrigger-reason"), "connect_failed");
  EXPECT_EQ(tunnels("connect_failed"), 1);
}

TEST_F(ConnectTunnelTest, AConnectRouteServesOnlyCONNECT) {
  RawUpstream upstream(std::map<std::string, std::string>{});
  const std::string port = upstream.address().substr(upstream.address().rfind(':') + 1);
  startProxy(connectConfig(static_cast<uint16_t>(std::stoi(port))));
  HttpConnection app(proxy_->port("main"));
  ASSERT_TRUE(app.sendRaw("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  const auto response = app.readResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->header("x-outrigger-reason"), "no_route");
  EXPECT_EQ(upstream.accepts(), 0);
}

TEST_F(ConnectTunnelTest, DuringTheDrainACONNECTOnAKeptAliveConnectionOpensNoTunnel) {
  RawUpstream target(std::map<std::string, std::string>{});
  RawUpstream web(std::map<std::string, std::string>{
      {"/ok", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"}});
  const std::string port = target.address().substr(target.address().rfind(':') + 1);
  startProxy("drain: { grace: 10s, timeout: 20s }\n" +
             connectConfig(static_cast<uint16_t>(std::stoi(port)),
                           "      - { host: web, upstream: web }\n",
                           "  web: { endpoints: [ \"" + web.address() + "\" ] }\n"));
  HttpConnection app(proxy_->port("main"));
  ASSERT_TRUE(app.sendRaw("GET /ok HTTP/1.1\r\nHost: web\r\n\r\n"));
  auto first = app.readResponse();
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200);

  proxy_->signal(SIGTERM);
  ASSERT_TRUE(eventually([&] {
    auto ready = httpRequest(proxy_->adminPort(), "GET", "/ready");
    return ready && ready->status == 503;
  }));
  // The connection the drain asks the app to close carries no new tunnel.
  ASSERT_TRUE(app.sendRaw("CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n"));
  const auto refused = app.readResponse();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->header("x-outrigger-reason"), "draining");
  EXPECT_EQ(refused->header("Connection"), "close");
  EXPECT_TRUE(app.waitForClose(std::chrono::milliseconds(3000)));
  EXPECT_EQ(target.accepts(), 0);
  EXPECT_EQ(proxy_->metric("outrigger_local_replies_total",
                           {{"upstream", "tls-server"}, {"reason", "draining"}})
                .value_or(0),
            1);

  // The app still gets its tunnel on a new connection: the drain keeps serving it.
  HttpConnection fresh(proxy_->port("main"));
  ASSERT_TRUE(fresh.sendRaw("CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n"));
  std::string got;
  while (got.find("\r\n\r\n") == std::string::npos) {
    pollfd p{fresh.fd(), POLLIN, 0};
    if (::poll(&p, 1, 3000) <= 0) break;
    char buf[512];
    const ssize_t n = ::recv(fresh.fd(), buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(got, "HTTP/1.1 200 Connection Established\r\n\r\n");
  EXPECT_TRUE(eventually([&] { return target.accepts() == 1; }));
}

}  // namespace
}  // namespace outrigger::testing
