// Active health checks on a real loop against a scripted loopback server. Each test ends by
// destroying the loop, which aborts if any libuv handle leaked.
#include "proxy/upstream/health_checker.h"

#include <gtest/gtest.h>

#include <functional>
#include <list>

#include "proxy/io/tcp_listener.h"
#include "proxy/metrics/metrics.h"
#include "proxy/metrics/policy_metrics.h"

namespace outrigger::upstream {
namespace {

// Answers every request head with the current reply; an empty reply means never answer.
class HealthServer {
 public:
  explicit HealthServer(io::Loop& loop)
      : listener_(loop, [this](std::unique_ptr<io::TcpStream> s) { accept(std::move(s)); }) {
    EXPECT_EQ(listener_.listen("127.0.0.1", 0, false), "");
  }
  uint16_t port() const { return listener_.port(); }

  std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  std::string first_request;  // the bytes of the first request head received
  int connections = 0;
  int replies = 0;  // replies written, each the `reply` of the moment
  int closed = 0;   // connections the checker closed

 private:
  struct Connection final : io::StreamHandler {
    HealthServer* server;
    std::unique_ptr<io::TcpStream> stream;
    std::string received;
    void onStreamData(const char* data, size_t len) override {
      received.append(data, len);
      if (received.find("\r\n\r\n") == std::string::npos) return;
      if (server->first_request.empty()) server->first_request = received;
      if (server->reply.empty()) return;
      stream->write(server->reply);
      ++server->replies;
    }
    void onStreamEnd(int) override { ++server->closed; }
  };

  void accept(std::unique_ptr<io::TcpStream> stream) {
    ++connections;
    auto& c = connections_.emplace_back();
    c.server = this;
    c.stream = std::move(stream);
    c.stream->setHandler(&c);
    c.stream->startReading();
  }

  std::list<Connection> connections_;
  io::TcpListener listener_;  // destroyed first: no accept after the list is gone
};

class HealthCheckerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    checker_.reset();
    upstream_.reset();
    server_.reset();
    loop_.reset();  // aborts if a handle was leaked
  }

  void makeChecker(config::HealthCheckConfig hc, const std::string& host = "127.0.0.1") {
    config::UpstreamConfig cfg;
    cfg.name = "u";
    endpoint_ = host + ":" + std::to_string(server_->port());
    cfg.endpoints.push_back({host, server_->port(), endpoint_});
    cfg.policies.health_check = hc;
    upstream_ = std::make_shared<Upstream>(
        cfg, metrics_.upstream("u"), policy_metrics_.upstream("u", {endpoint_}), clock_.now());
    checker_ = std::make_unique<HealthChecker>(*loop_, upstream_);
    checker_->start();
  }

  // Runs the loop until cond holds (checked every millisecond) or `limit` passes.
  bool runUntil(const std::function<bool()>& cond, Duration limit = seconds(2)) {
    bool held = false;
    const MonoTime deadline = clock_.now() + limit;
    std::function<void()> check;
    io::Timer poll(*loop_, [&check] { check(); });
    check = [&] {
      if (cond()) {
        held = true;
        loop_->stop();
      } else if (clock_.now() >= deadline) {
        loop_->stop();
      } else {
        poll.start(milliseconds(1));
      }
    };
    poll.start(Duration::zero());
    loop_->run();
    return held;
  }

  static config::HealthCheckConfig fastChecks(Duration interval, uint32_t healthy = 1,
                                              uint32_t unhealthy = 1) {
    config::HealthCheckConfig hc;
    hc.path = "/hc";
    hc.interval = interval;
    hc.timeout = std::min(interval, milliseconds(50));
    hc.thresholds = {healthy, unhealthy};
    return hc;
  }

  double healthyGauge() { return upstream_->policies().metrics().endpoint_healthy[0]->Value(); }

  metrics::Metrics metrics_;
  metrics::PolicyMetrics policy_metrics_{metrics_.registry()};
  std::unique_ptr<io::Loop> loop_ = std::make_unique<io::Loop>();
  io::LoopClock clock_;
  std::unique_ptr<HealthServer> server_ = std::make_unique<HealthServer>(*loop_);
  std::string endpoint_;
  std::shared_ptr<Upstream> upstream_;
  std::unique_ptr<HealthChecker> checker_;
};

constexpr const char* k503 = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n";

