// Admission and retries of Exchange, in the order of DESIGN §4: the app's own limits, rate
// limit, bulkhead, circuit breaker, then attempts with retries and backoff, and on final
// failure a fallback or a local reply. The policies decide; this file enforces.
#include <charconv>

#include "proxy/exchange/exchange.h"
#include "proxy/http/header_rules.h"
#include "proxy/http/serializer.h"
#include "proxy/metrics/metrics.h"
#include "proxy/policy/retry_after.h"

namespace outrigger::exchange {
namespace {

// Whole seconds for Retry-After, rounded up and at least 1.
int secondsCeil(Duration d) {
  const int64_t s = (d.count() + 999999999) / 1000000000;
  return static_cast<int>(std::max<int64_t>(1, s));
}

// A positive integer header value, or 0.
uint64_t positiveHeader(const http::Headers& headers, std::string_view name) {
  const std::string_view* value = headers.get(name);
  uint64_t n = 0;
  if (value == nullptr) return 0;
  auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
  if (ec != std::errc() || end != value->data() + value->size()) return 0;
  return n;
}

// The headers the app tightens one request's policy with; never forwarded.
constexpr std::string_view kTimeoutHeader = "x-outrigger-timeout-ms";
constexpr std::string_view kMaxAttemptsHeader = "x-outrigger-max-attempts";

bool isAppLimitHeader(const http::HeaderView& h) {
  // By length first: one comparison tells most headers apart.
  return (h.name.size() == kTimeoutHeader.size() &&
          http::equalsIgnoreCase(h.name, kTimeoutHeader)) ||
         (h.name.size() == kMaxAttemptsHeader.size() &&
          http::equalsIgnoreCase(h.name, kMaxAttemptsHeader));
}

}  // namespace

void Exchange::readAppLimits() {
  // The app may tighten, never loosen, a single request (DESIGN §6 via issue scope).
  Duration timeout = upstream_->upstream->config().timeouts.request;
  if (uint64_t ms = positiveHeader(request_.headers, kTimeoutHeader); ms > 0)
    timeout = std::min<Duration>(timeout, milliseconds(static_cast<int64_t>(ms)));
  request_deadline_ = started_ + timeout;
  const policy::RetryPolicy* retry = policies_->retryPolicy();
  max_attempts_ = retry ? retry->config().max_attempts : 1;
  if (uint64_t n = positiveHeader(request_.headers, kMaxAttemptsHeader); n > 0)
    max_attempts_ = std::min<uint32_t>(max_attempts_, static_cast<uint32_t>(n));
  request_.headers.removeIf(isAppLimitHeader);  // one pass for both
  stale_eligible_ = policies_->staleEnabled() && request_.method == "GET";
  keep_body_ =
      retry != nullptr && max_attempts_ > 1 && request_.framing != http::BodyFraming::kNone;
  body_replayable_ = request_.framing == http::BodyFraming::kNone || keep_body_;
}

void Exchange::admit() {
  const MonoTime now = context_.clock.now();
  policies_->recordRequest(now);
  const auto rate = policies_->takeRateToken(now);
  if (!rate.allowed) {
    replyLocally(http::LocalReason::kRateLimited, secondsCeil(rate.retry_after));
    return;
  }
  if (!policies_->hasBulkhead()) {
    onAdmitted();
    return;
  }
  ticket_ = policies_->newTicket();
  // Captures only `this`, so it fits in std::function without allocating.
  const upstream::UpstreamPolicies::MakeWake make_wake = [this]() -> std::function<void()> {
    if (!alive_) alive_ = std::make_shared<bool>(true);
    return [this, alive = std::weak_ptr<bool>(alive_)] {
      if (!alive.expired()) onBulkheadGranted();
    };
  };
  switch (policies_->enterBulkhead(ticket_, now, context_.loop, make_wake)) {
    case upstream::UpstreamPolicies::BulkheadAdmission::kAdmitted:
      holds_slot_ = true;
      break;
    case upstream::UpstreamPolicies::BulkheadAdmission::kOff:
      break;
    case upstream::UpstreamPolicies::BulkheadAdmission::kFull:
      replyLocally(http::LocalReason::kBulkheadFull);
      return;
    case upstream::UpstreamPolicies::BulkheadAdmission::kQueued:
      queued_ = true;
      phase_ = Phase::kQueued;
      queue_deadline_ = now + policies_->bulkheadQueueTimeout();
      armTimer();
      return;
  }
  onAdmitted();
}

void Exchange::onBulkheadGranted() {
  // Ignored when this request already gave up waiting (it handed the slot back then).
  if (phase_ != Phase::kQueued || !queued_) return;
  queued_ = false;
  holds_slot_ = true;
  queue_deadline_ = MonoTime::max();
  onAdmitted();
}

void Exchange::onAdmitted() {
  if (request_.expect_continue && request_.framing != http::BodyFraming::kNone)
    owner_.clientStream().write(http::kContinue);
  tryAttempt();
}

void Exchange::tryAttempt() {
  const MonoTime now = context_.clock.now();
  permit_ = policies_->acquireBreaker(now);
  if (!permit_.allowed) {
    finalFailure(http::LocalReason::kCircuitOpen, secondsCeil(permit_.retry_after));
    return;
  }
  beginAttempt();
}

void Exchange::settleAttempt(policy::AttemptOutcome outcome) {
  if (!attempt_open_) return;
  attempt_open_ = false;
  const MonoTime now = context_.clock.now();
  upstream_->upstream->metrics().countAttempt(outcome);
  policies_->recordBreaker(now, permit_, outcome, now - attempt_started_);
  permit_ = {};
  if (endpoint_ >= 0) policies_->recordEndpoint(static_cast<size_t>(endpoint_), outcome, now);
}

std::optional<Duration> Exchange::retryDelay(policy::AttemptOutcome outcome,
                                             std::optional<Duration> retry_after) {
  if (policies_->retryPolicy() == nullptr) return std::nullopt;
  const MonoTime now = context_.clock.now();
  policy::RetryContext retry;
  retry.method = request_.method;
  retry.has_idempotency_key = request_.headers.has("idempotency-key");
  retry.body_replayable = body_replayable_;
  retry.attempts_made = static_cast<uint32_t>(attempts_);
  retry.max_attempts = max_attempts_;
  retry.outcome = outcome;
  retry.retry_after = retry_after;
  retry.time_left = request_deadline_ - now;
  const policy::RetryDecision decision = policies_->decideRetry(retry, context_.random, now);
  if (decision.verdict != policy::RetryVerdict::kRetry) {
    if (attempts_ > 1 || decision.verdict == policy::RetryVerdict::kBudgetExhausted)
      error_detail_ += std::string(error_detail_.empty() ? "" : "; ") +
                       "not retried: " + std::string(policy::retryVerdictName(decision.verdict));
    return std::nullopt;
  }
  return decision.delay;
}

void Exchange::startBackoff(Duration delay) {
  phase_ = Phase::kBackoff;
  backoff_deadline_ = context_.clock.now() + delay;
  armTimer();
}

void Exchange::finalFailure(http::LocalReason reason, int retry_after_seconds) {
  // DESIGN §4: on final failure, a fallback (a stale copy, then a static reply) or a local
  // reply. Only failures of the upstream, and an open breaker, fall back.
  if (phase_ != Phase::kStreamingResponse && policies_ != nullptr) {
    if (serveStale(reason)) return;
    if (policies_->config().fallback.response) {
      serveStatic(reason);
      return;
    }
  }
  replyLocally(reason, retry_after_seconds);
}

bool Exchange::serveStale(http::LocalReason reason) {
  if (!stale_eligible_) return false;
  const MonoTime now = context_.clock.now();
  std::string key;
  staleKey(key);
  std::optional<policy::StaleEntry> copy = policies_->findStale(key, now);
  if (!copy) return false;
  http::ResponseHead head;
  head.status = copy->status;
  head.headers.swap(copy->headers);  // `copy` is this request's own
  head.headers.add("x-outrigger-fallback", "stale");
  head.headers.add("Age", std::to_string(toMillis(now - copy->stored) / 1000));
  sendFallback(head, copy->body, reason, metrics::FallbackKind::kStale);
  return true;
}

void Exchange::serveStatic(http::LocalReason reason) {
  const auto& fixed = *policies_->config().fallback.response;
  http::ResponseHead head;
  head.status = fixed.status;
  head.headers.add("Content-Type", fixed.content_type);
  head.headers.add("x-outrigger-fallback", "static");
  sendFallback(head, fixed.body, reason, metrics::FallbackKind::kStatic);
}

void Exchange::sendFallback(http::ResponseHead& head, std::string_view body,
                            http::LocalReason reason, metrics::FallbackKind kind) {
  io::CorkGuard cork(owner_.clientStream());  // sent once recorded, see finish()
  head.headers.add("x-outrigger-reason", http::reasonName(reason));
  head.headers.set("X-Request-ID", request_id_);  // a stale copy has the one it was sent with
  if (attempts_ > 1) head.headers.add("x-outrigger-attempts", std::to_string(attempts_));
  head.framing = http::BodyFraming::kContentLength;
  head.content_length = body.size();
  const bool keep_alive = request_.keep_alive && !requestBodyPending() && !close_after_response_;
  head.keep_alive = keep_alive;
  std::string out;
  http::appendResponseHead(head, out);
  if (request_.method != "HEAD") {
    out += body;
    bytes_out_ += body.size();
  }
  owner_.clientStream().write(std::move(out));
  status_ = head.status;
  reason_ = http::reasonName(reason);
  policies_->metrics().fallbacks[static_cast<size_t>(kind)]->Increment();
  upstream_->upstream->metrics().countLocalReply(reason);
  finish(keep_alive);
}

void Exchange::staleKey(std::string& out) const {
  out.assign(host_);
  out += ' ';
  out += request_.target;
}

void Exchange::releaseAdmission() {
  if (policies_ == nullptr) return;
  const MonoTime now = context_.clock.now();
  if (queued_) {
    queued_ = false;
    // false: a slot was granted while we gave up; hand it straight back.
    if (!policies_->abandonBulkhead(ticket_)) policies_->leaveBulkhead(now);
  }
  if (holds_slot_) {
    holds_slot_ = false;
    policies_->leaveBulkhead(now);
  }
  if (permit_.held) {
    policies_->recordBreaker(now, permit_, policy::AttemptOutcome::kCancelled, Duration::zero());
    permit_ = {};
  }
}

}  // namespace outrigger::exchange
