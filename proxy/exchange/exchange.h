#pragma once
// One request's life (DESIGN §4), whatever protocol carries it: route -> admit (rate limit,
// bulkhead) -> attempts (breaker permit, endpoint, an upstream attempt from the upstream's
// codec) -> after each, the one decision of next_step.h -> stream the response back with
// back-pressure, or fall back, or reply locally -> record metrics and the access log.
//
// It talks to two interfaces only: the DownstreamStream it answers through, and the
// UpstreamAttempts its upstream's codec makes. It owns what the request holds of the
// upstream's limits (AdmissionGuard), the body a retry may need (ReplayBody), and the copy
// kept for stale_if_error (StaleCapture). Its stream owns it, and destroys it on a turn
// after it finished.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/common/clock.h"
#include "proxy/config/schema.h"
#include "proxy/exchange/admission_guard.h"
#include "proxy/exchange/downstream_stream.h"
#include "proxy/exchange/exchange_buffers.h"
#include "proxy/exchange/next_step.h"
#include "proxy/exchange/replay_body.h"
#include "proxy/exchange/responder.h"
#include "proxy/exchange/stale_capture.h"
#include "proxy/exchange/trace_headers.h"
#include "proxy/exchange/upstream_attempt.h"
#include "proxy/exchange/worker_context.h"
#include "proxy/http/local_reply.h"
#include "proxy/http/message.h"
#include "proxy/metrics/policy_metrics.h"

namespace outrigger::metrics {
enum class TunnelResult;  // metrics.h
}  // namespace outrigger::metrics

namespace prometheus {
class Counter;
class Gauge;
}  // namespace prometheus

namespace outrigger::exchange {

struct ListenerInfo;

// The generation a new request on a connection of `listener` runs under: `newest` while it
// still has the listener (by name; `listener` then points into it), else the one the
// connection has held (`held`) since a reload removed or renamed its listener, until it
// closes. `held` keeps listener.config alive.
const std::shared_ptr<const Snapshot>& followGeneration(
    const std::shared_ptr<const Snapshot>& newest, ListenerInfo& listener,
    std::shared_ptr<const Snapshot>& held);

struct ListenerInfo {
  const config::ListenerConfig* config;
  size_t index;                    // into Snapshot::routers
  prometheus::Gauge* connections;  // outrigger_downstream_connections{listener}
  // outrigger_request_headers_dropped_total{listener,reason="underscore"}; may be null.
  prometheus::Counter* underscore_headers_dropped = nullptr;
  bool http2 = false;  // the app's connection speaks HTTP/2 (the access log's protocol)
  // outrigger_trailers_dropped_total{listener}: response trailers an HTTP/1.x app could not
  // be sent (its response was not chunked); may be null.
  prometheus::Counter* trailers_dropped = nullptr;
};

class Exchange final : public AttemptEvents, public AdmissionGuard::Events {
 public:
  // `snapshot` is the generation this request runs on until it ends; `listener` is in it.
  // The request is buffers.request; the stream keeps `buffers` and `client_ip` alive and
  // leaves them alone until the exchange is destroyed.
  Exchange(WorkerContext& context, DownstreamStream& downstream, ExchangeBuffers& buffers,
           std::shared_ptr<const Snapshot> snapshot, ListenerInfo listener,
           std::string_view client_ip, MonoTime started);
  ~Exchange() override;
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  // Routes and admits the request. A bodiless request is complete with its head: its stream
  // calls onRequestComplete() right after this, before any other event.
  void start();
  // Request body from the app; false asks the stream to pause it until resumeRequestBody().
  bool onRequestBody(std::string_view chunk);
  // The request's trailer fields, before onRequestComplete(); kept for every attempt.
  void onRequestTrailers(http::Headers& trailers);
  void onRequestComplete();
  // The app went away (reset, or EOF before the request was complete).
  void onDownstreamGone();
  // Answers `reason` (payload_too_large, bad_request) to a request whose body cannot go
  // on, abandoning the upstream attempt.
  void rejectRequestBody(http::LocalReason reason, std::string detail);
  // Every byte queued to the app was taken.
  void onDownstreamDrained();
  // The stream's timer fired: acts on whichever deadline passed, or sleeps again.
  void onTimer();
  // The tunnel the stream made after a 101 (startTunnel) ended: counted and logged, and
  // the bulkhead slot it held is given back.
  void onTunnelClosed(metrics::TunnelResult result, uint64_t bytes_up, uint64_t bytes_down);
  bool finished() const { return phase_ == Phase::kDone; }

