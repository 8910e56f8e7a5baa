#include "proxy/http2/session_callbacks.h"

#include <cstring>
#include <memory>
#include <utility>

#include "proxy/http2/nghttp2_fields.h"

namespace outrigger::http2 {

SessionCore& SessionCore::Callbacks::core(void* user_data) {
  return *static_cast<SessionCore*>(user_data);
}

namespace {
constexpr size_t kUsualFields = 8;
constexpr size_t kUsualFieldBytes = 256;
}  // namespace

int SessionCore::Callbacks::beginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* ud) {
  SessionCore& c = core(ud);
  const StreamId id = frame->hd.stream_id;
  Stream* s = c.find(id);
  if (s == nullptr && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    s = &c.addStream(id);
    c.onNewStream(id);
  }
  if (s != nullptr) {
    s->fields.clear();
    // Room for a usual head at once, rather than growing field by field (the fields become
    // the request's, so each head starts from nothing).
    s->fields.reserve(kUsualFields, kUsualFieldBytes);
    s->field_bytes = 0;
    s->fields_too_large = false;
  }
  return 0;
}

int SessionCore::Callbacks::header(nghttp2_session*, const nghttp2_frame* frame,
                                   const uint8_t* name, size_t namelen, const uint8_t* value,
                                   size_t valuelen, uint8_t, void* ud) {
  Stream* s = core(ud).find(frame->hd.stream_id);
  if (s == nullptr) return 0;
  // Counted as RFC 9113 §6.5.2 does; past the limit the block is kept from growing.
  s->field_bytes += namelen + valuelen + 32;
  if (s->field_bytes > core(ud).settings_.max_header_list_bytes) {
    s->fields_too_large = true;
    return 0;
  }
  s->fields.add(std::string_view(reinterpret_cast<const char*>(name), namelen),
                std::string_view(reinterpret_cast<const char*>(value), valuelen));
  return 0;
}

int SessionCore::Callbacks::frameRecv(nghttp2_session*, const nghttp2_frame* frame, void* ud) {
  SessionCore& c = core(ud);
  const StreamId id = frame->hd.stream_id;
  const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS:
    case NGHTTP2_DATA:
      // An empty DATA frame that does not end the stream carries nothing: a flood of them
      // (CVE-2019-9518) costs like one of control frames.
      if (frame->hd.type == NGHTTP2_DATA && frame->hd.length == 0 && !end_stream) {
        c.onControlFrame();
      }
      if (Stream* s = c.find(id)) {
        if (frame->hd.type == NGHTTP2_HEADERS) c.onHeaderBlock(id, *s, end_stream);
        // The hook may have reset and so forgotten the stream.
        if (end_stream && (s = c.find(id)) != nullptr) {
          s->remote_ended = true;
          c.onRemoteEnd(id, *s);
        }
      }
      break;
    case NGHTTP2_PING:
      if ((frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) {
        c.onControlFrame();
      } else {
        uint64_t opaque = 0;
        std::memcpy(&opaque, frame->ping.opaque_data, sizeof opaque);
        c.onPingAck(opaque);
      }
      break;
    case NGHTTP2_SETTINGS:
      if ((frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) c.onControlFrame();
      break;
    case NGHTTP2_PRIORITY:
      c.onControlFrame();
      break;
    case NGHTTP2_GOAWAY:
      c.onGoAway(frame->goaway.last_stream_id, static_cast<ErrorCode>(frame->goaway.error_code));
      break;
    default:
      break;
  }
  return 0;
}

int SessionCore::Callbacks::dataChunk(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data,
                                      size_t len, void* ud) {
  SessionCore& c = core(ud);
  Stream* s = c.find(id);
  if (s == nullptr) {
    // Not delivered, so nobody will consume it: give the window back at once.
    nghttp2_session_consume(c.session_, id, len);
    return 0;
  }
  s->unconsumed += len;
  c.onData(id, *s, std::string_view(reinterpret_cast<const char*>(data), len));
  return 0;
}

int SessionCore::Callbacks::streamClose(nghttp2_session*, int32_t id, uint32_t error_code,
                                        void* ud) {
  SessionCore& c = core(ud);
  auto it = c.streams_.find(id);
  if (it == c.streams_.end()) return 0;
  std::unique_ptr<Stream> s = c.detach(it);
  // Bytes the caller will never consume would shrink the connection window for good.
  if (s->unconsumed > 0) nghttp2_session_consume_connection(c.session_, s->unconsumed);
  c.onClosed(id, *s, static_cast<ErrorCode>(error_code));
  c.recycle(std::move(s));
  return 0;
}

int SessionCore::Callbacks::frameNotSent(nghttp2_session*, const nghttp2_frame* frame, int,
                                         void* ud) {
  SessionCore& c = core(ud);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto it = c.streams_.find(frame->hd.stream_id);
  if (it == c.streams_.end()) return 0;
  std::unique_ptr<Stream> s = c.detach(it);
  c.onNotSent(frame->hd.stream_id, *s);
  c.recycle(std::move(s));
  return 0;
}

int SessionCore::Callbacks::error(nghttp2_session*, int, const char* msg, size_t len, void* ud) {
  core(ud).close_reason_.assign(msg, len);
  return 0;
}

ssize_t SessionCore::Callbacks::readBody(nghttp2_session*, int32_t id, uint8_t* buf, size_t length,
                                         uint32_t* flags, nghttp2_data_source*, void* ud) {
  SessionCore& c = core(ud);
  Stream* s = c.find(id);
  if (s == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  SendQueue& q = s->send;
  const size_t n = q.take(reinterpret_cast<char*>(buf), length);
  if (q.blocked_reported && !q.blocked()) {
    q.blocked_reported = false;
    c.writable_.push_back(id);
  }
  if (q.pending() > 0 || !q.ended()) {
    if (n > 0) return static_cast<ssize_t>(n);
    q.deferred = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  *flags |= NGHTTP2_DATA_FLAG_EOF;
  if (q.hasTrailers()) {
    *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
    const NvList nv(q.trailers());
    if (nghttp2_submit_trailer(c.session_, id, nv.data(), nv.size()) != 0) {
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
  }
  return static_cast<ssize_t>(n);
}

int SessionCore::Callbacks::frameSent(nghttp2_session* session, const nghttp2_frame* frame,
                                      void* ud) {
  SessionCore& c = core(ud);
  const bool ends = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0 &&
                    (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA);
  if (!ends || !c.settings_.server) return 0;
  // The response is complete while the request is not (a reply before its body was read):
  // RFC 9113 §8.1 asks for RST_STREAM(NO_ERROR), so the client stops sending and does not
  // wait for a window that will never open.
  const Stream* s = c.find(frame->hd.stream_id);
  if (s != nullptr && !s->remote_ended)
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_NO_ERROR);
  return 0;
}

nghttp2_session_callbacks* SessionCore::Callbacks::make() {
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, beginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(cbs, header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, frameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, dataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, streamClose);
  nghttp2_session_callbacks_set_on_frame_send_callback(cbs, frameSent);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs, frameNotSent);
  nghttp2_session_callbacks_set_error_callback2(cbs, error);
  return cbs;
}

}  // namespace outrigger::http2
