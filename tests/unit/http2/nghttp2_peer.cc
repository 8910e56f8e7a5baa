#include "tests/unit/http2/nghttp2_peer.h"

#include <algorithm>
#include <cstring>

namespace outrigger::http2::testing {
namespace {

std::vector<nghttp2_nv> toNv(const Fields& fields) {
  std::vector<nghttp2_nv> nv;
  for (const auto& [name, value] : fields) {
    nv.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                  reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                  value.size(), NGHTTP2_NV_FLAG_NONE});
  }
  return nv;
}

}  // namespace

struct Peer::Callbacks {
  static Peer& peer(void* ud) { return *static_cast<Peer*>(ud); }
  static int beginHeaders(nghttp2_session*, const nghttp2_frame* f, void* ud) {
    peer(ud).streams[f->hd.stream_id].blocks.emplace_back();
    return 0;
  }
  static int header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* n, size_t nl,
                    const uint8_t* v, size_t vl, uint8_t, void* ud) {
    peer(ud).streams[f->hd.stream_id].blocks.back().emplace_back(
        std::string(reinterpret_cast<const char*>(n), nl),
        std::string(reinterpret_cast<const char*>(v), vl));
    return 0;
  }
  static int frameRecv(nghttp2_session*, const nghttp2_frame* f, void* ud) {
    Peer& p = peer(ud);
    if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
        (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
      p.streams[f->hd.stream_id].ended = true;
    }
    if (f->hd.type == NGHTTP2_RST_STREAM) {
      p.streams[f->hd.stream_id].reset_received = true;
      p.streams[f->hd.stream_id].reset_code = f->rst_stream.error_code;
    }
    if (f->hd.type == NGHTTP2_GOAWAY) {
      p.goaway_received = true;
      p.goaway_last_stream_id = f->goaway.last_stream_id;
      p.goaway_code = f->goaway.error_code;
    }
    if (f->hd.type == NGHTTP2_PING && (f->hd.flags & NGHTTP2_FLAG_ACK)) ++p.ping_acks;
    return 0;
  }
  static int data(nghttp2_session*, uint8_t, int32_t id, const uint8_t* d, size_t len, void* ud) {
    peer(ud).streams[id].data.append(reinterpret_cast<const char*>(d), len);
    return 0;
  }
  static int close(nghttp2_session*, int32_t id, uint32_t code, void* ud) {
    PeerStream& s = peer(ud).streams[id];
    s.closed = true;
    s.close_code = code;
    return 0;
  }
  static ssize_t read(nghttp2_session* session, int32_t id, uint8_t* buf, size_t length,
                      uint32_t* flags, nghttp2_data_source*, void* ud) {
    PeerStream& s = peer(ud).streams[id];
    const size_t n = std::min(length, s.body.size() - s.body_offset);
    std::memcpy(buf, s.body.data() + s.body_offset, n);
    s.body_offset += n;
    if (s.body_offset < s.body.size()) return static_cast<ssize_t>(n);
    if (!s.body_ended) return n > 0 ? static_cast<ssize_t>(n) : ssize_t{NGHTTP2_ERR_DEFERRED};
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (!s.trailers.empty()) {
      *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      const auto nv = toNv(s.trailers);
      nghttp2_submit_trailer(session, id, nv.data(), nv.size());
    }
    return static_cast<ssize_t>(n);
  }
};

Peer::Peer(PeerOptions options) {
  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, Callbacks::beginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(cbs, Callbacks::header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, Callbacks::frameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, Callbacks::data);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, Callbacks::close);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  nghttp2_option_set_no_auto_window_update(opt, options.auto_window_update ? 0 : 1);
  if (options.server) {
    nghttp2_session_server_new2(&session, cbs, this, opt);
  } else {
    nghttp2_session_client_new2(&session, cbs, this, opt);
  }
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, options.settings.data(),
                          options.settings.size());
}

Peer::~Peer() { nghttp2_session_del(session); }

void Peer::feed(const std::string& bytes) {
  const ssize_t rv = nghttp2_session_mem_recv(
      session, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (rv < 0) ++recv_errors;
}

std::string Peer::output() {
  std::string out;
  for (;;) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session, &data);
    if (n <= 0) break;
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  return out;
}

nghttp2_data_provider Peer::provider() {
  nghttp2_data_provider p{};
  p.read_callback = Callbacks::read;
  return p;
}

int32_t Peer::request(const Fields& fields, std::string body, Fields trailers, bool end) {
  const auto nv = toNv(fields);
  const bool has_body = !body.empty() || !trailers.empty() || !end;
  nghttp2_data_provider p = provider();
  const int32_t id = nghttp2_submit_request(session, nullptr, nv.data(), nv.size(),
                                            has_body ? &p : nullptr, nullptr);
  PeerStream& s = streams[id];
  s.body = std::move(body);
  s.trailers = std::move(trailers);
  s.body_ended = end;
  return id;
}

void Peer::respond(int32_t id, const Fields& fields, std::string body, Fields trailers) {
  const auto nv = toNv(fields);
  PeerStream& s = streams[id];
  s.body = std::move(body);
  s.trailers = std::move(trailers);
  const bool has_body = !s.body.empty() || !s.trailers.empty();
  nghttp2_data_provider p = provider();
  nghttp2_submit_response(session, id, nv.data(), nv.size(), has_body ? &p : nullptr);
}

void Peer::headers(int32_t id, const Fields& fields, bool end_stream) {
  const auto nv = toNv(fields);
  nghttp2_submit_headers(session, end_stream ? NGHTTP2_FLAG_END_STREAM : NGHTTP2_FLAG_NONE, id,
                         nullptr, nv.data(), nv.size(), nullptr);
}

void Peer::sendMore(int32_t id, const std::string& more, bool end) {
  PeerStream& s = streams[id];
  s.body.append(more);
  s.body_ended = end;
  nghttp2_session_resume_data(session, id);
}

void Peer::reset(int32_t id, uint32_t code) {
  nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, id, code);
}

void Peer::ping() { nghttp2_submit_ping(session, NGHTTP2_FLAG_NONE, nullptr); }

void Peer::goAway(int32_t last_stream_id, uint32_t code) {
  nghttp2_submit_goaway(session, NGHTTP2_FLAG_NONE, last_stream_id, code, nullptr, 0);
}

void Peer::consume(int32_t id, size_t bytes) { nghttp2_session_consume(session, id, bytes); }

std::string Peer::field(const Fields& block, const std::string& name) {
  for (const auto& [n, v] : block) {
    if (n == name) return v;
  }
  return "<absent>";
}

}  // namespace outrigger::http2::testing