 private:
  enum class Phase {
    kStarting,
    kReadingBody,        // reading the body into request_buffer before asking for a connection
    kQueued,             // waiting for a bulkhead slot
    kBackoff,            // between attempts
    kAttempting,         // an attempt runs, no response head passed on yet
    kStreamingResponse,  // the response head went to the app
    kFetchingStale,      // failed: asking Redis for a shared stale copy (store: redis)
    kTunnel,             // switched protocols (101): the stream pipes bytes both ways
    kDone,
  };

  // Admission (exchange.cc), in the order of DESIGN §4.
  void readAppLimits();
  // Request buffering (exchange.cc): reads the body, up to limits.request_buffer, before a
  // connection is asked for, so a slow upload holds none. True if it waits for the body.
  bool awaitBody();
  void bodyAwaited();  // the body ended or filled the buffer: admission or the attempt goes on
  void allowUpgrade();
  void admit();
  void onAdmissionGranted() override;
  void onAdmitted();
  void tryAttempt();
  int pickEndpoint(MonoTime now);

  // Attempts and what follows them (exchange_attempt.cc).
  void onAttemptConnected() override;
  ResponseVerdict onAttemptResponseHead(http::ResponseHead& head) override;
  void onAttemptResponseBody(std::string_view piece) override;
  void onAttemptResponseTrailers(http::Headers& trailers) override;
  void onAttemptEnded(AttemptResult& result) override;
  void onAttemptSwitched(http::ResponseHead& head, TunnelHandoff& handoff) override;
  void onAttemptRequestDrained() override;
  void onAttemptReadBegin() override;
  void onAttemptReadEnd() override;
  NextStep decide(const AttemptResult& result);
  void settle(policy::AttemptOutcome outcome);
  void settleGrpcCall(const http::Headers& trailers);
  void follow(const NextStep& step, AttemptResult& result);
  void noteFailure(const AttemptResult& result, const NextStep& step);
  void passResponseHead(http::ResponseHead& head);
  void completeResponse();
  void cancelAttempt(policy::AttemptOutcome outcome);
  void startBackoff(Duration delay);

  // Deadlines: one timer for all of them, re-armed lazily (exchange_attempt.cc).
  void armTimer();
  MonoTime nextDeadline() const;

  // Endings (exchange_ending.cc): fallbacks, local replies, cuts, the record.
  void fallBack(http::LocalReason reason, int retry_after_seconds = 0);
  bool serveStale(http::LocalReason reason);
  bool hasStaleCopy();  // this process keeps a copy for the request, or Redis may
  int failure_status_ = 0;  // a failure status read through for a stale copy
  // After the stale copies: the static response, or else the local reply.
  void fallBackPastStale(http::LocalReason reason, int retry_after_seconds);
  void sendStaleCopy(policy::StaleEntry& copy, Duration age, http::LocalReason reason,
                     metrics::FallbackKind kind);

  // Stale copies shared through Redis (exchange_shared_stale.cc).
  bool sharesStaleCopies() const;
  void shareStaleCopy(const std::string& request_key);  // a good response completed
  // Asks Redis for the copy; false when there is nothing to ask (not store: redis, or no
  // connection). The request continues in onSharedStaleFetched or, past the command
  // timeout or the request's deadline, in giveUpSharedStale.
  bool fetchSharedStale(http::LocalReason reason, int retry_after_seconds);
  void onSharedStaleFetched(const io::RedisReply& reply);
  void giveUpSharedStale();
  void serveStatic(http::LocalReason reason);
  void replyLocally(http::LocalReason reason, int retry_after_seconds = 0);
  ReplyContext replyContext() const;
  void answerDirectly();  // the route's direct_response
  RewriteVariables rewriteVariables() const;
  void finish(bool end_response);
  void cut(std::string detail);
  void record();
  bool headRequest() const { return request_.method == "HEAD"; }

