#pragma once
// The upstream HTTP/2 codec: one per pooled HTTP/2 connection, carrying many requests at
// once. Requests go in per stream; the bytes to write come out of takeOutput(); bytes read
// from the upstream go into feed() and come out as events per stream on a Handler. No
// sockets, no timers: the caller runs the connection, the PING timer and the deadlines.
//
// Events are delivered only from inside feed() and takeOutput(). A handler may submit,
// reset and consume from inside an event, but must not destroy the session there. Every
// stream submitRequest() opened ends with exactly one onStreamClosed or onStreamReset.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "proxy/http/message.h"
#include "proxy/http2/error_code.h"

namespace outrigger::http2 {

struct ClientOptions {
  uint32_t initial_window = 1024 * 1024;         // per stream: what the upstream may send ahead
  uint32_t connection_window = 4 * 1024 * 1024;  // all streams together
  uint32_t max_header_list_bytes = 64 * 1024;    // a larger response head resets its stream
  size_t stream_send_buffer = 64 * 1024;         // request bytes queued before writeBlocked()
  size_t max_outbound_acks = 100;
};

// Why a stream ended without a complete response.
struct StreamFailure {
  ErrorCode code = ErrorCode::kCancel;
  // The upstream did not process the request (REFUSED_STREAM, a stream above a GOAWAY's
  // last-stream-id, or a request never sent): safe to retry on another connection, whatever
  // the method (RFC 9113 §8.7).
  bool refused = false;
};

class ClientSession {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // A 1xx response; the final one follows.
    virtual void onInformational(StreamId /*id*/, http::ResponseHead& /*head*/) {}
    // The final response head; its framing says how the body comes (see ServerSession).
    virtual void onResponseHead(StreamId id, http::ResponseHead& head) = 0;
    // A piece of the body, valid only during the call: consume() it once passed on.
    virtual void onResponseData(StreamId id, std::string_view chunk) = 0;
    virtual void onResponseTrailers(StreamId id, http::Headers& trailers) = 0;
    // The response is complete.
    virtual void onResponseEnd(StreamId id) = 0;
    // The stream is over, with a complete response.
    virtual void onStreamClosed(StreamId id) = 0;
    // The stream ended without a complete response.
    virtual void onStreamReset(StreamId id, StreamFailure failure) = 0;
    virtual void onStreamWritable(StreamId /*id*/) {}
    // The upstream is going away: no new streams on this connection. Streams above
    // last_stream_id are reported refused; the others may still finish.
    virtual void onGoAway(StreamId /*last_stream_id*/, ErrorCode /*code*/) {}
    virtual void onPingAck() {}
  };

  ClientSession(Handler& handler, const ClientOptions& options);
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  bool feed(std::string_view bytes);
  size_t takeOutput(std::string& out);
  bool wantsWrite() const;
  bool finished() const;
  std::string_view closeReason() const;

  // Opens a stream for `head` (translated with header_translation, `scheme` "http" or
  // "https"). Unless has_body is false, a body follows, then endStream() or
  // submitTrailers(). Returns the stream id, or -1 when the connection takes no new stream.
  StreamId submitRequest(const http::RequestHead& head, std::string_view scheme, bool has_body);
  bool submitData(StreamId id, std::string_view chunk);
  bool endStream(StreamId id);
  bool submitTrailers(StreamId id, const http::Headers& trailers);
  bool resetStream(StreamId id, ErrorCode code);
  void consume(StreamId id, size_t bytes);
  bool writeBlocked(StreamId id) const;

  // The upstream's SETTINGS_MAX_CONCURRENT_STREAMS (100 until its SETTINGS arrive).
  uint32_t peerMaxConcurrentStreams() const;
  size_t openStreams() const;
  // Whether another stream may be opened now: no GOAWAY, not closing, not full.
  bool canOpenStream() const;
  bool goAwayReceived() const;

  // Keepalive: a PING the upstream must answer. The caller's timer checks
  // pingsOutstanding() and closes the connection when an answer is late.
  bool submitPing();
  size_t pingsOutstanding() const;

  // The connection was lost: every open stream is reported reset (not refused).
  void connectionLost();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace outrigger::http2
