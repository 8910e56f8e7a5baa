#pragma once
// The downstream HTTP/2 codec: one per app connection (h2c with prior knowledge, or h2 after
// ALPN). Bytes read from the app go into feed(); each request stream comes out as events on
// a Handler; responses go in per stream; the bytes to write come out of takeOutput().
// No sockets, no timers: the caller owns the connection and the clock's timers.
//
// Events are delivered only from inside feed() and takeOutput(). A handler may submit,
// reset and consume from inside an event, but must not destroy the session there.
// Every stream the handler saw (onStreamHead) ends with exactly one onStreamClosed or
// onStreamReset, after which its id is forgotten.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "proxy/common/clock.h"
#include "proxy/http/local_reply.h"
#include "proxy/http/message.h"
#include "proxy/http2/error_code.h"

namespace outrigger::http2 {

// Per-connection limits (config: listeners[].http2, limits.max_request_head).
struct ServerLimits {
  uint32_t max_concurrent_streams = 100;
  uint32_t initial_window = 1024 * 1024;         // per stream: what the app may send ahead
  uint32_t connection_window = 4 * 1024 * 1024;  // all streams together
  uint32_t max_header_list_bytes = 64 * 1024;    // a larger request head gets 431
  size_t stream_send_buffer = 64 * 1024;         // response bytes queued before writeBlocked()
  // Rapid reset (CVE-2023-44487): streams the app cancels, or sends malformed, before their
  // response is complete. Past this many, while they are at least half of the streams
  // opened, the connection gets GOAWAY ENHANCE_YOUR_CALM.
  uint32_t max_premature_resets = 100;
  // PING, SETTINGS, PRIORITY and empty DATA frames from the app: a token bucket per
  // connection.
  uint32_t control_frame_burst = 200;
  uint32_t control_frames_per_second = 50;
  // SETTINGS and PING acks queued unwritten (the app does not read): past it, close.
  size_t max_outbound_acks = 100;
};

class ServerSession {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // A request head. Its framing says how the body comes: kNone (none: onStreamEnd
    // follows at once), kContentLength or kChunked (length unknown).
    virtual void onStreamHead(StreamId id, http::RequestHead& head) = 0;
    // A piece of the request body, valid only during the call. consume() it when it has
    // been passed on, or the app's window stays shut.
    virtual void onStreamData(StreamId id, std::string_view chunk) = 0;
    virtual void onStreamTrailers(StreamId id, http::Headers& trailers) = 0;
    // The request is complete.
    virtual void onStreamEnd(StreamId id) = 0;
    // Both sides are complete: the stream is over.
    virtual void onStreamClosed(StreamId id) = 0;
    // The stream was cut before both sides were complete (by the app, by us, or because the
    // connection is closing).
    virtual void onStreamReset(StreamId id, ErrorCode code) = 0;
    // The stream is no longer writeBlocked(): resume its source.
    virtual void onStreamWritable(StreamId /*id*/) {}
    // The session answered a stream itself (400 bad_request, 431 headers_too_large) without
    // showing it to the handler; for metrics and logs.
    virtual void onStreamRejected(StreamId /*id*/, http::LocalReason /*reason*/) {}
  };

  ServerSession(Handler& handler, const ServerLimits& limits, const Clock& clock);
  ~ServerSession();
  ServerSession(const ServerSession&) = delete;
  ServerSession& operator=(const ServerSession&) = delete;

  // Bytes read from the app, starting with the client preface. False when the connection
  // must be closed now; see closeReason().
  bool feed(std::string_view bytes);
  // Appends the bytes to write to the app; returns how many.
  size_t takeOutput(std::string& out);
  bool wantsWrite() const;
  // Nothing more to read or write: close once the output is written. By then every open
  // stream has been reported reset.
  bool finished() const;
  // Why the connection is closing ("rapid reset", a protocol error...), or "".
  std::string_view closeReason() const;

  // The response. Unless end_stream, a body follows (submitData), then endStream() or
  // submitTrailers(). False if the stream is gone.
  bool submitResponseHead(StreamId id, const http::ResponseHead& head, bool end_stream);
  // A 1xx response (100 Continue, 103 Early Hints) before the final one. 101 does not
  // exist in HTTP/2 (RFC 9113 §8.6) and is refused.
  bool submitInformational(StreamId id, const http::ResponseHead& head);
  bool submitData(StreamId id, std::string_view chunk);
  bool endStream(StreamId id);
  bool submitTrailers(StreamId id, const http::Headers& trailers);
  bool resetStream(StreamId id, ErrorCode code);
  void consume(StreamId id, size_t bytes);
  bool writeBlocked(StreamId id) const;
  size_t openStreams() const;

  // Drain, step 1 (optional): tell the app that a GOAWAY is coming (RFC 9113 §6.8).
  void sendShutdownNotice();
  // Drain, step 2: GOAWAY NO_ERROR naming the last stream taken; those finish, no new
  // ones start, and the session finishes when they have.
  void goAway();
  // The connection was lost: every open stream is reported reset.
  void connectionLost();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace outrigger::http2
