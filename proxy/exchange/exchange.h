#pragma once
// One request's life (DESIGN §4): route -> pick endpoint -> pooled connection -> send the
// request (streaming its body) -> await the response head -> stream the response back
// with back-pressure -> record metrics and the access log. On failure it answers with a
// local reply (DESIGN §5), or cuts the client connection when a response was already
// under way, so a truncated body is never passed off as complete.
//
// The session owns the exchange and feeds it the request body; the exchange owns at most
// one lent upstream connection at a time and gives it back before it finishes.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/common/clock.h"
#include "proxy/config/schema.h"
#include "proxy/exchange/exchange_buffers.h"
#include "proxy/exchange/worker_context.h"
#include "proxy/http/local_reply.h"
#include "proxy/http/message.h"
#include "proxy/http/parser.h"
#include "proxy/io/tcp_stream.h"
#include "proxy/io/timer.h"
#include "proxy/metrics/policy_metrics.h"
#include "proxy/policy/outcome.h"
#include "proxy/policy/stale_cache.h"
#include "proxy/upstream/connection_pool.h"
#include "proxy/upstream/upstream_policies.h"

namespace prometheus {
class Gauge;
}

namespace outrigger::exchange {

// The downstream side, as the exchange sees it.
class ExchangeOwner {
 public:
  virtual ~ExchangeOwner() = default;
  virtual io::TcpStream& clientStream() = 0;
  // The connection's one timer, lent to the exchange while it runs: its deadlines are
  // armed with fireWithin(), and the owner calls Exchange::onTimer() when it fires.
  virtual io::Timer& exchangeTimer() = 0;
  // The response was queued in full. keep_alive: the client connection may serve another
  // request.
  virtual void onExchangeDone(bool keep_alive) = 0;
  // The response cannot be completed: the client connection must be cut.
  virtual void onExchangeAborted() = 0;
  // The exchange can take more request body again.
  virtual void resumeRequestBody() = 0;
};

struct ListenerInfo {
  const config::ListenerConfig* config;
  size_t index;                    // into Snapshot::routers
  prometheus::Gauge* connections;  // outrigger_downstream_connections{listener}
};

class Exchange final : public io::StreamHandler,
                       public http::ResponseHandler,
                       public upstream::PoolWaiter {
 public:
  // `snapshot` is the generation this request runs on until it ends; `listener` is in it.
  // The request is buffers.request; the owner keeps `buffers` and `client_ip` alive and
  // leaves them alone until the exchange is destroyed.
  Exchange(WorkerContext& context, ExchangeOwner& owner, ExchangeBuffers& buffers,
           std::shared_ptr<const Snapshot> snapshot, ListenerInfo listener,
           std::string_view client_ip, MonoTime started);
  ~Exchange() override;
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  void start();
  // Request body from the client; kPause asks the session to stop reading for now.
  http::ParserAction onRequestBody(std::string_view chunk);
  void onRequestComplete();
  // The client went away (reset, or EOF before the request was complete).
  void onClientGone();
  // Answers `reason` (payload_too_large, bad_request) to a request whose body cannot go
  // on, abandoning the upstream attempt; the connection closes after the reply.
  void rejectRequestBody(http::LocalReason reason, std::string detail);
  // Every byte queued to the client was written.
  void onClientDrained();
  bool finished() const { return phase_ == Phase::kDone; }
  // The owner's timer fired: acts on whichever deadline passed, or sleeps again.
  void onTimer();
  // The connection will close after this response: tell the app (Connection: close).
  void closeAfterResponse() { close_after_response_ = true; }

 private:
  enum class Phase {
    kStarting,
    kQueued,             // waiting for a bulkhead slot
    kBackoff,            // between attempts
    kWaitingConnection,  // pool wait or connect
    kAwaitingHead,       // request sent or being sent, no response head yet
    kStreamingResponse,  // response head sent to the client
    kDone,
  };

  // Admission and retries (exchange_admission.cc), in the order of DESIGN §4.
  void readAppLimits();
  void admit();
  void onBulkheadGranted();
  void onAdmitted();
  void tryAttempt();
  void settleAttempt(policy::AttemptOutcome outcome);
  std::optional<Duration> retryDelay(policy::AttemptOutcome outcome,
                                     std::optional<Duration> retry_after);
  void startBackoff(Duration delay);
  void finalFailure(http::LocalReason reason, int retry_after_seconds = 0);
  bool serveStale(http::LocalReason reason);
  void serveStatic(http::LocalReason reason);
  void sendFallback(http::ResponseHead& head, std::string_view body, http::LocalReason reason,
                    metrics::FallbackKind kind);
  void releaseAdmission();
  // The stale cache's key of this request (Host without port, then the target), into `out`.
  void staleKey(std::string& out) const;

  // Upstream attempt.
  void beginAttempt();
  void onPoolReady(upstream::PooledConnection& connection) override;
  void onPoolFailure(upstream::PoolFailure failure, const std::string& detail) override;
  void sendRequestHead();
  void writeBodyChunk(std::string_view chunk);
  // One body piece on `stream`, framed as a chunk when `chunked`, copied behind what is
  // queued (no allocation for a small piece).
  static void writeBodyPiece(io::TcpStream& stream, std::string_view data, bool chunked);
  void endAttempt(policy::AttemptOutcome outcome, bool reusable);
  void failAttempt(policy::AttemptOutcome outcome, http::LocalReason reason,
                   const std::string& detail);
  bool retryOnFreshConnection(policy::AttemptOutcome outcome);

  // Upstream connection events.
  void onStreamData(const char* data, size_t len) override;
  void feedResponse(const char* data, size_t len);  // the response parser, corked
  void retryAfterDiscard(bool whole_response_read);
  void pauseUpstreamIfClientIsSlow();
  void onStreamEnd(int error) override;
  void onStreamDrained() override;

  // Response parsing.
  http::ParserAction onResponseHead(http::ResponseHead& head) override;
  http::ParserAction onResponseBody(std::string_view chunk) override;
  http::ParserAction onResponseComplete() override;

  // Timeouts: one timer for every deadline, re-armed lazily.
  void armTimer();
  MonoTime nextDeadline() const;

  void completeResponse(bool extra_bytes);
  void replyLocally(http::LocalReason reason, int retry_after_seconds = 0);
  void finish(bool keep_alive);
  void abort(const std::string& detail);
  void record();  // metrics and the access log line
  // Body bytes of this request are still to come from the app. (A bodiless request is
  // complete at its head, before the parser reports it.)
  bool requestBodyPending() const {
    return !request_complete_ && request_.framing != http::BodyFraming::kNone;
  }

  WorkerContext& context_;
  ExchangeOwner& owner_;
  std::shared_ptr<const Snapshot> snapshot_;  // kept until the exchange ends
  ListenerInfo listener_;
  std::string_view client_ip_;
  ExchangeBuffers& buffers_;
  http::RequestHead& request_;  // buffers_.request
  std::string& request_id_;     // buffers_.request_id
  std::string_view path_;       // request_.path(), found once: routing and the access log use it
  std::string& host_;           // buffers_'s: Host without port, lowercased
  const config::RouteConfig* route_ = nullptr;
  std::shared_ptr<WorkerUpstream> upstream_;
  Phase phase_ = Phase::kStarting;

  MonoTime started_;
  MonoTime request_deadline_ = MonoTime::max();
  MonoTime try_deadline_ = MonoTime::max();
  MonoTime last_upstream_activity_{};
  io::Timer& timer_;  // the owner's; see ExchangeOwner::exchangeTimer

  // Request body: buffered until a connection is ready, then streamed.
  std::vector<std::string> body_buffer_;
  size_t body_buffered_bytes_ = 0;
  bool request_complete_ = false;
  bool request_sent_ = false;  // head, body and terminator all queued upstream
  bool body_paused_ = false;   // we asked the session to stop reading

  // Policies (shared by every worker) and what this request holds of them.
  upstream::UpstreamPolicies* policies_ = nullptr;
  upstream::UpstreamPolicies::Ticket ticket_ = 0;
  bool queued_ = false;      // in the bulkhead's wait queue
  bool holds_slot_ = false;  // holds a bulkhead slot
  upstream::UpstreamPolicies::BreakerPermit permit_;
  std::shared_ptr<bool> alive_;  // for posted bulkhead grants; made when first needed
  MonoTime queue_deadline_ = MonoTime::max();
  MonoTime backoff_deadline_ = MonoTime::max();
  uint32_t max_attempts_ = 1;
  bool keep_body_ = false;       // the body is kept for a retry (within retry.max_body_bytes)
  bool body_replayable_ = true;  // every body byte so far is kept, or there is no body
  uint64_t body_total_ = 0;
  http::LocalReason last_failure_reason_ = http::LocalReason::kUpstreamReset;

  // Current attempt.
  MonoTime attempt_started_{};
  bool attempt_open_ = false;  // started and not yet settled with the policies
  upstream::PooledConnection* connection_ = nullptr;
  int endpoint_ = -1;
  bool endpoint_active_ = false;  // counted in the pool's per-endpoint active requests
  int attempts_ = 0;
  int stale_retries_ = 0;
  bool connection_reused_ = false;
  bool response_bytes_seen_ = false;
  bool interim_ = false;  // parsing a 1xx response
  bool discarding_ = false;       // parsing a failure response that is retried, within one feed
  Duration discard_then_wait_{};  // the backoff that follows it
  bool upstream_keep_alive_ = false;
  http::ResponseParser* response_parser_ = nullptr;  // buffers_'s, once an attempt has a connection
  bool upstream_paused_ = false;  // upstream reads stopped while the client catches up

  // The response being kept as a stale copy (fallback.stale_if_error).
  bool stale_eligible_ = false;  // a GET to an upstream that keeps stale copies
  bool capture_stale_ = false;
  policy::StaleEntry& stale_copy_;  // buffers_'s, see ExchangeBuffers::stale_copy

  // Response to the client.
  bool no_response_body_ = false;  // HEAD
  bool chunk_to_client_ = false;
  bool close_after_response_ = false;
  bool response_complete_ = false;
  int status_ = 0;
  std::string reason_;  // local reply reason, "" for upstream responses
  std::string endpoint_text_;
  std::string error_detail_;
  uint64_t bytes_in_ = 0;
  uint64_t bytes_out_ = 0;
};

}  // namespace outrigger::exchange