TEST_F(HealthCheckerTest, FirstRoundRunsAtOnceAndSendsTheProbeRequest) {
  server_->reply = k503;
  makeChecker(fastChecks(seconds(60)));  // a second round would come far too late
  ASSERT_TRUE(runUntil([&] { return !upstream_->healthy(0); }));
  EXPECT_EQ(server_->first_request,
            "GET /hc HTTP/1.1\r\nHost: " + endpoint_ +
                "\r\nUser-Agent: outrigger-health\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(healthyGauge(), 0);
  EXPECT_TRUE(upstream_->panic());  // its only endpoint is down
}

TEST_F(HealthCheckerTest, ThresholdsDecideWhenAnEndpointFlips) {
  server_->reply = k503;
  makeChecker(fastChecks(milliseconds(10), /*healthy=*/2, /*unhealthy=*/3));
  ASSERT_TRUE(runUntil([&] { return server_->connections >= 2; }));
  EXPECT_TRUE(upstream_->healthy(0)) << "flipped before unhealthy_threshold failures";
  ASSERT_TRUE(runUntil([&] { return !upstream_->healthy(0); }));
  EXPECT_GE(server_->connections, 3);
  EXPECT_EQ(healthyGauge(), 0);

  // Counted in replies, not connections: a probe accepted before the switch may still be
  // answered after it.
  server_->reply = "HTTP/1.1 204 No Content\r\n\r\n";
  const int before = server_->replies;
  ASSERT_TRUE(runUntil([&] { return upstream_->healthy(0); }));
  EXPECT_GE(server_->replies - before, 2);
  EXPECT_EQ(healthyGauge(), 1);
  EXPECT_FALSE(upstream_->panic());
}

TEST_F(HealthCheckerTest, SilentEndpointFailsByTimeout) {
  server_->reply = "";  // accepts and reads, never answers
  makeChecker(fastChecks(seconds(1)));
  const MonoTime start = clock_.now();
  ASSERT_TRUE(runUntil([&] { return !upstream_->healthy(0); }));
  const Duration took = clock_.now() - start;
  EXPECT_GE(took, milliseconds(45));  // the 50ms timeout, not the 1s interval
  EXPECT_LT(took, milliseconds(500));
  EXPECT_TRUE(runUntil([&] { return server_->closed == 1; }));  // the probe's connection
}

TEST_F(HealthCheckerTest, ATcpCheckOnlyConnectsAndSendsNothing) {
  server_->reply = "";  // the silent endpoint an HTTP check fails (above)
  config::HealthCheckConfig hc = fastChecks(milliseconds(10), /*healthy=*/1, /*unhealthy=*/1);
  hc.type = config::HealthCheckType::kTcp;
  makeChecker(hc);
  ASSERT_TRUE(runUntil([&] { return server_->closed >= 3; }));  // three probes, each closed
  EXPECT_TRUE(upstream_->healthy(0));
  EXPECT_EQ(healthyGauge(), 1);
  EXPECT_EQ(server_->first_request, "");
  // The endpoint goes away: refused connects mark it unhealthy.
  server_.reset();
  EXPECT_TRUE(runUntil([&] { return !upstream_->healthy(0); }));
}

TEST_F(HealthCheckerTest, InterimResponseIsSkippedAndOnly2xxCounts) {
  server_->reply = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  makeChecker(fastChecks(milliseconds(10)));
  ASSERT_TRUE(runUntil([&] { return server_->connections >= 3; }));
  EXPECT_TRUE(upstream_->healthy(0));
  server_->reply = "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n";
  EXPECT_TRUE(runUntil([&] { return !upstream_->healthy(0); }));
}

TEST_F(HealthCheckerTest, UnresolvedEndpointCountsAsFailed) {
  makeChecker(fastChecks(milliseconds(10)), "health.invalid");  // never resolved here
  ASSERT_TRUE(runUntil([&] { return !upstream_->healthy(0); }));
  EXPECT_EQ(server_->connections, 0);
}

TEST_F(HealthCheckerTest, StopAbandonsTheProbeInFlight) {
  server_->reply = "";
  makeChecker(fastChecks(milliseconds(100)));
  ASSERT_TRUE(runUntil([&] { return !server_->first_request.empty(); }));
  checker_->stop();  // before the 50ms timeout: no result may arrive after this
  EXPECT_TRUE(runUntil([&] { return server_->closed == 1; }));
  EXPECT_FALSE(runUntil([] { return false; }, milliseconds(150)));  // past timeout and interval
  EXPECT_TRUE(upstream_->healthy(0));
  EXPECT_EQ(server_->connections, 1);
  // TearDown destroys the loop, which aborts if the probe's handles were left open.
}

}  // namespace
}  // namespace outrigger::upstream
