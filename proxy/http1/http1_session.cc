#include "proxy/exchange/downstream_session.h"

#include <prometheus/gauge.h>

#include "proxy/http/local_reply.h"
#include "proxy/http/serializer.h"
#include "proxy/metrics/metrics.h"

namespace outrigger::exchange {
namespace {

// Bytes of pipelined requests we read ahead while a response is pending. Reading on lets
// us notice the app closing; the bound keeps a flood of requests from growing memory.
constexpr size_t kMaxReadAheadBytes = 64 * 1024;
// Room a head is read into in place (readSpace()): most heads fit, a longer one takes more
// reads, and a body that comes with the head is parsed from there too.
constexpr size_t kInPlaceReadBytes = 2048;

}  // namespace

DownstreamSession::DownstreamSession(WorkerContext& context, ListenerInfo listener,
                                     std::unique_ptr<io::TcpStream> stream, ClosedFn on_closed)
    : context_(context),
      listener_(listener),
      stream_(std::move(stream)),
      on_closed_(std::move(on_closed)),
      parser_(*this, http::ParserLimits{listener.config->limits.max_request_head,
                                        listener.config->limits.max_headers}),
      timer_(context.loop, [this] { onTimer(); }),
      finish_exchange_(context.loop,
                       [this] {
                         if (!closed_) finishExchange();
                       }),
      alive_(std::make_shared<bool>(true)) {
  listener_generation_ = context.snapshot;
  stream_->setHandler(this);
  client_ip_ = stream_->peerAddress().ip();
}

DownstreamSession::~DownstreamSession() {
  *alive_ = false;
  on_closed_ = nullptr;
  close(false);
}

void DownstreamSession::armTimer(Duration after) {
  timer_deadline_ = context_.clock.now() + after;
  timer_.fireWithin(after);
}

void DownstreamSession::onTimer() {
  if (closed_) return;
  if (exchange_) {
    exchange_->onTimer();  // its deadlines; nothing once it is done
    return;
  }
  // Header timeout (a head is arriving, or nothing came since accept) or idle timeout
  // (between requests): either way nobody is waiting for an answer.
  const MonoTime now = context_.clock.now();
  if (now < timer_deadline_) {
    timer_.fireWithin(timer_deadline_ - now);  // woke early: the deadline moved later
    return;
  }
  close(true);
}

void DownstreamSession::start() {
  listener_.connections->Increment();
  counted_ = true;
  armTimer(listener_.config->limits.header_timeout);
  stream_->startReading();
}

void DownstreamSession::closeWhenIdle() {
  close_requested_ = true;
  if (exchange_ && !exchange_done_) exchange_->closeAfterResponse();
  if (!exchange_ && !head_in_progress_) close(true);
}

std::pair<char*, size_t> DownstreamSession::readSpace() {
  // A head is read straight into the store of the head the parser fills: its names and
  // values are then views into the bytes read, and only the upstream request copies them.
  // Bodies, and heads that arrive while an exchange runs, use the shared buffer.
  read_in_place_ = nullptr;
  if (closed_ || body_refused_ || exchange_ || parser_paused_ || !input_.empty()) return {};
  if (!parser_.idle() && !head_in_progress_) return {};  // the rest of a body
  borrowSlot();
  const auto space =
      slot_->buffers.parse_head.headers.readSpace(kInPlaceReadBytes, !head_in_progress_);
  read_in_place_ = space.first;
  return space;
}

void DownstreamSession::onStreamData(const char* data, size_t len) {
  if (read_in_place_ != nullptr) {
    if (data == read_in_place_) slot_->buffers.parse_head.headers.commitRead(len);
    read_in_place_ = nullptr;
  }
  if (len == 0) {
    returnSlotIfIdle();  // lent for a read that found nothing
    return;
  }
  if (closed_ || body_refused_) return;
  if (!exchange_ && !head_in_progress_) {
    head_in_progress_ = true;  // the first byte of a new request starts the header clock
    armTimer(listener_.config->limits.header_timeout);
  }
  if (parser_paused_ || !input_.empty()) {
    input_.append(data, len);
    updateReading();
    return;
  }
  parse(data, len);
}

void DownstreamSession::borrowSlot() {
  if (slot_) return;
  slot_ = context_.exchange_slots.acquire();
  parser_.lendHead(&slot_->buffers.parse_head);
}

void DownstreamSession::returnSlotIfIdle() {
  if (!slot_ || exchange_ || !input_.empty() || !parser_.idle()) return;
  parser_.lendHead(nullptr);
  context_.exchange_slots.release(std::move(slot_));
}

void DownstreamSession::endExchange() {
  if (exchange_ == nullptr) return;
  exchange_ = nullptr;
  slot_->exchange.reset();
}

void DownstreamSession::parse(const char* data, size_t len) {
  borrowSlot();
  const http::ParseResult result = parser_.feed(data, len);
  if (closed_) return;
  if (result.status == http::ParseStatus::kError) {
    replyToBadRequest(result);
    return;
  }
  if (result.status == http::ParseStatus::kPaused) {
    parser_paused_ = true;
    input_.append(data + result.consumed, len - result.consumed);
  }
  updateReading();
}

void DownstreamSession::parseBuffered() {
  std::string buffered;
  buffered.swap(input_);
  parse(buffered.data(), buffered.size());
}

http::ParserAction DownstreamSession::onRequestHead(http::RequestHead& head) {
  head_in_progress_ = false;  // the header timer stays pending; onTimer() ignores it now
  waiting_for_exchange_ = false;
  exchange_done_ = false;
  std::shared_ptr<const Snapshot> generation = generationForRequest();
  endExchange();  // normally gone already: the parser pauses until it is finished
  // The parser gets the last request's head back, to fill its strings without allocating.
  slot_->buffers.request.swap(head);
  exchange_ = &slot_->exchange.emplace(context_, *this, slot_->buffers, std::move(generation),
                                       listener_, client_ip_, context_.clock.now());
  if (close_requested_ || context_.draining) exchange_->closeAfterResponse();
  exchange_->start();
  return http::ParserAction::kContinue;
}

std::shared_ptr<const Snapshot> DownstreamSession::generationForRequest() {
  const std::shared_ptr<const Snapshot>& newest = context_.snapshot;
  if (newest != listener_generation_) {
    // A reload that removed or renamed this connection's listener leaves it on the
    // generation it had, until it closes.
    size_t index = 0;
    if (const config::ListenerConfig* cfg = newest->findListener(listener_.config->name, &index)) {
      listener_.config = cfg;
      listener_.index = index;
      listener_generation_ = newest;
    }
  }
  return listener_generation_;
}

http::ParserAction DownstreamSession::onRequestBody(std::string_view chunk) {
  if (!exchange_) return http::ParserAction::kContinue;
  return exchange_->onRequestBody(chunk);
}

http::ParserAction DownstreamSession::onRequestComplete() {
  if (exchange_) exchange_->onRequestComplete();
  waiting_for_exchange_ = true;
  return http::ParserAction::kPause;  // the next pipelined request waits for this response
}

void DownstreamSession::onExchangeDone(bool keep_alive) {
  exchange_done_ = true;
  keep_alive_ = keep_alive;
  // Continue on the next turn: we are inside the exchange's own call stack.
  finish_exchange_.schedule();
}

void DownstreamSession::finishExchange() {
  endExchange();
  if (!keep_alive_ || close_requested_) {
    close(true);
    return;
  }
  nextRequest();
}

void DownstreamSession::onExchangeAborted() {
  context_.loop.defer([this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired() || closed_) return;
    endExchange();
    close(false);
  });
}

