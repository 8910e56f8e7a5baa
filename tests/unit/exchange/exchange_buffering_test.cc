// The exchange's two bounded buffers, driven with fakes and a manual clock: the request body
// is read up to listeners[].limits.request_buffer before a connection is asked for, and up to
// upstreams.<name>.limits.response_buffer of the response waits for a slow app before the
// upstream's reads pause.
#include <gtest/gtest.h>

#include <optional>

#include "proxy/config/loader.h"
#include "proxy/exchange/exchange.h"
#include "proxy/exchange/exchange_slot.h"
#include "proxy/metrics/metrics.h"
#include "proxy/metrics/policy_metrics.h"
#include "tests/unit/exchange/exchange_fakes.h"

namespace outrigger::exchange {
namespace {

using testing::FakeAttempt;
using testing::FakeCodec;
using testing::FakeDownstream;

class ExchangeBufferingTest : public ::testing::Test {
 protected:
  // `limits`: the listener's limits block ("" for none); `upstream`: the YAML of upstream
  // "u" after its endpoint, indented by four.
  void configure(const std::string& limits, const std::string& upstream = "") {
    std::string yaml =
        "listeners:\n"
        "  - name: l\n"
        "    listen: 127.0.0.1:0\n"
        "    routes: [ { upstream: u } ]\n";
    if (!limits.empty()) yaml += "    limits: " + limits + "\n";
    yaml += "upstreams:\n  u:\n    endpoints: [ \"127.0.0.1:1001\" ]\n" + upstream;
    config::LoadResult loaded = config::loadConfigString(
        yaml, "test.yaml", [](const std::string&) -> std::optional<std::string> { return {}; });
    ASSERT_TRUE(loaded.ok()) << loaded.formatErrors();
    auto config = std::make_shared<const config::Config>(std::move(*loaded.config));
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->config = config;
    snapshot->routers.push_back(std::make_unique<routing::Router>(config->listeners[0]));
    const config::UpstreamConfig& u = config->upstreams[0];
    upstream_ = std::make_shared<upstream::Upstream>(
        u, metrics_.upstream("u"), policy_metrics_.upstream("u", {"127.0.0.1:1001"}), clock_.now());
    upstream_->setAddresses(0, {*io::SocketAddress::fromNumeric("127.0.0.1", 1001)});
    snapshot->upstreams["u"] = upstream_;
    context_.snapshot = snapshot;
    context_.make_codec = [this](WorkerUpstream&, io::Loop&, Clock&) {
      auto codec = std::make_unique<FakeCodec>(clock_, Duration::zero());
      codec_ = codec.get();
      return codec;
    };
  }

  // Starts a POST whose body of `length` bytes is still to come.
  Exchange& beginUpload(uint64_t length, bool expect_continue = false) {
    ExchangeSlot& slot = slot_.emplace();
    app_.emplace(loop_);
    slot.buffers.request.method = "POST";
    slot.buffers.request.target = "/upload";
    slot.buffers.request.headers.add("Host", "svc");
    slot.buffers.request.framing = http::BodyFraming::kContentLength;
    slot.buffers.request.content_length = length;
    slot.buffers.request.expect_continue = expect_continue;
    const config::ListenerConfig& listener = context_.snapshot->config->listeners[0];
    Exchange& exchange =
        slot.exchange.emplace(context_, *app_, slot.buffers, context_.snapshot,
                              ListenerInfo{&listener, 0, nullptr}, "127.0.0.1", clock_.now());
    exchange.start();
    return exchange;
  }
  size_t attemptCount() const { return codec_ ? codec_->attempts.size() : 0; }
  FakeAttempt& attempt() { return codec_->last(); }

