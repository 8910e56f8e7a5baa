#include "proxy/http2/session_core.h"

#include <cstring>
#include <utility>

#include "proxy/http2/header_translation.h"
#include "proxy/http2/nghttp2_fields.h"
#include "proxy/http2/session_callbacks.h"

namespace outrigger::http2 {

namespace {

nghttp2_option* makeOptions(const CoreSettings& s) {
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  // Windows open only as the caller consumes: that is the back-pressure.
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_option_set_max_outbound_ack(opt, s.max_outbound_acks);
  nghttp2_option_set_max_settings(opt, s.max_settings_per_frame);
  nghttp2_option_set_max_continuations(opt, s.max_continuations);
  nghttp2_option_set_no_closed_streams(opt, 1);
  nghttp2_option_set_max_deflate_dynamic_table_size(opt, s.deflate_table_bytes);
  return opt;
}

}  // namespace

SessionCore::SessionCore(const CoreSettings& settings) : settings_(settings) {
  nghttp2_session_callbacks* cbs = Callbacks::make();
  nghttp2_option* opt = makeOptions(settings);
  const int rv = settings.server ? nghttp2_session_server_new2(&session_, cbs, this, opt)
                                 : nghttp2_session_client_new2(&session_, cbs, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) {
    session_ = nullptr;
    fail("out of memory");
    return;
  }
  std::vector<nghttp2_settings_entry> entries = {
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, settings.initial_window},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, settings.max_header_list_bytes},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
  };
  if (settings.max_concurrent_streams > 0) {
    entries.push_back({NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, settings.max_concurrent_streams});
  }
  // A server may not send ENABLE_PUSH (RFC 9113 §6.5.2).
  if (settings.server) entries.erase(entries.begin() + 2);
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, entries.data(), entries.size());
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                        static_cast<int32_t>(settings.connection_window));
}

SessionCore::~SessionCore() { nghttp2_session_del(session_); }

bool SessionCore::feed(std::string_view bytes) {
  if (failed_) return false;
  const ssize_t rv = nghttp2_session_mem_recv(
      session_, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (rv < 0) {
    // Fatal (bad preface, flood, out of memory): nothing useful can be sent any more.
    fail(close_reason_.empty() ? std::string_view(nghttp2_strerror(static_cast<int>(rv)))
                               : std::string_view(close_reason_));
    closeAllStreams(ErrorCode::kCancel);
    return false;
  }
  return true;
}

size_t SessionCore::takeOutput(std::string& out) {
  size_t total = 0;
  while (!failed_) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      fail(nghttp2_strerror(static_cast<int>(n)));
      break;
    }
    if (n == 0) break;
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    total += static_cast<size_t>(n);
  }
  notifyWritable();
  // Once nothing more can happen on the connection, no stream may be left waiting.
  if (finished()) closeAllStreams(ErrorCode::kCancel);
  return total;
}

bool SessionCore::wantsWrite() const { return !failed_ && nghttp2_session_want_write(session_); }

bool SessionCore::finished() const {
  return failed_ || (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_));
}

void SessionCore::fail(std::string_view reason) {
  if (!failed_ && close_reason_.empty()) close_reason_.assign(reason);
  failed_ = true;
}

