// TLS to upstreams (issue 5, item 1): the app calls plain HTTP, outrigger speaks TLS to a
// mock-upstream behind its --tls front. Every certificate is made at test time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "tests/integration/proxy_fixture.h"
#include "tests/support/lib/test_pki.h"

namespace outrigger::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using std::chrono::milliseconds;

CertificateSpec serverCertificate(std::string name, std::vector<std::string> dns,
                                  std::vector<std::string> ips) {
  CertificateSpec spec;
  spec.common_name = std::move(name);
  spec.dns_names = std::move(dns);
  spec.ip_addresses = std::move(ips);
  return spec;
}

CertificateSpec clientCertificate(std::string name) {
  CertificateSpec spec;
  spec.common_name = std::move(name);
  spec.client = true;
  return spec;
}

size_t countOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) n++;
  return n;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = makeCertificateAuthority("outrigger test CA");
    writePem("ca.pem", ca_.cert);
    useServerCertificate(
        issueCertificate(ca_, serverCertificate("localhost", {"localhost"}, {"127.0.0.1"})));
  }

  void writePem(const std::string& name, const std::string& pem) { dir_.write(name, pem); }
  void useServerCertificate(const PemPair& pair) {
    writePem("server.pem", pair.cert);
    writePem("server-key.pem", pair.key);
  }
  // A client certificate written atomically, as a Secret update would: both files are
  // renamed into place.
  void writeClientCertificate(const std::string& common_name) {
    const PemPair pair = issueCertificate(ca_, clientCertificate(common_name));
    dir_.write("client.pem.new", pair.cert);
    dir_.write("client-key.pem.new", pair.key);
    std::rename(dir_.file("client-key.pem.new").c_str(), dir_.file("client-key.pem").c_str());
    std::rename(dir_.file("client.pem.new").c_str(), dir_.file("client.pem").c_str());
  }

  void startMock(bool require_client_certificate = false) {
    std::vector<std::string> args = {"--tls-cert",     dir_.file("server.pem"),
                                     "--tls-key",      dir_.file("server-key.pem"),
                                     "--tls-log",      dir_.file("handshakes.log")};
    if (require_client_certificate) {
      args.push_back("--tls-client-ca");
      args.push_back(dir_.file("ca.pem"));
    }
    mock_ = std::make_unique<MockUpstream>(dir_, "tls-mock", args);
    ASSERT_TRUE(mock_->ok()) << readFile(dir_.file("tls-mock.log"));
  }

  // outrigger with upstream "mock" at the TLS mock, `tls` the flow map of its tls block.
  void startProxy(const std::string& tls, const std::string& upstream_extra = "") {
    std::string yaml = proxyConfig(mock_->address(), "    tls: " + tls + "\n" + upstream_extra);
    const std::string off = "access_log: { path: off }";
    yaml.replace(yaml.find(off), off.size(), "access_log: { path: " + dir_.file("access.log") + " }");
    proxy_ = std::make_unique<OutriggerProcess>(dir_, yaml);
    ASSERT_TRUE(proxy_->ok()) << proxy_->log();
  }

  std::optional<HttpResponse> get(const std::string& target) {
    return httpRequest(proxy_->port("main"), "GET", target);
  }
  double handshakes(const std::string& outcome) const {
    return proxy_->metric("outrigger_tls_handshakes_total", {{"upstream", "mock"}, {"outcome", outcome}})
        .value_or(-1);
  }
  std::string handshakeLog() const { return readFile(dir_.file("handshakes.log")); }
  // The access log once it holds `lines` lines (it is written off the request path).
  std::string accessLog(size_t lines = 1) const {
    eventually([&] { return countOf(readFile(dir_.file("access.log")), "\n") >= lines; });
    return readFile(dir_.file("access.log"));
  }
  // A request refused because the upstream's certificate is not acceptable.
  void expectVerifyFailure(const std::string& reason) {
    auto r = get("/get");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 502);
    EXPECT_THAT(accessLog(), HasSubstr("certificate verify failed: " + reason));
    EXPECT_THAT(accessLog(), HasSubstr("\"reason\":\"connect_failed\""));
    EXPECT_GE(handshakes("verify_failed"), 1);
    EXPECT_EQ(handshakes("new"), 0);
    // The mock completed no handshake, so no request reached it.
    EXPECT_THAT(handshakeLog(), Not(HasSubstr("handshake cn=")));
  }

  TempDir dir_;
  PemPair ca_;
  std::unique_ptr<MockUpstream> mock_;
  std::unique_ptr<OutriggerProcess> proxy_;
};

