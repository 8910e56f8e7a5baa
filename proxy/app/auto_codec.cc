#include "proxy/app/auto_codec.h"

#include <algorithm>

#include "proxy/io/tcp_stream.h"
#include "proxy/log/logger.h"
#include "proxy/upstream/connection_pool.h"

namespace outrigger::app {
AutoCodec::AutoCodec(upstream::ConnectionPool& pool, io::Loop& loop, Clock& clock)
    : pool_(pool),
      loop_(loop),
      http1_(pool, clock),
      http2_(pool, loop, clock),
      attempts_("AutoCodec") {
  // A server whose answer changes (an upgrade adds or drops h2, or a balancer in front mixes
  // servers) is followed from its next new connection on.
  http1_.setForeignConnectionHandler([this](size_t endpoint, upstream::PooledConnection& c) {
    onProtocolChanged(endpoint, Protocol::kHttp2, c);
  });
  http2_.setForeignConnectionHandler([this](size_t endpoint, upstream::PooledConnection& c) {
    onProtocolChanged(endpoint, Protocol::kHttp1, c);
  });
}

std::unique_ptr<exchange::UpstreamCodec> AutoCodec::make(exchange::WorkerUpstream& upstream,
                                                         io::Loop& loop, Clock& clock) {
  return std::make_unique<AutoCodec>(upstream.pool, loop, clock);
}

exchange::AttemptHandle AutoCodec::newAttempt(exchange::AttemptEvents& events) {
  return attempts_.lend(*this, events, [&] { return std::make_unique<AutoAttempt>(*this); });
}

void AutoCodec::recycle(exchange::UpstreamAttempt* attempt) {
  auto* automatic = static_cast<AutoAttempt*>(attempt);  // this codec made it
  automatic->release();
  attempts_.takeBack(automatic);
}

AutoCodec::Endpoint& AutoCodec::endpointOf(size_t index) {
  if (index >= endpoints_.size()) endpoints_.resize(index + 1);
  return endpoints_[index];
}

exchange::UpstreamCodec* AutoCodec::codecFor(size_t endpoint) {
  switch (endpointOf(endpoint).protocol) {
    case Protocol::kHttp1:
      return &http1_;
    case Protocol::kHttp2:
      return &http2_;
    case Protocol::kUnknown:
      break;
  }
  return nullptr;
}

void AutoCodec::awaitProtocol(AutoAttempt& attempt) {
  const size_t endpoint = attempt.endpoint();
  Endpoint& e = endpointOf(endpoint);
  e.waiting.push_back(&attempt);
  if (e.probe) return;  // the first connection is on its way
  e.probe = std::make_unique<Probe>(*this, endpoint);
  // An idle connection (made before a reload, say) answers at once.
  if (upstream::PooledConnection* ready = pool_.acquire(endpoint, e.probe->request, *e.probe))
    onAnswer(endpoint, *ready);
}

void AutoCodec::stopAwaiting(AutoAttempt& attempt) {
  Endpoint& e = endpointOf(attempt.endpoint());
  auto it = std::find(e.waiting.begin(), e.waiting.end(), &attempt);
  if (it != e.waiting.end()) e.waiting.erase(it);
  // The probe goes on without waiters: its answer serves the next attempts.
}

void AutoCodec::Probe::onPoolReady(upstream::PooledConnection& connection) {
  codec_.onAnswer(endpoint_, connection);
}

void AutoCodec::Probe::onPoolFailure(upstream::PoolFailure failure, const std::string& detail) {
  codec_.onProbeFailed(endpoint_, failure, detail);
}

std::deque<AutoAttempt*> AutoCodec::takeWaiting(size_t endpoint) {
  std::deque<AutoAttempt*> waiting;
  waiting.swap(endpointOf(endpoint).waiting);
  return waiting;
}

void AutoCodec::onAnswer(size_t endpoint, upstream::PooledConnection& connection) {
  Endpoint& e = endpointOf(endpoint);
  // The probe may be inside its own callback: deleted on a later turn.
  loop_.deleteLater(std::move(e.probe));
  if (connection.stream().tlsAlpn() == "h2") {
    e.protocol = Protocol::kHttp2;
    http2_.adopt(endpoint, connection);  // the HTTP/2 codec's first connection
  } else {
    e.protocol = Protocol::kHttp1;
    pool_.release(connection, true);  // idle: the first HTTP/1.1 attempt takes it
  }
  for (AutoAttempt* attempt : takeWaiting(endpoint)) attempt->onProtocolKnown();
}

void AutoCodec::onProtocolChanged(size_t endpoint, Protocol now,
                                  upstream::PooledConnection& connection) {
  endpointOf(endpoint).protocol = now;
  pool_.closeIdle(endpoint);  // they speak the protocol of before
  const bool h2 = now == Protocol::kHttp2;
  log::logf(config::LogLevel::kInfo,
            "upstream %s: endpoint %s now picks %s (ALPN); its requests go over %s",
            pool_.upstream().name().c_str(), connection.peer().c_str(), h2 ? "h2" : "http/1.1",
            h2 ? "HTTP/2" : "HTTP/1.1");
  if (h2) {
    http2_.adopt(endpoint, connection);
  } else {
    pool_.release(connection, true);  // idle: the next HTTP/1.1 attempt takes it
  }
}

void AutoCodec::onProbeFailed(size_t endpoint, upstream::PoolFailure failure,
                              const std::string& detail) {
  loop_.deleteLater(std::move(endpointOf(endpoint).probe));
  // The protocol stays unknown: the next attempt opens another first connection.
  for (AutoAttempt* attempt : takeWaiting(endpoint)) attempt->onNoConnection(failure, detail);
}

}  // namespace outrigger::app
