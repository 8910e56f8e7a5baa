#include "proxy/app/worker.h"

#include <future>

#include "proxy/app/auto_codec.h"
#include "proxy/app/protocol_sniffer.h"
#include "proxy/app/redis_options.h"
#include "proxy/http1/http1_codec.h"
#include "proxy/http1/http1_session.h"
#include "proxy/http2/http2_codec.h"
#include "proxy/http2/http2_session.h"
#include "proxy/log/logger.h"
#include "proxy/metrics/metrics.h"
#include "proxy/metrics/store_metrics.h"
#include "proxy/tunnel/tcp_tunnel_session.h"

namespace outrigger::app {
namespace {

// The codec for the upstream's `protocol:`.
std::unique_ptr<exchange::UpstreamCodec> makeCodec(exchange::WorkerUpstream& upstream,
                                                   io::Loop& loop, Clock& clock) {
  switch (upstream.upstream->config().protocol) {
    case config::UpstreamProtocol::kHttp2:
      return http2::Http2Codec::make(upstream, loop, clock);
    case config::UpstreamProtocol::kAuto:
      return AutoCodec::make(upstream, loop, clock);
    case config::UpstreamProtocol::kHttp1:
      break;
  }
  return http1::Http1Codec::make(upstream, loop, clock);
}

}  // namespace

Worker::Worker(int id, metrics::Metrics& metrics, log::AccessLog* access_log,
               metrics::StoreMetrics* store_metrics)
    : id_(id),
      random_(entropySeed()),
      context_{loop_, clock_, random_, metrics, access_log, nullptr,
               {},    false,  {},      {},      {},         &makeCodec},
      store_metrics_(store_metrics) {}

Worker::~Worker() { join(); }

void Worker::onLoop(const std::function<void()>& fn) {
  if (!thread_.joinable()) {
    fn();
    return;
  }
  std::promise<void> done;
  std::future<void> finished = done.get_future();
  loop_.post([&fn, &done] {
    try {
      fn();
    } catch (...) {
      done.set_exception(std::current_exception());  // rethrown on the caller's thread
      return;
    }
    done.set_value();
  });
  finished.get();
}

std::string Worker::prepare(const config::Config& next, std::vector<uint16_t>& ports) {
  std::string error;
  onLoop([&] { error = bindNew(next, ports); });
  return error;
}

bool Worker::sameSocket(const ListenerSlot& slot, const config::ListenerConfig& cfg,
                        const config::Config& next) {
  if (!(slot.listen == cfg.listen)) return false;
  if (slot.name == cfg.name) return true;
  // Two port-0 listeners share an address text but are different sockets; a Unix socket
  // path, like a fixed port, is one socket.
  return (cfg.listen.port != 0 || cfg.isUnix()) && next.findListener(slot.name) == nullptr;
}

std::string Worker::bindNew(const config::Config& next, std::vector<uint16_t>& ports) {
  const auto& wanted = next.listeners;
  ports.resize(wanted.size(), 0);
  prepared_.clear();
  for (size_t i = 0; i < wanted.size(); ++i) {
    const config::ListenerConfig& cfg = wanted[i];
    bool serving = false;
    for (const auto& slot : listeners_) {
      if (!serving && sameSocket(*slot, cfg, next)) {
        ports[i] = slot->socket->port();
        serving = true;
      }
    }
    if (serving) continue;
    auto slot = std::make_unique<ListenerSlot>();
    slot->name = cfg.name;
    slot->listen = cfg.listen;
    ListenerSlot* raw = slot.get();
    slot->socket = std::make_unique<io::TcpListener>(
        loop_, [this, raw](std::unique_ptr<io::TcpStream> s) { accept(*raw, std::move(s)); });
    const uint16_t port = ports[i] != 0 ? ports[i] : cfg.listen.port;
    // A Unix socket takes no SO_REUSEPORT: every worker shares the one socket file.
    std::string error = cfg.isUnix()
                            ? slot->socket->listenUnix(cfg.unix_path, cfg.socket_mode)
                            : slot->socket->listen(cfg.listen.host, port, /*reuse_port=*/true);
    if (!error.empty()) {
      prepared_.clear();
      return "listener " + cfg.name + ": " + error;
    }
    ports[i] = slot->socket->port();
    prepared_.push_back(std::move(slot));
  }
  return "";
}

void Worker::commit(std::shared_ptr<const exchange::Snapshot> next) {
  onLoop([this, &next] {
    context_.snapshot = std::move(next);
    const config::Config& config = *context_.snapshot->config;

    std::vector<std::unique_ptr<ListenerSlot>> serving;
    std::vector<ListenerSlot*> renamed;
    auto take = [&](std::vector<std::unique_ptr<ListenerSlot>>& from,
                    const config::ListenerConfig& cfg) {
      for (auto& slot : from) {
        if (!slot || !sameSocket(*slot, cfg, config)) continue;
        if (slot->serving && slot->name != cfg.name) renamed.push_back(slot.get());
        slot->name = cfg.name;
        const bool tcp = cfg.protocol == config::ListenerProtocol::kTcp;
        slot->connections = &context_.metrics.downstreamConnections(cfg.name, tcp ? "tcp" : "http1");
        slot->connections_http2 = &context_.metrics.downstreamConnections(cfg.name, "http2");
        slot->underscore_headers_dropped = &context_.metrics.underscoreHeadersDropped(cfg.name);
        slot->trailers_dropped = &context_.metrics.trailersDropped(cfg.name);
        slot->serving = true;
        serving.push_back(std::move(slot));
        return true;
      }
      return false;
    };
    for (const auto& cfg : config.listeners) {
      if (!take(listeners_, cfg)) take(prepared_, cfg);
    }
    // What is left in listeners_ was removed (or moved to another address): its socket
    // closes, and its connections finish their current request and close, on the
    // generation they last used. So do those of a renamed listener, which keep its old name.
    std::vector<exchange::DownstreamConnection*> retiring;
    for (auto& entry : sessions_) {
      bool removed = false;
      for (const auto& slot : listeners_) removed |= slot && entry.slot == slot.get();
      for (ListenerSlot* slot : renamed) removed |= entry.slot == slot;
      if (!removed) continue;
      entry.slot = nullptr;
      retiring.push_back(entry.session.get());
    }
    listeners_ = std::move(serving);
    prepared_.clear();
    for (auto* session : retiring) session->closeWhenIdle();
    // Connections that arrived on a new listener between prepare() and now.
    for (auto& slot : listeners_) {
      auto waiting = std::move(slot->waiting);
      for (auto& stream : waiting) accept(*slot, std::move(stream));
    }
    context_.retainUpstreamsOf(*context_.snapshot);
    syncStaleRedis(config);
  });
}

void Worker::syncStaleRedis(const config::Config& config) {
  bool wanted = false;
  for (const auto& u : config.upstreams) {
    const auto& stale = u.policies.fallback.stale_if_error;
    wanted |= stale && stale->store == config::StaleStoreKind::kRedis;
  }
  std::optional<config::RedisConfig> next;
  if (wanted) next = config.redis;
  if (next == stale_redis_config_) return;
  // A fetch waiting on the old connection gets no reply: it gives up at its deadline.
  context_.stale_redis = nullptr;
  stale_redis_.reset();
  stale_redis_config_ = next;
  if (!next) return;
  io::RedisClient::Observer observer;
  if (store_metrics_ != nullptr) {
    observer.on_command = [m = store_metrics_](std::string_view command, std::string_view result,
                                               Duration took) {
      m->countCommand(command, result, took);
    };
  }
  stale_redis_ = std::make_unique<io::RedisClient>(loop_, redisClientOptions(*next), observer);
  stale_redis_->start();
  context_.stale_redis = stale_redis_.get();
}

void Worker::abort() {
  onLoop([this] { prepared_.clear(); });
}

void Worker::start(std::function<void()> on_exit) {
  on_exit_ = std::move(on_exit);
  thread_ = std::thread([this] {
    loop_.run();
    finish();
    loop_.shutdown();
    loop_.run();  // let close callbacks free their handles
    if (on_exit_) on_exit_();
  });
}

void Worker::beginDrain() {
  loop_.post([this] { context_.draining = true; });
}

void Worker::stop(Duration timeout) {
  loop_.post([this, timeout] { beginStop(timeout); });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::accept(ListenerSlot& slot, std::unique_ptr<io::TcpStream> stream) {
  if (stopping_) return;  // dropping the stream closes it
  if (!slot.serving) {
    // A listener prepare() bound for a generation not committed yet.
    slot.waiting.push_back(std::move(stream));
    return;
  }
  size_t index = 0;
  const config::ListenerConfig* cfg = context_.snapshot->findListener(slot.name, &index);
  if (cfg == nullptr) return;  // commit() names every serving slot after a listener
  accepted_count_++;
  if (cfg->protocol == config::ListenerProtocol::kTcp) {
    acceptTunnel(slot, *cfg, std::move(stream));
    return;
  }
  // HTTP/1.1 and h2c with prior knowledge share the port: the first bytes tell which.
  auto sniffer = std::make_unique<ProtocolSniffer>(
      loop_, std::move(stream), cfg->limits.header_timeout, slot.connections,
      [this](ProtocolSniffer& decided, AppProtocol protocol,
             std::unique_ptr<io::TcpStream> accepted, std::string first_bytes) {
        for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
          if (it->session.get() != &decided) continue;
          // Freed on the next turn (Loop::deleteLater): we are inside its own call stack.
          loop_.deleteLater(std::move(it->session));
          if (accepted && serve(*it, protocol == AppProtocol::kHttp2, std::move(accepted),
                                std::move(first_bytes)))
            return;
          // Closed or silent before it said anything, or nowhere to serve it any more.
          sessions_.erase(it);
          session_count_--;
          if (stopping_) loop_.defer([this] { maybeFinish(); });
          return;
        }
      });
  ProtocolSniffer& ref = *sniffer;
  sessions_.push_back(SessionEntry{&slot, std::move(sniffer)});
  session_count_++;
  ref.start();
  enforceConnectionLimit(slot);
}

void Worker::acceptTunnel(ListenerSlot& slot, const config::ListenerConfig& cfg,
                          std::unique_ptr<io::TcpStream> stream) {
  auto found = context_.snapshot->upstreams.find(cfg.upstream);
  if (found == context_.snapshot->upstreams.end()) return;  // the validator rules it out
  auto session = std::make_unique<tunnel::TcpTunnelSession>(
      context_, cfg.name, context_.upstreamFor(found->second), std::move(stream),
      slot.connections, [this](tunnel::TcpTunnelSession& closed) { forget(closed); });
  tunnel::TcpTunnelSession& ref = *session;
  sessions_.push_back(SessionEntry{&slot, std::move(session)});
  session_count_++;
  ref.start();
  enforceConnectionLimit(slot);
}

bool Worker::serve(SessionEntry& entry, bool http2, std::unique_ptr<io::TcpStream> stream,
                   std::string first_bytes) {
  size_t index = 0;
  const config::ListenerConfig* cfg =
      entry.slot == nullptr ? nullptr : context_.snapshot->findListener(entry.slot->name, &index);
  if (cfg == nullptr || stopping_) return false;  // its listener went away meanwhile
  // The sniffer counted the connection as http1 until it knew; the session counts it now.
  exchange::ListenerInfo info{cfg, index,
                              http2 ? entry.slot->connections_http2 : entry.slot->connections,
                              entry.slot->underscore_headers_dropped};
  info.trailers_dropped = entry.slot->trailers_dropped;
  if (http2) {
    auto session = std::make_unique<http2::Http2Session>(
        context_, info, std::move(stream), std::move(first_bytes),
        [this](http2::Http2Session& closed) { forget(closed); });
    http2::Http2Session& ref = *session;
    entry.session = std::move(session);
    ref.start();
    return true;
  }
  auto session = std::make_unique<http1::Http1Session>(
      context_, info, std::move(stream), [this](http1::Http1Session& closed) { forget(closed); });
  http1::Http1Session& ref = *session;
  entry.session = std::move(session);
  ref.start();
  ref.takeFirstBytes(first_bytes);
  return true;
}

void Worker::forget(const exchange::DownstreamConnection& closed) {
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    if (it->session.get() != &closed) continue;
    // Freed on the next turn (Loop::deleteLater): we are inside its own call stack.
    loop_.deleteLater(std::move(it->session));
    sessions_.erase(it);
    session_count_--;
    break;
  }
  if (stopping_) loop_.defer([this] { maybeFinish(); });
}

