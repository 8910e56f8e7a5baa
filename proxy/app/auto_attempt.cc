#include "proxy/app/auto_attempt.h"

#include <utility>

#include "proxy/app/auto_codec.h"

namespace outrigger::app {

using exchange::AttemptResult;
using policy::AttemptOutcome;

void AutoAttempt::reset(exchange::AttemptEvents& events) {
  events_ = &events;
  endpoint_ = 0;
  awaiting_ = false;
  inner_.reset();
}

void AutoAttempt::release() {
  cancel();
  inner_.reset();  // a later turn than its end: the exchange parks an ended attempt
}

void AutoAttempt::start(size_t endpoint, const exchange::AttemptRequest& request) {
  request_ = request;
  endpoint_ = endpoint;
  if (codec_.codecFor(endpoint) != nullptr) {
    onProtocolKnown();
    return;
  }
  awaiting_ = true;
  codec_.awaitProtocol(*this);
}

void AutoAttempt::onProtocolKnown() {
  awaiting_ = false;
  inner_ = codec_.codecFor(endpoint_)->newAttempt(*events_);
  inner_->start(endpoint_, request_);
}

void AutoAttempt::onNoConnection(upstream::PoolFailure failure, const std::string& detail) {
  awaiting_ = false;
  AttemptResult result;
  if (failure == upstream::PoolFailure::kPoolTimeout) {
    result.outcome = AttemptOutcome::kCancelled;  // the pool stayed full: not the upstream's
    result.error.reason = http::LocalReason::kPoolTimeout;
    result.error.source = ErrorSource::kInternal;
  } else {
    result.outcome = AttemptOutcome::kConnectFailed;
    result.error.reason = http::LocalReason::kConnectFailed;
    result.error.retry_safe = true;  // nothing was sent
  }
  result.error.detail = detail;
  events_->onAttemptEnded(result);  // the last thing: the exchange may drop this attempt
}

void AutoAttempt::sendRequestBody(std::string_view piece) {
  if (inner_) inner_->sendRequestBody(piece);
}

void AutoAttempt::endRequest() {
  if (inner_) inner_->endRequest();
}

bool AutoAttempt::connected() const { return inner_ && inner_->connected(); }

size_t AutoAttempt::queuedRequestBytes() const { return inner_ ? inner_->queuedRequestBytes() : 0; }

void AutoAttempt::pauseResponse() {
  if (inner_) inner_->pauseResponse();
}

void AutoAttempt::resumeResponse() {
  if (inner_) inner_->resumeResponse();
}

// While the answer is awaited the pool bounds the wait (timeouts.connect, timeouts.pool).
MonoTime AutoAttempt::nextDeadline() const {
  return inner_ ? inner_->nextDeadline() : MonoTime::max();
}

void AutoAttempt::onTimer(MonoTime now) {
  if (inner_) inner_->onTimer(now);
}

void AutoAttempt::cancel() {
  if (awaiting_) codec_.stopAwaiting(*this);
  awaiting_ = false;
  if (inner_) inner_->cancel();
}

}  // namespace outrigger::app
