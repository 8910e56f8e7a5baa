// `protocol: auto` (TLS only): connections offer h2 then http/1.1 through ALPN, and the
// server's pick decides the protocol. Real peers: nghttpd (h2 only over TLS), `openssl
// s_server -WWW` picking http/1.1, and mock-upstream's TLS front, which picks nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>

#include "tests/integration/proxy_fixture.h"
#include "tests/support/lib/process.h"
#include "tests/support/lib/test_pki.h"

namespace outrigger::testing {
namespace {

class AutoProtocolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    writeLocalhostPki(dir_);
    std::ofstream(dir_.file("hello.txt")) << "hello over auto\n";
  }
  // A server on a free port, waited for until it accepts.
  uint16_t startServer(const std::vector<std::string>& argv_tail, const std::string& binary) {
    const uint16_t port = closedPort();
    std::vector<std::string> argv = {binary};
    for (const std::string& arg : argv_tail)
      argv.push_back(arg == "PORT" ? std::to_string(port) : arg);
    server_.start(argv, dir_.file("server.log"));
    EXPECT_TRUE(eventually([&] { return listening(port); }, std::chrono::milliseconds(5000)));
    return port;
  }
  void startProxy(const std::string& endpoint) {
    proxy_ =
        std::make_unique<OutriggerProcess>(dir_, proxyConfig(endpoint,
                                                             "    protocol: auto\n"
                                                             "    tls: { ca_file: ca.pem }\n"));
    ASSERT_TRUE(proxy_->ok()) << proxy_->log();
  }
  std::string get(const std::string& path, const std::string& curl_options = "") {
    return commandOutput("curl -s -S --max-time 10 -i " + curl_options +
                         " http://127.0.0.1:" + std::to_string(proxy_->port("main")) + path);
  }
  // New TLS handshakes made to the upstream (the first connection is the one kept).
  double handshakes() {
    return proxy_
        ->metric("outrigger_tls_handshakes_total", {{"upstream", "mock"}, {"outcome", "new"}})
        .value_or(-1);
  }

