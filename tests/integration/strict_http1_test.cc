// Strict HTTP/1.1 fixes found by outside conformance suites (issue 18, item 6), through the
// real binary: what the app gets back, and what reached the upstream.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/proxy_fixture.h"
#include "tests/integration/raw_upstream.h"

namespace outrigger::testing {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

class StrictHttp1Test : public ProxyTest {
 protected:
  // Sends `raw`, reads one reply, and checks that the connection then closes.
  HttpResponse refusedOnce(const std::string& raw) {
    HttpConnection c(port_, milliseconds(3000));
    EXPECT_TRUE(c.sendRaw(raw));
    const auto start = std::chrono::steady_clock::now();
    auto r = c.readResponse();
    EXPECT_LT(elapsedMs(start), 1000) << "answered at once, not after a timeout";
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->header("Connection"), "close");
    EXPECT_TRUE(c.waitForClose(milliseconds(2000)));
    return *r;
  }
};

TEST_F(StrictHttp1Test, Http11WithoutHostGets400AtOnceAndIsNeverForwarded) {
  startProxy();
  // Content-Length with no body: forwarded, this used to hang until a timeout.
  const HttpResponse r = refusedOnce("POST /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.header("x-outrigger-reason"), "bad_request");
  EXPECT_EQ(r.header("X-Request-ID").size(), 32u);  // the head was read: it has an id
  EXPECT_EQ(mock_->hits("/echo"), 0);
  // The app's own id is kept.
  const HttpResponse mine =
      refusedOnce("GET /get HTTP/1.1\r\nX-Request-ID: app-chose-this\r\n\r\n");
  EXPECT_EQ(mine.header("X-Request-ID"), "app-chose-this");
  // HTTP/1.0 never required Host: still served.
  HttpConnection old(port_);
  ASSERT_TRUE(old.sendRaw("GET /get HTTP/1.0\r\n\r\n"));
  auto ok = old.readResponse();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(StrictHttp1Test, TransferEncodingOtherThanChunkedGets501) {
  startProxy();
  const HttpResponse r = refusedOnce(
      "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
  EXPECT_EQ(r.status, 501);
  EXPECT_EQ(r.header("x-outrigger-reason"), "not_implemented");
  EXPECT_THAT(r.body, HasSubstr("\"error\":\"not_implemented\""));
  EXPECT_EQ(mock_->hits("/echo"), 0);
  EXPECT_EQ(
      metricOr0("outrigger_local_replies_total", {{"upstream", ""}, {"reason", "not_implemented"}}),
      1);
}

TEST_F(StrictHttp1Test, UnderscoreHeadersAreDroppedByDefaultAndCounted) {
  startProxy();
  auto r = get("/echo",
               {"Transfer_Encoding: chunked", "Content_Length: 4", "X_User: root", "X-Kept: yes"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("X-Echo-Header-X-Kept"), "yes");
  EXPECT_FALSE(r->hasHeader("X-Echo-Header-Transfer_Encoding"));
  EXPECT_FALSE(r->hasHeader("X-Echo-Header-Content_Length"));
  EXPECT_FALSE(r->hasHeader("X-Echo-Header-X_User"));
  EXPECT_EQ(metricOr0("outrigger_request_headers_dropped_total",
                      {{"listener", "main"}, {"reason", "underscore"}}),
            3);
}

TEST_F(StrictHttp1Test, UnderscoreHeadersRejectedWith400) {
  startProxy("", "    limits: { headers_with_underscores: reject }\n");
  const HttpResponse r = refusedOnce("GET /echo HTTP/1.1\r\nHost: a\r\nContent_Length: 4\r\n\r\n");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.header("x-outrigger-reason"), "bad_request");
  EXPECT_EQ(mock_->hits("/echo"), 0);
  auto clean = get("/echo", {"X-Fine: 1"});
  ASSERT_TRUE(clean);
  EXPECT_EQ(clean->status, 200);
}

TEST_F(StrictHttp1Test, UnderscoreHeadersAllowedAreForwarded) {
  startProxy("", "    limits: { headers_with_underscores: allow }\n");
  auto r = get("/echo", {"X_Trace: 7"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("X-Echo-Header-X_Trace"), "7");
  EXPECT_EQ(metricOr0("outrigger_request_headers_dropped_total",
                      {{"listener", "main"}, {"reason", "underscore"}}),
            0);
}

// An upstream whose response head is about 80 KiB: 40 header lines of 2 KiB.
std::string bigHeadResponse() {
  std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n";
  for (int i = 0; i < 40; ++i)
    head += "X-Big-" + std::to_string(i) + ": " + std::string(2048, 'h') + "\r\n";
  return head + "\r\nok";
}

TEST_F(StrictHttp1Test, ResponseHeadOverMaxResponseHeadGets502WithItsOwnReason) {
  RawUpstream upstream({{"/big", bigHeadResponse()}});
  proxy_ = std::make_unique<OutriggerProcess>(dir_, proxyConfig(upstream.address()));
  ASSERT_TRUE(proxy_->ok()) << proxy_->log();
  port_ = proxy_->port("main");
  auto r = get("/big");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(r->header("x-outrigger-reason"), "upstream_response_too_large");
  EXPECT_EQ(metricOr0("outrigger_local_replies_total",
                      {{"upstream", "mock"}, {"reason", "upstream_response_too_large"}}),
            1);
}

TEST_F(StrictHttp1Test, RaisedMaxResponseHeadPassesTheSameResponse) {
  RawUpstream upstream({{"/big", bigHeadResponse()}});
  proxy_ = std::make_unique<OutriggerProcess>(
      dir_, proxyConfig(upstream.address(), "    limits: { max_response_head: 128KiB }\n"));
  ASSERT_TRUE(proxy_->ok()) << proxy_->log();
  port_ = proxy_->port("main");
  auto r = get("/big");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("X-Big-39"), std::string(2048, 'h'));
  EXPECT_EQ(r->body, "ok");
}

TEST_F(StrictHttp1Test, RequestTimeoutNoneLetsALongStreamRunWhileReadStillBoundsIdleTime) {
  startProxy("    timeouts: { request: none, read: 400ms }\n");
  // 12 bytes, one every 150 ms: 1.8 s in all, never idle for 400 ms.
  auto r = get("/drip?bytes=12&interval_ms=150");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->complete);
  EXPECT_EQ(r->body.size(), 12u);
  // A wait longer than read is still cut.
  auto stalled = get("/delay/1500");
  ASSERT_TRUE(stalled);
  EXPECT_EQ(stalled->status, 504);
  EXPECT_EQ(stalled->header("x-outrigger-reason"), "upstream_timeout");
}

TEST_F(StrictHttp1Test, RequestTimeoutStillCutsWhenSet) {
  // The counterpart of the test above: the same stream under request: 1s is cut.
  startProxy("    timeouts: { request: 1s, read: 400ms }\n");
  HttpConnection c(port_);
  auto r = c.request("GET", "/drip?bytes=12&interval_ms=150");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->complete);
}

}  // namespace
}  // namespace outrigger::testing
