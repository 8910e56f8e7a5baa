// Health checks of HTTP/2 upstreams, against real peers that speak nothing else: the GET of
// `type: http` goes over h2c to nghttpd (or over h2 when TLS's ALPN picks it), and
// `type: grpc` calls grpc.health.v1.Health/Check on a python3-grpcio server (grpc_peer.py).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>

#include "tests/integration/grpc_peer.h"
#include "tests/integration/proxy_fixture.h"
#include "tests/support/lib/process.h"
#include "tests/support/lib/test_pki.h"

namespace outrigger::testing {
namespace {

using ::testing::HasSubstr;

constexpr auto kSettle = std::chrono::milliseconds(8000);

// Every 200 ms, one probe decides.
std::string fastCheck(const std::string& type_and_target) {
  return "    health_check: { " + type_and_target +
         ", interval: 200ms, timeout: 200ms, healthy_threshold: 1, unhealthy_threshold: 1 }\n";
}

std::optional<double> healthy(const OutriggerProcess& proxy, const std::string& endpoint) {
  return proxy.metric("outrigger_endpoint_healthy", {{"upstream", "mock"}, {"endpoint", endpoint}});
}

bool becomes(const OutriggerProcess& proxy, const std::string& endpoint, double value) {
  return eventually([&] { return healthy(proxy, endpoint) == value; }, kSettle);
}

int healthCalls(uint16_t peer_port) {
  const std::string counts = call(peer_port, "Count");
  const size_t at = counts.find("Health=");
  return at == std::string::npos ? 0 : std::atoi(counts.c_str() + at + 7);
}

class GrpcHealthCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    peer_ = std::make_unique<GrpcPeer>(dir_);
    ASSERT_TRUE(peer_->ok()) << readFile(dir_.file("grpc.log"));
  }
  std::unique_ptr<OutriggerProcess> start(const std::string& service) {
    auto proxy = std::make_unique<OutriggerProcess>(
        dir_, proxyConfig(peer_->address(),
                          "    protocol: http2\n" + fastCheck("type: grpc, service: " + service)));
    EXPECT_TRUE(proxy->ok()) << proxy->log();
    return proxy;
  }
  void setHealth(const std::string& service, int status) {
    const std::string out =
        call(peer_->port(), "SetHealth " + service + "=" + std::to_string(status));
    ASSERT_THAT(out, HasSubstr("status OK")) << out;
  }

  TempDir dir_;
  std::unique_ptr<GrpcPeer> peer_;
};

TEST_F(GrpcHealthCheckTest, TheServicesServingStatusDecidesTheEndpointsHealth) {
  setHealth("test.Peer", 2);  // NOT_SERVING before outrigger starts
  auto proxy = start("test.Peer");
  ASSERT_TRUE(proxy->ok());
  ASSERT_TRUE(becomes(*proxy, peer_->address(), 0)) << proxy->log();
  EXPECT_THAT(proxy->log(), HasSubstr("last: grpc NOT_SERVING"));

  setHealth("test.Peer", 1);
  ASSERT_TRUE(becomes(*proxy, peer_->address(), 1)) << proxy->log();
  EXPECT_THAT(proxy->log(), HasSubstr("is healthy again"));
  EXPECT_GE(healthCalls(peer_->port()), 2);
  // The checks took nothing from the app's calls, which still pass.
  EXPECT_THAT(call(proxy->port("main"), "Echo hello"), HasSubstr("status OK"));
}

TEST_F(GrpcHealthCheckTest, AnUnknownServiceIsUnhealthyWithTheServersReason) {
  auto proxy = start("no.Such");
  ASSERT_TRUE(proxy->ok());
  ASSERT_TRUE(becomes(*proxy, peer_->address(), 0)) << proxy->log();
  EXPECT_THAT(proxy->log(), HasSubstr("grpc-status not_found: unknown service no.Such"));
}

// nghttpd speaks only HTTP/2: an HTTP/1.1 GET would never get a status back.
class Http2HealthCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access("/usr/sbin/nghttpd", X_OK) != 0) GTEST_SKIP() << "nghttpd not installed";
    std::ofstream(dir_.file("health")) << "ok\n";
  }
  std::string startNghttpd(const std::vector<std::string>& tls = {}) {
    const uint16_t port = closedPort();
    std::vector<std::string> argv = {"/usr/sbin/nghttpd", "-d", dir_.path(), std::to_string(port)};
    if (tls.empty()) argv.insert(argv.begin() + 1, "--no-tls");
    argv.insert(argv.end(), tls.begin(), tls.end());
    server_.start(argv, dir_.file("nghttpd.log"));
    EXPECT_TRUE(eventually([&] { return listening(port); }, std::chrono::milliseconds(5000)));
    return std::to_string(port);
  }

  TempDir dir_;
  ChildProcess server_;
};

TEST_F(Http2HealthCheckTest, AGetOverH2cMarksAnHttp2OnlyServerHealthyOrNot) {
  const std::string endpoint = "127.0.0.1:" + startNghttpd();
  OutriggerProcess found(
      dir_, proxyConfig(endpoint, "    protocol: http2\n" + fastCheck("path: /health")));
  ASSERT_TRUE(found.ok()) << found.log();
  OutriggerProcess missing(
      dir_, proxyConfig(endpoint, "    protocol: http2\n" + fastCheck("path: /missing")),
      "missing");
  ASSERT_TRUE(missing.ok()) << missing.log();
  ASSERT_TRUE(becomes(missing, endpoint, 0)) << missing.log();
  EXPECT_THAT(missing.log(), HasSubstr("last: status 404"));
  // Both have probed by now; the one whose path exists never failed one.
  EXPECT_EQ(healthy(found, endpoint), 1);
  EXPECT_THAT(found.log(), ::testing::Not(HasSubstr("unhealthy")));
}

TEST_F(Http2HealthCheckTest, AutoProbesInWhatAlpnPicked) {
  writeLocalhostPki(dir_);
  // nghttpd over TLS offers only h2.
  const std::string endpoint =
      "localhost:" + startNghttpd({dir_.file("server.key"), dir_.file("server.pem")});
  OutriggerProcess proxy(dir_, proxyConfig(endpoint,
                                           "    protocol: auto\n"
                                           "    tls: { ca_file: ca.pem }\n" +
                                               fastCheck("path: /missing")));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  // A 404 proves the GET was understood, so it went in HTTP/2.
  ASSERT_TRUE(becomes(proxy, endpoint, 0)) << proxy.log();
  EXPECT_THAT(proxy.log(), HasSubstr("last: status 404"));
}

}  // namespace
}  // namespace outrigger::testing
