#include "proxy/http2/server_session.h"

#include <algorithm>
#include <utility>

#include "proxy/http2/header_translation.h"
#include "proxy/http2/session_core.h"

namespace outrigger::http2 {
namespace {

CoreSettings coreSettings(const ServerLimits& limits) {
  CoreSettings s;
  s.server = true;
  s.max_concurrent_streams = limits.max_concurrent_streams;
  s.initial_window = limits.initial_window;
  s.connection_window = std::max(limits.connection_window, limits.initial_window);
  s.max_header_list_bytes = limits.max_header_list_bytes;
  s.stream_send_buffer = limits.stream_send_buffer;
  s.max_outbound_acks = limits.max_outbound_acks;
  s.deflate_table_bytes = 0;  // the app is on loopback or a Unix socket
  return s;
}

}  // namespace

class ServerSession::Impl final : public SessionCore {
 public:
  Impl(Handler& handler, const ServerLimits& limits, const Clock& clock)
      : SessionCore(coreSettings(limits)),
        handler_(handler),
        limits_(limits),
        clock_(clock),
        control_tokens_(limits.control_frame_burst),
        last_refill_(clock.now()) {}

  bool submitResponseHead(StreamId id, const http::ResponseHead& head, bool end_stream) {
    FieldBlock& fields = scratchBlock();
    responseToFields(head, fields);
    return submitResponseFields(id, fields, end_stream);
  }

  bool submitInformational(StreamId id, const http::ResponseHead& head) {
    if (head.status < 100 || head.status > 199 || head.status == 101) return false;
    FieldBlock& fields = scratchBlock();
    responseToFields(head, fields);
    return submitInterimFields(id, fields);
  }

  void goAway() { submitGoAway(lastPeerStreamId(), ErrorCode::kNoError); }
  using SessionCore::submitShutdownNotice;

 private:
  void onNewStream(StreamId) override { ++streams_opened_; }

  void onHeaderBlock(StreamId id, Stream& s, bool end_stream) override {
    if (s.head_received) {
      deliverTrailers(id, s);
      return;
    }
    if (s.fields_too_large) {
      reject(id, s, http::LocalReason::kHeadersTooLarge);
      return;
    }
    http::RequestHead head;
    if (!requestFromFields(std::move(s.fields), end_stream, head).empty()) {
      reject(id, s, http::LocalReason::kBadRequest);
      return;
    }
    s.head_received = true;
    s.reported = true;
    s.fields.release();
    handler_.onStreamHead(id, head);
  }

  void deliverTrailers(StreamId id, Stream& s) {
    http::Headers trailers;
    if (!s.reported) return;
    if (s.fields_too_large || !trailersFromFields(s.fields, trailers).empty()) {
      resetStream(id, ErrorCode::kProtocolError);
      return;
    }
    handler_.onStreamTrailers(id, trailers);
  }

  // Answers a request the handler will never see with the usual local reply. A flood of
  // them costs us as much as a flood of resets, so it counts as one.
  void reject(StreamId id, Stream& s, http::LocalReason reason) {
    s.rejected = true;
    const http::LocalReply reply = http::makeLocalReply(reason, "", "");
    submitResponseHead(id, reply.head, false);
    submitData(id, reply.body);
    endStream(id);
    handler_.onStreamRejected(id, reason);
    countPrematureReset();
  }

  void onData(StreamId id, Stream& s, std::string_view chunk) override {
    if (!s.reported) {
      consume(id, chunk.size());  // the body of a rejected request: dropped
      return;
    }
    handler_.onStreamData(id, chunk);
  }

  void onRemoteEnd(StreamId id, Stream& s) override {
    if (s.reported) handler_.onStreamEnd(id);
  }

  void onClosed(StreamId id, Stream& s, ErrorCode code) override {
    const bool complete = code == ErrorCode::kNoError && s.end_submitted;
    // Streams nghttp2 refused as malformed count too: that is the same attack. Streams cut
    // because the connection is closing are not the app's doing.
    if (!complete && !s.reset_locally && !s.rejected && !closingAll()) countPrematureReset();
    if (!s.reported) return;
    if (complete) {
      handler_.onStreamClosed(id);
    } else {
      handler_.onStreamReset(id, code == ErrorCode::kNoError ? ErrorCode::kCancel : code);
    }
  }

  void onWritable(StreamId id) override { handler_.onStreamWritable(id); }

  // CVE-2023-44487: opening streams and cancelling them at once costs the app nothing and
  // us a request each. A few cancellations are normal; most streams cancelled is an attack.
  void countPrematureReset() {
    ++premature_resets_;
    if (premature_resets_ > limits_.max_premature_resets &&
        premature_resets_ * 2 >= streams_opened_) {
      terminate(ErrorCode::kEnhanceYourCalm, "rapid reset");
    }
  }

  // A token bucket refilled from the clock: PING and SETTINGS floods cost the app little
  // and us an ack each.
  void onControlFrame() override {
    const MonoTime now = clock_.now();
    const double refill = toSeconds(now - last_refill_) * limits_.control_frames_per_second;
    last_refill_ = now;
    control_tokens_ = std::min<double>(limits_.control_frame_burst, control_tokens_ + refill);
    control_tokens_ -= 1;
    if (control_tokens_ < 0) terminate(ErrorCode::kEnhanceYourCalm, "control frame flood");
  }

  Handler& handler_;
  ServerLimits limits_;
  const Clock& clock_;
  uint64_t streams_opened_ = 0;
  uint64_t premature_resets_ = 0;
  double control_tokens_;
  MonoTime last_refill_;
};

ServerSession::ServerSession(Handler& handler, const ServerLimits& limits, const Clock& clock)
    : impl_(std::make_unique<Impl>(handler, limits, clock)) {}

ServerSession::~ServerSession() = default;

bool ServerSession::feed(std::string_view bytes) { return impl_->feed(bytes); }
size_t ServerSession::takeOutput(std::string& out) { return impl_->takeOutput(out); }
bool ServerSession::wantsWrite() const { return impl_->wantsWrite(); }
bool ServerSession::finished() const { return impl_->finished(); }
std::string_view ServerSession::closeReason() const { return impl_->closeReason(); }

bool ServerSession::submitResponseHead(StreamId id, const http::ResponseHead& head,
                                       bool end_stream) {
  return impl_->submitResponseHead(id, head, end_stream);
}
bool ServerSession::submitInformational(StreamId id, const http::ResponseHead& head) {
  return impl_->submitInformational(id, head);
}
bool ServerSession::submitData(StreamId id, std::string_view chunk) {
  return impl_->submitData(id, chunk);
}
bool ServerSession::endStream(StreamId id) { return impl_->endStream(id); }
bool ServerSession::submitTrailers(StreamId id, const http::Headers& trailers) {
  return impl_->submitTrailers(id, trailers);
}
bool ServerSession::resetStream(StreamId id, ErrorCode code) {
  return impl_->resetStream(id, code);
}
void ServerSession::consume(StreamId id, size_t bytes) { impl_->consume(id, bytes); }
bool ServerSession::writeBlocked(StreamId id) const { return impl_->writeBlocked(id); }
size_t ServerSession::openStreams() const { return impl_->openStreams(); }
void ServerSession::sendShutdownNotice() { impl_->submitShutdownNotice(); }
void ServerSession::goAway() { impl_->goAway(); }
void ServerSession::connectionLost() { impl_->closeAllStreams(ErrorCode::kCancel); }

}  // namespace outrigger::http2
