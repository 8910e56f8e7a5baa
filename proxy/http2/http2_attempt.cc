#include "proxy/http2/http2_attempt.h"

#include <algorithm>

#include "proxy/exchange/route_rewrite.h"
#include "proxy/http/upstream_request.h"
#include "proxy/http2/http2_codec.h"

namespace outrigger::http2 {

using exchange::AttemptResult;
using policy::AttemptOutcome;

namespace {
// Reported as queued while the stream's send buffer is full: over any high-water mark, so
// the exchange waits for onAttemptRequestDrained().
constexpr size_t kBlocked = size_t{1} << 30;

bool hasBody(const http::RequestHead& head) {
  if (head.framing == http::BodyFraming::kNone) return false;
  return head.framing != http::BodyFraming::kContentLength || head.content_length > 0;
}
}  // namespace

void Http2Attempt::reset(exchange::AttemptEvents& events) {
  events_ = &events;
  connection_ = nullptr;
  stream_ = -1;
  unconsumed_ = 0;
  status_ = 0;
  running_ = waiting_ = endpoint_counted_ = false;
  request_sent_ = streaming_ = discarding_ = paused_ = false;
  try_deadline_ = MonoTime::max();
}

void Http2Attempt::start(size_t endpoint, const exchange::AttemptRequest& request) {
  request_ = request;
  endpoint_ = endpoint;
  running_ = true;
  codec_.pool().requestStarted(endpoint);
  endpoint_counted_ = true;
  timeouts_ =
      request.timeouts != nullptr ? request.timeouts : &codec_.pool().upstream().config().timeouts;
  const Duration per_try = timeouts_->per_try;
  try_deadline_ = per_try > Duration::zero() ? clock_.now() + per_try : MonoTime::max();
  last_activity_ = clock_.now();
  waiting_ = true;
  codec_.attach(*this);  // onConnection() now, or once a connection has room
}

void Http2Attempt::buildHead(const ClientConnection&) {
  const exchange::ForwardedRequest forwarded =
      exchange::forwardedRequest(request_, codec_.pool().upstream().endpoint(endpoint_).text);
  http::makeUpstreamRequestHead(*forwarded.head, forwarded.forward, head_);
}

void Http2Attempt::onConnection(ClientConnection& connection) {
  waiting_ = false;
  buildHead(connection);
  const bool body = hasBody(head_);
  const StreamId id = connection.openStream(*this, head_, body);
  if (id < 0) {
    // The connection went away (or filled up) between the pool's offer and now: nothing was
    // sent, and that is no fault of the upstream.
    onRefused("the upstream connection took no new stream");
    return;
  }
  connection_ = &connection;
  stream_ = id;
  request_sent_ = !body;
  last_activity_ = clock_.now();
  events_->onAttemptConnected();
}

void Http2Attempt::onRefused(const std::string& detail) {
  waiting_ = false;
  AttemptResult result =
      failure(AttemptOutcome::kRefused, http::LocalReason::kUpstreamReset, detail);
  result.error.retry_safe = true;
  end(std::move(result));
}

void Http2Attempt::onNoConnection(upstream::PoolFailure failure, const std::string& detail) {
  waiting_ = false;
  if (failure == upstream::PoolFailure::kPoolTimeout) {
    AttemptResult result =
        this->failure(AttemptOutcome::kCancelled, http::LocalReason::kPoolTimeout, detail);
    result.error.source = ErrorSource::kInternal;
    end(std::move(result));
    return;
  }
  AttemptResult result =
      this->failure(AttemptOutcome::kConnectFailed, http::LocalReason::kConnectFailed, detail);
  result.error.retry_safe = true;  // nothing was sent
  end(std::move(result));
}

void Http2Attempt::sendRequestBody(std::string_view piece) {
  if (connection_ == nullptr || piece.empty()) return;
  if (!connection_->writeBlocked(stream_)) last_activity_ = clock_.now();
  connection_->sendData(stream_, piece);
}

void Http2Attempt::endRequest() {
  if (connection_ == nullptr || request_sent_) return;
  request_sent_ = true;
  connection_->endStream(stream_, request_.trailers);
  last_activity_ = clock_.now();
}

size_t Http2Attempt::queuedRequestBytes() const {
  if (connection_ == nullptr) return 0;
  return (connection_->writeBlocked(stream_) ? kBlocked : 0) + connection_->socketQueuedBytes();
}

void Http2Attempt::resumeResponse() {
  if (!paused_) return;
  paused_ = false;
  last_activity_ = clock_.now();
  if (connection_ != nullptr) connection_->consume(stream_, unconsumed_);
  unconsumed_ = 0;
}

void Http2Attempt::onStreamHead(http::ResponseHead& head) {
  if (!running_) return;
  last_activity_ = clock_.now();
  status_ = head.status;
  try_deadline_ = MonoTime::max();
  exchange::AttemptEvents* events = events_;
  events->onAttemptReadBegin();
  if (events->onAttemptResponseHead(head) == exchange::ResponseVerdict::kDiscard) {
    // A failure the exchange retries: the stream is cancelled, the connection stays.
    AttemptResult discarded;
    discarded.outcome = AttemptOutcome::kFailureStatus;
    discarded.status = status_;
    end(std::move(discarded));
  } else {
    streaming_ = true;
  }
  events->onAttemptReadEnd();
}

void Http2Attempt::onStreamData(std::string_view chunk) {
  if (!running_ || chunk.empty()) return;
  last_activity_ = clock_.now();
  ClientConnection* connection = connection_;
  exchange::AttemptEvents* events = events_;
  events->onAttemptReadBegin();
  events->onAttemptResponseBody(chunk);
  events->onAttemptReadEnd();
  if (paused_ && running_) {
    unconsumed_ += chunk.size();  // the window stays shut until resumeResponse()
  } else {
    connection->consume(stream_, chunk.size());
  }
}

void Http2Attempt::onStreamTrailers(http::Headers& trailers) {
  if (!running_) return;
  last_activity_ = clock_.now();
  exchange::AttemptEvents* events = events_;
  events->onAttemptReadBegin();
  events->onAttemptResponseTrailers(trailers);
  events->onAttemptReadEnd();
}

void Http2Attempt::onStreamComplete() {
  if (!running_) return;
  connection_ = nullptr;  // the stream is closed: nothing to give up
  exchange::AttemptEvents* events = events_;
  events->onAttemptReadBegin();
  end(AttemptResult{});
  events->onAttemptReadEnd();
}

void Http2Attempt::onStreamFailed(StreamFailure failure, std::string_view why) {
  if (!running_) return;
  const bool reused = connection_ != nullptr && connection_->reused();
  connection_ = nullptr;
  std::string detail(why);
  detail += streaming_ ? " before the response was complete" : " before sending a response";
  // Refused unprocessed: safe to send again, on another connection, whatever the method,
  // and not counted against the upstream.
  const bool refused = failure.refused && !streaming_;
  AttemptResult result = this->failure(refused ? AttemptOutcome::kRefused : AttemptOutcome::kReset,
                                       http::LocalReason::kUpstreamReset, std::move(detail));
  result.error.retry_safe = refused;
  result.stale_connection = reused && !streaming_ && !failure.refused && status_ == 0;
  exchange::AttemptEvents* events = events_;
  events->onAttemptReadBegin();
  end(std::move(result));
  events->onAttemptReadEnd();
}

void Http2Attempt::onStreamWritable() {
  if (!running_ || connection_ == nullptr) return;
  last_activity_ = clock_.now();
  if (!connection_->writeBlocked(stream_)) events_->onAttemptRequestDrained();
}

MonoTime Http2Attempt::nextDeadline() const {
  MonoTime deadline = try_deadline_;
  if (connection_ == nullptr || paused_) return deadline;
  if (request_sent_) return std::min(deadline, last_activity_ + timeouts_->read);
  if (connection_->writeBlocked(stream_))
    return std::min(deadline, last_activity_ + timeouts_->write);
  return deadline;
}

void Http2Attempt::onTimer(MonoTime now) {
  if (!running_) return;
  if (now >= try_deadline_) {
    end(failure(AttemptOutcome::kTimeout, http::LocalReason::kUpstreamTimeout, "per_try timeout"));
    return;
  }
  if (now < nextDeadline()) return;
  std::string what = request_sent_ ? "read timeout" : "write timeout";
  if (streaming_) what += " while streaming the response";
  end(failure(AttemptOutcome::kTimeout, http::LocalReason::kUpstreamTimeout, std::move(what)));
}

AttemptResult Http2Attempt::failure(AttemptOutcome outcome, http::LocalReason reason,
                                    std::string detail) const {
  AttemptResult result;
  result.outcome = outcome;
  result.status = streaming_ ? status_ : 0;
  result.response_started = streaming_;
  result.error.reason = reason;
  result.error.detail = std::move(detail);
  return result;
}

void Http2Attempt::end(AttemptResult result) {
  if (!running_) return;
  release();
  events_->onAttemptEnded(result);  // the last thing: the exchange may drop this attempt
}

void Http2Attempt::cancel() {
  if (running_) release();
}

void Http2Attempt::release() {
  running_ = false;
  try_deadline_ = MonoTime::max();
  if (waiting_) codec_.detach(*this);
  waiting_ = false;
  if (connection_ != nullptr) {
    ClientConnection* connection = connection_;
    connection_ = nullptr;
    connection->abandon(stream_);
  }
  paused_ = false;
  unconsumed_ = 0;
  if (endpoint_counted_) codec_.pool().requestFinished(endpoint_);
  endpoint_counted_ = false;
}

}  // namespace outrigger::http2
