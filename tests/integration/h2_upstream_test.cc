// HTTP/2 to the upstream (`protocol: http2`, h2c with prior knowledge), driven by real
// peers: nghttpd (Debian's nghttp2-server) and a python3-grpcio server and client
// (grpc_peer.py). The app speaks HTTP/1.1 or HTTP/2; gRPC calls keep every policy.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/grpc_peer.h"
#include "tests/integration/proxy_fixture.h"
#include "tests/support/lib/process.h"
#include "tests/support/lib/test_pki.h"

namespace outrigger::testing {
namespace {

std::string run(const std::string& command) { return commandOutput(command); }

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The arrival times ("msg <ms> <payload>" lines) grpc_peer.py printed.
std::vector<long> arrivals(const std::string& out) {
  std::vector<long> times;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("msg ", 0) == 0) times.push_back(std::atol(line.c_str() + 4));
  }
  return times;
}

class GrpcUpstreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    peer_ = std::make_unique<GrpcPeer>(dir_);
    ASSERT_TRUE(peer_->ok()) << readFile(dir_.file("grpc.log"));
  }
  void startProxy(const std::string& upstream_extra = "") {
    proxy_ = std::make_unique<OutriggerProcess>(
        dir_, proxyConfig(peer_->address(), "    protocol: http2\n" + upstream_extra));
    ASSERT_TRUE(proxy_->ok()) << proxy_->log();
    port_ = proxy_->port("main");
  }
  int hits(const std::string& method) {
    const std::string counts = call(peer_->port(), "Count");
    const size_t at = counts.find(method + "=");
    return at == std::string::npos ? 0 : std::atoi(counts.c_str() + at + method.size() + 1);
  }

  TempDir dir_;
  std::unique_ptr<GrpcPeer> peer_;
  std::unique_ptr<OutriggerProcess> proxy_;
  uint16_t port_ = 0;
};

TEST_F(GrpcUpstreamTest, UnaryCallPassesThrough) {
  startProxy();
  const std::string out = call(port_, "Echo hello");
  EXPECT_TRUE(contains(out, " hello\n")) << out;
  EXPECT_TRUE(contains(out, "status OK")) << out;
  EXPECT_EQ(hits("Echo"), 1);
}

TEST_F(GrpcUpstreamTest, StreamedMessagesArriveAsTheyAreSentNotAtTheEnd) {
  startProxy();
  // Server streaming: three ticks 100 ms apart reach the client 100 ms apart.
  std::string out = call(port_, "Ticks 3");
  ASSERT_TRUE(contains(out, "status OK")) << out;
  std::vector<long> at = arrivals(out);
  ASSERT_EQ(at.size(), 3u) << out;
  EXPECT_GE(at[2] - at[0], 150) << out;
  // Bidirectional: each echo comes back before the next message is sent.
  out = call(port_, "Chat x --messages 3");
  ASSERT_TRUE(contains(out, "status OK")) << out;
  at = arrivals(out);
  ASSERT_EQ(at.size(), 3u) << out;
  EXPECT_GE(at[2] - at[0], 150) << out;
  // Client streaming: four messages of three bytes are summed by the server.
  out = call(port_, "Sum abc --messages 4");
  EXPECT_TRUE(contains(out, " 12\n")) << out;
}

TEST_F(GrpcUpstreamTest, AnInvalidArgumentIsAnsweredOnceAndNotRetried) {
  startProxy("    retry: { max_attempts: 3, retry_on: [ reset, 503 ] }\n");
  const std::string out = call(port_, "Invalid");
  EXPECT_TRUE(contains(out, "status INVALID_ARGUMENT bad argument")) << out;
  EXPECT_EQ(hits("Invalid"), 1);
}

TEST_F(GrpcUpstreamTest, TheClientsDeadlineReachesTheServerAndEndsTheCall) {
  startProxy();
  // The server sees grpc-timeout, with what was left of the client's 5 s.
  std::string out = call(port_, "Slow 10 --timeout 5");
  ASSERT_TRUE(contains(out, "status OK")) << out;
  EXPECT_TRUE(contains(out, "deadline=")) << out;
  EXPECT_FALSE(contains(out, "deadline=none")) << out;
  // A 200 ms deadline against a 2 s server ends near 200 ms.
  out = call(port_, "Slow 2000 --timeout 0.2");
  EXPECT_TRUE(contains(out, "status DEADLINE_EXCEEDED")) << out;
  const size_t at = out.find("elapsed_ms ");
  ASSERT_NE(at, std::string::npos) << out;
  EXPECT_LT(std::atol(out.c_str() + at + 11), 1500) << out;
}

