// gRPC requests (content-type application/grpc), whatever carries them: outrigger's own
// replies take the trailers-only form a gRPC client reads, and grpc-timeout lowers the
// deadline and goes upstream as the time left. Also: HTTP/1.1's Upgrade: h2c is never
// passed on (the h2c-smuggling path).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "tests/integration/proxy_fixture.h"

namespace outrigger::testing {
namespace {

using Clock = std::chrono::steady_clock;

const std::vector<std::string> kGrpcHeaders = {"Content-Type: application/grpc+proto",
                                               "TE: trailers"};

void expectGrpcReply(const std::optional<HttpResponse>& r, int grpc_status,
                     const std::string& reason) {
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("grpc-status"), std::to_string(grpc_status));
  EXPECT_NE(r->header("grpc-message").find(reason), std::string::npos) << r->header("grpc-message");
  EXPECT_EQ(r->header("x-outrigger-reason"), reason);
  EXPECT_EQ(r->header("content-type"), "application/grpc");
  EXPECT_EQ(r->body, "");
}

class GrpcReplyTest : public ProxyTest {};

TEST_F(GrpcReplyTest, ConnectFailedIsUnavailableInTrailersOnlyForm) {
  TempDir dir;
  OutriggerProcess proxy(dir, proxyConfig("127.0.0.1:" + std::to_string(closedPort())));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  auto r = httpRequest(proxy.port("main"), "POST", "/greeter.Greeter/SayHello",
                       std::string(5, '\0'), kGrpcHeaders);
  expectGrpcReply(r, 14, "connect_failed");
  // The same failure to a plain request keeps its HTTP form.
  auto plain = httpRequest(proxy.port("main"), "GET", "/get");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 502);
  EXPECT_EQ(plain->header("grpc-status"), "");
}

TEST_F(GrpcReplyTest, AStaticFallbackInGrpcFormAnswersGrpcCallsOnly) {
  TempDir dir;
  OutriggerProcess proxy(
      dir, proxyConfig("127.0.0.1:" + std::to_string(closedPort()),
                       "    fallback: { response: { grpc_status: unavailable, grpc_message: "
                       "\"degraded: try later\" } }\n"));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  auto r = httpRequest(proxy.port("main"), "POST", "/greeter.Greeter/SayHello",
                       std::string(5, '\0'), kGrpcHeaders);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("grpc-status"), "14");
  EXPECT_EQ(r->header("grpc-message"), "degraded: try later");
  EXPECT_EQ(r->header("x-outrigger-fallback"), "static");
  EXPECT_EQ(r->header("x-outrigger-reason"), "connect_failed");
  EXPECT_EQ(r->body, "");
  // A plain request gets no 200 for a failure: its own local reply.
  auto plain = httpRequest(proxy.port("main"), "GET", "/get");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 502);
  EXPECT_EQ(plain->header("x-outrigger-fallback"), "");
}

TEST_F(GrpcReplyTest, AnHttpStaticFallbackIsNeverSentToAGrpcCall) {
  TempDir dir;
  OutriggerProcess proxy(dir, proxyConfig("127.0.0.1:" + std::to_string(closedPort()),
                                          "    fallback: { response: { status: 503, body: "
                                          "'{\"degraded\":true}' } }\n"));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  auto r = httpRequest(proxy.port("main"), "POST", "/greeter.Greeter/SayHello",
                       std::string(5, '\0'), kGrpcHeaders);
  expectGrpcReply(r, 14, "connect_failed");  // what a gRPC client reads
  auto plain = httpRequest(proxy.port("main"), "GET", "/get");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 503);
  EXPECT_EQ(plain->body, "{\"degraded\":true}");
}

TEST_F(GrpcReplyTest, NoRouteIsUnimplemented) {
  TempDir dir;
  MockUpstream mock(dir);
  ASSERT_TRUE(mock.ok());
  std::string yaml = proxyConfig(mock.address());
  yaml.replace(yaml.find("path_prefix: /,"), 15, "path_prefix: /only,");
  OutriggerProcess proxy(dir, yaml);
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  auto r = httpRequest(proxy.port("main"), "POST", "/pkg.Svc/Method", "", kGrpcHeaders);
  expectGrpcReply(r, 12, "no_route");
}

TEST_F(GrpcReplyTest, GrpcTimeoutGoesUpstreamAsTheTimeLeft) {
  startProxy("    timeouts: { request: 10s }\n");
  std::vector<std::string> headers = kGrpcHeaders;
  headers.push_back("grpc-timeout: 2S");
  auto r = httpRequest(port_, "POST", "/echo", "", headers);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  const std::string sent = r->header("X-Echo-Header-grpc-timeout");
  ASSERT_FALSE(sent.empty());
  // Microseconds (the finest unit that fits 8 digits), a little under the 2s asked.
  ASSERT_EQ(sent.back(), 'u') << sent;
  const long micros = std::stol(sent.substr(0, sent.size() - 1));
  EXPECT_LE(micros, 2000000);
  EXPECT_GT(micros, 1000000);
}

TEST_F(GrpcReplyTest, GrpcTimeoutLowersTheDeadlineToDeadlineExceeded) {
  startProxy("    timeouts: { read: 5s, request: 10s }\n");
  std::vector<std::string> headers = kGrpcHeaders;
  headers.push_back("grpc-timeout: 300m");
  const auto start = Clock::now();
  auto r = httpRequest(port_, "POST", "/delay/3000", "", headers);
  expectGrpcReply(r, 4, "request_timeout");
  EXPECT_GE(elapsedMs(start), 280);
  EXPECT_LT(elapsedMs(start), 1500);
}

TEST_F(GrpcReplyTest, GrpcTimeoutOnANonGrpcRequestIsLeftAlone) {
  startProxy("    timeouts: { read: 5s, request: 10s }\n");
  auto r = httpRequest(port_, "GET", "/echo", "", {"grpc-timeout: 1m"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("X-Echo-Header-grpc-timeout"), "1m");
}

TEST_F(GrpcReplyTest, UpgradeH2cIsNeitherTakenUpNorForwarded) {
  startProxy();
  auto r = httpRequest(port_, "GET", "/echo", "",
                       {"Connection: Upgrade, HTTP2-Settings", "Upgrade: h2c",
                        "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);  // not 101: the upgrade is not taken up
  EXPECT_EQ(r->header("X-Echo-Header-Upgrade"), "");
  EXPECT_EQ(r->header("X-Echo-Header-HTTP2-Settings"), "");
  EXPECT_EQ(r->header("X-Echo-Header-Connection"), "");
}

}  // namespace
}  // namespace outrigger::testing
