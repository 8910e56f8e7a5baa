// A protocol: tcp listener whose upstream has a `tls:` block (issue 18): the app speaks plain
// bytes and the upstream, a real `openssl s_server -rev` (it answers each line reversed),
// sees TLS made as the HTTP pool makes it: the CA verified, the name from tls.sni, the
// client certificate presented. A certificate from another CA fails the connect, counted
// as connect_failed; the app's connection is closed at once.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <memory>
#include <string>

#include "tests/integration/proxy_fixture.h"
#include "tests/support/lib/http_client.h"
#include "tests/support/lib/test_pki.h"

namespace outrigger::testing {
namespace {

using ::testing::HasSubstr;


class TcpTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = makeCertificateAuthority("outrigger tcp tls CA");
    dir_.write("ca.pem", ca_.cert);
    dir_.write("other-ca.pem", makeCertificateAuthority("someone else").cert);
    // For the name "localhost" only: the endpoint is 127.0.0.1, so verification passes only
    // with tls.sni.
    CertificateSpec server;
    server.common_name = "localhost";
    server.dns_names = {"localhost"};
    const PemPair leaf = issueCertificate(ca_, server);
    dir_.write("server.pem", leaf.cert);
    dir_.write("server-key.pem", leaf.key);
    CertificateSpec client;
    client.common_name = "tcp-app-client";
    client.client = true;
    const PemPair app = issueCertificate(ca_, client);
    dir_.write("client.pem", app.cert);
    dir_.write("client-key.pem", app.key);
  }

  // s_server -rev on a free port, asking for (and verifying) a client certificate.
  void startServer() {
    port_ = closedPort();
    ASSERT_TRUE(server_.start(
        {"/usr/bin/openssl", "s_server", "-rev", "-accept", "127.0.0.1:" + std::to_string(port_),
         "-cert", dir_.file("server.pem"), "-key", dir_.file("server-key.pem"), "-Verify", "1",
         "-CAfile", dir_.file("ca.pem")},
        dir_.file("s_server.log")));
    const bool listening = eventually(
        [&] { return HttpConnection(port_, std::chrono::milliseconds(500)).connected(); },
        std::chrono::milliseconds(10000));
    ASSERT_TRUE(listening) << server_.log();
  }

  void startProxy(const std::string& ca_file) {
    const std::string yaml =
        "admin: { listen: 127.0.0.1:0 }\n"
        "access_log: { path: off }\n"
        "listeners:\n"
        "  - { name: secure, listen: 127.0.0.1:0, protocol: tcp, upstream: secure }\n"
        "upstreams:\n"
        "  secure:\n"
        "    endpoints: [ \"127.0.0.1:" +
        std::to_string(port_) +
        "\" ]\n"
        "    tls: { sni: localhost, ca_file: " +
        ca_file + ", cert_file: client.pem, key_file: client-key.pem }\n";
    proxy_ = std::make_unique<OutriggerProcess>(dir_, yaml);
    ASSERT_TRUE(proxy_->ok()) << proxy_->log();
  }

  double tunnels(const std::string& result) const {
    return proxy_
        ->metric("outrigger_tunnels_total",
                 {{"upstream", "secure"}, {"kind", "tcp"}, {"result", result}})
        .value_or(0);
  }

  TempDir dir_;
  PemPair ca_;
  ChildProcess server_;
  uint16_t port_ = 0;
  std::unique_ptr<OutriggerProcess> proxy_;
};

TEST_F(TcpTlsTest, ThePlainAppReachesATlsUpstreamThatVerifiesItsClientCertificate) {
  startServer();
  startProxy("ca.pem");
  HttpConnection app(proxy_->port("secure"));
  ASSERT_TRUE(app.sendRaw("hello tunnel\n"));
  EXPECT_EQ(readSome(app.fd(), 13), "lennut olleh\n") << proxy_->log() << server_.log();
  ASSERT_TRUE(app.sendRaw("second line\n"));
  EXPECT_EQ(readSome(app.fd(), 12), "enil dnoces\n");
  EXPECT_EQ(proxy_->metric("outrigger_tunnels_active", {{"upstream", "secure"}, {"kind", "tcp"}})
                .value_or(0),
            1);
  // The server saw our client certificate (it refuses a connection without one).
  EXPECT_THAT(server_.log(), HasSubstr("tcp-app-client"));
  EXPECT_EQ(
      proxy_->metric("outrigger_tls_handshakes_total", {{"upstream", "secure"}, {"outcome", "new"}})
              .value_or(0) +
          proxy_
              ->metric("outrigger_tls_handshakes_total",
                       {{"upstream", "secure"}, {"outcome", "resumed"}})
              .value_or(0),
      1);
  app.closeWrite();
  EXPECT_TRUE(app.waitForClose(std::chrono::milliseconds(3000)));
  EXPECT_TRUE(eventually([&] { return tunnels("closed") == 1; })) << proxy_->log();
  EXPECT_EQ(tunnels("connect_failed"), 0);
}

TEST_F(TcpTlsTest, AServerCertificateFromAnotherCaFailsTheConnect) {
  startServer();
  startProxy("other-ca.pem");
  HttpConnection app(proxy_->port("secure"));
  ASSERT_TRUE(app.sendRaw("hello\n"));
  // Closed at once, and never a byte of the server's.
  EXPECT_EQ(readSome(app.fd(), 1), "");
  EXPECT_TRUE(eventually([&] { return tunnels("connect_failed") == 1; })) << proxy_->log();
  EXPECT_EQ(tunnels("closed"), 0);
  EXPECT_EQ(proxy_
                ->metric("outrigger_tls_handshakes_total",
                         {{"upstream", "secure"}, {"outcome", "verify_failed"}})
                .value_or(0),
            1);
}

}  // namespace
}  // namespace outrigger::testing
