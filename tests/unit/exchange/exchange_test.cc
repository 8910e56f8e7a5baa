// The exchange driven with a fake downstream stream, a fake upstream codec and a manual
// clock: every way an attempt can end, with no sockets and no sleeps.
#include "proxy/exchange/exchange.h"

#include <gtest/gtest.h>

#include <optional>

#include "proxy/config/loader.h"
#include "proxy/exchange/exchange_slot.h"
#include "proxy/metrics/metrics.h"
#include "proxy/metrics/policy_metrics.h"
#include "tests/unit/exchange/exchange_fakes.h"

namespace outrigger::exchange {
namespace {

using testing::FakeAttempt;
using testing::FakeCodec;
using testing::FakeDownstream;

class ExchangeTest : public ::testing::Test {
 protected:
  // `upstream` is the YAML of upstream "u" (indented by four), behind one catch-all route.
  void configure(const std::string& upstream) {
    const std::string yaml =
        "listeners:\n"
        "  - name: l\n"
        "    listen: 127.0.0.1:0\n"
        "    routes: [ { upstream: u } ]\n"
        "upstreams:\n"
        "  u:\n" +
        upstream;
    config::LoadResult loaded = config::loadConfigString(
        yaml, "test.yaml", [](const std::string&) -> std::optional<std::string> { return {}; });
    ASSERT_TRUE(loaded.ok()) << loaded.formatErrors();
    auto config = std::make_shared<const config::Config>(std::move(*loaded.config));
    auto snapshot = std::make_shared<Snapshot>();
    snapshot->config = config;
    snapshot->routers.push_back(std::make_unique<routing::Router>(config->listeners[0]));
    const config::UpstreamConfig& u = config->upstreams[0];
    std::vector<std::string> endpoints;
    for (const auto& e : u.endpoints) endpoints.push_back(e.text);
    upstream_ = std::make_shared<upstream::Upstream>(
        u, metrics_.upstream("u"), policy_metrics_.upstream("u", endpoints), clock_.now());
    for (size_t i = 0; i < u.endpoints.size(); ++i)
      upstream_->setAddresses(i,
                              {*io::SocketAddress::fromNumeric("127.0.0.1", u.endpoints[i].port)});
    snapshot->upstreams["u"] = upstream_;
    context_.snapshot = snapshot;
    const Duration per_try = u.timeouts.per_try;
    context_.make_codec = [this, per_try](WorkerUpstream&, io::Loop&, Clock&) {
      auto codec = std::make_unique<FakeCodec>(clock_, per_try);
      codec_ = codec.get();
      return codec;
    };
  }

  // Starts `method target` (no body) on a fresh slot; the test steers codec_'s attempts.
  Exchange& begin(const std::string& method = "GET", const std::string& target = "/x",
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
    slots_.push_back(std::make_unique<ExchangeSlot>());
    downstreams_.push_back(std::make_unique<FakeDownstream>(loop_));
    ExchangeSlot& slot = *slots_.back();
    slot.buffers.request.method = method;
    slot.buffers.request.target = target;
    slot.buffers.request.headers.add("Host", "svc");
    for (auto& [name, value] : headers) slot.buffers.request.headers.add(name, value);
    const config::ListenerConfig& listener = context_.snapshot->config->listeners[0];
    Exchange& exchange =
        slot.exchange.emplace(context_, *downstreams_.back(), slot.buffers, context_.snapshot,
                              ListenerInfo{&listener, 0, nullptr}, "127.0.0.1", clock_.now());
    exchange.start();
    if (!exchange.finished()) exchange.onRequestComplete();  // a bodiless request is whole
    return exchange;
  }
  FakeDownstream& app() { return *downstreams_.back(); }
  FakeAttempt& attempt(size_t i) { return *codec_->attempts.at(i); }
  size_t attemptCount() const { return codec_ ? codec_->attempts.size() : 0; }
  upstream::UpstreamPolicies::Status policyStatus() {
    return upstream_->policies().status(clock_.now());
  }