TEST_F(GrpcUpstreamTest, ABulkheadRejectionIsUnavailableNamingTheReason) {
  startProxy("    bulkhead: { max_concurrent: 1, max_queue: 0 }\n");
  auto busy = std::async(std::launch::async, [this] { return call(port_, "Slow 1500"); });
  ASSERT_TRUE(eventually([&] { return hits("Slow") == 1; }, std::chrono::milliseconds(10000)));
  // /upstreams shows the one stream open on the endpoint's HTTP/2 connection.
  auto upstreams = httpRequest(proxy_->adminPort(), "GET", "/upstreams");
  ASSERT_TRUE(upstreams);
  EXPECT_TRUE(contains(upstreams->body, "\"active\":1,\"idle\":0,\"connecting\":0,\"http2_streams\":1"))
      << upstreams->body;
  const std::string out = call(port_, "Echo x");
  EXPECT_TRUE(contains(out, "status UNAVAILABLE")) << out;
  EXPECT_TRUE(contains(out, "bulkhead_full")) << out;
  EXPECT_EQ(hits("Echo"), 0);
  EXPECT_TRUE(contains(busy.get(), "status OK"));
}

TEST_F(GrpcUpstreamTest, ManyConcurrentCallsShareOneUpstreamConnection) {
  startProxy("    http2: { max_concurrent_streams: 100 }\n");
  std::vector<std::future<std::string>> calls;
  for (int i = 0; i < 8; ++i)
    calls.push_back(std::async(std::launch::async, [this] { return call(port_, "Slow 300"); }));
  for (auto& c : calls) EXPECT_TRUE(contains(c.get(), "status OK"));
  EXPECT_EQ(hits("Slow"), 8);
  // One connection carried them all (the pool gauge counts it as active while open).
  const auto active =
      proxy_->metric("outrigger_pool_connections", {{"state", "active"}, {"upstream", "mock"}});
  ASSERT_TRUE(active);
  EXPECT_EQ(*active, 1);
}

TEST(GrpcGoAwayTest, UpstreamGoAwaysInTheMiddleOfALoadFailNoCall) {
  // The server sends every connection a GOAWAY after 300 ms: streams above its last-stream-id
  // are retried on a new connection as not processed; those below it finish.
  TempDir dir;
  GrpcPeer peer(dir, 300);
  ASSERT_TRUE(peer.ok()) << readFile(dir.file("grpc.log"));
  // A breaker and outlier detection on a hair trigger: a graceful GOAWAY is no failure.
  OutriggerProcess proxy(dir, proxyConfig(peer.address(),
                                          "    protocol: http2\n"
                                          "    retry: { max_attempts: 3 }\n"
                                          "    circuit_breaker: { failure_threshold: 1 }\n"
                                          "    outlier_detection: { consecutive_failures: 1 }\n"));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  const std::string out =
      run("/usr/bin/python3 " + kPeer + " load 127.0.0.1:" +
          std::to_string(proxy.port("main")) + " 5000");
  EXPECT_TRUE(contains(out, "ok 5000 failed 0")) << out;
  EXPECT_EQ(proxy.metric("outrigger_circuit_breaker_transitions_total",
                         {{"to", "open"}, {"upstream", "mock"}})
                .value_or(0),
            0);
  EXPECT_EQ(proxy.metric("outrigger_upstream_attempts_total",
                         {{"outcome", "reset"}, {"upstream", "mock"}})
                .value_or(0),
            0);
  // The load outlasted several connection ages, so GOAWAYs did cut in. (How many streams
  // they refused, to be sent again, depends on timing: gRPC servers go away in two steps.)
  const size_t at = out.find("elapsed_ms ");
  ASSERT_NE(at, std::string::npos) << out;
  EXPECT_GE(std::atol(out.c_str() + at + 11), 700) << out;
}

TEST(GrpcFallbackTest, AGrpcClientReadsTheStaticFallbackInGrpcForm) {
  TempDir dir;
  std::string yaml = proxyConfig("127.0.0.1:" + std::to_string(closedPort()),
                                 "    protocol: http2\n"
                                 "    fallback: { response: { grpc_status: unavailable, "
                                 "grpc_message: \"greeter is degraded\" } }\n");
  // A gRPC route: --check would refuse it an HTTP fallback.
  yaml.replace(yaml.find("{ path_prefix: /,"), 17,
               "{ match: { headers: { content-type: application/grpc } },");
  OutriggerProcess proxy(dir, yaml);
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  const std::string out = call(proxy.port("main"), "Echo hello");
  EXPECT_TRUE(contains(out, "status UNAVAILABLE greeter is degraded")) << out;
}

