// Faults on both sides of the proxy (issue 5, item 6). Each test ends the way an operator
// needs it to: no request left counted as active or queued anywhere, and the process's
// open file descriptors back to where they were before the fault.
#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/proxy_fixture.h"

namespace outrigger::testing {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

int openFds(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return -1;
  int n = 0;
  while (dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
  ::closedir(d);
  return n;
}

class FaultTest : public ProxyTest {
 protected:
  void start(const std::string& upstream_extra) {
    startProxy(upstream_extra);
    // One request first, so the baseline includes a warm pooled connection and every
    // lazily created descriptor.
    ASSERT_EQ(get("/get")->status, 200);
    ASSERT_TRUE(eventually([&] {
      return metricOr0("outrigger_downstream_connections",
                       {{"listener", "main"}, {"protocol", "http1"}}) == 0;
    }));
    baseline_fds_ = openFds(proxy_->process().pid());
    ASSERT_GT(baseline_fds_, 0);
  }
  // Everything the fault touched has been released.
  void expectSettled() {
    EXPECT_TRUE(eventually([&] {
      return metricOr0("outrigger_downstream_connections",
                       {{"listener", "main"}, {"protocol", "http1"}}) == 0 &&
             metricOr0("outrigger_pool_connections", {{"upstream", "mock"}, {"state", "active"}}) ==
                 0 &&
             metricOr0("outrigger_pool_connections",
                       {{"upstream", "mock"}, {"state", "connecting"}}) == 0 &&
             metricOr0("outrigger_bulkhead_active", {{"upstream", "mock"}}) == 0 &&
             metricOr0("outrigger_bulkhead_queued", {{"upstream", "mock"}}) == 0;
    })) << proxy_->metrics();
    EXPECT_TRUE(eventually([&] { return openFds(proxy_->process().pid()) <= baseline_fds_; }))
        << "open fds " << openFds(proxy_->process().pid()) << " vs baseline " << baseline_fds_;
  }
  // The connection a new request is served on, as mock-upstream numbers them.
  std::string upstreamConnectionOfNextRequest() {
    auto r = get("/get");
    return r ? r->header("X-Mock-Connection") : "";
  }

  int baseline_fds_ = 0;
};

TEST_F(FaultTest, UpstreamClosingMidBodyIsSeenAsATruncatedResponseAndAClose) {
  start("");
  HttpConnection c(port_);
  auto r = c.request("GET", "/partial");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(r->complete);  // 500 of the 1000 bytes Content-Length promised
  EXPECT_TRUE(c.waitForClose(milliseconds(2000)));
  expectSettled();
}

TEST_F(FaultTest, GarbageAndOversizedResponseHeadsGive502AndAreNotReused) {
  start("");
  const std::string warm = upstreamConnectionOfNextRequest();
  auto garbage = get("/garbage");
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 502);
  auto huge = get("/huge-headers?kb=256");
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->status, 502);
  // Over limits.max_response_head (its 100 header lines): a reason of its own.
  EXPECT_EQ(huge->header("x-outrigger-reason"), "upstream_response_too_large");
  // Neither connection went back to the pool.
  const std::string next = upstreamConnectionOfNextRequest();
  EXPECT_NE(next, warm);
  expectSettled();
}

TEST_F(FaultTest, DripPastTheReadTimeoutIsCut) {
  start("    timeouts: { read: 300ms }\n");
  HttpConnection c(port_);
  auto r = c.request("GET", "/drip?bytes=20&interval_ms=500");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);  // the head came at once; the body stalls past 300 ms
  EXPECT_FALSE(r->complete);
  EXPECT_TRUE(c.waitForClose(milliseconds(2000)));
  expectSettled();
}

TEST_F(FaultTest, AppAbortingMidRequestReleasesTheSlotAndTheUpstreamConnection) {
  start("    bulkhead: { max_concurrent: 1, max_queue: 0 }\n");
  const std::string warm = upstreamConnectionOfNextRequest();
  {
    HttpConnection c(port_);
    // More than limits.request_buffer (64KiB), so that the body streams upstream.
    ASSERT_TRUE(c.sendRaw("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n" +
                          std::string(70000, 'x')));
    ASSERT_TRUE(eventually([&] { return mock_->hits("/upload") == 1; }));
  }  // the app goes away with 30000 bytes unsent
  expectSettled();
  auto r = get("/get");  // a leaked slot would make this 503 bulkhead_full
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->header("X-Mock-Connection"), warm);  // the half-sent connection was closed
}

TEST_F(FaultTest, AppAbortingMidResponseReleasesTheSlotAndTheUpstreamConnection) {
  start("    bulkhead: { max_concurrent: 1, max_queue: 0 }\n");
  const std::string warm = upstreamConnectionOfNextRequest();
  {
    HttpConnection c(port_);
    ASSERT_TRUE(c.sendRaw("GET /bytes/50000000 HTTP/1.1\r\nHost: a\r\n\r\n"));
    char buffer[4096];
    ASSERT_GT(::recv(c.fd(), buffer, sizeof buffer, 0), 0);  // the response has started
  }  // the app goes away with most of it unread
  expectSettled();
  auto r = get("/get");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->header("X-Mock-Connection"), warm);
}

TEST(FaultInjectionTest, UnresolvableEndpointIsSkippedAndCounted) {
  TempDir dir;
  MockUpstream mock(dir);
  ASSERT_TRUE(mock.ok());
  std::string yaml = proxyConfig(mock.address());
  yaml.replace(yaml.find("endpoints: [ \""), 14, "endpoints: [ \"no-such-host.invalid:80\", \"");
  OutriggerProcess proxy(dir, yaml);
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  for (int i = 0; i < 10; ++i) {
    auto r = httpRequest(proxy.port("main"), "GET", "/get");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(mock.hits("/get"), 10);
  EXPECT_GE(proxy.metric("outrigger_dns_failures_total", {{"upstream", "mock"}}).value_or(0), 1);
  auto upstreams = httpRequest(proxy.adminPort(), "GET", "/upstreams");
  ASSERT_TRUE(upstreams);
  EXPECT_THAT(upstreams->body,
              HasSubstr("{\"address\":\"no-such-host.invalid:80\",\"resolved\":false"));
  EXPECT_THAT(proxy.log(), HasSubstr("cannot resolve no-such-host.invalid:80"));
}

TEST_F(FaultTest, EveryEndpointDownGivesAClearLocalReplyOrTheFallback) {
  start("");
  mock_->kill();
  auto down = get("/get");
  ASSERT_TRUE(down);
  EXPECT_EQ(down->status, 502);
  EXPECT_EQ(down->header("x-outrigger-reason"), "connect_failed");
  expectSettled();

  // With a static fallback, the app gets that instead.
  std::string with_fallback = proxyConfig(mock_->address(),
                                          "    fallback: { response: { status: 503, body: "
                                          "'{\"degraded\":true}' } }\n");
  proxy_->writeConfig(with_fallback);
  ASSERT_EQ(httpRequest(proxy_->adminPort(), "POST", "/reload")->status, 200);
  auto fallback = get("/get");
  ASSERT_TRUE(fallback);
  EXPECT_EQ(fallback->status, 503);
  EXPECT_EQ(fallback->body, "{\"degraded\":true}");
  EXPECT_EQ(fallback->header("x-outrigger-fallback"), "static");
  EXPECT_EQ(fallback->header("x-outrigger-reason"), "connect_failed");
  expectSettled();
}

}  // namespace
}  // namespace outrigger::testing
