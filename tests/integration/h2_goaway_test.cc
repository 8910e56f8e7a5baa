// An HTTP/2 upstream that retires each connection with a graceful GOAWAY after one request
// (h2_goaway_peer.py): the refused streams go again, whatever the method, and no breaker or
// outlier detection holds them against the upstream.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include "tests/integration/proxy_fixture.h"
#include "tests/support/lib/http_client.h"
#include "tests/support/lib/process.h"

namespace outrigger::testing {
namespace {

const std::string kGoAwayPeer =
    std::string(OUTRIGGER_SOURCE_DIR) + "/tests/integration/h2_goaway_peer.py";

class UpstreamGoAwayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string port_file = dir_.file("peer.port");
    peer_.start({"/usr/bin/python3", kGoAwayPeer, port_file, dir_.file("hits")},
                dir_.file("peer.log"));
    ASSERT_TRUE(eventually([&] { return ::access(port_file.c_str(), R_OK) == 0; },
                           std::chrono::milliseconds(10000)));
    address_ = "127.0.0.1:" + readFile(port_file);
  }
  // A breaker and outlier detection that one failure trips, plus `extra`.
  void startProxy(const std::string& extra) {
    proxy_ = std::make_unique<OutriggerProcess>(
        dir_, proxyConfig(address_,
                          "    protocol: http2\n"
                          "    circuit_breaker: { failure_threshold: 1, open_for: 60s }\n"
                          "    outlier_detection: { consecutive_failures: 1 }\n" +
                              extra));
    ASSERT_TRUE(proxy_->ok()) << proxy_->log();
  }
  long hits() const { return std::atol(readFile(dir_.file("hits")).c_str()); }
  double attempts(const std::string& outcome) const {
    return proxy_
        ->metric("outrigger_upstream_attempts_total", {{"outcome", outcome}, {"upstream", "mock"}})
        .value_or(-1);
  }
  // Every request after the first found its connection going away, and was answered on
  // the next one; none of it counted against the upstream.
  void expectRefusedButNeverFailed(int requests) {
    // Each answered once: the refused ones were not processed. (The peer notes a hit just
    // after it answers.)
    EXPECT_TRUE(eventually([&] { return hits() == requests; }, std::chrono::milliseconds(5000)))
        << hits();
    EXPECT_EQ(attempts("refused"), requests - 1);
    EXPECT_EQ(attempts("success"), requests);
    EXPECT_EQ(attempts("reset"), 0);
    EXPECT_EQ(proxy_->metric("outrigger_circuit_breaker_state", {{"upstream", "mock"}}), 0);
    EXPECT_EQ(proxy_->metric("outrigger_circuit_breaker_transitions_total",
                             {{"to", "open"}, {"upstream", "mock"}}),
              0);
  }

  TempDir dir_;
  ChildProcess peer_;
  std::string address_;
  std::unique_ptr<OutriggerProcess> proxy_;
};

constexpr int kRequests = 12;

TEST_F(UpstreamGoAwayTest, RefusedRequestsGoAgainWithoutARetryBlock) {
  startProxy("");
  HttpConnection app(proxy_->port("main"));
  for (int i = 0; i < kRequests; ++i) {
    const auto r = app.request("GET", "/items/" + std::to_string(i));
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200) << "request " << i << ": " << r->body << proxy_->log();
    EXPECT_EQ(r->body, "ok\n");
  }
  expectRefusedButNeverFailed(kRequests);
}

TEST_F(UpstreamGoAwayTest, RefusedPostsGoAgainAndAreNotCountedAsAttempts) {
  // The retry block keeps the body for another attempt; a refusal spends none of them.
  startProxy("    retry: { max_attempts: 2 }\n");
  HttpConnection app(proxy_->port("main"));
  for (int i = 0; i < kRequests; ++i) {
    const auto r = app.request("POST", "/orders", "{\"n\":" + std::to_string(i) + "}");
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200) << "request " << i << ": " << r->body << proxy_->log();
    EXPECT_EQ(r->body, "ok\n");
    EXPECT_EQ(r->header("x-outrigger-attempts"), "") << "request " << i;
  }
  expectRefusedButNeverFailed(kRequests);
  EXPECT_EQ(proxy_->metric("outrigger_retries_total", {{"upstream", "mock"}}), 0);
}

}  // namespace
}  // namespace outrigger::testing
