#include "proxy/http2/http2_codec.h"

#include <algorithm>

namespace outrigger::http2 {
Http2Codec::Http2Codec(upstream::ConnectionPool& pool, io::Loop& loop, Clock& clock)
    : pool_(pool),
      loop_(loop),
      clock_(clock),
      endpoints_(pool.upstream().endpointCount()),
      attempts_("Http2Codec") {}

exchange::AttemptHandle Http2Codec::newAttempt(exchange::AttemptEvents& events) {
  return attempts_.lend(*this, events,
                        [&] { return std::make_unique<Http2Attempt>(*this, clock_); });
}

void Http2Codec::recycle(exchange::UpstreamAttempt* attempt) {
  auto* http2 = static_cast<Http2Attempt*>(attempt);  // this codec made it
  http2->cancel();
  attempts_.takeBack(http2);
}

std::unique_ptr<exchange::UpstreamCodec> Http2Codec::make(exchange::WorkerUpstream& upstream,
                                                          io::Loop& loop, Clock& clock) {
  return std::make_unique<Http2Codec>(upstream.pool, loop, clock);
}

Http2Codec::Endpoint& Http2Codec::endpointOf(size_t index) {
  if (index >= endpoints_.size()) endpoints_.resize(index + 1);
  return endpoints_[index];
}

void Http2Codec::attach(Http2Attempt& attempt) {
  Endpoint& e = endpointOf(attempt.endpoint());
  if (e.waiting.empty()) {
    for (auto& connection : e.connections) {
      if (connection->room() > 0) {
        attempt.onConnection(*connection);
        return;
      }
    }
  }
  e.waiting.push_back(&attempt);
  openForWaiting(attempt.endpoint());
}

void Http2Codec::detach(Http2Attempt& attempt) {
  Endpoint& e = endpointOf(attempt.endpoint());
  auto it = std::find(e.waiting.begin(), e.waiting.end(), &attempt);
  if (it != e.waiting.end()) e.waiting.erase(it);
}

void Http2Codec::adopt(size_t endpoint, upstream::PooledConnection& connection) {
  auto adopted = std::make_unique<ClientConnection>(*this, pool_, loop_, clock_, endpoint);
  ClientConnection& ready = *adopted;
  endpointOf(endpoint).connections.push_back(std::move(adopted));
  ready.adopt(connection);
}

void Http2Codec::openForWaiting(size_t endpoint) {
  Endpoint& e = endpointOf(endpoint);
  size_t coming = 0;  // streams the connections not yet open will take
  for (auto& connection : e.connections) {
    if (!connection->ready() && !connection->closed()) coming += connection->capacity();
  }
  while (coming < e.waiting.size()) {
    auto connection = std::make_unique<ClientConnection>(*this, pool_, loop_, clock_, endpoint);
    ClientConnection& opened = *connection;
    coming += opened.capacity();
    e.connections.push_back(std::move(connection));
    opened.open();
  }
}

void Http2Codec::onConnectionRoom(ClientConnection& connection) {
  Endpoint& e = endpointOf(connection.endpoint());
  while (!e.waiting.empty() && connection.room() > 0 && !connection.closed()) {
    Http2Attempt* next = e.waiting.front();
    e.waiting.pop_front();
    next->onConnection(connection);
  }
}

std::vector<Http2Attempt*> Http2Codec::takeStranded(ClientConnection& connection) {
  const size_t endpoint = connection.endpoint();
  forget(connection);
  // The attempts this connection was opened for; those others still connecting for keep
  // waiting.
  Endpoint& e = endpointOf(endpoint);
  size_t coming = 0;
  for (auto& other : e.connections) {
    if (!other->ready() && !other->closed()) coming += other->capacity();
  }
  std::vector<Http2Attempt*> stranded;
  while (e.waiting.size() > coming) {
    stranded.push_back(e.waiting.front());
    e.waiting.pop_front();
  }
  return stranded;
}

void Http2Codec::onConnectionFailed(ClientConnection& connection, upstream::PoolFailure failure,
                                    const std::string& detail) {
  for (Http2Attempt* attempt : takeStranded(connection)) attempt->onNoConnection(failure, detail);
}

void Http2Codec::onConnectionForeign(ClientConnection& connection,
                                     upstream::PooledConnection& pooled) {
  const size_t endpoint = connection.endpoint();
  if (pooled.requestsServed() > 1 || !foreign_) {
    // An HTTP/1.1 connection left idle from before the server picked h2: closed, and another
    // is opened.
    forget(connection);
    pool_.release(pooled, false);
    openForWaiting(endpoint);
    return;
  }
  foreign_(endpoint, pooled);  // a new connection: the server no longer picks h2
  for (Http2Attempt* attempt : takeStranded(connection))
    attempt->onRefused("the server no longer picks h2 (ALPN): sent again over HTTP/1.1");
}

void Http2Codec::onConnectionClosed(ClientConnection& connection) {
  const size_t endpoint = connection.endpoint();
  forget(connection);
  if (!endpointOf(endpoint).waiting.empty()) openForWaiting(endpoint);
}

void Http2Codec::forget(ClientConnection& connection) {
  Endpoint& e = endpointOf(connection.endpoint());
  auto it = std::find_if(e.connections.begin(), e.connections.end(),
                         [&](const auto& c) { return c.get() == &connection; });
  if (it == e.connections.end()) return;
  loop_.deleteLater(std::move(*it));  // it may be inside its own callback
  e.connections.erase(it);
}

size_t Http2Codec::connections(size_t endpoint) const {
  return endpoint < endpoints_.size() ? endpoints_[endpoint].connections.size() : 0;
}

size_t Http2Codec::activeStreams(size_t endpoint) const {
  if (endpoint >= endpoints_.size()) return 0;
  size_t streams = 0;
  for (const auto& c : endpoints_[endpoint].connections) streams += c->openStreams();
  return streams;
}

}  // namespace outrigger::http2