  WorkerContext& context_;
  DownstreamStream& downstream_;
  std::shared_ptr<const Snapshot> snapshot_;  // kept until the exchange ends
  ListenerInfo listener_;
  std::string_view client_ip_;
  ExchangeBuffers& buffers_;
  http::RequestHead& request_;  // buffers_.request
  std::string& request_id_;     // buffers_.request_id
  std::string_view path_;       // request_.path(), found once: routing and the access log use it
  std::string& host_;           // buffers_'s: Host without port, lowercased
  const config::RouteConfig* route_ = nullptr;
  // Declared before everything that may hold its parts (the attempt, the admission), so it
  // is destroyed after them.
  std::shared_ptr<WorkerUpstream> upstream_;
  upstream::UpstreamPolicies* policies_ = nullptr;
  // What the route changes of the upstream's policy (routing::RouteOverrides): its merged
  // timeouts, or null for the upstream's; the retry decision in force, the route's or else
  // the upstream's, or null for one attempt; the fallback in force, the route's merged one or
  // the upstream's.
  const config::TimeoutsConfig* route_timeouts_ = nullptr;
  const policy::RetryPolicy* retry_policy_ = nullptr;
  const config::FallbackConfig* fallback_ = nullptr;
  TraceHeaders trace_;  // the trace context the app sent or we started; a span per attempt
  Phase phase_ = Phase::kStarting;

  MonoTime started_;
  MonoTime request_deadline_ = MonoTime::max();
  MonoTime queue_deadline_ = MonoTime::max();
  MonoTime backoff_deadline_ = MonoTime::max();

  AdmissionGuard admission_;
  ReplayBody body_;
  bool request_complete_ = false;
  bool body_paused_ = false;      // we asked the stream to stop the request body
  uint64_t request_buffer_ = 0;   // listeners[].limits.request_buffer
  uint64_t response_buffer_ = 0;  // upstreams.<name>.limits.response_buffer
  bool grpc_timeout_ = false;     // the app's grpc-timeout set the deadline: tell each attempt
  bool grpc_request_ = false;     // content-type application/grpc: its grpc-status is read
  uint32_t max_attempts_ = 1;

  // The current attempt, and the last one that ended. An attempt that ends is parked in
  // ended_attempt_ rather than dropped inside its own callback; the next one to end, or the
  // exchange's destruction (a later turn: its stream defers it), hands it back to the codec,
  // which may then reuse it at once.
  AttemptHandle ended_attempt_;
  AttemptHandle attempt_;
  bool starting_attempt_ = false;  // inside attempt_->start()
  MonoTime attempt_started_{};
  bool attempt_open_ = false;  // started and not yet settled with the policies
  // A gRPC call passed through without a grpc-status in its head: it is settled when its
  // trailers say how it ended (or when it ends), timed up to its head.
  bool settle_at_trailers_ = false;
  MonoTime response_head_at_{};
  int endpoint_ = -1;
  std::string_view endpoint_text_;  // the upstream's, which upstream_ keeps alive
  uint32_t attempts_ = 0;
  uint32_t free_retries_ = 0;
  std::optional<NextStep> after_discard_;  // decided at a failure head that is read through
  bool upstream_paused_ = false;           // the app reads slower than the upstream sends
  int output_holds_ = 0;                   // onAttemptReadBegin without its End yet

  bool stale_eligible_ = false;  // a GET to an upstream that keeps stale copies
  StaleCapture stale_;
  // While a shared copy is fetched: the failure to answer if there is none, and when to stop
  // waiting. The token's weak copies tell a reply that the exchange is gone.
  MonoTime stale_fetch_deadline_ = MonoTime::max();
  http::LocalReason stale_fetch_reason_{};
  int stale_fetch_retry_after_ = 0;
  std::shared_ptr<char> stale_fetch_token_;

  int status_ = 0;
  int grpc_status_ = -1;     // the gRPC status the app was given, -1 for none
  std::string_view reason_;  // local reply reason, "" for upstream responses
  std::string error_detail_;
  uint64_t bytes_in_ = 0;
  uint64_t bytes_out_ = 0;
};

}  // namespace outrigger::exchange
