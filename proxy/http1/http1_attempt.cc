#include "proxy/http1/http1_attempt.h"

#include <algorithm>

#include "proxy/common/units.h"
#include "proxy/http/header_rules.h"
#include "proxy/http/serializer.h"
#include "proxy/http/upstream_request.h"
#include "proxy/http1/body_framing.h"

namespace outrigger::http1 {

using exchange::AttemptResult;
using policy::AttemptOutcome;

void Http1Attempt::reset(exchange::AttemptEvents& events) {
  events_ = &events;
  connection_ = nullptr;
  running_ = false;
  endpoint_counted_ = false;
  request_sent_ = connection_reused_ = response_bytes_seen_ = false;
  interim_ = streaming_ = discarding_ = response_complete_ = keep_alive_ = paused_ = false;
  switching_ = false;
  status_ = 0;
  try_deadline_ = MonoTime::max();
}

void Http1Attempt::start(size_t endpoint, const exchange::AttemptRequest& request) {
  request_ = request;
  endpoint_ = endpoint;
  running_ = true;
  chunked_ = request.head->framing == http::BodyFraming::kChunked;
  pool_.requestStarted(endpoint);
  endpoint_counted_ = true;
  timeouts_ = request.timeouts != nullptr ? request.timeouts : &pool_.upstream().config().timeouts;
  const Duration per_try = timeouts_->per_try;
  try_deadline_ = per_try > Duration::zero() ? clock_.now() + per_try : MonoTime::max();
  if (upstream::PooledConnection* ready = pool_.acquire(endpoint, pool_request_, *this))
    onPoolReady(*ready);
}

void Http1Attempt::onPoolReady(upstream::PooledConnection& connection) {
  if (foreign_ && connection.stream().tlsAlpn() == "h2") {
    // The server now picks h2: the connection goes to the HTTP/2 codec, and this request,
    // not sent, goes again there.
    foreign_(endpoint_, connection);
    AttemptResult result = failure(AttemptOutcome::kRefused, http::LocalReason::kUpstreamReset,
                                   "the server now picks h2 (ALPN): sent again over HTTP/2");
    result.error.retry_safe = true;
    end(std::move(result), false);
    return;
  }
  connection_ = &connection;
  connection_reused_ = connection.requestsServed() > 1;
  connection.stream().setHandler(this);
  connection.stream().startReading();
  // A restarted parser per attempt: the last use may have stopped mid-response. This never
  // runs inside that parser's own callbacks (attempts are reused on a later loop turn).
  if (parser_) {
    parser_->restart(*this);
  } else {
    // An upstream's config does not change under its codec: a reload that changes it makes
    // a new upstream, with new attempts.
    parser_.emplace(*this, http::ParserLimits{pool_.upstream().config().limits.max_response_head,
                                              http::ParserLimits{}.max_headers});
  }
  parser_->expectNoBody(request_.head->method == "HEAD");
  parser_->expectUpgrade(!request_.head->upgrade.empty());
  last_activity_ = clock_.now();
  {
    io::CorkGuard cork(connection.stream());  // the head and the body so far leave together
    writeHead();
    events_->onAttemptConnected();
  }
  // The exchange saw the held body queued behind the cork. A body it paused (over 64 KiB)
  // is flushed by the uncork itself (past kTurnEndFlushLimit); written at once, it never
  // makes the stream report a drain, so say it here, or the paused body stalls.
  if (running_ && connection_ != nullptr && connection_->stream().queuedBytes() == 0)
    events_->onAttemptRequestDrained();
}

void Http1Attempt::writeHead() {
  const exchange::ForwardedRequest forwarded =
      exchange::forwardedRequest(request_, pool_.upstream().endpoint(endpoint_).text);
  io::TcpStream& stream = connection_->stream();
  std::string out = stream.takeWriteBuffer();
  http::appendUpstreamRequestHead(*forwarded.head, forwarded.forward, out);
  stream.write(std::move(out));
}

void Http1Attempt::onPoolFailure(upstream::PoolFailure failure, const std::string& detail) {
  if (failure == upstream::PoolFailure::kPoolTimeout) {
    // Not the upstream's failure: the worker's pool stayed full.
    AttemptResult result =
        this->failure(AttemptOutcome::kCancelled, http::LocalReason::kPoolTimeout, detail);
    result.error.source = ErrorSource::kInternal;
    end(std::move(result), false);
    return;
  }
  AttemptResult result =
      this->failure(AttemptOutcome::kConnectFailed, http::LocalReason::kConnectFailed, detail);
  result.error.retry_safe = true;  // nothing was sent
  end(std::move(result), false);
}

void Http1Attempt::sendRequestBody(std::string_view piece) {
  if (piece.empty() || connection_ == nullptr) return;
  io::TcpStream& stream = connection_->stream();
  if (stream.queuedBytes() == 0) last_activity_ = clock_.now();
  writeBodyPiece(stream, piece, chunked_);
}

void Http1Attempt::endRequest() {
  if (connection_ == nullptr || request_sent_) return;
  if (chunked_) writeLastChunk(connection_->stream(), request_.trailers);
  request_sent_ = true;
  last_activity_ = clock_.now();
}

size_t Http1Attempt::queuedRequestBytes() const {
  return connection_ ? connection_->stream().queuedBytes() : 0;
}

void Http1Attempt::pauseResponse() {
  if (connection_ == nullptr || paused_) return;
  connection_->stream().stopReading();
  paused_ = true;
}

void Http1Attempt::resumeResponse() {
  if (connection_ == nullptr || !paused_) return;
  paused_ = false;
  last_activity_ = clock_.now();
  connection_->stream().startReading();
}

void Http1Attempt::onStreamDrained() {
  last_activity_ = clock_.now();
  if (running_) events_->onAttemptRequestDrained();
}

void Http1Attempt::onStreamData(const char* data, size_t len) {
  if (!running_) return;
  last_activity_ = clock_.now();
  response_bytes_seen_ = true;
  exchange::AttemptEvents* events = events_;  // this attempt may end inside feed()
  events->onAttemptReadBegin();
  feed(data, len);
  events->onAttemptReadEnd();
}

void Http1Attempt::feed(const char* data, size_t len) {
  const http::ParseResult result = parser_->feed(data, len);
  if (discarding_) {
    // Read through within this one read: a body still on its way is not waited for, and
    // the connection then closes.
    const bool whole =
        result.status != http::ParseStatus::kError && response_complete_ && result.consumed == len;
    AttemptResult discarded;
    discarded.outcome = AttemptOutcome::kFailureStatus;
    discarded.status = status_;
    end(std::move(discarded), whole && keep_alive_ && request_sent_);
    return;
  }
  if (!running_) return;
  if (result.status == http::ParseStatus::kError) {
    end(responseRefused(result), false);
    return;
  }
  if (!response_complete_) return;
  if (switching_) {
    switchProtocols(std::string_view(data + result.consumed, len - result.consumed));
    return;
  }
  // A connection that sent more than one response, or whose request was not sent in full,
  // is not in a known state: it is never reused.
  const bool extra_bytes = result.consumed < len;
  end(AttemptResult{}, keep_alive_ && request_sent_ && !extra_bytes);
}

void Http1Attempt::onStreamEnd(int error) {
  if (!running_ || connection_ == nullptr) return;
  if (error == 0 && parser_) {
    // An orderly close may be how a close-delimited body ends.
    const http::ParseResult result = parser_->finish();
    if (result.status == http::ParseStatus::kOk && response_complete_ && !discarding_) {
      end(AttemptResult{}, false);
      return;
    }
  }
  // A TLS failure names OpenSSL's reason: with TLS 1.3 a server that refuses our client
  // certificate says so only after the handshake ("tlsv13 alert certificate required").
  std::string detail = error == io::kTlsError
                           ? "upstream TLS error: " + connection_->stream().tlsFailure()
                       : error != 0 ? "upstream connection error: " + io::errorName(error)
                                    : "upstream closed the connection";
  detail += streaming_ ? " before the response was complete" : " before sending a response";
  AttemptResult result =
      failure(AttemptOutcome::kReset, http::LocalReason::kUpstreamReset, std::move(detail));
  if (discarding_) {
    result.outcome = AttemptOutcome::kFailureStatus;
    result.status = status_;
  }
  end(std::move(result), false);
}

http::ParserAction Http1Attempt::onResponseHead(http::ResponseHead& head) {
  if (head.status == 101) {
    // Only parsed when asked for (expectUpgrade); kept until the head's end is known.
    switching_ = true;
    status_ = 101;
    switch_head_.status = 101;
    switch_head_.reason = head.reason;
    switch_head_.headers.clear();
    for (const http::HeaderView& h : head.headers) switch_head_.headers.add(h.name, h.value);
    return http::ParserAction::kContinue;
  }
  if (head.status < 200) {
    interim_ = true;  // 1xx: the real response follows on the same connection
    return http::ParserAction::kContinue;
  }
  status_ = head.status;
  keep_alive_ = head.keep_alive;
  try_deadline_ = MonoTime::max();
  if (events_->onAttemptResponseHead(head) == exchange::ResponseVerdict::kDiscard) {
    discarding_ = true;
  } else {
    streaming_ = true;
  }
  return http::ParserAction::kContinue;
}

http::ParserAction Http1Attempt::onResponseBody(std::string_view chunk) {
  if (streaming_ && running_ && !chunk.empty()) events_->onAttemptResponseBody(chunk);
  return http::ParserAction::kContinue;
}

void Http1Attempt::onResponseTrailers(http::Headers& trailers) {
  if (streaming_ && running_) events_->onAttemptResponseTrailers(trailers);
}

http::ParserAction Http1Attempt::onResponseComplete() {
  if (interim_) {
    interim_ = false;
    return http::ParserAction::kContinue;
  }
  response_complete_ = true;
  return http::ParserAction::kPause;  // bytes after the response are looked at by feed()
}

MonoTime Http1Attempt::nextDeadline() const {
  MonoTime deadline = try_deadline_;
  if (connection_ == nullptr || paused_) return deadline;
  if (request_sent_) return std::min(deadline, last_activity_ + timeouts_->read);
  if (connection_->stream().queuedBytes() > 0)
    return std::min(deadline, last_activity_ + timeouts_->write);
  return deadline;
}

void Http1Attempt::onTimer(MonoTime now) {
  if (!running_) return;
  if (now >= try_deadline_) {
    end(failure(AttemptOutcome::kTimeout, http::LocalReason::kUpstreamTimeout, "per_try timeout"),
        false);
    return;
  }
  if (now < nextDeadline()) return;
  std::string what = request_sent_ ? "read timeout" : "write timeout";
  if (streaming_) what += " while streaming the response";
  end(failure(AttemptOutcome::kTimeout, http::LocalReason::kUpstreamTimeout, std::move(what)),
      false);
}

AttemptResult Http1Attempt::responseRefused(const http::ParseResult& parsed) const {
  // A head over limits.max_response_head gets its own reason, so the app and the operator
  // can tell a limit to raise from a broken upstream; both count as a reset for the policies.
  if (parsed.error == http::ParseError::kHeadTooLarge && !streaming_) {
    return failure(AttemptOutcome::kReset, http::LocalReason::kUpstreamResponseTooLarge,
                   "response head over limits.max_response_head (" +
                       formatSize(pool_.upstream().config().limits.max_response_head) +
                       "): " + parsed.detail);
  }
  return failure(AttemptOutcome::kReset, http::LocalReason::kUpstreamReset,
                 "invalid response from upstream: " + parsed.detail);
}

AttemptResult Http1Attempt::failure(AttemptOutcome outcome, http::LocalReason reason,
                                    std::string detail) const {
  AttemptResult result;
  result.outcome = outcome;
  result.status = streaming_ ? status_ : 0;
  result.response_started = streaming_;
  result.stale_connection =
      outcome == AttemptOutcome::kReset && connection_reused_ && !response_bytes_seen_;
  result.error.reason = reason;
  result.error.detail = std::move(detail);
  return result;
}

void Http1Attempt::end(AttemptResult result, bool reusable) {
  if (!running_) return;
  giveBackConnection(reusable);
  running_ = false;
  events_->onAttemptEnded(result);  // the last thing: the exchange may drop this attempt
}

void Http1Attempt::switchProtocols(std::string_view early) {
  exchange::TunnelHandoff handoff;
  handoff.early_bytes.assign(early);
  handoff.idle = pool_.upstream().config().timeouts.tunnel_idle;
  try_deadline_ = MonoTime::max();
  upstream::PooledConnection* connection = connection_;
  connection_ = nullptr;
  paused_ = false;
  handoff.stream = pool_.detach(*connection);
  if (endpoint_counted_) {
    pool_.requestFinished(endpoint_);
    endpoint_counted_ = false;
  }
  running_ = false;
  events_->onAttemptSwitched(switch_head_, handoff);  // the last thing, as in end()
}

void Http1Attempt::cancel() {
  if (!running_) return;
  giveBackConnection(false);
  running_ = false;
}

void Http1Attempt::giveBackConnection(bool reusable) {
  pool_request_.cancel();
  try_deadline_ = MonoTime::max();
  if (connection_ != nullptr) {
    upstream::PooledConnection* connection = connection_;
    connection_ = nullptr;
    paused_ = false;
    pool_.release(*connection, reusable);
  }
  if (endpoint_counted_) {
    pool_.requestFinished(endpoint_);
    endpoint_counted_ = false;
  }
}

}  // namespace outrigger::http1
