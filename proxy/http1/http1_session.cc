#include "proxy/http1/http1_session.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include "proxy/exchange/responder.h"
#include "proxy/http/header_rules.h"
#include "proxy/http/local_reply.h"
#include "proxy/http1/request_head_rules.h"
#include "proxy/metrics/metrics.h"

namespace outrigger::http1 {
namespace {

// Bytes of pipelined requests we read ahead while a response is pending. Reading on lets
// us notice the app closing; the bound keeps a flood of requests from growing memory.
constexpr size_t kMaxReadAheadBytes = 64 * 1024;
// Room a head is read into in place (readSpace()): most heads fit, a longer one takes more
// reads, and a body that comes with the head is parsed from there too.
constexpr size_t kInPlaceReadBytes = 2048;

}  // namespace

Http1Session::Http1Session(exchange::WorkerContext& context, exchange::ListenerInfo listener,
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
      abort_exchange_(context.loop, [this] { abortExchange(); }),
      resume_body_(context.loop, [this] { resumeBody(); }) {
  listener_generation_ = context.snapshot;
  stream_->setHandler(this);
  client_ip_ = stream_->peerAddress().ip();
}

Http1Session::~Http1Session() {
  on_closed_ = nullptr;
  close(false);
}

void Http1Session::armTimer(Duration after) {
  timer_deadline_ = context_.clock.now() + after;
  timer_.fireWithin(after);
}

void Http1Session::onTimer() {
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

void Http1Session::start() {
  listener_.connections->Increment();
  counted_ = true;
  armTimer(listener_.config->limits.header_timeout);
  stream_->startReading();
}

void Http1Session::takeFirstBytes(std::string_view bytes) {
  if (!bytes.empty()) onStreamData(bytes.data(), bytes.size());
}

void Http1Session::closeWhenIdle() {
  close_requested_ = true;  // a response under way tells the app (responseKeepsAlive)
  if (!exchange_ && !head_in_progress_ && !connect_) close(true);
}

std::pair<char*, size_t> Http1Session::readSpace() {
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

void Http1Session::onStreamData(const char* data, size_t len) {
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

void Http1Session::borrowSlot() {
  if (slot_) return;
  slot_ = context_.exchange_slots.acquire();
  parser_.lendHead(&slot_->buffers.parse_head);
}

void Http1Session::returnSlotIfIdle() {
  if (!slot_ || exchange_ || !input_.empty() || !parser_.idle()) return;
  parser_.lendHead(nullptr);
  context_.exchange_slots.release(std::move(slot_));
}

void Http1Session::endExchange() {
  if (exchange_ == nullptr) return;
  exchange_ = nullptr;
  slot_->exchange.reset();
}

void Http1Session::parse(const char* data, size_t len) {
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

void Http1Session::parseBuffered() {
  std::string buffered;
  buffered.swap(input_);
  parse(buffered.data(), buffered.size());
}

http::ParserAction Http1Session::onRequestHead(http::RequestHead& head) {
  head_in_progress_ = false;  // the header timer stays pending; onTimer() ignores it now
  waiting_for_exchange_ = false;
  exchange_done_ = false;
  std::shared_ptr<const exchange::Snapshot> generation = generationForRequest();
  endExchange();  // normally gone already: the parser pauses until it is finished
  const HeadRuling ruling =
      applyRequestHeadRules(head, listener_.config->limits.headers_with_underscores);
  if (ruling.dropped > 0 && listener_.underscore_headers_dropped != nullptr)
    listener_.underscore_headers_dropped->Increment(static_cast<double>(ruling.dropped));
  if (!ruling.refusal.empty()) {
    // Answered without an exchange; the parser stops here and the connection closes. The
    // head was read, so the reply names a request id like any other (the app's, or new).
    std::string request_id;
    http::assignRequestId(head, context_.random, request_id);
    replyWithoutExchange(http::LocalReason::kBadRequest, request_id);
    return http::ParserAction::kPause;
  }
  if (head.method == "CONNECT" && startConnect(head, generation)) return http::ParserAction::kPause;
  // The parser gets the last request's head back, to fill its strings without allocating.
  slot_->buffers.request.swap(head);
  response_no_body_ = chunk_to_client_ = false;
  head_request_ = slot_->buffers.request.method == "HEAD";
  exchange_ = &slot_->exchange.emplace(context_, *this, slot_->buffers, std::move(generation),
                                       listener_, client_ip_, context_.clock.now());
  exchange_->start();
  return http::ParserAction::kContinue;
}

std::shared_ptr<const exchange::Snapshot> Http1Session::generationForRequest() {
  return exchange::followGeneration(context_.snapshot, listener_, listener_generation_);
}

http::ParserAction Http1Session::onRequestBody(std::string_view chunk) {
  if (!exchange_ || exchange_->onRequestBody(chunk)) return http::ParserAction::kContinue;
  return http::ParserAction::kPause;
}

void Http1Session::onRequestTrailers(http::Headers& trailers) {
  if (exchange_) exchange_->onRequestTrailers(trailers);
}

http::ParserAction Http1Session::onRequestComplete() {
  if (exchange_) exchange_->onRequestComplete();
  waiting_for_exchange_ = true;
  return http::ParserAction::kPause;  // the next pipelined request waits for this response
}

void Http1Session::finishExchange() {
  endExchange();
  if (!keep_alive_ || close_requested_) {
    close(true);
    return;
  }
  nextRequest();
}

void Http1Session::abortExchange() {
  if (closed_) return;
  endExchange();
  close(false);
}

void Http1Session::resumeBody() {
  if (closed_ || !parser_paused_ || waiting_for_exchange_) return;
  parser_.resume();
  parser_paused_ = false;
  if (!input_.empty()) parseBuffered();
  updateReading();
}

void Http1Session::nextRequest() {
  kept_alive_ = true;
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

void Http1Session::updateReading() {
  if (closed_ || body_refused_ || connect_) return;  // a CONNECT's bytes are the tunnel's
  const bool want =
      !parser_paused_ || (waiting_for_exchange_ && input_.size() < kMaxReadAheadBytes);
  if (want) {
    stream_->startReading();
  } else {
    stream_->stopReading();
  }
}

void Http1Session::onStreamEnd(int error) {
  if (closed_) return;
  // The app closed its side. Clients almost never half-close; one that closes while its
  // request is in flight has given up (its own timeout), so the upstream call, its
  // connection and its bulkhead slot are released now rather than when the upstream
  // answers (Envoy does the same).
  if (exchange_ && !exchange_done_) exchange_->onDownstreamGone();
  close(error == 0);
}

void Http1Session::onStreamDrained() {
  if (exchange_ && !exchange_done_) exchange_->onDownstreamDrained();
}

void Http1Session::replyToBadRequest(const http::ParseResult& result) {
  if (exchange_ && !exchange_done_) {
    // The head was fine but the body turned out malformed: the exchange answers 400 if its
    // response has not started (and drops the connection otherwise). Nothing more is read.
    body_refused_ = true;
    stream_->stopReading();
    exchange_->rejectRequestBody(http::LocalReason::kBadRequest,
                                 "malformed request body: " + result.detail);
    return;
  }
  replyWithoutExchange(
      result.error == http::ParseError::kHeadTooLarge     ? http::LocalReason::kHeadersTooLarge
      : result.error == http::ParseError::kNotImplemented ? http::LocalReason::kNotImplemented
                                                          : http::LocalReason::kBadRequest);
}

void Http1Session::replyWithoutExchange(http::LocalReason reason, std::string_view request_id) {
  // The connection closes after the reply (responseKeepsAlive): nothing more is read.
  body_refused_ = true;
  stream_->stopReading();
  response_no_body_ = chunk_to_client_ = false;
  const exchange::SentReply sent = exchange::sendLocalReply(*this, reason, {"", request_id, 0});
  auto& m = context_.metrics.noUpstream();
  m.countLocalReply(reason);
  m.countRequest(sent.status, Duration::zero());
}

void Http1Session::close(bool graceful) {
  if (closed_) return;
  closed_ = true;
  timer_.stop();
  if (tunnel_) tunnel_->stop();  // an open tunnel is cut (drain): counted as drained
  if (connect_) connect_->stop();
  if (exchange_) {
    exchange_->onDownstreamGone();
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
  io::TcpStream::close(std::move(stream_), graceful);
  if (on_closed_) {
    auto notify = std::move(on_closed_);
    notify(*this);
  }
}

}  // namespace outrigger::http1