// nghttpd serves files over h2c; an HTTP/1.1 app and an HTTP/2 app both reach it.
class NghttpdUpstreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access("/usr/sbin/nghttpd", X_OK) != 0) GTEST_SKIP() << "nghttpd not installed";
    std::ofstream(dir_.file("hello.txt")) << "hello over h2c\n";
    const uint16_t port = closedPort();
    server_.start({"/usr/sbin/nghttpd", "--no-tls", "-d", dir_.path(), std::to_string(port)},
                  dir_.file("nghttpd.log"));
    ASSERT_TRUE(eventually([&] { return listening(port); }, std::chrono::milliseconds(5000)));
    proxy_ = std::make_unique<OutriggerProcess>(
        dir_, proxyConfig("127.0.0.1:" + std::to_string(port), "    protocol: http2\n"));
    ASSERT_TRUE(proxy_->ok()) << proxy_->log();
    port_ = proxy_->port("main");
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  TempDir dir_;
  ChildProcess server_;
  std::unique_ptr<OutriggerProcess> proxy_;
  uint16_t port_ = 0;
};

TEST_F(NghttpdUpstreamTest, AnHttp1AppAndAnHttp2AppBothReachAnHttp2OnlyUpstream) {
  std::string out = run("curl -s -S --max-time 10 -i " + url("/hello.txt"));
  EXPECT_TRUE(contains(out, "HTTP/1.1 200")) << out;
  EXPECT_TRUE(contains(out, "hello over h2c")) << out;
  out = run("curl -s -S --max-time 10 -i --http2-prior-knowledge " + url("/hello.txt"));
  EXPECT_TRUE(contains(out, "HTTP/2 200")) << out;
  EXPECT_TRUE(contains(out, "hello over h2c")) << out;
  out = run("curl -s -S --max-time 10 -o /dev/null -w '%{http_code}' " + url("/missing"));
  EXPECT_EQ(out, "404");
}

TEST_F(NghttpdUpstreamTest, ALoadOfStreamsOnOneAppConnectionAllSucceed) {
  if (::access("/usr/bin/h2load", X_OK) != 0) GTEST_SKIP() << "h2load not installed";
  const std::string out = run("h2load -n 2000 -c 1 -m 50 " + url("/hello.txt"));
  EXPECT_TRUE(contains(out, "2000 succeeded, 0 failed")) << out;
  const auto active = proxy_->metric("outrigger_pool_connections",
                                     {{"state", "active"}, {"upstream", "mock"}});
  ASSERT_TRUE(active);
  EXPECT_EQ(*active, 1);  // 50 streams at once fit on one upstream connection
}

TEST(NghttpdTlsUpstreamTest, H2OverTlsIsNegotiatedWithAlpnAndTheCertificateChecked) {
  if (::access("/usr/sbin/nghttpd", X_OK) != 0) GTEST_SKIP() << "nghttpd not installed";
  TempDir dir;
  writeLocalhostPki(dir);
  std::ofstream(dir.file("hello.txt")) << "hello over h2\n";
  const uint16_t port = closedPort();
  ChildProcess nghttpd;  // nghttpd offers only h2 through ALPN
  nghttpd.start({"/usr/sbin/nghttpd", "-d", dir.path(), std::to_string(port), dir.file("server.key"),
                 dir.file("server.pem")},
                dir.file("nghttpd.log"));
  ASSERT_TRUE(eventually([&] { return listening(port); }, std::chrono::milliseconds(5000)));
  OutriggerProcess proxy(dir, proxyConfig("localhost:" + std::to_string(port),
                                          "    protocol: http2\n"
                                          "    tls: { ca_file: ca.pem }\n"));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  const std::string out = run("curl -s -S --max-time 10 -i http://127.0.0.1:" +
                              std::to_string(proxy.port("main")) + "/hello.txt");
  EXPECT_TRUE(contains(out, "HTTP/1.1 200")) << out << proxy.log();
  EXPECT_TRUE(contains(out, "hello over h2")) << out;
}

}  // namespace
}  // namespace outrigger::testing
