#include "proxy/http2/http2_session.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>

#include <algorithm>
#include <limits>

#include "proxy/log/logger.h"
#include "proxy/metrics/metrics.h"

namespace outrigger::http2 {
namespace {

// Response bytes in the socket's queue past which the codec's output is left in its
// streams' send queues (whose writeBlocked() then holds the exchanges back).
constexpr size_t kSocketHighWater = 256 * 1024;

}  // namespace

ServerLimits serverLimitsFor(const config::ListenerConfig& listener) {
  ServerLimits limits;
  limits.max_concurrent_streams = listener.http2.max_concurrent_streams;
  limits.initial_window = static_cast<uint32_t>(
      std::min<uint64_t>(listener.http2.initial_window, std::numeric_limits<int32_t>::max()));
  limits.connection_window = std::max(limits.connection_window, limits.initial_window);
  limits.max_header_list_bytes = static_cast<uint32_t>(
      std::min<uint64_t>(listener.limits.max_request_head, std::numeric_limits<uint32_t>::max()));
  return limits;
}

Http2Session::Http2Session(exchange::WorkerContext& context, exchange::ListenerInfo listener,
                           std::unique_ptr<io::TcpStream> stream, std::string first_bytes,
                           ClosedFn on_closed)
    : context_(context),
      listener_(listener),
      listener_generation_(context.snapshot),
      stream_(std::move(stream)),
      first_bytes_(std::move(first_bytes)),
      on_closed_(std::move(on_closed)),
      codec_(*this, serverLimitsFor(*listener.config), context.clock),
      reap_(context.loop, [this] { retired_.clear(); }),
      flush_(context.loop, [this] { flush(); }),
      idle_timer_(context.loop, [this] { onIdleTimer(); }) {
  stream_->setHandler(&socket_events_);
  client_ip_ = stream_->peerAddress().ip();
}

Http2Session::~Http2Session() {
  on_closed_ = nullptr;
  close(false);
}

void Http2Session::start() {
  listener_.connections->Increment();
  counted_ = true;
  idle_timer_.start(listener_.config->limits.idle_timeout);
  stream_->startReading();
  std::string first;
  first.swap(first_bytes_);
  feed(first);
}

void Http2Session::closeWhenIdle() {
  if (closed_) return;
  going_away_ = true;
  codec_.goAway();  // the streams already taken finish; the codec finishes after them
  flush();
}

void Http2Session::feed(std::string_view bytes) {
  if (closed_) return;
  if (codec_.feed(bytes)) {
    flush();
    return;
  }
  log::logf(config::LogLevel::kDebug, "listener %s: HTTP/2 connection closed: %.*s",
            listener_.config->name.c_str(), static_cast<int>(codec_.closeReason().size()),
            codec_.closeReason().data());
  // Its last words (a GOAWAY) still go out, however backed up the socket is.
  std::string out = stream_->takeWriteBuffer();
  codec_.takeOutput(out);
  if (!out.empty()) stream_->write(std::move(out));
  close(true);
}

void Http2Session::outputPending() {
  if (!closed_) flush_.schedule();
}

void Http2Session::flush() {
  if (closed_) return;
  if (stream_->queuedBytes() < kSocketHighWater || codec_.finished()) {
    std::string out = stream_->takeWriteBuffer();
    codec_.takeOutput(out);
    if (!out.empty()) stream_->write(std::move(out));
  }
  if (codec_.finished()) close(true);
}

void Http2Session::onSocketEnd(int error) {
  if (closed_) return;
  codec_.connectionLost();  // every open stream hears onStreamReset
  close(error == 0);
}

void Http2Session::onSocketDrained() {
  if (closed_) return;
  flush();
  for (auto& [id, stream] : streams_) stream->writable();
}

Http2Stream* Http2Session::find(StreamId id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

std::shared_ptr<const exchange::Snapshot> Http2Session::generationForRequest() {
  return exchange::followGeneration(context_.snapshot, listener_, listener_generation_);
}

void Http2Session::onStreamHead(StreamId id, http::RequestHead& head) {
  idle_timer_.stop();
  std::shared_ptr<const exchange::Snapshot> generation = generationForRequest();
  auto stream = std::make_unique<Http2Stream>(context_, *this, id);
  Http2Stream& ref = *stream;
  streams_[id] = std::move(stream);
  if (underscoresAllowed(head)) {
    ref.begin(head, std::move(generation), listener_, client_ip_);
  } else {
    ref.refuse(http::LocalReason::kBadRequest);
  }
  // Sidecar drain: the streams under way finish, the app reconnects for more.
  if (context_.draining && !going_away_) {
    going_away_ = true;
    codec_.goAway();
  }
}

bool Http2Session::underscoresAllowed(http::RequestHead& head) {
  // limits.headers_with_underscores, as for HTTP/1.1 (http1/request_head_rules.h).
  auto underscore = [](const http::HeaderView& h) {
    return h.name.find('_') != std::string_view::npos;
  };
  switch (listener_.config->limits.headers_with_underscores) {
    case config::UnderscoreHeaders::kAllow:
      return true;
    case config::UnderscoreHeaders::kDrop:
      if (const size_t dropped = head.headers.removeIf(underscore);
          dropped > 0 && listener_.underscore_headers_dropped != nullptr)
        listener_.underscore_headers_dropped->Increment(static_cast<double>(dropped));
      return true;
    case config::UnderscoreHeaders::kReject:
      for (const http::HeaderView& h : head.headers) {
        if (underscore(h)) return false;
      }
      return true;
  }
  return true;
}

void Http2Session::onStreamData(StreamId id, std::string_view chunk) {
  if (Http2Stream* stream = find(id)) {
    stream->requestData(chunk);
  } else {
    codec_.consume(id, chunk.size());
  }
}

void Http2Session::onStreamTrailers(StreamId id, http::Headers& trailers) {
  if (Http2Stream* stream = find(id)) stream->requestTrailers(trailers);
}

void Http2Session::onStreamEnd(StreamId id) {
  if (Http2Stream* stream = find(id)) stream->requestEnd();
}

void Http2Session::onStreamClosed(StreamId id) { retire(id); }

void Http2Session::onStreamReset(StreamId id, ErrorCode /*code*/) {
  if (Http2Stream* stream = find(id)) stream->gone();
  retire(id);
}

void Http2Session::onStreamWritable(StreamId id) {
  if (Http2Stream* stream = find(id)) stream->writable();
}

void Http2Session::onStreamRejected(StreamId /*id*/, http::LocalReason reason) {
  auto& m = context_.metrics.noUpstream();
  m.countLocalReply(reason);
}

void Http2Session::retire(StreamId id) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  retired_.push_back(std::move(it->second));
  streams_.erase(it);
  reap_.schedule();
  if (streams_.empty() && !closed_) idle_timer_.start(listener_.config->limits.idle_timeout);
}

void Http2Session::onIdleTimer() {
  if (closed_ || !streams_.empty()) return;
  closeWhenIdle();
  if (!closed_) close(true);  // GOAWAY written (or queued): nothing is left to wait for
}

void Http2Session::close(bool graceful) {
  if (closed_) return;
  closed_ = true;
  idle_timer_.stop();
  // The streams still open hear the app is gone; their exchanges end with them.
  auto open = std::move(streams_);
  streams_.clear();
  for (auto& [id, stream] : open) stream->gone();
  open.clear();
  retired_.clear();
  if (counted_) listener_.connections->Decrement();
  counted_ = false;
  io::TcpStream::close(std::move(stream_), graceful);
  if (on_closed_) {
    auto notify = std::move(on_closed_);
    notify(*this);
  }
}

}  // namespace outrigger::http2
