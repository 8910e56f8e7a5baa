#include "proxy/http2/http2_stream.h"

#include "proxy/exchange/responder.h"
#include "proxy/http2/server_session.h"
#include "proxy/metrics/metrics.h"

namespace outrigger::http2 {

Http2Stream::Http2Stream(exchange::WorkerContext& context, StreamConnection& connection,
                         StreamId id)
    : context_(context),
      connection_(connection),
      id_(id),
      timer_(context.loop,
             [this] {
               if (exchange_ && !exchange_done_) exchange_->onTimer();
             }),
      end_exchange_(context.loop, [this] { endExchange(); }),
      resume_body_(context.loop, [this] { resumeBody(); }) {}

Http2Stream::~Http2Stream() {
  gone();
  endExchange();
}

void Http2Stream::begin(http::RequestHead& head,
                        std::shared_ptr<const exchange::Snapshot> generation,
                        exchange::ListenerInfo listener, std::string_view client_ip) {
  slot_ = context_.exchange_slots.acquire();
  slot_->buffers.request.swap(head);
  no_body_ = slot_->buffers.request.method == "HEAD";
  listener.http2 = true;
  exchange_ = &slot_->exchange.emplace(context_, *this, slot_->buffers, std::move(generation),
                                       listener, client_ip, context_.clock.now());
  exchange_->start();
}

void Http2Stream::refuse(http::LocalReason reason) {
  const exchange::SentReply sent = exchange::sendLocalReply(*this, reason, {});
  auto& m = context_.metrics.noUpstream();
  m.countLocalReply(reason);
  m.countRequest(sent.status, Duration::zero());
}

void Http2Stream::requestData(std::string_view chunk) {
  if (!exchange_ || exchange_done_) {
    connection_.codec().consume(id_, chunk.size());  // answered already: the rest is dropped
    return;
  }
  if (body_paused_) {
    unconsumed_ += chunk.size();  // sent within the window we gave: pass it on, hold the window
  }
  const bool more = exchange_->onRequestBody(chunk);
  if (body_paused_) return;
  if (more) {
    connection_.codec().consume(id_, chunk.size());
  } else {
    body_paused_ = true;
    unconsumed_ += chunk.size();
  }
}

void Http2Stream::resumeBody() {
  if (!body_paused_ || gone_) return;
  body_paused_ = false;
  connection_.codec().consume(id_, unconsumed_);
  unconsumed_ = 0;
  connection_.outputPending();  // the WINDOW_UPDATE
}

void Http2Stream::requestTrailers(http::Headers& trailers) {
  if (exchange_ && !exchange_done_) exchange_->onRequestTrailers(trailers);
}

void Http2Stream::requestEnd() {
  if (request_complete_) return;
  request_complete_ = true;
  if (exchange_ && !exchange_done_) exchange_->onRequestComplete();
}

void Http2Stream::gone() {
  if (gone_) return;
  gone_ = true;
  if (exchange_ && !exchange_done_) exchange_->onDownstreamGone();
}

void Http2Stream::writable() {
  if (exchange_ && !exchange_done_ && !gone_) exchange_->onDownstreamDrained();
}

void Http2Stream::endExchange() {
  if (!slot_) return;
  exchange_ = nullptr;
  slot_->exchange.reset();
  context_.exchange_slots.release(std::move(slot_));
}

void Http2Stream::sendResponseHead(http::ResponseHead& head) {
  if (gone_) return;
  // A head with nothing after it ends the stream itself (a trailers-only gRPC reply reads
  // as one HEADERS frame).
  const bool empty =
      head.framing == http::BodyFraming::kNone ||
      (head.framing == http::BodyFraming::kContentLength && head.content_length == 0);
  ended_ = no_body_ || empty;
  no_body_ = ended_;
  connection_.codec().submitResponseHead(id_, head, ended_);
  connection_.outputPending();
}

void Http2Stream::sendResponseBody(std::string_view piece) {
  if (gone_ || no_body_ || piece.empty()) return;
  connection_.codec().submitData(id_, piece);
  connection_.outputPending();
}

void Http2Stream::sendResponseTrailers(http::Headers& trailers) {
  if (!no_body_) trailers_.swap(trailers);
}

void Http2Stream::endResponse() {
  exchange_done_ = true;
  if (!gone_ && !ended_) {
    ended_ = true;
    if (trailers_.size() > 0) {
      connection_.codec().submitTrailers(id_, trailers_);
    } else {
      connection_.codec().endStream(id_);
    }
    connection_.outputPending();
  }
  end_exchange_.schedule();  // never from inside the exchange's own call
}

void Http2Stream::abortResponse() {
  exchange_done_ = true;
  if (!gone_) {
    connection_.codec().resetStream(id_, ErrorCode::kInternalError);
    connection_.outputPending();
  }
  end_exchange_.schedule();
}

void Http2Stream::sendContinue() {
  if (gone_) return;
  http::ResponseHead head;
  head.status = 100;
  connection_.codec().submitInformational(id_, head);
  connection_.outputPending();
}

size_t Http2Stream::queuedResponseBytes() const {
  // Past the stream's send buffer the codec says writeBlocked(): report it as over any
  // high-water mark, so the exchange waits for writable().
  const size_t blocked = !gone_ && connection_.codec().writeBlocked(id_) ? (size_t{1} << 30) : 0;
  return blocked + connection_.socketQueuedBytes();
}

}  // namespace outrigger::http2
