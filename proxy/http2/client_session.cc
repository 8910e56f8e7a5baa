#include "proxy/http2/client_session.h"

#include "proxy/http2/header_translation.h"
#include "proxy/http2/session_core.h"

namespace outrigger::http2 {
namespace {

CoreSettings coreSettings(const ClientOptions& options) {
  CoreSettings s;
  s.server = false;
  s.max_concurrent_streams = 0;  // the upstream may not open streams (no push)
  s.initial_window = options.initial_window;
  s.connection_window = options.connection_window;
  s.max_header_list_bytes = options.max_header_list_bytes;
  s.stream_send_buffer = options.stream_send_buffer;
  s.max_outbound_acks = options.max_outbound_acks;
  return s;
}

}  // namespace

class ClientSession::Impl final : public SessionCore {
 public:
  Impl(Handler& handler, const ClientOptions& options)
      : SessionCore(coreSettings(options)), handler_(handler) {}

  StreamId submitRequest(const http::RequestHead& head, std::string_view scheme, bool has_body) {
    if (!canOpenStream()) return -1;
    FieldBlock& fields = scratchBlock();
    requestToFields(head, scheme, fields);
    return submitRequestFields(fields, !has_body);
  }

  bool canOpenStream() const {
    return !goaway_received_ && !finished() && openStreams() < peerMaxConcurrentStreams();
  }

  bool submitPing() {
    if (!submitPingFrame(++ping_counter_)) return false;
    ++pings_outstanding_;
    return true;
  }

  using SessionCore::peerMaxConcurrentStreams;
  bool goAwayReceived() const { return goaway_received_; }
  size_t pingsOutstanding() const { return pings_outstanding_; }

 private:
  void onHeaderBlock(StreamId id, Stream& s, bool end_stream) override {
    if (s.head_received) {
      http::Headers trailers;
      if (s.fields_too_large || !trailersFromFields(s.fields, trailers).empty()) {
        resetStream(id, ErrorCode::kProtocolError);
        return;
      }
      handler_.onResponseTrailers(id, trailers);
      return;
    }
    http::ResponseHead head;
    if (s.fields_too_large || !responseFromFields(s.fields, end_stream, head).empty()) {
      resetStream(id, ErrorCode::kProtocolError);
      return;
    }
    if (head.status < 200) {
      handler_.onInformational(id, head);
      return;
    }
    s.head_received = true;
    s.fields.release();
    handler_.onResponseHead(id, head);
  }

  void onData(StreamId id, Stream&, std::string_view chunk) override {
    handler_.onResponseData(id, chunk);
  }

  void onRemoteEnd(StreamId id, Stream& s) override {
    if (s.head_received) handler_.onResponseEnd(id);
  }

  void onClosed(StreamId id, Stream& s, ErrorCode code) override {
    // The upstream may cut our request body short with NO_ERROR once it has answered in full.
    if (s.head_received && s.remote_ended && !s.reset_locally) {
      handler_.onStreamClosed(id);
      return;
    }
    StreamFailure failure;
    failure.code = code == ErrorCode::kNoError ? ErrorCode::kCancel : code;
    // RFC 9113 §8.7: REFUSED_STREAM means nothing was processed (nghttp2 also closes the
    // streams above a GOAWAY's last-stream-id with it).
    failure.refused = code == ErrorCode::kRefusedStream && !s.head_received;
    handler_.onStreamReset(id, failure);
  }

  void onNotSent(StreamId id, Stream&) override {
    handler_.onStreamReset(id, StreamFailure{ErrorCode::kRefusedStream, true});
  }

  void onWritable(StreamId id) override { handler_.onStreamWritable(id); }

  void onGoAway(StreamId last_stream_id, ErrorCode code) override {
    goaway_received_ = true;
    handler_.onGoAway(last_stream_id, code);
  }

  void onPingAck(uint64_t) override {
    if (pings_outstanding_ > 0) --pings_outstanding_;
    handler_.onPingAck();
  }

  Handler& handler_;
  bool goaway_received_ = false;
  uint64_t ping_counter_ = 0;
  size_t pings_outstanding_ = 0;
};

ClientSession::ClientSession(Handler& handler, const ClientOptions& options)
    : impl_(std::make_unique<Impl>(handler, options)) {}

ClientSession::~ClientSession() = default;

bool ClientSession::feed(std::string_view bytes) { return impl_->feed(bytes); }
size_t ClientSession::takeOutput(std::string& out) { return impl_->takeOutput(out); }
bool ClientSession::wantsWrite() const { return impl_->wantsWrite(); }
bool ClientSession::finished() const { return impl_->finished(); }
std::string_view ClientSession::closeReason() const { return impl_->closeReason(); }

StreamId ClientSession::submitRequest(const http::RequestHead& head, std::string_view scheme,
                                      bool has_body) {
  return impl_->submitRequest(head, scheme, has_body);
}
bool ClientSession::submitData(StreamId id, std::string_view chunk) {
  return impl_->submitData(id, chunk);
}
bool ClientSession::endStream(StreamId id) { return impl_->endStream(id); }
bool ClientSession::submitTrailers(StreamId id, const http::Headers& trailers) {
  return impl_->submitTrailers(id, trailers);
}
bool ClientSession::resetStream(StreamId id, ErrorCode code) {
  return impl_->resetStream(id, code);
}
void ClientSession::consume(StreamId id, size_t bytes) { impl_->consume(id, bytes); }
bool ClientSession::writeBlocked(StreamId id) const { return impl_->writeBlocked(id); }
uint32_t ClientSession::peerMaxConcurrentStreams() const {
  return impl_->peerMaxConcurrentStreams();
}
size_t ClientSession::openStreams() const { return impl_->openStreams(); }
bool ClientSession::canOpenStream() const { return impl_->canOpenStream(); }
bool ClientSession::goAwayReceived() const { return impl_->goAwayReceived(); }
bool ClientSession::submitPing() { return impl_->submitPing(); }
size_t ClientSession::pingsOutstanding() const { return impl_->pingsOutstanding(); }
void ClientSession::connectionLost() { impl_->closeAllStreams(ErrorCode::kCancel); }

}  // namespace outrigger::http2