void Worker::enforceConnectionLimit(ListenerSlot& slot) {
  // How often a paused listener looks again; a closing connection frees a place at once,
  // but on another worker's loop, so polling is the simple way to see it.
  constexpr Duration kLimitRecheck = milliseconds(20);
  const config::ListenerConfig* cfg = context_.snapshot->findListener(slot.name);
  if (cfg == nullptr || slot.socket == nullptr) return;
  const bool full = slot.connections->Value() >= cfg->limits.max_connections;
  if (!full) {
    if (slot.socket->paused()) slot.socket->resume();
    return;
  }
  if (!slot.socket->paused()) {
    log::logf(config::LogLevel::kWarn,
              "listener %s: %u connections open (limits.max_connections); new ones wait",
              slot.name.c_str(), cfg->limits.max_connections);
  }
  slot.socket->pause();
  if (!slot.limit_timer) {
    slot.limit_timer =
        std::make_unique<io::Timer>(loop_, [this, &slot] { enforceConnectionLimit(slot); });
  }
  slot.limit_timer->start(kLimitRecheck);
}

void Worker::beginStop(Duration timeout) {
  if (stopping_) return;
  stopping_ = true;
  listeners_.clear();  // stop accepting: closes the listening sockets
  prepared_.clear();
  if (timeout <= Duration::zero()) {
    // Out of time (the drain timeout passed): close everything now, without lingering.
    finish();
    return;
  }
  stop_timer_ = std::make_unique<io::Timer>(loop_, [this] {
    log::logf(config::LogLevel::kWarn,
              "worker %d: %zu connections still busy after the drain timeout; closing", id_,
              sessions_.size());
    finish();
  });
  stop_timer_->start(timeout);
  // Idle keep-alive connections close now; busy ones after their current response.
  std::vector<exchange::DownstreamConnection*> all;
  for (auto& entry : sessions_) all.push_back(entry.session.get());
  for (auto* s : all) s->closeWhenIdle();
  maybeFinish();
}

void Worker::maybeFinish() {
  if (stopping_ && sessions_.empty()) finish();
}

void Worker::finish() {
  if (finished_) return;
  finished_ = true;
  stop_timer_.reset();
  listeners_.clear();
  prepared_.clear();
  sessions_.clear();  // closes any session still open
  session_count_ = 0;
  context_.upstreams.clear();  // closes pooled connections
  context_.stale_redis = nullptr;
  stale_redis_.reset();
  stale_redis_config_.reset();
  // Connections closed gracefully a moment ago need not hold the exit for their linger.
  io::TcpStream::abandonLingering();
}

}  // namespace outrigger::app