  io::Loop loop_;
  ManualClock clock_;
  FastRandom random_{7};
  metrics::Metrics metrics_;
  metrics::PolicyMetrics policy_metrics_{metrics_.registry()};
  WorkerContext context_{loop_, clock_, random_, metrics_, nullptr, nullptr,
                         {},    false,  {},      {},       {},      {}};
  std::shared_ptr<upstream::Upstream> upstream_;
  FakeCodec* codec_ = nullptr;
  std::optional<FakeDownstream> app_;
  std::optional<ExchangeSlot> slot_;  // after app_: the exchange goes first
};

TEST_F(ExchangeBufferingTest, ABodyThatFitsIsReadWholeBeforeAConnectionIsAskedFor) {
  configure("");  // request_buffer: 64KiB by default
  Exchange& exchange = beginUpload(10);
  EXPECT_EQ(attemptCount(), 0u);
  EXPECT_TRUE(exchange.onRequestBody("hello"));
  EXPECT_EQ(attemptCount(), 0u);  // half a body: no attempt, no pool request
  EXPECT_TRUE(exchange.onRequestBody("world"));
  exchange.onRequestComplete();
  ASSERT_EQ(attemptCount(), 1u);
  attempt().connect();
  EXPECT_EQ(attempt().request_body, "helloworld");  // sent in one go with the head
  EXPECT_TRUE(attempt().request_ended);
  attempt().respond(200);
  attempt().succeed();
  EXPECT_EQ(app_->status, 200);
}

TEST_F(ExchangeBufferingTest, AFullBufferAsksForTheConnectionAndTheRestStreams) {
  configure("{ request_buffer: 1KiB }");
  Exchange& exchange = beginUpload(4096);
  EXPECT_TRUE(exchange.onRequestBody(std::string(600, 'a')));
  EXPECT_EQ(attemptCount(), 0u);
  EXPECT_TRUE(exchange.onRequestBody(std::string(600, 'b')));  // 1200 >= 1 KiB: full
  ASSERT_EQ(attemptCount(), 1u);
  attempt().connect();
  EXPECT_EQ(attempt().request_body.size(), 1200u);
  EXPECT_FALSE(attempt().request_ended);
  EXPECT_TRUE(exchange.onRequestBody(std::string(2896, 'c')));  // streams as it comes
  EXPECT_EQ(attempt().request_body.size(), 4096u);
  exchange.onRequestComplete();
  EXPECT_TRUE(attempt().request_ended);
}

TEST_F(ExchangeBufferingTest, ABufferLargerThanTheStreamingMarkHoldsTheBodyUnpaused) {
  configure("{ request_buffer: 256KiB }");
  Exchange& exchange = beginUpload(300 * 1024);
  const std::string piece(100 * 1024, 'x');
  EXPECT_TRUE(exchange.onRequestBody(piece));
  EXPECT_TRUE(exchange.onRequestBody(piece));  // 200 KiB held, past the 64 KiB mark: read on
  EXPECT_EQ(attemptCount(), 0u);
  EXPECT_FALSE(exchange.onRequestBody(piece));  // 300 KiB: over the buffer, the app waits
  ASSERT_EQ(attemptCount(), 1u);
  attempt().connect();
  EXPECT_EQ(attempt().request_body.size(), 300u * 1024);
  EXPECT_EQ(app_->body_resumed, 1);
}

TEST_F(ExchangeBufferingTest, ABodyTooSlowForTheRequestTimeoutGets504WithoutAnAttempt) {
  configure("", "    timeouts: { request: 2s }\n");
  Exchange& exchange = beginUpload(100);
  EXPECT_TRUE(exchange.onRequestBody("half"));
  clock_.advance(seconds(1));
  exchange.onTimer();
  EXPECT_FALSE(exchange.finished());  // woke early: sleeps again
  clock_.advance(seconds(1));
  exchange.onTimer();
  EXPECT_TRUE(exchange.finished());
  EXPECT_EQ(app_->status, 504);
  EXPECT_EQ(app_->header("x-outrigger-reason"), "request_timeout");
  EXPECT_EQ(attemptCount(), 0u);
}

TEST_F(ExchangeBufferingTest, ExpectContinueIsAnsweredFirstAndItsBodyReadBeforeTheConnection) {
  configure("");
  Exchange& exchange = beginUpload(8, /*expect_continue=*/true);
  EXPECT_EQ(app_->continues, 1);  // the app waits for it: it is sent on admission
  EXPECT_EQ(attemptCount(), 0u);
  EXPECT_TRUE(exchange.onRequestBody("12345678"));
  exchange.onRequestComplete();
  ASSERT_EQ(attemptCount(), 1u);
  attempt().connect();
  EXPECT_EQ(attempt().request_body, "12345678");
  EXPECT_TRUE(attempt().request_ended);
}

TEST_F(ExchangeBufferingTest, ARequestBufferOfZeroAsksForTheConnectionAtOnce) {
  configure("{ request_buffer: 0 }");
  Exchange& exchange = beginUpload(10);
  ASSERT_EQ(attemptCount(), 1u);
  attempt().connect();
  EXPECT_TRUE(exchange.onRequestBody("hello"));
  EXPECT_EQ(attempt().request_body, "hello");
  EXPECT_FALSE(attempt().request_ended);
}

TEST_F(ExchangeBufferingTest, TheAppGoingAwayMidBodyMakesNoAttempt) {
  configure("");
  Exchange& exchange = beginUpload(100);
  EXPECT_TRUE(exchange.onRequestBody("part"));
  exchange.onDownstreamGone();
  EXPECT_TRUE(exchange.finished());
  EXPECT_EQ(attemptCount(), 0u);
}

TEST_F(ExchangeBufferingTest, UpToResponseBufferWaitsForASlowAppBeforeTheUpstreamPauses) {
  configure("", "    limits: { response_buffer: 100KiB }\n");
  Exchange& exchange = beginUpload(0);
  exchange.onRequestComplete();
  ASSERT_EQ(attemptCount(), 1u);
  attempt().connect();
  attempt().respond(200);
  app_->queued = 90 * 1024;  // the app reads slowly
  attempt().body(std::string(90 * 1024, 'x'));
  EXPECT_FALSE(attempt().paused);  // still within the buffer: the upstream is read on
  app_->queued = 101 * 1024;
  attempt().body(std::string(11 * 1024, 'x'));
  EXPECT_TRUE(attempt().paused);
  app_->queued = 0;
  exchange.onDownstreamDrained();
  EXPECT_FALSE(attempt().paused);
}

TEST_F(ExchangeBufferingTest, AResponseThatFitsEndsItsAttemptWhileTheAppStillReads) {
  configure("");  // response_buffer: 256KiB by default
  Exchange& exchange = beginUpload(0);
  exchange.onRequestComplete();
  attempt().connect();
  attempt().respond(200);
  app_->queued = 200 * 1024;  // nothing taken by the app yet
  attempt().body(std::string(200 * 1024, 'x'));
  EXPECT_FALSE(attempt().paused);
  attempt().succeed();  // its connection goes back to the pool
  EXPECT_TRUE(exchange.finished());
  EXPECT_TRUE(app_->ended);
  EXPECT_EQ(app_->body.size(), 200u * 1024);
}

}  // namespace
}  // namespace outrigger::exchange