  TempDir dir_;
  ChildProcess server_;
  std::unique_ptr<OutriggerProcess> proxy_;
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(AutoProtocolTest, AnH2OnlyServerIsSpokenToInHttp2) {
  if (::access("/usr/sbin/nghttpd", X_OK) != 0) GTEST_SKIP() << "nghttpd not installed";
  // nghttpd over TLS offers only h2: an HTTP/1.1 request would get nothing.
  const uint16_t port =
      startServer({"-d", dir_.path(), "PORT", dir_.file("server.key"), dir_.file("server.pem")},
                  "/usr/sbin/nghttpd");
  startProxy("localhost:" + std::to_string(port));
  for (int i = 0; i < 3; ++i) {
    const std::string out = get("/hello.txt");
    EXPECT_TRUE(contains(out, "HTTP/1.1 200")) << out << proxy_->log();
    EXPECT_TRUE(contains(out, "hello over auto")) << out;
  }
  const std::string h2 = get("/hello.txt", "--http2-prior-knowledge");
  EXPECT_TRUE(contains(h2, "HTTP/2 200")) << h2;
  EXPECT_EQ(handshakes(), 1);  // the connection that heard "h2" carried every stream
}

TEST_F(AutoProtocolTest, AServerThatPicksHttp11IsSpokenToInHttp11) {
  // openssl s_server answers ALPN with http/1.1 and serves files from its directory.
  const uint16_t port = closedPort();
  server_.start({"/bin/sh", "-c",
                 "cd '" + dir_.path() + "' && exec openssl s_server -quiet -WWW -alpn http/1.1 " +
                     "-cert server.pem -key server.key -accept 127.0.0.1:" + std::to_string(port)},
                dir_.file("server.log"));
  ASSERT_TRUE(eventually([&] { return listening(port); }, std::chrono::milliseconds(5000)));
  startProxy("localhost:" + std::to_string(port));
  const std::string out = get("/hello.txt");
  EXPECT_TRUE(contains(out, "HTTP/1.1 200"))
      << out << proxy_->log() << readFile(dir_.file("server.log"));
  EXPECT_TRUE(contains(out, "hello over auto")) << out;
  const std::string h2 = get("/hello.txt", "--http2-prior-knowledge");
  EXPECT_TRUE(contains(h2, "HTTP/2 200")) << h2;
  EXPECT_TRUE(contains(h2, "hello over auto")) << h2;
}

// The server behind an endpoint changes its answer on the same port: openssl s_server
// (http/1.1, a connection per request), then nghttpd (h2 only), then s_server again. Every
// request succeeds: the one that meets the change on a new connection is refused by the codec
// that cannot speak it, sent again at once, and the endpoint follows the new answer.
TEST_F(AutoProtocolTest, AServerThatChangesItsAnswerIsFollowedFromItsNextConnection) {
  if (::access("/usr/sbin/nghttpd", X_OK) != 0) GTEST_SKIP() << "nghttpd not installed";
  const uint16_t port = closedPort();
  const std::string where = "127.0.0.1:" + std::to_string(port);
  const auto serve = [&](ChildProcess& server, const std::vector<std::string>& argv,
                         const std::string& log) {
    server.start(argv, dir_.file(log));
    ASSERT_TRUE(eventually([&] { return listening(port); }, std::chrono::milliseconds(5000)))
        << readFile(dir_.file(log));
  };
  const std::vector<std::string> http11 = {
      "/bin/sh", "-c",
      "cd '" + dir_.path() + "' && exec openssl s_server -quiet -WWW -alpn http/1.1 " +
          "-cert server.pem -key server.key -accept " + where};
  const auto stop = [&](ChildProcess& server) {
    server.signal(SIGKILL);
    server.wait(std::chrono::milliseconds(5000));
    ASSERT_TRUE(eventually([&] { return !listening(port); }, std::chrono::milliseconds(5000)));
  };
  const auto allServed = [&](const std::string& when) {
    for (int i = 0; i < 3; ++i) {
      const std::string out = get("/hello.txt");
      EXPECT_TRUE(contains(out, "HTTP/1.1 200")) << when << ":\n" << out << proxy_->log();
      EXPECT_TRUE(contains(out, "hello over auto")) << out;
    }
  };
  const auto refused = [&] {
    return proxy_
        ->metric("outrigger_upstream_attempts_total", {{"outcome", "refused"}, {"upstream", "mock"}})
        .value_or(0);
  };

  ChildProcess first;
  serve(first, http11, "s_server-1.log");
  startProxy("localhost:" + std::to_string(port));
  allServed("http/1.1");
  EXPECT_EQ(refused(), 0);

  stop(first);
  ChildProcess h2;
  serve(h2, {"/usr/sbin/nghttpd", "-d", dir_.path(), std::to_string(port), dir_.file("server.key"),
             dir_.file("server.pem")},
        "nghttpd.log");
  allServed("after the server started picking h2");
  EXPECT_THAT(proxy_->log(), ::testing::HasSubstr("now picks h2 (ALPN); its requests go over HTTP/2"));
  EXPECT_EQ(refused(), 1);  // the request that met the change; the others went over h2 at once

  stop(h2);
  ChildProcess again;
  serve(again, http11, "s_server-2.log");
  allServed("after the server stopped picking h2");
  EXPECT_THAT(proxy_->log(),
              ::testing::HasSubstr("now picks http/1.1 (ALPN); its requests go over HTTP/1.1"));
  EXPECT_EQ(refused(), 2);
}

TEST_F(AutoProtocolTest, AServerThatPicksNothingIsSpokenToInHttp11) {
  MockUpstream mock(dir_, "tls-mock",
                    {"--tls-cert", dir_.file("server.pem"), "--tls-key", dir_.file("server.key")});
  ASSERT_TRUE(mock.ok()) << readFile(dir_.file("tls-mock.log"));
  startProxy(mock.address());
  for (int i = 0; i < 3; ++i) {
    const std::string out = get("/get");
    EXPECT_TRUE(contains(out, "HTTP/1.1 200")) << out << proxy_->log();
  }
  EXPECT_EQ(handshakes(), 1);  // the first connection went idle and was reused
}

}  // namespace
}  // namespace outrigger::testing
