// Exchange: how a request ends. A fallback (a stale copy, then the static response) or a
// local reply on final failure, a cut when a response already under way cannot complete,
// and the record of every request: metrics and the access log line.
#include "proxy/exchange/exchange.h"
#include "proxy/http/grpc.h"
#include "proxy/log/access_log.h"
#include "proxy/metrics/metrics.h"

namespace outrigger::exchange {

void Exchange::fallBack(http::LocalReason reason, int retry_after_seconds) {
  // DESIGN §4: on final failure, a fallback (a stale copy, then a static reply) or a local
  // reply. Only failures of the upstream, and an open breaker, come here.
  if (phase_ != Phase::kStreamingResponse && policies_ != nullptr) {
    if (serveStale(reason)) return;  // this process's copy first: no wait
    if (fetchSharedStale(reason, retry_after_seconds)) return;
  }
  fallBackPastStale(reason, retry_after_seconds);
}

void Exchange::fallBackPastStale(http::LocalReason reason, int retry_after_seconds) {
  // Each kind of client gets only a form it reads: the static response's gRPC form answers
  // gRPC calls, its HTTP form the others; the other kind gets its own local reply.
  if (phase_ != Phase::kStreamingResponse && fallback_ != nullptr && fallback_->response &&
      fallback_->response->grpc_status.has_value() == grpc_request_) {
    serveStatic(reason);
    return;
  }
  replyLocally(reason, retry_after_seconds);
}

bool Exchange::hasStaleCopy() {
  if (!stale_eligible_ || policies_ == nullptr) return false;
  // With store: redis, a copy may be in Redis: it is asked (fetchSharedStale), and without
  // one the app gets a local reply with the upstream's status.
  if (sharesStaleCopies() && context_.stale_redis->state().connected) return true;
  std::string key;
  staleKey(host_, request_.target, key);
  return policies_->findStale(key, context_.clock.now()).has_value();
}

bool Exchange::serveStale(http::LocalReason reason) {
  if (!stale_eligible_) return false;
  const MonoTime now = context_.clock.now();
  std::string key;
  staleKey(host_, request_.target, key);
  std::optional<policy::StaleEntry> copy = policies_->findStale(key, now);
  if (!copy) return false;
  sendStaleCopy(*copy, now - copy->stored, reason, metrics::FallbackKind::kStale);
  return true;
}

void Exchange::sendStaleCopy(policy::StaleEntry& copy, Duration age, http::LocalReason reason,
                             metrics::FallbackKind kind) {
  OutputHold hold(downstream_);  // sent once recorded
  http::ResponseHead head;
  head.status = copy.status;
  head.headers.swap(copy.headers);  // `copy` is this request's own
  head.headers.add("x-outrigger-fallback", "stale");
  head.headers.add("Age", std::to_string(std::max<int64_t>(0, toMillis(age) / 1000)));
  const SentReply sent = sendFallback(downstream_, head, copy.body, reason, replyContext());
  policies_->metrics().fallbacks[static_cast<size_t>(kind)]->Increment();
  status_ = sent.status;
  reason_ = http::reasonName(reason);
  if (!headRequest()) bytes_out_ += sent.body_bytes;
  upstream_->upstream->metrics().countLocalReply(reason);
  finish(false);
}

void Exchange::serveStatic(http::LocalReason reason) {
  const auto& fixed = *fallback_->response;
  OutputHold hold(downstream_);  // sent once recorded
  http::ResponseHead head;
  head.status = fixed.status;
  head.headers.add("Content-Type", fixed.content_type);
  if (fixed.grpc_status) {  // trailers-only: the outcome is in the head, and no body
    grpc_status_ = static_cast<int>(*fixed.grpc_status);
    head.headers.add("grpc-status", std::to_string(grpc_status_));
    if (!fixed.grpc_message.empty())
      head.headers.add("grpc-message", http::percentEncodeGrpcMessage(fixed.grpc_message));
  }
  head.headers.add("x-outrigger-fallback", "static");
  const SentReply sent = sendFallback(downstream_, head, fixed.body, reason, replyContext());
  policies_->metrics().fallbacks[static_cast<size_t>(metrics::FallbackKind::kStatic)]->Increment();
  status_ = sent.status;
  reason_ = http::reasonName(reason);
  if (!headRequest()) bytes_out_ += sent.body_bytes;
  upstream_->upstream->metrics().countLocalReply(reason);
  finish(false);
}

void Exchange::replyLocally(http::LocalReason reason, int retry_after_seconds) {
  if (phase_ == Phase::kStreamingResponse) {
    cut(std::string("cannot send ") + std::string(http::reasonName(reason)) +
        ": the response had started");
    return;
  }
  OutputHold hold(downstream_);  // sent once recorded
  ReplyContext context = replyContext();
  if (reason == http::LocalReason::kFailureStatus) context.status = failure_status_;
  const SentReply sent = sendLocalReply(downstream_, reason, context, retry_after_seconds);
  status_ = sent.status;
  reason_ = http::reasonName(reason);
  if (grpc_request_) grpc_status_ = static_cast<int>(http::grpcStatusFor(reason));
  if (!headRequest()) bytes_out_ += sent.body_bytes;
  auto& m = upstream_ ? upstream_->upstream->metrics() : context_.metrics.noUpstream();
  m.countLocalReply(reason);
  finish(false);
}

void Exchange::answerDirectly() {
  const config::StaticResponseConfig& fixed = *route_->direct_response;
  OutputHold hold(downstream_);  // sent once recorded
  http::ResponseHead head;
  head.status = fixed.status;
  head.headers.add("Content-Type", fixed.content_type);
  if (route_->rewrite.changes_response)
    applyHeaderRewrite(route_->rewrite.response, rewriteVariables(), head.headers);
  const SentReply sent = sendDirectResponse(downstream_, head, fixed.body, replyContext());
  status_ = sent.status;
  reason_ = "direct_response";
  if (!headRequest()) bytes_out_ += sent.body_bytes;
  finish(false);  // counted with no upstream, in record()
}

RewriteVariables Exchange::rewriteVariables() const {
  RewriteVariables vars;
  vars.request_id = request_id_;
  if (upstream_) vars.upstream = upstream_->upstream->name();
  vars.route = route_->name;
  vars.client_ip = client_ip_;
  return vars;
}

ReplyContext Exchange::replyContext() const {
  ReplyContext reply;
  if (upstream_) reply.upstream = upstream_->upstream->name();
  reply.request_id = request_id_;
  reply.attempts = static_cast<int>(attempts_);
  reply.grpc = http::isGrpcRequest(request_);
  return reply;
}

void Exchange::finish(bool end_response) {
  cancelAttempt(policy::AttemptOutcome::kCancelled);  // one still running is abandoned
  admission_.release();
  phase_ = Phase::kDone;  // the stream's timer stays armed: onTimer() ignores a done exchange
  record();
  if (end_response) downstream_.endResponse();
}

void Exchange::cut(std::string detail) {
  error_detail_ = std::move(detail);
  cancelAttempt(policy::AttemptOutcome::kReset);
  admission_.release();
  phase_ = Phase::kDone;
  record();
  downstream_.abortResponse();
}

void Exchange::rejectRequestBody(http::LocalReason reason, std::string detail) {
  // The body went past the limit, or turned out malformed after the head was accepted:
  // whatever was sent upstream is abandoned with its connection.
  if (phase_ == Phase::kDone) return;
  error_detail_ = std::move(detail);
  if (phase_ != Phase::kStreamingResponse) cancelAttempt(policy::AttemptOutcome::kCancelled);
  replyLocally(reason);  // cuts the response if it had started
}

void Exchange::onDownstreamGone() {
  if (phase_ == Phase::kDone) return;
  error_detail_ = "client closed the connection";
  cancelAttempt(policy::AttemptOutcome::kCancelled);
  admission_.release();
  if (status_ == 0 || phase_ != Phase::kStreamingResponse) status_ = 499;
  phase_ = Phase::kDone;
  record();
}

void Exchange::record() {
  // A fresh reading: inside one read callback now() is pinned to its start, and a request
  // answered within that callback (a local reply) would otherwise last 0 µs.
  const Duration elapsed = context_.clock.preciseNow() - started_;
  auto& m = upstream_ ? upstream_->upstream->metrics() : context_.metrics.noUpstream();
  m.countRequest(status_, elapsed);
  if (grpc_status_ >= 0) m.countGrpcResponse(static_cast<http::GrpcStatus>(grpc_status_));
  if (context_.access_log == nullptr) return;
  log::AccessLogEntry entry;
  entry.request_id = request_id_;
  entry.listener = listener_.config->name;
  entry.method = request_.method;
  entry.path = path_;  // without the query: query strings often carry tokens
  // Both branches as string_view: a ?: of std::string and "" would build a temporary.
  entry.upstream = upstream_ ? std::string_view(upstream_->upstream->name()) : std::string_view();
  entry.endpoint = endpoint_text_;
  entry.status = status_;
  entry.reason = reason_;
  entry.attempts = attempts_;
  entry.duration_ms = std::chrono::duration<double, std::milli>(elapsed).count();
  entry.bytes_in = bytes_in_;
  entry.bytes_out = bytes_out_;
  entry.protocol = listener_.http2               ? std::string_view("HTTP/2")
                   : request_.version_minor == 0 ? std::string_view("HTTP/1.0")
                                                 : std::string_view("HTTP/1.1");
  entry.grpc_status = grpc_status_;
  entry.error = error_detail_;
  entry.trace_id = trace_.traceId();
  entry.span_id = trace_.spanId();
  context_.access_log->write(entry);
}

}  // namespace outrigger::exchange