SessionCore::Stream* SessionCore::find(StreamId id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

namespace {
constexpr size_t kSpareStreams = 16;
}  // namespace

void SessionCore::Stream::reset() {
  fields.clear();
  field_bytes = 0;
  fields_too_large = false;
  head_received = false;
  remote_ended = false;
  reported = false;
  end_submitted = false;
  reset_locally = false;
  rejected = false;
  unconsumed = 0;
  send.reset();
}

SessionCore::Stream& SessionCore::addStream(StreamId id) {
  auto& slot = streams_[id];
  if (spare_streams_.empty()) {
    slot = std::make_unique<Stream>(settings_.stream_send_buffer);
  } else {
    slot = std::move(spare_streams_.back());
    spare_streams_.pop_back();
  }
  return *slot;
}

std::unique_ptr<SessionCore::Stream> SessionCore::detach(
    std::unordered_map<StreamId, std::unique_ptr<Stream>>::iterator it) {
  std::unique_ptr<Stream> s = std::move(it->second);
  streams_.erase(it);
  return s;
}

void SessionCore::recycle(std::unique_ptr<Stream> s) {
  if (spare_streams_.size() >= kSpareStreams) return;
  s->reset();
  spare_streams_.push_back(std::move(s));
}

StreamId SessionCore::submitRequestFields(const FieldBlock& fields, bool end_stream) {
  if (failed_) return -1;
  const NvList nv(fields);
  nghttp2_data_provider body{};
  body.read_callback = Callbacks::readBody;
  const int32_t id = nghttp2_submit_request(session_, nullptr, nv.data(), nv.size(),
                                            end_stream ? nullptr : &body, nullptr);
  if (id < 0) return -1;
  Stream& s = addStream(id);
  s.reported = true;
  s.end_submitted = end_stream;
  return id;
}

bool SessionCore::submitResponseFields(StreamId id, const FieldBlock& fields, bool end_stream) {
  Stream* s = find(id);
  if (s == nullptr || failed_) return false;
  const NvList nv(fields);
  nghttp2_data_provider body{};
  body.read_callback = Callbacks::readBody;
  if (nghttp2_submit_response(session_, id, nv.data(), nv.size(), end_stream ? nullptr : &body) !=
      0) {
    return false;
  }
  s->end_submitted = end_stream;
  return true;
}

bool SessionCore::submitInterimFields(StreamId id, const FieldBlock& fields) {
  if (find(id) == nullptr || failed_) return false;
  const NvList nv(fields);
  return nghttp2_submit_headers(session_, NGHTTP2_FLAG_NONE, id, nullptr, nv.data(), nv.size(),
                                nullptr) >= 0;
}

bool SessionCore::submitData(StreamId id, std::string_view chunk) {
  Stream* s = find(id);
  if (s == nullptr || !s->send.append(chunk)) return false;
  if (s->send.blocked()) s->send.blocked_reported = true;
  resumeIfDeferred(id, *s);
  return true;
}

bool SessionCore::endStream(StreamId id) {
  Stream* s = find(id);
  if (s == nullptr || !s->send.end()) return false;
  s->end_submitted = true;
  resumeIfDeferred(id, *s);
  return true;
}

bool SessionCore::submitTrailers(StreamId id, const http::Headers& trailers) {
  Stream* s = find(id);
  if (s == nullptr) return false;
  http::Headers fields;
  trailersToFields(trailers, fields);
  if (!s->send.endWithTrailers(std::move(fields))) return false;
  s->end_submitted = true;
  resumeIfDeferred(id, *s);
  return true;
}

void SessionCore::resumeIfDeferred(StreamId id, Stream& s) {
  if (!s.send.deferred) return;
  s.send.deferred = false;
  nghttp2_session_resume_data(session_, id);
}

bool SessionCore::resetStream(StreamId id, ErrorCode code) {
  Stream* s = find(id);
  if (s == nullptr) return false;
  s->reset_locally = true;
  return nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, static_cast<uint32_t>(code)) ==
         0;
}

void SessionCore::consume(StreamId id, size_t bytes) {
  Stream* s = find(id);
  if (s == nullptr || bytes == 0) return;
  if (bytes > s->unconsumed) bytes = static_cast<size_t>(s->unconsumed);
  s->unconsumed -= bytes;
  nghttp2_session_consume(session_, id, bytes);
}

bool SessionCore::writeBlocked(StreamId id) const {
  auto it = streams_.find(id);
  return it != streams_.end() && it->second->send.blocked();
}

void SessionCore::notifyWritable() {
  std::vector<StreamId> ids;
  ids.swap(writable_);
  for (StreamId id : ids) {
    if (find(id) != nullptr) onWritable(id);
  }
}

void SessionCore::closeAllStreams(ErrorCode code) {
  closing_all_ = true;
  while (!streams_.empty()) {
    auto it = streams_.begin();
    const StreamId id = it->first;
    std::unique_ptr<Stream> s = detach(it);
    onClosed(id, *s, code);
    recycle(std::move(s));
  }
  closing_all_ = false;
}

void SessionCore::terminate(ErrorCode code, std::string_view reason) {
  if (close_reason_.empty()) close_reason_.assign(reason);
  nghttp2_session_terminate_session(session_, static_cast<uint32_t>(code));
}

void SessionCore::submitGoAway(StreamId last_stream_id, ErrorCode code) {
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, last_stream_id, static_cast<uint32_t>(code),
                        nullptr, 0);
}

void SessionCore::submitShutdownNotice() { nghttp2_submit_shutdown_notice(session_); }

bool SessionCore::submitPingFrame(uint64_t opaque) {
  uint8_t data[8];
  std::memcpy(data, &opaque, sizeof data);
  return nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, data) == 0;
}

StreamId SessionCore::lastPeerStreamId() const {
  return nghttp2_session_get_last_proc_stream_id(session_);
}

uint32_t SessionCore::peerMaxConcurrentStreams() const {
  return nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

}  // namespace outrigger::http2
