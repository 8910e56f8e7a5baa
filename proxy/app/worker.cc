#include "proxy/app/worker.h"

#include "proxy/log/logger.h"
#include "proxy/metrics/metrics.h"

namespace outrigger::app {

Worker::Worker(int id, metrics::Metrics& metrics, log::AccessLog* access_log,
               std::shared_ptr<const exchange::Snapshot> snapshot)
    : id_(id), random_(entropySeed()), context_{loop_,   clock_,     random_,
                                                metrics, access_log, std::move(snapshot),
                                                {}} {}

Worker::~Worker() { join(); }

std::string Worker::bind(std::vector<uint16_t>& ports) {
  const auto& listeners = context_.snapshot->config->listeners;
  ports.resize(listeners.size(), 0);
  for (size_t i = 0; i < listeners.size(); ++i) {
    const auto& cfg = listeners[i];
    auto listener = std::make_unique<io::TcpListener>(
        loop_, [this, i](std::unique_ptr<io::TcpStream> s) { accept(i, std::move(s)); });
    const uint16_t port = ports[i] != 0 ? ports[i] : cfg.listen.port;
    std::string error = listener->listen(cfg.listen.host, port, /*reuse_port=*/true);
    if (!error.empty()) return "listener " + cfg.name + ": " + error;
    ports[i] = listener->port();
    listeners_.push_back(std::move(listener));
    connection_gauges_.push_back(&context_.metrics.downstreamConnections(cfg.name));
  }
  return "";
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

void Worker::stop(Duration timeout) {
  loop_.post([this, timeout] { beginStop(timeout); });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::accept(size_t listener_index, std::unique_ptr<io::TcpStream> stream) {
  if (stopping_) return;  // dropping the stream closes it
  const auto& cfg = context_.snapshot->config->listeners[listener_index];
  exchange::ListenerInfo info{&cfg, listener_index, connection_gauges_[listener_index]};
  auto session = std::make_unique<exchange::DownstreamSession>(
      context_, info, std::move(stream), [this](exchange::DownstreamSession& closed) {
        // Freed on the next turn: we are inside the session's own call stack.
        for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
          if (it->get() == &closed) {
            auto dead = std::shared_ptr<exchange::DownstreamSession>(std::move(*it));
            sessions_.erase(it);
            session_count_--;
            loop_.defer([dead] {});
            break;
          }
        }
        if (stopping_) loop_.defer([this] { maybeFinish(); });
      });
  exchange::DownstreamSession& ref = *session;
  sessions_.push_back(std::move(session));
  session_count_++;
  ref.start();
}

void Worker::beginStop(Duration timeout) {
  if (stopping_) return;
  stopping_ = true;
  listeners_.clear();  // stop accepting: closes the listening sockets
  stop_timer_ = std::make_unique<io::Timer>(loop_, [this] {
    log::logf(config::LogLevel::kWarn,
              "worker %d: %zu connections still busy after the drain timeout; closing", id_,
              sessions_.size());
    finish();
  });
  stop_timer_->start(timeout);
  // Idle keep-alive connections close now; busy ones after their current response.
  std::vector<exchange::DownstreamSession*> all;
  for (auto& s : sessions_) all.push_back(s.get());
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
  sessions_.clear();  // closes any session still open
  session_count_ = 0;
  context_.upstreams.clear();  // closes pooled connections
}

}  // namespace outrigger::app
