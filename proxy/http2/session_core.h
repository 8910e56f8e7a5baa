#pragma once
// Internal to proxy/http2: the one class that drives an nghttp2 session, shared by
// ServerSession and ClientSession. Bytes go in through feed() and come out of takeOutput();
// what nghttp2 reports comes back through the protected hooks in outrigger terms, and only
// from inside feed() and takeOutput(). Outbound bodies wait in a SendQueue per stream and
// are framed as the peer's window allows; inbound bodies count against our window until
// the caller consume()s them, which is how back-pressure reaches the peer.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "proxy/http/message.h"
#include "proxy/http2/error_code.h"
#include "proxy/http2/field_block.h"
#include "proxy/http2/send_queue.h"

struct nghttp2_session;

namespace outrigger::http2 {

struct CoreSettings {
  bool server = true;
  uint32_t max_concurrent_streams = 100;  // what the peer may open (0: not advertised)
  uint32_t initial_window = 1024 * 1024;  // per stream
  uint32_t connection_window = 4 * 1024 * 1024;
  uint32_t max_header_list_bytes = 64 * 1024;  // RFC 9113 §6.5.2: names + values + 32 each
  size_t stream_send_buffer = 64 * 1024;       // queued body bytes before writeBlocked()
  size_t max_outbound_acks = 100;              // SETTINGS/PING acks waiting to be written
  size_t max_settings_per_frame = 32;
  size_t max_continuations = 8;
  // HPACK's dynamic table for the fields we send. It saves bytes on a network; on the app's
  // loopback connection it saves nothing and its churn (a new x-request-id in every
  // response evicts older entries) costs more CPU than the rest of the encoding.
  size_t deflate_table_bytes = 4096;
};

class SessionCore {
 public:
  virtual ~SessionCore();
  SessionCore(const SessionCore&) = delete;
  SessionCore& operator=(const SessionCore&) = delete;

  // Bytes read from the connection. False when the connection must close now (its reason in
  // closeReason()); a protocol error the peer should hear about instead queues a GOAWAY and
  // shows as finished() once takeOutput() has handed it over.
  bool feed(std::string_view bytes);
  // Appends every byte ready to be written to `out`; returns how many.
  size_t takeOutput(std::string& out);
  bool wantsWrite() const;
  // Nothing more will be read or written: close the connection once the output is written.
  bool finished() const;
  std::string_view closeReason() const { return close_reason_; }

  // Outbound body of a stream whose head was submitted with end_stream false.
  bool submitData(StreamId id, std::string_view chunk);
  bool endStream(StreamId id);
  bool submitTrailers(StreamId id, const http::Headers& trailers);
  bool resetStream(StreamId id, ErrorCode code);
  // The caller is done with `bytes` of the body it received on stream `id`: the peer may
  // send that much more.
  void consume(StreamId id, size_t bytes);
  // More of stream `id`'s body is queued than it should add to: pause its source until
  // the stream is reported writable again.
  bool writeBlocked(StreamId id) const;
  size_t openStreams() const { return streams_.size(); }
  // The connection is gone: every open stream ends with `code`, through the hooks.
  void closeAllStreams(ErrorCode code);

 protected:
  struct Stream {
    explicit Stream(size_t send_buffer) : send(send_buffer) {}
    http::Headers fields;  // the header block being received
    size_t field_bytes = 0;
    bool fields_too_large = false;
    bool head_received = false;  // a request head, or a final response head
    bool remote_ended = false;   // the peer's side is complete
    bool reported = false;       // the caller knows this stream
    bool end_submitted = false;  // our side of the stream is complete
    bool reset_locally = false;
    bool rejected = false;    // answered by the session itself, never reported
    uint64_t unconsumed = 0;  // received body bytes not yet consume()d
    SendQueue send;
    // As new, keeping the buffers' capacity for the next stream.
    void reset();
  };

  explicit SessionCore(const CoreSettings& settings);

  Stream* find(StreamId id);
  // An empty block to build a head in before submitting it (its capacity is kept).
  FieldBlock& scratchBlock() {
    scratch_block_.clear();
    return scratch_block_;
  }
  // closeAllStreams() is reporting the streams it ends.
  bool closingAll() const { return closing_all_; }
  // Submits a head; a body follows through the SendQueue unless end_stream. The request
  // form opens a stream and returns its id (negative on failure).
  StreamId submitRequestFields(const FieldBlock& fields, bool end_stream);
  bool submitResponseFields(StreamId id, const FieldBlock& fields, bool end_stream);
  // A 1xx head before the final response.
  bool submitInterimFields(StreamId id, const FieldBlock& fields);
  // Sends GOAWAY with `code` and stops reading; finished() once it is written.
  void terminate(ErrorCode code, std::string_view reason);
  void submitGoAway(StreamId last_stream_id, ErrorCode code);
  void submitShutdownNotice();
  bool submitPingFrame(uint64_t opaque);
  StreamId lastPeerStreamId() const;
  uint32_t peerMaxConcurrentStreams() const;

  // A header block (request head, response head or trailers) is complete in s.fields.
  virtual void onHeaderBlock(StreamId id, Stream& s, bool end_stream) = 0;
  virtual void onData(StreamId id, Stream& s, std::string_view chunk) = 0;
  // The peer ended its side of the stream (after onHeaderBlock / onData).
  virtual void onRemoteEnd(StreamId id, Stream& s) = 0;
  // The stream is over; it is forgotten when this returns.
  virtual void onClosed(StreamId id, Stream& s, ErrorCode code) = 0;
  // writeBlocked(id) no longer holds.
  virtual void onWritable(StreamId id) = 0;
  // A PING, SETTINGS, PRIORITY or empty DATA frame from the peer (the server bounds floods
  // of them).
  virtual void onControlFrame() {}
  virtual void onNewStream(StreamId) {}
  virtual void onGoAway(StreamId /*last_stream_id*/, ErrorCode) {}
  virtual void onPingAck(uint64_t /*opaque*/) {}
  // A request head we submitted was never sent: nothing of it reached the peer.
  virtual void onNotSent(StreamId /*id*/, Stream&) {}

 private:
  struct Callbacks;  // the nghttp2 callbacks, in session_core.cc
  Stream& addStream(StreamId id);
  // Takes a stream out of the map; recycle() it once its callback has run.
  std::unique_ptr<Stream> detach(std::unordered_map<StreamId, std::unique_ptr<Stream>>::iterator it);
  void recycle(std::unique_ptr<Stream> s);
  void resumeIfDeferred(StreamId id, Stream& s);
  void notifyWritable();
  void fail(std::string_view reason);

  nghttp2_session* session_ = nullptr;
  CoreSettings settings_;
  std::unordered_map<StreamId, std::unique_ptr<Stream>> streams_;
  // Ended streams kept for the next ones, so a stream's head and body buffers are not
  // allocated afresh each time (bounded by kSpareStreams).
  std::vector<std::unique_ptr<Stream>> spare_streams_;
  FieldBlock scratch_block_;
  std::vector<StreamId> writable_;  // reported after the output is taken
  std::string close_reason_;
  bool failed_ = false;
  bool closing_all_ = false;
};

}  // namespace outrigger::http2
