// Exchange: the request body on its way up, each attempt's events, the one decision after
// an attempt (next_step.h) and how the exchange follows it, and the deadlines.
#include <algorithm>

#include "proxy/exchange/exchange.h"
#include "proxy/http/grpc.h"
#include "proxy/http/header_rules.h"
#include "proxy/metrics/metrics.h"
#include "proxy/policy/response_class.h"
#include "proxy/policy/retry_after.h"

namespace outrigger::exchange {
namespace {

// Above this many request body bytes queued to the upstream, stop reading the app's body.
// (The response's bound is the upstream's limits.response_buffer.)
constexpr size_t kHighWaterBytes = 64 * 1024;

}  // namespace

bool Exchange::onRequestBody(std::string_view chunk) {
  bytes_in_ += chunk.size();
  if (phase_ == Phase::kDone) return true;  // replied already: the rest is read and dropped
  const uint64_t body_limit = listener_.config->limits.max_request_body;
  if (body_limit != 0 && body_.totalBytes() + chunk.size() > body_limit) {
    rejectRequestBody(http::LocalReason::kPayloadTooLarge,
                      "request body over listeners[].limits.max_request_body");
    return true;
  }
  const bool sent = attempt_ && attempt_->connected();
  if (sent) attempt_->sendRequestBody(chunk);
  body_.add(chunk, sent);
  if (phase_ == Phase::kReadingBody && body_.heldBytes() >= request_buffer_) {
    bodyAwaited();  // the buffer is full: the rest streams once a connection is ready
    if (phase_ == Phase::kDone) return true;
  }
  // Held for a connection still to come, the body may fill the whole request_buffer.
  const bool connected = attempt_ && attempt_->connected();
  const size_t queued = connected ? attempt_->queuedRequestBytes() : body_.heldBytes();
  const uint64_t high_water =
      connected ? kHighWaterBytes : std::max<uint64_t>(kHighWaterBytes, request_buffer_);
  if (queued <= high_water) return true;
  body_paused_ = true;
  return false;
}

void Exchange::onRequestTrailers(http::Headers& trailers) {
  http::removeFieldsNotAllowedInTrailers(trailers);  // whatever protocol brought them
  buffers_.request_trailers.swap(trailers);
}

void Exchange::onRequestComplete() {
  request_complete_ = true;
  if (phase_ == Phase::kReadingBody) {
    bodyAwaited();  // the whole body is held: it is sent in one go with the head
    return;
  }
  if (phase_ == Phase::kDone || !attempt_ || !attempt_->connected()) return;
  attempt_->endRequest();
  armTimer();  // the read timeout starts now
}

void Exchange::onAttemptConnected() {
  for (const std::string& piece : body_.pieces()) attempt_->sendRequestBody(piece);
  body_.sentAll();
  if (request_complete_) attempt_->endRequest();
  // A body paused while it waited for this connection resumes now. What was held leaves
  // with the head (the codec holds its writes back until this returns, so they still count
  // as queued here), and if it leaves at once the connection never reports a drain; a
  // piece that finds the write still under way pauses the body again, and that write's
  // drain resumes it.
  if (body_paused_) onAttemptRequestDrained();
  // The write or read timeout of the attempt starts now; tryAttempt() arms the timer itself
  // after a connection that was ready inside start().
  if (!starting_attempt_) armTimer();
}

void Exchange::onAttemptRequestDrained() {
  if (!body_paused_) return;
  body_paused_ = false;
  downstream_.resumeRequestBody();
}

void Exchange::onAttemptReadBegin() {
  output_holds_++;
  downstream_.holdOutput();
}

void Exchange::onAttemptReadEnd() {
  output_holds_--;
  downstream_.releaseOutput();
  // Back-pressure: the app reads slower than the upstream sends. Checked once the held
  // writes went out: most leave at once, and only a backlog is waited for.
  // Up to response_buffer is queued for the app, so a response that fits ends its attempt,
  // and frees its connection, however slowly the app reads.
  if (phase_ != Phase::kStreamingResponse || !attempt_ || upstream_paused_) return;
  if (downstream_.queuedResponseBytes() <= response_buffer_) return;
  attempt_->pauseResponse();
  upstream_paused_ = true;
}

void Exchange::onDownstreamDrained() {
  if (!upstream_paused_ || !attempt_) return;
  upstream_paused_ = false;
  attempt_->resumeResponse();
  armTimer();
}

ResponseVerdict Exchange::onAttemptResponseHead(http::ResponseHead& head) {
  // A gRPC call answered in trailers-only form (grpc-status in the head) is classified now,
  // while it can still be retried; any other gRPC call when its trailers come.
  const std::optional<http::GrpcStatus> grpc =
      grpc_request_ ? http::grpcStatusIn(head.headers) : std::nullopt;
  // A status the retry policy lists but the upstream's failures do not (a 4xx such as 429,
  // a 5xx only a route retries, resource_exhausted) is retried like a failure, and settled
  // as a success.
  const policy::ResponseClass kind = policy::classifyResponse(
      head.status, grpc, policies_->failureStatuses(),
      retry_policy_ != nullptr ? &retry_policy_->config().retry_on : nullptr);
  if (!kind.retryable) {
    // What decideNextStep would say of any success, without building its input.
    if (grpc_request_ && !grpc && head.status == 200) {
      settle_at_trailers_ = true;
      response_head_at_ = context_.clock.now();
    } else {
      settle(kind.outcome);
    }
    passResponseHead(head);
    return ResponseVerdict::kPassThrough;
  }
  AttemptResult result;
  result.status = head.status;
  result.outcome = policy::AttemptOutcome::kFailureStatus;  // for the retry decision
  // Every gRPC call is a POST: a gRPC code that retry_on lists is tried again whatever the
  // method, as gRPC's own retry policy does (nothing of the answer reached the app yet).
  result.error.retry_safe = grpc.has_value();
  {
    const std::string_view* value = head.headers.get("retry-after");
    if (value != nullptr && (head.status == 429 || head.status == 503))
      result.retry_after = policy::parseRetryAfter(*value, wallClockMicros() / 1000000);
  }
  const NextStep step = decide(result);
  settle(kind.outcome == policy::AttemptOutcome::kSuccess ? kind.outcome : step.settle_as);
  if (step.kind == NextStepKind::kRetry) {
    after_discard_ = step;  // followed once the attempt has read this response through
    return ResponseVerdict::kDiscard;
  }
  // RFC 5861 stale-if-error: a failure status that is not retried gets this process's stale
  // copy instead, when it has one (looked up again, and sent, once read through).
  if (kind.outcome != policy::AttemptOutcome::kSuccess && hasStaleCopy()) {
    failure_status_ = head.status;
    NextStep fallback = step;
    fallback.kind = NextStepKind::kFallback;
    after_discard_ = fallback;
    return ResponseVerdict::kDiscard;
  }
  if (!step.not_retried.empty()) noteFailure(result, step);
  passResponseHead(head);
  return ResponseVerdict::kPassThrough;
}

void Exchange::passResponseHead(http::ResponseHead& head) {
  status_ = head.status;
  if (grpc_request_) {
    if (auto grpc = http::grpcStatusIn(head.headers)) grpc_status_ = static_cast<int>(*grpc);
  }
  phase_ = Phase::kStreamingResponse;
  http::prepareDownstreamResponse(head, request_id_);
  if (route_->rewrite.changes_response)
    applyHeaderRewrite(route_->rewrite.response, rewriteVariables(), head.headers);
  // The stale copy keeps the headers as they are now: those added below are the app's only.
  if (stale_eligible_) stale_.begin(request_.method, head, policies_->staleMaxBodyBytes());
  addAttemptsHeader(head.headers, static_cast<int>(attempts_));
  downstream_.sendResponseHead(head);
  stale_.takeHeaders(head);
}

void Exchange::onAttemptResponseBody(std::string_view piece) {
  if (phase_ != Phase::kStreamingResponse) return;
  stale_.addBody(piece);
  bytes_out_ += piece.size();
  downstream_.sendResponseBody(piece);
}

void Exchange::onAttemptResponseTrailers(http::Headers& trailers) {
  if (phase_ != Phase::kStreamingResponse) return;
  if (grpc_request_) settleGrpcCall(trailers);
  http::removeFieldsNotAllowedInTrailers(trailers);
  if (!trailers.empty()) downstream_.sendResponseTrailers(trailers);
}

void Exchange::settleGrpcCall(const http::Headers& trailers) {
  const std::optional<http::GrpcStatus> grpc = http::grpcStatusIn(trailers);
  if (grpc) grpc_status_ = static_cast<int>(*grpc);
  if (!settle_at_trailers_) return;
  // The body has reached the app: counted for the breaker, outlier detection and metrics,
  // never retried.
  settle(policy::classifyResponse(200, grpc, policies_->failureStatuses(), nullptr).outcome);
}

void Exchange::onAttemptEnded(AttemptResult& result) {
  // Parked, not dropped: we are inside the attempt's own callback. It goes back to its
  // codec when the next attempt ends or the exchange is destroyed, both on later turns.
  ended_attempt_ = std::move(attempt_);
  upstream_paused_ = false;
  if (phase_ == Phase::kDone) return;
  if (after_discard_) {
    const NextStep step = *after_discard_;
    after_discard_.reset();
    if (step.kind == NextStepKind::kFallback) result.error.reason = http::LocalReason::kFailureStatus;
    follow(step, result);
    return;
  }
  if (result.outcome == policy::AttemptOutcome::kSuccess) {
    settle(result.outcome);  // a gRPC call that ended without trailers
    completeResponse();
    return;
  }
  const NextStep step = decide(result);
  settle(step.settle_as);
  follow(step, result);
}

void Exchange::onAttemptSwitched(http::ResponseHead& head, TunnelHandoff& handoff) {
  ended_attempt_ = std::move(attempt_);  // parked, as in onAttemptEnded
  upstream_paused_ = false;
  settle(policy::AttemptOutcome::kSuccess);
  if (phase_ == Phase::kDone) return;  // dropping the handoff closes its connection
  status_ = head.status;
  phase_ = Phase::kTunnel;
  // The bulkhead slot stays held until onTunnelClosed.
  if (!downstream_.startTunnel(head, handoff)) {
    cut("the app's connection cannot switch protocols");
    return;
  }
  upstream_->upstream->metrics().tunnelsActive(metrics::TunnelKind::kWebSocket).Increment();
}

void Exchange::onTunnelClosed(metrics::TunnelResult result, uint64_t bytes_up,
                              uint64_t bytes_down) {
  if (phase_ != Phase::kTunnel) return;
  metrics::UpstreamMetrics& m = upstream_->upstream->metrics();
  m.tunnelsActive(metrics::TunnelKind::kWebSocket).Decrement();
  m.countTunnel(metrics::TunnelKind::kWebSocket, result);
  m.countTunnelBytes(bytes_up, bytes_down);
  bytes_in_ += bytes_up;
  bytes_out_ += bytes_down;
  reason_ = metrics::tunnelResultName(result);
  admission_.release();
  phase_ = Phase::kDone;
  record();
}

NextStep Exchange::decide(const AttemptResult& result) {
  const MonoTime now = context_.clock.now();
  RetryState state;
  state.method = request_.method;
  state.has_idempotency_key = request_.headers.has("idempotency-key");
  state.has_body = request_.framing != http::BodyFraming::kNone;
  state.body_replayable = body_.replayable();
  state.attempts = attempts_;
  state.max_attempts = max_attempts_;
  state.free_retries = free_retries_;
  state.retry_policy = retry_policy_;
  state.time_left = request_deadline_ - now;
  return decideNextStep(result, state, *policies_, context_.random, now);
}

void Exchange::follow(const NextStep& step, AttemptResult& result) {
  switch (step.kind) {
    case NextStepKind::kPassThrough:
      return;  // a failure status passed through streams on like any response
    case NextStepKind::kRetry:
      error_detail_ = std::move(result.error.detail);
      startBackoff(step.delay);
      return;
    case NextStepKind::kRetryNow:
      free_retries_++;
      attempts_--;  // a stale connection or a refused stream: the attempt does not count
      tryAttempt();
      return;
    case NextStepKind::kCut:
      cut(std::move(result.error.detail));
      return;
    case NextStepKind::kLocalReply:
      noteFailure(result, step);
      replyLocally(result.error.reason);
      return;
    case NextStepKind::kFallback:
      noteFailure(result, step);
      fallBack(result.error.reason);
      return;
  }
}

void Exchange::noteFailure(const AttemptResult& result, const NextStep& step) {
  if (!result.error.detail.empty()) error_detail_ = result.error.detail;
  if (step.not_retried.empty()) return;
  if (!error_detail_.empty()) error_detail_ += "; ";
  error_detail_ += "not retried: ";
  error_detail_ += step.not_retried;
}

void Exchange::settle(policy::AttemptOutcome outcome) {
  if (!attempt_open_) return;
  attempt_open_ = false;
  const MonoTime now = context_.clock.now();
  // A call settled at its trailers lasted, for slow_call, until its head: a long stream is
  // not a slow upstream.
  const MonoTime answered = settle_at_trailers_ ? response_head_at_ : now;
  settle_at_trailers_ = false;
  upstream_->upstream->metrics().countAttempt(outcome);
  admission_.settlePermit(now, outcome, answered - attempt_started_);
  if (endpoint_ >= 0) policies_->recordEndpoint(static_cast<size_t>(endpoint_), outcome, now);
}

void Exchange::completeResponse() {
  if (stale_.active()) {
    thread_local std::string key;  // reused: building it allocates nothing once it has grown
    staleKey(host_, request_.target, key);
    shareStaleCopy(key);  // before store() takes the copy
    stale_.store(*policies_, key, status_, context_.clock.now());
  }
  finish(true);
}

void Exchange::cancelAttempt(policy::AttemptOutcome outcome) {
  settle(outcome);
  if (!attempt_) return;
  attempt_->cancel();
  attempt_.reset();
  upstream_paused_ = false;
}

void Exchange::startBackoff(Duration delay) {
  phase_ = Phase::kBackoff;
  backoff_deadline_ = context_.clock.now() + delay;
  armTimer();
}

MonoTime Exchange::nextDeadline() const {
  MonoTime deadline = request_deadline_;
  if (phase_ == Phase::kQueued) deadline = std::min(deadline, queue_deadline_);
  if (phase_ == Phase::kBackoff) deadline = std::min(deadline, backoff_deadline_);
  if (phase_ == Phase::kFetchingStale) deadline = std::min(deadline, stale_fetch_deadline_);
  if (attempt_) deadline = std::min(deadline, attempt_->nextDeadline());
  return deadline;
}

void Exchange::armTimer() {
  // Nothing is stopped: a wake with no deadline due only sleeps again (onTimer). A tunnel's
  // only timer is its own idle timeout.
  if (phase_ == Phase::kDone || phase_ == Phase::kTunnel) return;
  const MonoTime deadline = nextDeadline();
  if (deadline == MonoTime::max()) return;
  downstream_.exchangeTimer().fireWithin(
      std::max(Duration::zero(), deadline - context_.clock.now()));
}

void Exchange::onTimer() {
  if (phase_ == Phase::kDone || phase_ == Phase::kTunnel) return;
  const MonoTime now = context_.clock.now();
  if (phase_ == Phase::kFetchingStale) {
    // Redis took too long: the request ends as it would have without a shared copy.
    if (now >= stale_fetch_deadline_)
      giveUpSharedStale();
    else
      armTimer();
    return;
  }
  if (now >= request_deadline_) {
    if (phase_ == Phase::kStreamingResponse) {
      cut("request timeout while streaming the response");
      return;
    }
    error_detail_ = phase_ == Phase::kReadingBody ? "request timeout while the app sent its body"
                                                  : "request timeout";
    cancelAttempt(policy::AttemptOutcome::kTimeout);
    replyLocally(http::LocalReason::kRequestTimeout);
    return;
  }
  if (phase_ == Phase::kQueued && now >= queue_deadline_) {
    error_detail_ = "no bulkhead slot within queue_timeout";
    replyLocally(http::LocalReason::kBulkheadTimeout);  // releases the queue place
    return;
  }
  if (phase_ == Phase::kBackoff && now >= backoff_deadline_) {
    backoff_deadline_ = MonoTime::max();
    tryAttempt();
    return;
  }
  // The attempt's own deadlines (per_try, read, write): it may end, and the exchange follow.
  if (attempt_) attempt_->onTimer(now);
  armTimer();  // activity moved a deadline later: sleep until the new one
}

}  // namespace outrigger::exchange
