#include "proxy/http2/client_connection.h"

#include <algorithm>

#include "proxy/http2/error_code.h"
#include "proxy/io/tcp_stream.h"

namespace outrigger::http2 {
namespace {

// Above this many bytes waiting for the socket, the session's frames wait too (the streams'
// send queues then say writeBlocked(), which holds their exchanges back).
constexpr size_t kSocketHighWater = 256 * 1024;

ClientOptions optionsFor(const config::UpstreamConfig& config) {
  ClientOptions options;
  options.max_header_list_bytes = static_cast<uint32_t>(config.limits.max_response_head);
  return options;
}

}  // namespace

ClientConnection::ClientConnection(ClientConnectionOwner& owner, upstream::ConnectionPool& pool,
                                   io::Loop& loop, Clock& clock, size_t endpoint)
    : owner_(owner),
      pool_(pool),
      clock_(clock),
      endpoint_(endpoint),
      limit_(pool.upstream().config().http2.max_concurrent_streams),
      settings_(pool.upstream().config().http2),
      flush_(loop, [this] { flush(); }),
      timer_(loop, [this] { onTimer(); }) {}

ClientConnection::~ClientConnection() {
  pool_request_.cancel();
  if (connection_ != nullptr) {
    connection_->stream().setHandler(nullptr);
    pool_.release(*connection_, false);
  }
}

void ClientConnection::open() {
  // The owner has added this connection already: it may hear onConnectionRoom from here.
  if (upstream::PooledConnection* ready = pool_.acquire(endpoint_, pool_request_, *this))
    onPoolReady(*ready);
}

const std::string& ClientConnection::peer() const {
  static const std::string kNone;
  return connection_ != nullptr ? connection_->peer() : kNone;
}

size_t ClientConnection::room() const {
  if (!ready() || !session_->canOpenStream()) return 0;
  const size_t limit = std::min<size_t>(limit_, session_->peerMaxConcurrentStreams());
  return limit > users_.size() ? limit - users_.size() : 0;
}

void ClientConnection::onPoolReady(upstream::PooledConnection& connection) {
  if (pool_.upstream().config().protocol == config::UpstreamProtocol::kAuto &&
      connection.stream().tlsAlpn() != "h2") {
    closed_ = true;  // never opened: the connection is not this codec's to speak on
    owner_.onConnectionForeign(*this, connection);
    return;
  }
  connection_ = &connection;
  session_ = std::make_unique<ClientSession>(*this, optionsFor(pool_.upstream().config()));
  connection.stream().setHandler(this);
  connection.stream().startReading();
  last_read_ = idle_since_ = clock_.now();
  timer_.start(std::min(settings_.keepalive_interval, pool_.upstream().config().pool.idle_timeout));
  flush();  // the preface and our SETTINGS
  owner_.onConnectionRoom(*this);
}

void ClientConnection::onPoolFailure(upstream::PoolFailure failure, const std::string& detail) {
  closed_ = true;
  owner_.onConnectionFailed(*this, failure, detail);
}

StreamId ClientConnection::openStream(ClientStreamUser& user, const http::RequestHead& head,
                                      bool has_body) {
  if (room() == 0) return -1;
  const bool tls = pool_.upstream().config().tls.has_value();
  const StreamId id = session_->submitRequest(head, tls ? "https" : "http", has_body);
  if (id < 0) return id;
  users_.emplace(id, &user);
  countStreams(1);
  streams_opened_++;
  flush_.schedule();
  return id;
}

void ClientConnection::sendData(StreamId id, std::string_view piece) {
  if (closed_ || piece.empty()) return;
  session_->submitData(id, piece);
  flush_.schedule();
}

void ClientConnection::endStream(StreamId id, const http::Headers* trailers) {
  if (closed_) return;
  if (trailers != nullptr && !trailers->empty()) {
    session_->submitTrailers(id, *trailers);
  } else {
    session_->endStream(id);
  }
  flush_.schedule();
}

void ClientConnection::abandon(StreamId id) {
  if (users_.erase(id) == 0) return;
  countStreams(-1);
  if (!closed_) {
    session_->resetStream(id, ErrorCode::kCancel);
    flush_.schedule();
  }
  streamDone(id);
}

void ClientConnection::consume(StreamId id, size_t bytes) {
  if (closed_ || bytes == 0) return;
  session_->consume(id, bytes);
  flush_.schedule();  // a WINDOW_UPDATE, once enough was consumed
}

bool ClientConnection::writeBlocked(StreamId id) const {
  return !closed_ && session_ && session_->writeBlocked(id);
}

size_t ClientConnection::socketQueuedBytes() const {
  return connection_ != nullptr ? connection_->stream().queuedBytes() : 0;
}

void ClientConnection::countStreams(int32_t delta) {
  pool_.upstream().connections(endpoint_).streams.fetch_add(delta, std::memory_order_relaxed);
}

ClientStreamUser* ClientConnection::user(StreamId id) const {
  auto it = users_.find(id);
  return it == users_.end() ? nullptr : it->second;
}

void ClientConnection::flush() {
  if (closed_ || connection_ == nullptr) return;
  io::TcpStream& stream = connection_->stream();
  if (stream.queuedBytes() < kSocketHighWater) {
    std::string out = stream.takeWriteBuffer();
    session_->takeOutput(out);
    if (!out.empty()) stream.write(std::move(out));
  }
  if (session_->finished()) {
    close("the HTTP/2 session ended");
  } else if (session_->goAwayReceived() && users_.empty()) {
    close("upstream sent GOAWAY");
  }
}

void ClientConnection::onStreamData(const char* data, size_t len) {
  if (closed_) return;
  last_read_ = clock_.now();
  ping_sent_ = MonoTime::max();  // any frame shows the upstream is there
  if (!session_->feed(std::string_view(data, len))) {
    close("HTTP/2 protocol error from upstream: " + std::string(session_->closeReason()));
    return;
  }
  flush();
}

void ClientConnection::onStreamEnd(int error) {
  close(error != 0 ? "upstream connection error: " + io::errorName(error)
                   : "upstream closed the connection");
}

void ClientConnection::onStreamDrained() {
  flush();
  // Copied: a user may end (and leave users_) from inside its event.
  std::vector<ClientStreamUser*> users;
  users.reserve(users_.size());
  for (auto& [id, user] : users_) users.push_back(user);
  for (ClientStreamUser* u : users) {
    if (!closed_) u->onStreamWritable();
  }
}

void ClientConnection::onResponseHead(StreamId id, http::ResponseHead& head) {
  if (ClientStreamUser* u = user(id)) u->onStreamHead(head);
}

void ClientConnection::onResponseData(StreamId id, std::string_view chunk) {
  if (ClientStreamUser* u = user(id)) {
    u->onStreamData(chunk);
  } else {
    session_->consume(id, chunk.size());  // abandoned: dropped
  }
}

void ClientConnection::onResponseTrailers(StreamId id, http::Headers& trailers) {
  if (ClientStreamUser* u = user(id)) u->onStreamTrailers(trailers);
}

void ClientConnection::onResponseEnd(StreamId) {}  // complete once the stream closes

void ClientConnection::onStreamClosed(StreamId id) {
  ClientStreamUser* u = user(id);
  if (users_.erase(id) != 0) countStreams(-1);
  if (u != nullptr) u->onStreamComplete();
  streamDone(id);
}

void ClientConnection::onStreamReset(StreamId id, StreamFailure failure) {
  ClientStreamUser* u = user(id);
  if (users_.erase(id) != 0) countStreams(-1);
  if (u != nullptr) {
    const std::string why =
        close_reason_.empty()
            ? "upstream reset the stream (" + std::string(errorCodeName(failure.code)) + ")"
            : close_reason_;
    u->onStreamFailed(failure, why);
  }
  streamDone(id);
}

void ClientConnection::onStreamWritable(StreamId id) {
  if (ClientStreamUser* u = user(id)) u->onStreamWritable();
}

void ClientConnection::onGoAway(StreamId, ErrorCode) {
  // No new streams here; those above its last-stream-id come back refused, the others may
  // finish. With none left, flush() closes the connection (never from inside the session).
  flush_.schedule();
}

void ClientConnection::streamDone(StreamId) {
  if (users_.empty()) idle_since_ = clock_.now();
  if (closed_) return;
  if (session_->goAwayReceived()) {
    flush_.schedule();
    return;
  }
  owner_.onConnectionRoom(*this);
}

void ClientConnection::onTimer() {
  if (closed_ || connection_ == nullptr) return;
  const MonoTime now = clock_.now();
  const config::PoolConfig& pool = pool_.upstream().config().pool;
  if (users_.empty() && now - idle_since_ >= pool.idle_timeout) {
    close("idle");
    return;
  }
  if (ping_sent_ != MonoTime::max() && now - ping_sent_ >= settings_.keepalive_timeout) {
    close("no answer to a keepalive PING within http2.keepalive.timeout");
    return;
  }
  if (ping_sent_ == MonoTime::max() && now - last_read_ >= settings_.keepalive_interval) {
    session_->submitPing();
    ping_sent_ = now;
    flush();
  }
  Duration next = std::min(settings_.keepalive_interval, pool.idle_timeout);
  if (ping_sent_ != MonoTime::max()) next = std::min(next, settings_.keepalive_timeout);
  timer_.start(next);
}

void ClientConnection::close(std::string why) {
  if (closed_) return;
  closed_ = true;
  close_reason_ = std::move(why);
  timer_.stop();
  if (session_) session_->connectionLost();  // every open stream fails with close_reason_
  countStreams(-static_cast<int32_t>(users_.size()));
  users_.clear();
  if (connection_ != nullptr) {
    upstream::PooledConnection* connection = connection_;
    connection_ = nullptr;
    connection->stream().setHandler(nullptr);
    pool_.release(*connection, false);
  }
  owner_.onConnectionClosed(*this);
}

}  // namespace outrigger::http2