void DownstreamSession::resumeRequestBody() {
  context_.loop.defer([this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired() || closed_ || !parser_paused_ || waiting_for_exchange_) return;
    parser_.resume();
    parser_paused_ = false;
    if (!input_.empty()) parseBuffered();
    updateReading();
  });
}

void DownstreamSession::nextRequest() {
  waiting_for_exchange_ = false;
  if (parser_paused_) {
    parser_.resume();
    parser_paused_ = false;
  }
  if (!input_.empty()) {
    head_in_progress_ = true;
    armTimer(listener_.config->limits.header_timeout);
    parseBuffered();
  } else {
    armTimer(listener_.config->limits.idle_timeout);
  }
  updateReading();
  returnSlotIfIdle();
}

void DownstreamSession::updateReading() {
  if (closed_ || body_refused_) return;
  const bool want =
      !parser_paused_ || (waiting_for_exchange_ && input_.size() < kMaxReadAheadBytes);
  if (want) {
    stream_->startReading();
  } else {
    stream_->stopReading();
  }
}

void DownstreamSession::onStreamEnd(int error) {
  if (closed_) return;
  // The app closed its side. Clients almost never half-close; one that closes while its
  // request is in flight has given up (its own timeout), so the upstream call, its
  // connection and its bulkhead slot are released now rather than when the upstream
  // answers (Envoy does the same).
  if (exchange_ && !exchange_done_) exchange_->onClientGone();
  close(error == 0);
}

void DownstreamSession::onStreamDrained() {
  if (exchange_ && !exchange_done_) exchange_->onClientDrained();
}

void DownstreamSession::replyToBadRequest(const http::ParseResult& result) {
  if (exchange_ && !exchange_done_) {
    // The head was fine but the body turned out malformed: the exchange answers 400 if its
    // response has not started (and drops the connection otherwise). Nothing more is read.
    body_refused_ = true;
    stream_->stopReading();
    exchange_->rejectRequestBody(http::LocalReason::kBadRequest,
                                 "malformed request body: " + result.detail);
    return;
  }
  const auto reason = result.error == http::ParseError::kHeadTooLarge
                          ? http::LocalReason::kHeadersTooLarge
                          : http::LocalReason::kBadRequest;
  http::LocalReply reply = http::makeLocalReply(reason, "", "");
  reply.head.keep_alive = false;
  std::string out;
  http::appendResponseHead(reply.head, out);
  out += reply.body;
  stream_->write(std::move(out));
  auto& m = context_.metrics.noUpstream();
  m.countLocalReply(reason);
  m.countRequest(reply.head.status, Duration::zero());
  close(true);
}

void DownstreamSession::close(bool graceful) {
  if (closed_) return;
  closed_ = true;
  timer_.stop();
  if (exchange_) {
    exchange_->onClientGone();
    endExchange();
  }
  if (slot_) {
    // The parser is fed nothing more (onStreamData ignores a closed session): the slot,
    // its lent head included, can go back whatever state the parser is in.
    parser_.lendHead(nullptr);
    context_.exchange_slots.release(std::move(slot_));
  }
  if (counted_) listener_.connections->Decrement();
  counted_ = false;
  if (stream_) {
    if (graceful) {
      io::TcpStream::closeGracefully(std::move(stream_));
    } else {
      stream_.reset();
    }
  }
  if (on_closed_) {
    auto notify = std::move(on_closed_);
    notify(*this);
  }
}

}  // namespace outrigger::exchange
