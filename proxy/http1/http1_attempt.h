#pragma once
// One HTTP/1.1 attempt (h2o's http1client, Envoy's UpstreamRequest): waits for a pooled
// connection to its endpoint, writes the request head and body (chunked when the app's
// was), parses the response with llhttp, enforces the per-try, write and read deadlines,
// and gives the connection back, reusable or not, before it reports its one AttemptResult.
// A failure response the exchange retries is read through in the same read, so a short
// error page leaves its connection in the pool.

#include <optional>
#include <string>

#include "proxy/common/clock.h"
#include "proxy/exchange/upstream_attempt.h"
#include "proxy/http/parser.h"
#include "proxy/io/tcp_stream.h"
#include "proxy/upstream/connection_pool.h"

namespace outrigger::http1 {

class Http1Attempt final : public exchange::UpstreamAttempt,
                           public io::StreamHandler,
                           public http::ResponseHandler,
                           public upstream::PoolCallbacks {
 public:
  // `foreign` (its codec's) takes a connection whose ALPN answer picked h2 (protocol: auto).
  Http1Attempt(upstream::ConnectionPool& pool, Clock& clock,
               const exchange::ForeignConnectionFn& foreign)
      : pool_(pool), clock_(clock), foreign_(foreign) {}
  ~Http1Attempt() override { cancel(); }
  Http1Attempt(const Http1Attempt&) = delete;
  Http1Attempt& operator=(const Http1Attempt&) = delete;

  // Readies a recycled attempt for its next use.
  void reset(exchange::AttemptEvents& events);

  // exchange::UpstreamAttempt
  void start(size_t endpoint, const exchange::AttemptRequest& request) override;
  void sendRequestBody(std::string_view piece) override;
  void endRequest() override;
  bool connected() const override { return connection_ != nullptr; }
  size_t queuedRequestBytes() const override;
  void pauseResponse() override;
  void resumeResponse() override;
  MonoTime nextDeadline() const override;
  void onTimer(MonoTime now) override;
  void cancel() override;

 private:
  // upstream::PoolCallbacks
  void onPoolReady(upstream::PooledConnection& connection) override;
  void onPoolFailure(upstream::PoolFailure failure, const std::string& detail) override;

  // io::StreamHandler: the lent connection's events.
  void onStreamData(const char* data, size_t len) override;
  void onStreamEnd(int error) override;
  void onStreamDrained() override;

  // http::ResponseHandler
  http::ParserAction onResponseHead(http::ResponseHead& head) override;
  http::ParserAction onResponseBody(std::string_view chunk) override;
  void onResponseTrailers(http::Headers& trailers) override;
  http::ParserAction onResponseComplete() override;

  void writeHead();
  void feed(const char* data, size_t len);
  // Ends the attempt: the connection goes back (reused only if `reusable`), then the
  // exchange hears `result`, as the last thing this attempt does.
  void end(exchange::AttemptResult result, bool reusable);
  // The result for a response the parser refused.
  exchange::AttemptResult responseRefused(const http::ParseResult& parsed) const;
  exchange::AttemptResult failure(policy::AttemptOutcome outcome, http::LocalReason reason,
                                  std::string detail) const;
  void giveBackConnection(bool reusable);
  // A 101 the request asked for: the connection leaves the pool and goes to the exchange,
  // with `early`, the bytes that came behind the 101 head.
  void switchProtocols(std::string_view early);

  upstream::ConnectionPool& pool_;
  Clock& clock_;
  const exchange::ForeignConnectionFn& foreign_;
  exchange::AttemptEvents* events_ = nullptr;
  exchange::AttemptRequest request_;
  upstream::PoolRequest pool_request_;
  upstream::PooledConnection* connection_ = nullptr;
  std::optional<http::ResponseParser> parser_;  // kept from use to use
  size_t endpoint_ = 0;
  bool running_ = false;           // started, not yet ended or cancelled
  bool endpoint_counted_ = false;  // in the pool's per-endpoint active requests
  bool chunked_ = false;           // the body goes upstream chunked
  bool request_sent_ = false;      // head, body and terminator all queued
  bool connection_reused_ = false;
  bool response_bytes_seen_ = false;
  bool interim_ = false;     // parsing a 1xx response
  bool streaming_ = false;   // the head went to the exchange, which passes it on
  bool discarding_ = false;  // a failure response the exchange retries
  bool response_complete_ = false;
  bool keep_alive_ = false;  // the upstream keeps the connection open after it
  bool paused_ = false;      // reads stopped while the app catches up
  bool switching_ = false;   // a 101 to the Upgrade the request asked for
  http::ResponseHead switch_head_;  // that 101's head, owned (the parser's is borrowed)
  int status_ = 0;
  // The route's merged timeouts or the upstream's (AttemptRequest::timeouts), set by start().
  const config::TimeoutsConfig* timeouts_ = nullptr;
  MonoTime try_deadline_ = MonoTime::max();
  MonoTime last_activity_{};
};

}  // namespace outrigger::http1