  io::Loop loop_;
  ManualClock clock_;
  FastRandom random_{42};
  metrics::Metrics metrics_;
  metrics::PolicyMetrics policy_metrics_{metrics_.registry()};
  WorkerContext context_{loop_, clock_, random_, metrics_, nullptr, nullptr,
                         {},    false,  {},      {},       {},      {}};
  std::shared_ptr<upstream::Upstream> upstream_;
  FakeCodec* codec_ = nullptr;
  std::vector<std::unique_ptr<ExchangeSlot>> slots_;
  std::vector<std::unique_ptr<FakeDownstream>> downstreams_;
};

constexpr const char* kTwoEndpoints = "    endpoints: [ \"127.0.0.1:1001\", \"127.0.0.1:1002\" ]\n";

TEST_F(ExchangeTest, ASuccessfulResponseStreamsToTheApp) {
  configure(kTwoEndpoints);
  Exchange& exchange = begin();
  ASSERT_EQ(attemptCount(), 1u);
  attempt(0).connect();
  EXPECT_TRUE(attempt(0).request_ended);
  EXPECT_EQ(attempt(0).respond(200, {{"content-type", "text/plain"}}),
            ResponseVerdict::kPassThrough);
  attempt(0).body("hello ");
  attempt(0).body("world");
  attempt(0).succeed();
  EXPECT_TRUE(exchange.finished());
  EXPECT_EQ(app().status, 200);
  EXPECT_EQ(app().body, "hello world");
  EXPECT_EQ(app().header("content-type"), "text/plain");
  EXPECT_EQ(app().header("x-request-id"), attempt(0).request_id);
  EXPECT_EQ(app().header("x-outrigger-attempts"), "");  // one attempt: no header
  EXPECT_TRUE(app().ended);
  EXPECT_FALSE(app().aborted);
  EXPECT_EQ(app().holds, 0);  // every hold released
  // Ended inside its own callback, the attempt is parked, and given back to its codec when
  // the exchange goes (on a later turn).
  EXPECT_FALSE(attempt(0).dropped);
  slots_.back()->exchange.reset();
  EXPECT_TRUE(attempt(0).dropped);
}

TEST_F(ExchangeTest, ResponseTrailersReachTheAppBeforeItsEnd) {
  configure(kTwoEndpoints);
  begin("POST");
  attempt(0).connect();
  attempt(0).respond(200, {{"content-type", "application/grpc"}});
  attempt(0).body("message");
  http::Headers trailers;
  trailers.add("grpc-status", "0");
  attempt(0).sendTrailers(trailers);
  EXPECT_FALSE(app().ended);
  attempt(0).succeed();
  EXPECT_TRUE(app().ended);
  ASSERT_NE(app().trailers.get("grpc-status"), nullptr);
  EXPECT_EQ(*app().trailers.get("grpc-status"), "0");
}

TEST_F(ExchangeTest, ABodyPausedBeforeTheConnectionResumesWhenItLeavesAtOnce) {
  configure(kTwoEndpoints);
  slots_.push_back(std::make_unique<ExchangeSlot>());
  downstreams_.push_back(std::make_unique<FakeDownstream>(loop_));
  ExchangeSlot& slot = *slots_.back();
  slot.buffers.request.method = "POST";
  slot.buffers.request.target = "/upload";
  slot.buffers.request.headers.add("Host", "svc");
  slot.buffers.request.framing = http::BodyFraming::kContentLength;
  slot.buffers.request.content_length = 100 * 1024;
  const config::ListenerConfig& listener = context_.snapshot->config->listeners[0];
  Exchange& exchange =
      slot.exchange.emplace(context_, *downstreams_.back(), slot.buffers, context_.snapshot,
                            ListenerInfo{&listener, 0, nullptr}, "127.0.0.1", clock_.now());
  exchange.start();
  const std::string piece(40 * 1024, 'x');
  EXPECT_TRUE(exchange.onRequestBody(piece));
  EXPECT_FALSE(exchange.onRequestBody(piece));  // 80 KiB held, no connection yet: pause
  EXPECT_EQ(app().body_resumed, 0);
  attempt(0).connect();  // the fake's socket takes everything at once: no drain will come
  EXPECT_EQ(attempt(0).request_body.size(), 80u * 1024);
  EXPECT_EQ(app().body_resumed, 1);
}

TEST_F(ExchangeTest, AConnectFailureIsRetriedOnTheOtherEndpoint) {
  configure(std::string(kTwoEndpoints) +
            "    retry: { max_attempts: 2, backoff: { initial: 0s } }\n");
  Exchange& exchange = begin("POST");  // not idempotent: a failed connect sent nothing
  ASSERT_EQ(attemptCount(), 1u);
  AttemptResult refused;
  refused.outcome = policy::AttemptOutcome::kConnectFailed;
  refused.error.reason = http::LocalReason::kConnectFailed;
  refused.error.retry_safe = true;
  refused.error.detail = "connect: ECONNREFUSED";
  attempt(0).end(refused);
  EXPECT_EQ(attemptCount(), 1u);  // the retry waits for its (zero) backoff on the timer
  exchange.onTimer();
  ASSERT_EQ(attemptCount(), 2u);
  EXPECT_NE(attempt(1).endpoint, attempt(0).endpoint);
  attempt(1).connect();
  attempt(1).respond(200);
  attempt(1).succeed();
  EXPECT_EQ(app().status, 200);
  EXPECT_EQ(app().header("x-outrigger-attempts"), "2");
}

TEST_F(ExchangeTest, AResetAfterTheResponseStartedCutsTheAppConnection) {
  configure(std::string(kTwoEndpoints) + "    retry: { max_attempts: 3 }\n");
  Exchange& exchange = begin();
  attempt(0).connect();
  attempt(0).respond(200);
  attempt(0).body("partial");
  AttemptResult reset;
  reset.outcome = policy::AttemptOutcome::kReset;
  reset.response_started = true;
  reset.status = 200;
  reset.error.detail = "upstream closed the connection before the response was complete";
  attempt(0).end(reset);
  EXPECT_TRUE(exchange.finished());
  EXPECT_TRUE(app().aborted);
  EXPECT_FALSE(app().ended);      // a cut body is never passed off as complete
  EXPECT_EQ(attemptCount(), 1u);  // nothing is retried once the app saw part of a response
}

TEST_F(ExchangeTest, APerTryTimeoutAnswersUpstreamTimeout) {
  configure(std::string(kTwoEndpoints) + "    timeouts: { per_try: 1s, request: 10s }\n");
  Exchange& exchange = begin();
  attempt(0).connect();
  clock_.advance(milliseconds(999));
  exchange.onTimer();
  EXPECT_FALSE(exchange.finished());
  clock_.advance(milliseconds(1));
  exchange.onTimer();
  EXPECT_TRUE(exchange.finished());
  EXPECT_EQ(app().status, 504);
  EXPECT_EQ(app().header("x-outrigger-reason"), "upstream_timeout");
  EXPECT_TRUE(app().ended);
}

TEST_F(ExchangeTest, TheRequestTimeoutEndsABackoff) {
  configure(
      std::string(kTwoEndpoints) +
      "    timeouts: { request: 2s }\n"
      "    retry: { max_attempts: 3, backoff: { initial: 500ms, max: 500ms, jitter: none } }\n");
  Exchange& exchange = begin();
  attempt(0).connect();
  AttemptResult reset;
  reset.outcome = policy::AttemptOutcome::kReset;
  reset.error.detail = "upstream closed the connection before sending a response";
  attempt(0).end(reset);
  EXPECT_FALSE(exchange.finished());  // backing off
  clock_.advance(seconds(3));         // the loop was late: both the backoff and the request are due
  exchange.onTimer();
  EXPECT_TRUE(exchange.finished());
  EXPECT_EQ(app().status, 504);
  EXPECT_EQ(app().header("x-outrigger-reason"), "request_timeout");
  EXPECT_EQ(attemptCount(), 1u);  // no attempt after the deadline
}

TEST_F(ExchangeTest, AnOpenBreakerIsAnsweredFromTheStaleCopy) {
  // No retry block: a 503 still counts as a failure (DESIGN §5).
  configure(std::string(kTwoEndpoints) +
            "    circuit_breaker: { failure_threshold: 1, open_for: 30s }\n"
            "    fallback: { stale_if_error: { ttl: 60s } }\n");
  begin("GET", "/s");
  attempt(0).connect();
  attempt(0).respond(200, {{"content-type", "text/plain"}}, http::BodyFraming::kContentLength);
  attempt(0).body("fresh");
  attempt(0).succeed();
  ASSERT_EQ(app().status, 200);

  begin("GET", "/s");
  attempt(1).connect();
  // The 503 is not retried: the copy answers it (stale-if-error), and the breaker opens.
  EXPECT_EQ(attempt(1).respond(503), ResponseVerdict::kDiscard);
  attempt(1).succeed();
  EXPECT_EQ(app().status, 200);
  EXPECT_EQ(app().header("x-outrigger-reason"), "failure_status");
  ASSERT_TRUE(policyStatus().breaker.has_value());
  EXPECT_EQ(policyStatus().breaker->state, policy::BreakerState::kOpen);

  Exchange& third = begin("GET", "/s");
  EXPECT_TRUE(third.finished());
  EXPECT_EQ(attemptCount(), 2u);  // the open breaker let no attempt through
  EXPECT_EQ(app().status, 200);
  EXPECT_EQ(app().body, "fresh");
  EXPECT_EQ(app().header("x-outrigger-fallback"), "stale");
  EXPECT_EQ(app().header("x-outrigger-reason"), "circuit_open");
}

TEST_F(ExchangeTest, AnAppLeavingDuringThePoolWaitReleasesEverythingItHeld) {
  configure(std::string(kTwoEndpoints) +
            "    bulkhead: { max_concurrent: 1, max_queue: 0 }\n"
            "    circuit_breaker: { failure_threshold: 1, open_for: 30s }\n");
  Exchange& exchange = begin();
  ASSERT_EQ(attemptCount(), 1u);
  EXPECT_EQ(policyStatus().bulkhead->active, 1u);
  exchange.onDownstreamGone();  // still waiting for a connection
  EXPECT_TRUE(exchange.finished());
  EXPECT_TRUE(attempt(0).cancelled);  // its pool request withdrawn with it
  EXPECT_TRUE(attempt(0).dropped);
  EXPECT_EQ(policyStatus().bulkhead->active, 0u);
  // The permit was given back as cancelled: not a failure, so the breaker stays closed.
  EXPECT_EQ(policyStatus().breaker->state, policy::BreakerState::kClosed);
  // The slot is free again: the next request gets it and makes an attempt.
  begin();
  EXPECT_EQ(attemptCount(), 2u);
  EXPECT_EQ(app().status, 0);  // not rejected
}

TEST_F(ExchangeTest, A503IsRetriedAfterItsRetryAfter) {
  configure(std::string(kTwoEndpoints) + "    retry: { max_attempts: 2 }\n");
  Exchange& exchange = begin();
  attempt(0).connect();
  EXPECT_EQ(attempt(0).respond(503, {{"Retry-After", "1"}}), ResponseVerdict::kDiscard);
  AttemptResult discarded;
  discarded.outcome = policy::AttemptOutcome::kFailureStatus;
  discarded.status = 503;
  attempt(0).end(discarded);
  EXPECT_EQ(app().heads, 0);  // the app never sees the 503
  clock_.advance(milliseconds(999));
  exchange.onTimer();
  EXPECT_EQ(attemptCount(), 1u);
  clock_.advance(milliseconds(1));
  exchange.onTimer();
  ASSERT_EQ(attemptCount(), 2u);
  attempt(1).connect();
  attempt(1).respond(200);
  attempt(1).succeed();
  EXPECT_EQ(app().status, 200);
  EXPECT_EQ(app().header("x-outrigger-attempts"), "2");
}

TEST_F(ExchangeTest, AStaleKeptAliveConnectionIsTriedAgainAtOnceWithoutCountingAnAttempt) {
  configure(kTwoEndpoints);  // no retries configured
  begin();
  attempt(0).connect();
  AttemptResult stale;
  stale.outcome = policy::AttemptOutcome::kReset;
  stale.stale_connection = true;
  stale.error.detail = "upstream closed the connection before sending a response";
  attempt(0).end(stale);
  ASSERT_EQ(attemptCount(), 2u);  // at once, no backoff
  attempt(1).connect();
  attempt(1).respond(200);
  attempt(1).succeed();
  EXPECT_EQ(app().status, 200);
  EXPECT_EQ(app().header("x-outrigger-attempts"), "");
}

TEST_F(ExchangeTest, AStaleConnectionIsNotTriedAgainForAPost) {
  configure(kTwoEndpoints);
  begin("POST");
  attempt(0).connect();
  AttemptResult stale;
  stale.outcome = policy::AttemptOutcome::kReset;
  stale.stale_connection = true;
  attempt(0).end(stale);
  EXPECT_EQ(attemptCount(), 1u);
  EXPECT_EQ(app().status, 502);
  EXPECT_EQ(app().header("x-outrigger-reason"), "upstream_reset");
}

TEST_F(ExchangeTest, ARateLimitedRequestMakesNoAttempt) {
  configure(std::string(kTwoEndpoints) + "    rate_limit: { requests_per_second: 1, burst: 1 }\n");
  begin();
  EXPECT_EQ(attemptCount(), 1u);
  Exchange& second = begin();
  EXPECT_TRUE(second.finished());
  EXPECT_EQ(attemptCount(), 1u);
  EXPECT_EQ(app().status, 429);
  EXPECT_EQ(app().header("x-outrigger-reason"), "rate_limited");
  EXPECT_EQ(app().header("Retry-After"), "1");
}

}  // namespace
}  // namespace outrigger::exchange