TEST_F(TlsTest, VerifiedConnectionServesPlainHttpAppAndResumesSessions) {
  startMock();
  // One request per connection, so every request needs a handshake.
  startProxy("{ ca_file: ca.pem }", "    pool: { max_requests_per_connection: 1 }\n");
  for (int i = 0; i < 4; ++i) {
    auto r = get("/get?n=" + std::to_string(i));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_THAT(r->body, HasSubstr("n=" + std::to_string(i)));
  }
  const std::string log = handshakeLog();
  EXPECT_EQ(countOf(log, "handshake cn=- "), 4u) << log;
  EXPECT_THAT(log, HasSubstr("version=TLSv1.3"));
  EXPECT_THAT(log, HasSubstr("sni=-"));  // an IP endpoint sends no SNI
  // The first handshake is full; the later ones resume the session the server gave.
  EXPECT_EQ(handshakes("new"), 1) << proxy_->metrics();
  EXPECT_EQ(handshakes("resumed"), 3) << proxy_->metrics();
  EXPECT_EQ(countOf(log, "resumed=1"), 3u) << log;
}

TEST_F(TlsTest, SniIsSentAndTheCertificateMustCarryIt) {
  startMock();
  startProxy("{ ca_file: ca.pem, sni: localhost, min_version: \"1.3\" }");
  auto r = get("/get");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(handshakeLog(), HasSubstr("sni=localhost"));
}

TEST_F(TlsTest, CertificateFromAnotherCaIsRefused) {
  writePem("other-ca.pem", makeCertificateAuthority("someone else").cert);
  startMock();
  startProxy("{ ca_file: other-ca.pem }");
  expectVerifyFailure("unable to get local issuer certificate");
}

TEST_F(TlsTest, CertificateForAnotherNameIsRefused) {
  useServerCertificate(
      issueCertificate(ca_, serverCertificate("other.example", {"other.example"}, {})));
  startMock();
  startProxy("{ ca_file: ca.pem, sni: localhost }");
  expectVerifyFailure("hostname mismatch");
}

TEST_F(TlsTest, ExpiredCertificateIsRefused) {
  CertificateSpec expired = serverCertificate("localhost", {}, {"127.0.0.1"});
  expired.valid_from_seconds = -2 * 24 * 3600;
  expired.valid_until_seconds = -24 * 3600;
  useServerCertificate(issueCertificate(ca_, expired));
  startMock();
  startProxy("{ ca_file: ca.pem }");
  expectVerifyFailure("certificate has expired");
}

TEST_F(TlsTest, VerifyFalseConnectsToAnyCertificateButWarnsLoudly) {
  useServerCertificate(
      issueCertificate(makeCertificateAuthority("unknown"), serverCertificate("nobody", {}, {})));
  startMock();
  startProxy("{ verify: false }");
  auto r = get("/get");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(proxy_->log(), HasSubstr("WARNING: upstream mock: tls.verify is false"));
}

TEST_F(TlsTest, MissingClientCertificateIsRefusedByAServerThatRequiresOne) {
  startMock(/*require_client_certificate=*/true);
  startProxy("{ ca_file: ca.pem }");
  auto r = get("/get");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  // TLS 1.3: the server's refusal arrives after our side of the handshake finished.
  EXPECT_THAT(accessLog(), HasSubstr("certificate required"));
  EXPECT_THAT(handshakeLog(), HasSubstr("handshake failed"));
  EXPECT_THAT(handshakeLog(), Not(HasSubstr("handshake cn=")));
}

TEST_F(TlsTest, ClientCertificateRotatesWhileTrafficFlows) {
  writeClientCertificate("client-a");
  startMock(/*require_client_certificate=*/true);
  startProxy("{ ca_file: ca.pem, cert_file: client.pem, key_file: client-key.pem }");
  auto first = get("/get");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200) << first->body << accessLog();
  EXPECT_THAT(handshakeLog(), HasSubstr("cn=client-a"));

  BackgroundTraffic traffic(proxy_->port("main"), "/get");
  ASSERT_TRUE(eventually([&] { return traffic.ok() > 20; }));
  writeClientCertificate("client-b");  // no signal: the directory watch notices
  EXPECT_TRUE(eventually([&] { return handshakeLog().find("cn=client-b") != std::string::npos; }))
      << proxy_->log();
  const int ok_at_rotation = traffic.ok();
  ASSERT_TRUE(eventually([&] { return traffic.ok() > ok_at_rotation + 20; }));
  traffic.stop();

  EXPECT_EQ(traffic.failed(), 0) << traffic.firstFailure();
  EXPECT_THAT(proxy_->log(), HasSubstr("TLS files reloaded (client certificate CN=client-b"));
  auto upstreams = httpRequest(proxy_->adminPort(), "GET", "/upstreams");
  ASSERT_TRUE(upstreams);
  EXPECT_THAT(upstreams->body, HasSubstr("\"client_certificate\":\"CN=client-b, valid until "));
  EXPECT_THAT(upstreams->body, HasSubstr("\"rotations\":1"));
  // Once rotated, no connection is made with the old certificate any more.
  const std::string log = handshakeLog();
  EXPECT_EQ(log.find("cn=client-a", log.find("cn=client-b")), std::string::npos) << log;
}

