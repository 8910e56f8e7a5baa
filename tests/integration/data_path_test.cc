// The HTTP/1.1 data path through the real binary: round trips, framing, keep-alive,
// pipelining, header rules and request ids.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <set>
#include <thread>

#include "tests/integration/proxy_fixture.h"

namespace outrigger::testing {
namespace {

class DataPathTest : public ProxyTest {
 protected:
  void SetUp() override { startProxy(); }
};

TEST_F(DataPathTest, GetRoundTripReachesUpstreamWithForwardingHeaders) {
  auto r = get("/get?x=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->complete);
  EXPECT_NE(r->body.find("\"path\":\"/get\""), std::string::npos) << r->body;
  // Host is rewritten to the endpoint's authority; the app's Host goes to X-Forwarded-Host.
  EXPECT_NE(r->body.find("\"" + mock_->address() + "\""), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("test.local"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("127.0.0.1"), std::string::npos);  // X-Forwarded-For
  EXPECT_EQ(mock_->hits("/get"), 1);
}

TEST_F(DataPathTest, PostBodyIsEchoed) {
  auto r = httpRequest(port_, "POST", "/echo", "hello outrigger");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello outrigger");
  EXPECT_EQ(r->header("X-Echo-Method"), "POST");
}

TEST_F(DataPathTest, ChunkedRequestAndResponseStreamThrough) {
  HttpConnection c(port_);
  ASSERT_TRUE(
      c.sendRaw("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->chunked);
  EXPECT_TRUE(r->complete);
  EXPECT_EQ(r->body, "hello world");

  auto s = c.request("GET", "/stream/5");
  ASSERT_TRUE(s);
  EXPECT_TRUE(s->chunked);
  EXPECT_TRUE(s->complete);
  EXPECT_NE(s->body.find("{\"id\":4}"), std::string::npos) << s->body;
}

TEST_F(DataPathTest, KeepAliveReusesOneUpstreamConnection) {
  HttpConnection c(port_);
  std::set<std::string> upstream_connections;
  for (int i = 0; i < 100; ++i) {
    auto r = c.request("GET", "/get");
    ASSERT_TRUE(r) << "request " << i;
    ASSERT_EQ(r->status, 200);
    upstream_connections.insert(r->header("X-Mock-Connection"));
  }
  EXPECT_EQ(upstream_connections.size(), 1u);
  EXPECT_EQ(mock_->hits("/get"), 100);
}

TEST_F(DataPathTest, PipelinedRequestsAreAnsweredInOrder) {
  HttpConnection c(port_);
  ASSERT_TRUE(
      c.sendRaw("GET /status/201 HTTP/1.1\r\nHost: a\r\n\r\n"
                "GET /status/202 HTTP/1.1\r\nHost: a\r\n\r\n"
                "GET /status/203 HTTP/1.1\r\nHost: a\r\n\r\n"));
  for (int expected : {201, 202, 203}) {
    auto r = c.readResponse();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, expected);
  }
}

TEST_F(DataPathTest, HeadAnd204And304CarryNoBody) {
  HttpConnection c(port_);
  auto head = c.request("HEAD", "/bytes/100");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("Content-Length"), "100");
  auto no_content = c.request("GET", "/status/204");
  ASSERT_TRUE(no_content);
  EXPECT_EQ(no_content->status, 204);
  auto not_modified = c.request("GET", "/status/304");
  ASSERT_TRUE(not_modified);
  EXPECT_EQ(not_modified->status, 304);
  // Had any of them carried body bytes, this response would be garbled.
  auto after = c.request("GET", "/bytes/10");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
  EXPECT_EQ(after->body, "abcdefghij");
}

TEST_F(DataPathTest, ExpectContinueGetsInterimResponseBeforeBody) {
  HttpConnection c(port_);
  ASSERT_TRUE(c.sendRaw(
      "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  // Exactly the interim response: mock-upstream's /echo may send its final head before the
  // body arrives, and those bytes belong to readResponse() below.
  const std::string kInterim = "HTTP/1.1 100 Continue\r\n\r\n";
  std::string interim(kInterim.size(), '\0');
  ssize_t n = ::recv(c.fd(), interim.data(), interim.size(), MSG_WAITALL);
  ASSERT_EQ(n, static_cast<ssize_t>(kInterim.size()));
  EXPECT_EQ(interim, kInterim);
  ASSERT_TRUE(c.sendRaw("ping"));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ping");
}

TEST_F(DataPathTest, Http10ClientGetsAnswerAndClose) {
  HttpConnection c(port_);
  ASSERT_TRUE(c.sendRaw("GET /stream/2 HTTP/1.0\r\n\r\n"));
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(r->chunked);  // an HTTP/1.0 client cannot read chunked framing
  EXPECT_NE(r->body.find("{\"id\":1}"), std::string::npos);
  EXPECT_TRUE(r->complete);
}

TEST_F(DataPathTest, ConnectionCloseIsHonoured) {
  HttpConnection c(port_);
  auto r = c.request("GET", "/get", "", {"Connection: close"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("Connection"), "close");
  EXPECT_TRUE(c.waitForClose(std::chrono::milliseconds(2000)));
}

TEST_F(DataPathTest, HopByHopHeadersAreRemoved) {
  auto r = httpRequest(port_, "GET", "/echo", "",
                       {"Connection: X-Secret", "X-Secret: 1", "Keep-Alive: timeout=5",
                        "Proxy-Connection: keep-alive", "TE: trailers", "X-Kept: yes"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("X-Echo-Header-X-Kept"), "yes");
  EXPECT_FALSE(r->hasHeader("X-Echo-Header-X-Secret"));
  EXPECT_FALSE(r->hasHeader("X-Echo-Header-Keep-Alive"));
  EXPECT_FALSE(r->hasHeader("X-Echo-Header-Proxy-Connection"));
  EXPECT_FALSE(r->hasHeader("X-Echo-Header-TE"));
  EXPECT_EQ(r->header("X-Echo-Header-X-Forwarded-Proto"), "http");
}

TEST_F(DataPathTest, RequestIdIsKeptOrGeneratedAndEchoed) {
  auto kept = httpRequest(port_, "GET", "/echo", "", {"X-Request-ID: my-id-42"});
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->header("X-Request-ID"), "my-id-42");
  EXPECT_EQ(kept->header("X-Echo-Header-X-Request-ID"), "my-id-42");

  auto generated = httpRequest(port_, "GET", "/echo");
  ASSERT_TRUE(generated);
  const std::string id = generated->header("X-Request-ID");
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(generated->header("X-Echo-Header-X-Request-ID"), id);
}

TEST_F(DataPathTest, MetricsCountRequestsAttemptsAndConnections) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(get("/get"));
  ASSERT_TRUE(get("/status/503"));
  EXPECT_EQ(metricOr0("outrigger_requests_total", {{"upstream", "mock"}, {"code", "200"}}), 3);
  EXPECT_EQ(metricOr0("outrigger_requests_total", {{"upstream", "mock"}, {"code", "503"}}), 1);
  // The 503 is a failure status even without a retry block (DESIGN §5).
  EXPECT_EQ(metricOr0("outrigger_upstream_attempts_total",
                      {{"upstream", "mock"}, {"outcome", "success"}}),
            3);
  EXPECT_EQ(metricOr0("outrigger_upstream_attempts_total",
                      {{"upstream", "mock"}, {"outcome", "failure_status"}}),
            1);
  EXPECT_EQ(metricOr0("outrigger_request_duration_seconds_count", {{"upstream", "mock"}}), 4);
  EXPECT_GE(metricOr0("outrigger_pool_connections", {{"upstream", "mock"}, {"state", "idle"}}), 1);
  // The test's connections are closed; the gauge follows once the proxy saw each close.
  EXPECT_TRUE(eventually([&] {
    return metricOr0("outrigger_downstream_connections", {{"listener", "main"}, {"protocol", "http1"}}) == 0;
  }));
  EXPECT_GT(metricOr0("process_resident_memory_bytes", {}), 0);
}

}  // namespace
}  // namespace outrigger::testing
