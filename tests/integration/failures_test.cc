// What the app sees when things go wrong: local replies with their reasons, timeouts that
// end instead of hanging, and truncated upstream bodies that are never passed off as whole.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "tests/integration/proxy_fixture.h"

namespace outrigger::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

void expectLocalReply(const std::optional<HttpResponse>& r, int status, const std::string& reason,
                      const std::string& upstream) {
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, status);
  EXPECT_EQ(r->header("x-outrigger-reason"), reason);
  EXPECT_EQ(r->header("Content-Type"), "application/json");
  const std::string id = r->header("X-Request-ID");
  EXPECT_EQ(r->body, "{\"error\":\"" + reason + "\",\"upstream\":\"" + upstream +
                         "\",\"request_id\":\"" + id + "\"}");
}

class FailuresTest : public ProxyTest {};

TEST_F(FailuresTest, NoRouteGives404WithReason) {
  TempDir dir;
  MockUpstream mock(dir);
  ASSERT_TRUE(mock.ok());
  std::string yaml = proxyConfig(mock.address());
  yaml.replace(yaml.find("path_prefix: /,"), 15, "path_prefix: /only,");
  OutriggerProcess proxy(dir, yaml);
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  auto r = httpRequest(proxy.port("main"), "GET", "/elsewhere");
  expectLocalReply(r, 404, "no_route", "");
  EXPECT_EQ(mock.hits("/elsewhere"), 0);
  EXPECT_EQ(
      proxy.metric("outrigger_local_replies_total", {{"upstream", ""}, {"reason", "no_route"}})
          .value_or(0),
      1);
}

TEST_F(FailuresTest, ClosedPortGives502ConnectFailed) {
  TempDir dir;
  OutriggerProcess proxy(dir, proxyConfig("127.0.0.1:" + std::to_string(closedPort())));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  const auto start = Clock::now();
  auto r = httpRequest(proxy.port("main"), "GET", "/get");
  expectLocalReply(r, 502, "connect_failed", "mock");
  EXPECT_LT(elapsedMs(start), 1000);
  EXPECT_EQ(proxy
                .metric("outrigger_upstream_attempts_total",
                        {{"upstream", "mock"}, {"outcome", "connect_failed"}})
                .value_or(0),
            1);
}

class TimeoutTest : public ProxyTest {
 protected:
  void SetUp() override { startProxy("    timeouts: { read: 300ms, request: 2s }\n"); }
};

TEST_F(TimeoutTest, SlowUpstreamGives504WithinTheReadTimeout) {
  const auto start = Clock::now();
  auto r = get("/delay/3000");
  expectLocalReply(r, 504, "upstream_timeout", "mock");
  EXPECT_GE(elapsedMs(start), 280);
  EXPECT_LT(elapsedMs(start), 1500);
  EXPECT_EQ(metricOr0("outrigger_upstream_attempts_total",
                      {{"upstream", "mock"}, {"outcome", "timeout"}}),
            1);
}

TEST_F(TimeoutTest, DripPastTheReadTimeoutCutsTheResponse) {
  // Headers arrive, then one byte per second: the read timeout ends the response.
  HttpConnection c(port_);
  auto r = c.request("GET", "/drip?bytes=10&interval_ms=1000");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(r->complete);
}

TEST_F(FailuresTest, RequestTimeoutBoundsTheWholeExchange) {
  startProxy("    timeouts: { read: 5s, request: 400ms }\n");
  const auto start = Clock::now();
  auto r = httpRequest(port_, "GET", "/delay/3000");
  expectLocalReply(r, 504, "request_timeout", "mock");
  EXPECT_GE(elapsedMs(start), 380);
  EXPECT_LT(elapsedMs(start), 1500);
}

class UpstreamFaultTest : public ProxyTest {
 protected:
  void SetUp() override { startProxy(); }
};

TEST_F(UpstreamFaultTest, ResetBeforeResponseGives502UpstreamReset) {
  auto r = get("/reset");
  expectLocalReply(r, 502, "upstream_reset", "mock");
  EXPECT_EQ(mock_->hits("/reset"), 1);
}

