#pragma once
// The HTTP/2 upstream codec of one upstream on one worker (`protocol: http2`): many attempts
// share few connections. Per endpoint it keeps its connections and the attempts waiting for
// room on one, in arrival order. An attempt takes a stream on the first connection with room
// (under http2.max_concurrent_streams and the upstream's own SETTINGS); when every one is
// full, or still connecting for others, another connection is opened through the pool,
// which keeps the total under pool.max_connections (waiting past it for timeouts.pool).

#include <deque>
#include <memory>
#include <vector>

#include "proxy/exchange/spare_attempts.h"
#include "proxy/exchange/upstream_attempt.h"
#include "proxy/exchange/worker_context.h"
#include "proxy/http2/client_connection.h"
#include "proxy/http2/http2_attempt.h"
#include "proxy/io/loop.h"

namespace outrigger::http2 {

class Http2Codec final : public exchange::UpstreamCodec, public ClientConnectionOwner {
 public:
  Http2Codec(upstream::ConnectionPool& pool, io::Loop& loop, Clock& clock);

  exchange::AttemptHandle newAttempt(exchange::AttemptEvents& events) override;
  void recycle(exchange::UpstreamAttempt* attempt) override;

  // For WorkerContext::make_codec.
  static std::unique_ptr<exchange::UpstreamCodec> make(exchange::WorkerUpstream& upstream,
                                                       io::Loop& loop, Clock& clock);

  // For its attempts: a stream on a connection now (Http2Attempt::onConnection), or a place
  // in the endpoint's queue until one has room; detach() leaves the queue.
  void attach(Http2Attempt& attempt);
  void detach(Http2Attempt& attempt);
  // A connection to `endpoint` lent by the pool and connected, on which ALPN agreed on h2:
  // it becomes one of this codec's (for the `protocol: auto` codec).
  void adopt(size_t endpoint, upstream::PooledConnection& connection);
  upstream::ConnectionPool& pool() { return pool_; }
  // `protocol: auto`: who takes a new connection whose server no longer picks h2 (AutoCodec).
  void setForeignConnectionHandler(exchange::ForeignConnectionFn handler) {
    foreign_ = std::move(handler);
  }

  // For /upstreams: connections and open streams to `endpoint`.
  size_t connections(size_t endpoint) const;
  size_t activeStreams(size_t endpoint) const;

 private:
  struct Endpoint {
    std::vector<std::unique_ptr<ClientConnection>> connections;
    std::deque<Http2Attempt*> waiting;
  };

  // ClientConnectionOwner
  void onConnectionRoom(ClientConnection& connection) override;
  void onConnectionFailed(ClientConnection& connection, upstream::PoolFailure failure,
                          const std::string& detail) override;
  void onConnectionClosed(ClientConnection& connection) override;
  void onConnectionForeign(ClientConnection& connection,
                           upstream::PooledConnection& pooled) override;

  Endpoint& endpointOf(size_t index);
  // The attempts waiting on `connection` that the connections still opening cannot take:
  // taken out of the queue, to be told why (one may start its retry, and wait again, at once).
  std::vector<Http2Attempt*> takeStranded(ClientConnection& connection);
  // Opens connections until those connecting can take every waiting attempt.
  void openForWaiting(size_t endpoint);
  void forget(ClientConnection& connection);

  upstream::ConnectionPool& pool_;
  io::Loop& loop_;
  Clock& clock_;
  std::deque<Endpoint> endpoints_;  // a deque: growing it moves none
  exchange::SpareAttempts<Http2Attempt> attempts_;
  exchange::ForeignConnectionFn foreign_;
};

}  // namespace outrigger::http2