TEST_F(TlsTest, HandshakeCountsInsideTheConnectTimeout) {
  // A peer that completes TCP (the kernel does, from the backlog) but never answers TLS.
  const int silent = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(silent, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(silent, 16), 0);
  socklen_t len = sizeof addr;
  ::getsockname(silent, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string endpoint = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  proxy_ = std::make_unique<OutriggerProcess>(
      dir_, proxyConfig(endpoint, "    tls: { ca_file: " + dir_.file("ca.pem") +
                                      " }\n    timeouts: { connect: 300ms, read: 5s }\n"));
  ASSERT_TRUE(proxy_->ok()) << proxy_->log();
  const auto started = std::chrono::steady_clock::now();
  auto r = get("/get");
  const long took = elapsedMs(started);
  ::close(silent);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(r->header("x-outrigger-reason"), "connect_failed");
  EXPECT_GE(took, 280);
  EXPECT_LT(took, 2000);  // the read timeout (5s) never started
}

TEST_F(TlsTest, HealthChecksSpeakTlsToo) {
  startMock();
  startProxy("{ ca_file: ca.pem }",
             "    health_check: { path: /get, interval: 100ms, timeout: 100ms, "
             "unhealthy_threshold: 1, healthy_threshold: 1 }\n");
  // Probes go through the same handshake as requests: they are counted with them.
  EXPECT_TRUE(eventually([&] { return handshakes("new") + handshakes("resumed") >= 3; }))
      << proxy_->metrics();
  EXPECT_EQ(proxy_->metric("outrigger_endpoint_healthy",
                           {{"upstream", "mock"}, {"endpoint", mock_->address()}}),
            1);
  EXPECT_THAT(proxy_->log(), Not(HasSubstr("unhealthy")));
}

TEST_F(TlsTest, UnusableFilesAreConfigErrorsAtCheckStartAndReload) {
  TempDir dir;
  dir.write("ca.pem", ca_.cert);
  dir.write("not-pem.pem", "hello\n");
  const std::string endpoint = "127.0.0.1:" + std::to_string(closedPort());  // never dialled
  const auto config = [&endpoint](const std::string& tls) {
    return proxyConfig(endpoint, "    tls: " + tls + "\n");
  };
  std::string out;
  dir.write("missing.yaml", config("{ ca_file: nowhere.pem }"));
  EXPECT_EQ(runOutrigger("--check -c " + dir.file("missing.yaml"), &out), 2);
  EXPECT_THAT(out, HasSubstr("upstream mock: tls.ca_file: cannot read 'nowhere.pem': No such file"));
  out.clear();
  dir.write("garbage.yaml", config("{ ca_file: ca.pem, cert_file: not-pem.pem, key_file: ca.pem }"));
  EXPECT_EQ(runOutrigger("--check -c " + dir.file("garbage.yaml"), &out), 2);
  EXPECT_THAT(out, HasSubstr("tls.cert_file: no PEM certificate in it"));
  out.clear();
  dir.write("good.yaml", config("{ ca_file: ca.pem }"));
  EXPECT_EQ(runOutrigger("--check -c " + dir.file("good.yaml"), &out), 0) << out;
  out.clear();
  dir.write("insecure.yaml", config("{ verify: false }"));
  EXPECT_EQ(runOutrigger("--check -c " + dir.file("insecure.yaml"), &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("warning: upstream mock: tls.verify is false"));

  // A reload that names a missing file is rejected; the running config stays.
  OutriggerProcess proxy(dir, config("{ ca_file: ca.pem }"));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  proxy.writeConfig(config("{ ca_file: gone.pem }"));
  EXPECT_TRUE(eventually([&] {
    return proxy.metric("outrigger_config_reloads_total", {{"result", "failure"}}).value_or(0) == 1;
  })) << proxy.log();
  EXPECT_THAT(proxy.log(), HasSubstr("tls.ca_file: cannot read 'gone.pem'"));
  EXPECT_EQ(proxy.metric("outrigger_config_generation").value_or(0), 1);
}

}  // namespace
}  // namespace outrigger::testing
