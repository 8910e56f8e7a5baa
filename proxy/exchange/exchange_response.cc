// The response half of Exchange: head and body to the client, completion, timeouts,
// local replies and the record of the request.
#include <algorithm>

#include "proxy/exchange/exchange.h"
#include "proxy/http/header_rules.h"
#include "proxy/http/serializer.h"
#include "proxy/log/access_log.h"
#include "proxy/metrics/metrics.h"
#include "proxy/policy/retry_after.h"
#include "proxy/policy/retry_policy.h"
#include "proxy/policy/stale_cache.h"

namespace outrigger::exchange {
namespace {

constexpr size_t kHighWaterBytes = 64 * 1024;

}  // namespace

http::ParserAction Exchange::onResponseHead(http::ResponseHead& head) {
  if (head.status < 200) {
    interim_ = true;  // 1xx: the real response follows on the same connection
    return http::ParserAction::kContinue;
  }
  const policy::RetryPolicy* retry = policies_->retryPolicy();
  const auto outcome = retry ? policy::classifyResponse(head.status, retry->config().retry_on)
                             : policy::AttemptOutcome::kSuccess;
  settleAttempt(outcome);
  if (outcome == policy::AttemptOutcome::kFailureStatus) {
    std::optional<Duration> retry_after;
    const std::string_view* value = head.headers.get("retry-after");
    if (value != nullptr && (head.status == 429 || head.status == 503))
      retry_after = policy::parseRetryAfter(*value, wallClockMicros() / 1000000);
    if (auto delay = retryDelay(outcome, retry_after)) {
      // This response is dropped. The parser reads on through its body, and feedResponse
      // keeps the connection when the whole body came with this read (a short error page).
      discarding_ = true;
      discard_then_wait_ = *delay;
      upstream_keep_alive_ = head.keep_alive;
      return http::ParserAction::kContinue;
    }
  }
  status_ = head.status;
  upstream_keep_alive_ = head.keep_alive;
  try_deadline_ = MonoTime::max();
  phase_ = Phase::kStreamingResponse;

  const bool is_head = request_.method == "HEAD";
  http::prepareDownstreamResponse(head, request_id_);
  // The stale copy keeps the headers as they are now. They are taken once the head has been
  // sent: only headers appended below come after these.
  size_t stale_header_count = 0;
  if (stale_eligible_ && policy::isStaleCacheable(request_.method, head) &&
      (head.framing != http::BodyFraming::kContentLength ||
       head.content_length <= policies_->staleMaxBodyBytes())) {
    capture_stale_ = true;
    stale_header_count = head.headers.size();
  }

  bool keep_alive = request_.keep_alive && !close_after_response_;
  const bool client_http11 = request_.version_minor >= 1;
  if (is_head) {
    // The parser kept a HEAD response's Content-Length in head.framing; with none, send no
    // framing header at all rather than a misleading "Content-Length: 0".
    no_response_body_ = true;
    if (head.framing != http::BodyFraming::kContentLength)
      head.framing = http::BodyFraming::kUntilClose;
  } else if (head.framing == http::BodyFraming::kChunked ||
             head.framing == http::BodyFraming::kUntilClose) {
    if (client_http11) {
      head.framing = http::BodyFraming::kChunked;
      chunk_to_client_ = true;
    } else {
      head.framing = http::BodyFraming::kUntilClose;
      keep_alive = false;  // an HTTP/1.0 client learns the end from the close
    }
  }
  if (!client_http11 && keep_alive) head.headers.set("Connection", "keep-alive");
  if (attempts_ > 1) head.headers.add("x-outrigger-attempts", std::to_string(attempts_));
  head.keep_alive = keep_alive;
  close_after_response_ = !keep_alive;
  head.version_minor = 1;

  std::string out = owner_.clientStream().takeWriteBuffer();
  out.reserve(256 + 64 * head.headers.size());
  http::appendResponseHead(head, out);
  owner_.clientStream().write(std::move(out));
  if (capture_stale_) {
    // The parser is done with the head's headers: the copy takes them instead of copying.
    context_.stale_bodies.lend(stale_copy_.body);
    stale_copy_.body.clear();  // a copy cut short by an earlier exchange may be left
    policy::takeFirstHeaders(head.headers, stale_header_count, stale_copy_.headers);
  }
  return http::ParserAction::kContinue;
}

http::ParserAction Exchange::onResponseBody(std::string_view chunk) {
  if (discarding_ || no_response_body_ || chunk.empty()) return http::ParserAction::kContinue;
  if (capture_stale_) {
    if (stale_copy_.body.size() + chunk.size() > policies_->staleMaxBodyBytes()) {
      capture_stale_ = false;  // too large to keep
      stale_copy_ = {};
    } else {
      stale_copy_.body.append(chunk);
    }
  }
  bytes_out_ += chunk.size();
  writeBodyPiece(owner_.clientStream(), chunk, chunk_to_client_);
  return http::ParserAction::kContinue;
}

void Exchange::pauseUpstreamIfClientIsSlow() {
  // Back-pressure: the client reads slower than the upstream sends. Checked once the
  // corked writes went out: most leave at once, and only a backlog is waited for.
  if (phase_ != Phase::kStreamingResponse || connection_ == nullptr || upstream_paused_) return;
  if (owner_.clientStream().queuedBytes() <= kHighWaterBytes) return;
  connection_->stream().stopReading();
  upstream_paused_ = true;
}

http::ParserAction Exchange::onResponseComplete() {
  if (interim_) {
    interim_ = false;
    return http::ParserAction::kContinue;
  }
  response_complete_ = true;
  return http::ParserAction::kPause;  // bytes after the response are looked at by the caller
}

void Exchange::completeResponse(bool extra_bytes) {
  if (chunk_to_client_) owner_.clientStream().write(http::kLastChunk);
  // A connection that sent more than one response, or whose request was not sent in full,
  // is not in a known state: it is never reused.
  const bool reusable = upstream_keep_alive_ && request_sent_ && !extra_bytes;
  if (capture_stale_) {
    capture_stale_ = false;
    stale_copy_.status = status_;
    stale_copy_.stored = context_.clock.now();
    thread_local std::string key;  // reused: building it allocates nothing once it has grown
    staleKey(key);
    policies_->storeStale(key, stale_copy_);
    context_.stale_bodies.keep(stale_copy_.body);  // the displaced copy's
  }
  endAttempt(policy::AttemptOutcome::kSuccess, reusable);
  finish(!close_after_response_ && request_complete_);
}

void Exchange::onClientDrained() {
  if (upstream_paused_ && connection_ != nullptr) {
    upstream_paused_ = false;
    last_upstream_activity_ = context_.clock.now();
    connection_->stream().startReading();
    armTimer();
  }
}

void Exchange::onClientGone() {
  if (phase_ == Phase::kDone) return;
  error_detail_ = "client closed the connection";
  endAttempt(policy::AttemptOutcome::kCancelled, false);
  releaseAdmission();
  if (status_ == 0 || phase_ != Phase::kStreamingResponse) status_ = 499;
  phase_ = Phase::kDone;  // the owner's timer stays armed: onTimer() ignores a done exchange
  record();
}

MonoTime Exchange::nextDeadline() const {
  MonoTime deadline = std::min(request_deadline_, try_deadline_);
  if (phase_ == Phase::kQueued) deadline = std::min(deadline, queue_deadline_);
  if (phase_ == Phase::kBackoff) deadline = std::min(deadline, backoff_deadline_);
  if (connection_ != nullptr && !upstream_paused_ && upstream_ != nullptr) {
    const auto& timeouts = upstream_->upstream->config().timeouts;
    if (request_sent_) {
      deadline = std::min(deadline, last_upstream_activity_ + timeouts.read);
    } else if (connection_->stream().queuedBytes() > 0) {
      deadline = std::min(deadline, last_upstream_activity_ + timeouts.write);
    }
  }
  return deadline;
}

void Exchange::armTimer() {
  // Nothing is stopped: a wake with no deadline due only sleeps again (onTimer).
  if (phase_ == Phase::kDone) return;
  const MonoTime deadline = nextDeadline();
  if (deadline == MonoTime::max()) return;
  // onTimer() checks every deadline and sleeps again when it woke early.
  timer_.fireWithin(std::max(Duration::zero(), deadline - context_.clock.now()));
}

void Exchange::onTimer() {
  if (phase_ == Phase::kDone) return;
  const MonoTime now = context_.clock.now();
  if (now >= request_deadline_) {
    if (phase_ == Phase::kStreamingResponse) {
      abort("request timeout while streaming the response");
      return;
    }
    error_detail_ = "request timeout";
    endAttempt(policy::AttemptOutcome::kTimeout, false);
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
  if (now >= try_deadline_) {
    failAttempt(policy::AttemptOutcome::kTimeout, http::LocalReason::kUpstreamTimeout,
                "per_try timeout");
    return;
  }
  if (now >= nextDeadline()) {
    const char* what = request_sent_ ? "read timeout" : "write timeout";
    if (phase_ == Phase::kStreamingResponse) {
      abort(std::string(what) + " while streaming the response");
    } else {
      failAttempt(policy::AttemptOutcome::kTimeout, http::LocalReason::kUpstreamTimeout, what);
    }
    return;
  }
  armTimer();  // activity moved the inactivity deadline: sleep until the new one
}

void Exchange::replyLocally(http::LocalReason reason, int retry_after_seconds) {
  if (phase_ == Phase::kStreamingResponse) {
    abort(std::string("cannot send ") + std::string(http::reasonName(reason)) +
          ": the response had started");
    return;
  }
  io::CorkGuard cork(owner_.clientStream());  // sent once recorded, see finish()
  const std::string upstream_name = upstream_ ? upstream_->upstream->name() : "";
  http::LocalReply reply =
      http::makeLocalReply(reason, upstream_name, request_id_, retry_after_seconds);
  status_ = reply.head.status;
  reason_ = http::reasonName(reason);
  // Unread request body bytes would be taken for the next request: close instead.
  const bool keep_alive = request_.keep_alive && !requestBodyPending() && !close_after_response_;
  reply.head.keep_alive = keep_alive;
  if (attempts_ > 1) reply.head.headers.add("x-outrigger-attempts", std::to_string(attempts_));
  std::string out;
  http::appendResponseHead(reply.head, out);
  if (request_.method != "HEAD") {
    out += reply.body;
    bytes_out_ += reply.body.size();
  }
  owner_.clientStream().write(std::move(out));
  auto& m = upstream_ ? upstream_->upstream->metrics() : context_.metrics.noUpstream();
  m.countLocalReply(reason);
  finish(keep_alive);
}

void Exchange::finish(bool keep_alive) {
  releaseAdmission();
  phase_ = Phase::kDone;  // the owner's timer stays armed: onTimer() ignores a done exchange
  record();
  owner_.onExchangeDone(keep_alive);
}

void Exchange::abort(const std::string& detail) {
  error_detail_ = detail;
  endAttempt(policy::AttemptOutcome::kReset, false);
  releaseAdmission();
  phase_ = Phase::kDone;  // the owner's timer stays armed: onTimer() ignores a done exchange
  record();
  owner_.onExchangeAborted();
}

void Exchange::record() {
  // A fresh reading: inside one read callback now() is pinned to its start, and a request
  // answered within that callback (a local reply) would otherwise last 0 µs.
  const Duration elapsed = context_.clock.preciseNow() - started_;
  auto& m = upstream_ ? upstream_->upstream->metrics() : context_.metrics.noUpstream();
  m.countRequest(status_, elapsed);
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
  entry.error = error_detail_;
  context_.access_log->write(entry);
}

}  // namespace outrigger::exchange