TEST_F(UpstreamFaultTest, AKeptAliveConnectionFoundClosedIsTriedOnceMoreOnAFreshOne) {
  ASSERT_EQ(get("/hello")->status, 200);  // leaves its connection in the pool
  // The pooled connection is reset before any response byte: the GET goes again, on a new
  // connection, where it is reset too, and that is the answer.
  auto r = get("/reset");
  expectLocalReply(r, 502, "upstream_reset", "mock");
  EXPECT_EQ(mock_->hits("/reset"), 2);
  EXPECT_EQ(metricOr0("outrigger_upstream_attempts_total",
                      {{"upstream", "mock"}, {"outcome", "stale_connection"}}),
            1);
  EXPECT_EQ(metricOr0("outrigger_upstream_attempts_total",
                      {{"upstream", "mock"}, {"outcome", "reset"}}),
            1);
  EXPECT_EQ(metricOr0("outrigger_upstream_attempts_total",
                      {{"upstream", "mock"}, {"outcome", "cancelled"}}),
            0);
}

TEST_F(UpstreamFaultTest, APostOnAKeptAliveConnectionFoundClosedIsNotSentAgain) {
  // The upstream may have acted on it before the reset: only idempotent requests go again.
  HttpConnection c(port_);
  ASSERT_EQ(c.request("GET", "/hello")->status, 200);
  ASSERT_TRUE(c.sendRaw("POST /reset HTTP/1.1\r\nHost: test.local\r\n\r\n"));  // no body
  auto r = c.readResponse();
  expectLocalReply(r, 502, "upstream_reset", "mock");
  EXPECT_EQ(mock_->hits("/reset"), 1);
  EXPECT_EQ(metricOr0("outrigger_upstream_attempts_total",
                      {{"upstream", "mock"}, {"outcome", "stale_connection"}}),
            0);
}

TEST_F(UpstreamFaultTest, TruncatedBodyIsNotPassedOffAsComplete) {
  HttpConnection c(port_);
  auto r = c.request("GET", "/partial");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Content-Length"), "1000");
  EXPECT_FALSE(r->complete);
  EXPECT_LT(r->body.size(), 1000u);
  EXPECT_TRUE(c.waitForClose(milliseconds(2000)));
}

TEST_F(UpstreamFaultTest, GarbageResponseGives502) {
  auto r = get("/garbage");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
}

class LimitsTest : public ProxyTest {
 protected:
  void SetUp() override {
    startProxy("", "    limits: { max_request_head: 8KiB, header_timeout: 300ms }\n");
  }
};

TEST_F(LimitsTest, HugeHeadGets431) {
  auto r = get("/get", {"X-Big: " + std::string(10000, 'a')});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->header("x-outrigger-reason"), "headers_too_large");
  EXPECT_EQ(mock_->hits("/get"), 0);
}

TEST_F(LimitsTest, SlowHeaderClientIsClosedAfterHeaderTimeout) {
  HttpConnection c(port_);
  ASSERT_TRUE(c.sendRaw("GET /get HTTP/1.1\r\nHost: a\r\n"));  // never finished
  const auto start = Clock::now();
  EXPECT_TRUE(c.waitForClose(milliseconds(3000)));
  EXPECT_GE(elapsedMs(start), 250);
  EXPECT_LT(elapsedMs(start), 1500);
  EXPECT_EQ(mock_->hits("/get"), 0);
}

TEST_F(LimitsTest, MalformedRequestGets400AndClose) {
  HttpConnection c(port_);
  ASSERT_TRUE(
      c.sendRaw("GET /get HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
                "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->header("x-outrigger-reason"), "bad_request");
  EXPECT_TRUE(c.waitForClose(milliseconds(3000)));
  EXPECT_EQ(mock_->hits("/get"), 0);
}

}  // namespace
}  // namespace outrigger::testing
