#pragma once
// One HTTP/2 connection to an upstream endpoint, carrying many attempts at once (one stream
// each). It borrows a connection from the worker's ConnectionPool for its whole life (so
// connect, TLS, timeouts.connect and pool.max_connections are the pool's), runs the
// ClientSession over its socket, keeps it alive with PINGs and closes it when idle for
// pool.idle_timeout. Stream events go to the stream's ClientStreamUser (an Http2Attempt).

#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>

#include "proxy/common/clock.h"
#include "proxy/config/schema.h"
#include "proxy/http/message.h"
#include "proxy/http2/client_session.h"
#include "proxy/io/loop.h"
#include "proxy/io/tcp_stream.h"
#include "proxy/io/timer.h"
#include "proxy/upstream/connection_pool.h"

namespace outrigger::http2 {

// What a stream's owner hears. Each call is one read's event: the user brackets it with its
// exchange's read hold itself.
class ClientStreamUser {
 public:
  virtual ~ClientStreamUser() = default;
  virtual void onStreamHead(http::ResponseHead& head) = 0;
  virtual void onStreamData(std::string_view chunk) = 0;
  virtual void onStreamTrailers(http::Headers& trailers) = 0;
  virtual void onStreamComplete() = 0;  // the whole response came and the stream closed
  virtual void onStreamFailed(StreamFailure failure, std::string_view why) = 0;
  virtual void onStreamWritable() = 0;
};

class ClientConnection;

// What a connection tells its codec.
class ClientConnectionOwner {
 public:
  virtual ~ClientConnectionOwner() = default;
  // Ready for streams, or room for more streams opened up.
  virtual void onConnectionRoom(ClientConnection& connection) = 0;
  // The connection could not be opened: its waiters hear why.
  virtual void onConnectionFailed(ClientConnection& connection, upstream::PoolFailure failure,
                                  const std::string& detail) = 0;
  // It is closed: the owner forgets it (and deletes it on a later turn).
  virtual void onConnectionClosed(ClientConnection& connection) = 0;
  // `protocol: auto`: the pool lent it `pooled`, on which the server did not pick h2. The
  // owner forgets the connection and decides what becomes of `pooled`.
  virtual void onConnectionForeign(ClientConnection& connection,
                                   upstream::PooledConnection& pooled) = 0;
};

class ClientConnection final : public ClientSession::Handler,
                               public io::StreamHandler,
                               public upstream::PoolCallbacks {
 public:
  ClientConnection(ClientConnectionOwner& owner, upstream::ConnectionPool& pool, io::Loop& loop,
                   Clock& clock, size_t endpoint);
  ~ClientConnection() override;
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  // Asks the pool for the connection; the owner hears onConnectionRoom or onConnectionFailed.
  void open();
  // Or takes one already lent for it, connected and not yet read (an ALPN h2 answer to a
  // `protocol: auto` upstream): the owner hears onConnectionRoom from inside.
  void adopt(upstream::PooledConnection& connection) { onPoolReady(connection); }
  size_t endpoint() const { return endpoint_; }
  bool ready() const { return connection_ != nullptr && !closed_; }
  bool closed() const { return closed_; }
  // Streams it may still take now (0 while connecting, after GOAWAY, or when full).
  size_t room() const;
  // Streams it would take once connected (the configured limit).
  size_t capacity() const { return limit_; }
  size_t openStreams() const { return users_.size(); }
  bool reused() const { return streams_opened_ > 1; }
  const std::string& peer() const;

  // Opens a stream for `head` (already in its forwarded form). -1 when no room.
  StreamId openStream(ClientStreamUser& user, const http::RequestHead& head, bool has_body);
  void sendData(StreamId id, std::string_view piece);
  void endStream(StreamId id, const http::Headers* trailers);
  // The user is gone: the stream is reset (CANCEL) and no event follows.
  void abandon(StreamId id);
  void consume(StreamId id, size_t bytes);
  bool writeBlocked(StreamId id) const;
  size_t socketQueuedBytes() const;

 private:
  // upstream::PoolCallbacks
  void onPoolReady(upstream::PooledConnection& connection) override;
  void onPoolFailure(upstream::PoolFailure failure, const std::string& detail) override;
  // io::StreamHandler
  void onStreamData(const char* data, size_t len) override;
  void onStreamEnd(int error) override;
  void onStreamDrained() override;
  // ClientSession::Handler
  void onResponseHead(StreamId id, http::ResponseHead& head) override;
  void onResponseData(StreamId id, std::string_view chunk) override;
  void onResponseTrailers(StreamId id, http::Headers& trailers) override;
  void onResponseEnd(StreamId id) override;
  void onStreamClosed(StreamId id) override;
  void onStreamReset(StreamId id, StreamFailure failure) override;
  void onStreamWritable(StreamId id) override;
  void onGoAway(StreamId last_stream_id, ErrorCode code) override;

  ClientStreamUser* user(StreamId id) const;
  void flush();
  void onTimer();
  // Closes the socket; every open stream fails with `why`.
  void close(std::string why);
  void streamDone(StreamId id);
  void countStreams(int32_t delta);  // for /upstreams

  ClientConnectionOwner& owner_;
  upstream::ConnectionPool& pool_;
  Clock& clock_;
  size_t endpoint_;
  size_t limit_;
  const config::UpstreamHttp2& settings_;
  upstream::PoolRequest pool_request_;
  upstream::PooledConnection* connection_ = nullptr;
  std::unique_ptr<ClientSession> session_;
  std::unordered_map<StreamId, ClientStreamUser*> users_;
  io::DeferredTask flush_;
  io::Timer timer_;  // keepalive PINGs and the idle close
  MonoTime last_read_{};
  MonoTime idle_since_{};
  MonoTime ping_sent_ = MonoTime::max();
  uint64_t streams_opened_ = 0;
  std::string close_reason_;
  bool closed_ = false;
};

}  // namespace outrigger::http2
