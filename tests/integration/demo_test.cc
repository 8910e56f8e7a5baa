// The README's tour of config/demo.yaml, step by step: what a newcomer is told to expect is
// what happens. The shipped file is used as is, except that its fixed ports become port 0
// and its upstream the test's mock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <string>
#include <vector>

#include "tests/integration/proxy_fixture.h"

namespace outrigger::testing {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

void replaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

class DemoTest : public ProxyTest {
 protected:
  void SetUp() override {
    mock_ = std::make_unique<MockUpstream>(dir_);
    ASSERT_TRUE(mock_->ok());
    std::string yaml = readFile(std::string(OUTRIGGER_SOURCE_DIR) + "/config/demo.yaml");
    replaceAll(yaml, "127.0.0.1:15001", "127.0.0.1:0");
    replaceAll(yaml, "127.0.0.1:9901", "127.0.0.1:0");
    replaceAll(yaml, "${DEMO_UPSTREAM:-127.0.0.1:18080}", mock_->address());
    replaceAll(yaml, "access_log: { path: stdout }", "access_log: { path: off }");
    proxy_ = std::make_unique<OutriggerProcess>(dir_, yaml);
    ASSERT_TRUE(proxy_->ok()) << proxy_->log();
    port_ = proxy_->port("demo");
  }
  void failUpstream(bool fail) {
    ASSERT_TRUE(httpRequest(mock_->port(), "POST", fail ? "/__fail/on" : "/__fail/off"));
  }
};

TEST_F(DemoTest, FlakyIsHiddenByARetry) {
  for (int i = 0; i < 3; ++i) {
    auto r = get("/flaky");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("x-outrigger-attempts"), "2");
  }
  EXPECT_EQ(mock_->hits("/flaky"), 6);
  EXPECT_EQ(metricOr0("outrigger_retries_total", {{"upstream", "flaky"}}), 3);
}

TEST_F(DemoTest, DownOpensTheBreakerAndServesTheStaleCopy) {
  ASSERT_EQ(get("/down")->status, 200);  // a good copy is kept
  failUpstream(true);
  // Each 503 is answered from the copy too (stale-if-error), and counts for the breaker.
  for (int i = 0; i < 3; ++i) {
    auto failed = get("/down");
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->status, 200);
    EXPECT_EQ(failed->header("x-outrigger-reason"), "failure_status");
  }
  auto r = get("/down");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("x-outrigger-fallback"), "stale");
  EXPECT_EQ(r->header("x-outrigger-reason"), "circuit_open");
  EXPECT_EQ(mock_->hits("/down"), 4);  // the open breaker kept the last call away
  auto upstreams = httpRequest(proxy_->adminPort(), "GET", "/upstreams");
  ASSERT_TRUE(upstreams);
  EXPECT_THAT(upstreams->body,
              HasSubstr("\"name\":\"down\",\"circuit_breaker\":{\"state\":\"open\""));
  EXPECT_EQ(metricOr0("outrigger_circuit_breaker_state", {{"upstream", "down"}}), 1);
  EXPECT_EQ(metricOr0("outrigger_fallbacks_total",
                      {{"upstream", "down"}, {"kind", "stale"}, {"source", "memory"}}),
            4);
}

TEST_F(DemoTest, SlowHasATimeoutAndABulkheadOfTwo) {
  auto timed_out = get("/slow?ms=3000");
  ASSERT_TRUE(timed_out);
  EXPECT_EQ(timed_out->status, 504);
  EXPECT_EQ(timed_out->header("x-outrigger-reason"), "upstream_timeout");

  std::vector<std::future<std::optional<HttpResponse>>> calls;
  for (int i = 0; i < 4; ++i) {
    calls.push_back(std::async(std::launch::async, [this] { return get("/slow?ms=700"); }));
  }
  int ok = 0, full = 0;
  for (auto& c : calls) {
    auto r = c.get();
    ASSERT_TRUE(r);
    if (r->status == 200) ok++;
    if (r->header("x-outrigger-reason") == "bulkhead_full") full++;
  }
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(full, 2);
}

TEST_F(DemoTest, LimitedAllowsABurstOfTwoThen429) {
  EXPECT_EQ(get("/limited")->status, 200);
  EXPECT_EQ(get("/limited")->status, 200);
  auto r = get("/limited");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->header("Retry-After"), "1");
}

}  // namespace
}  // namespace outrigger::testing
