#pragma once
// One worker (DESIGN §3): its own thread, loop, listening sockets (SO_REUSEPORT), client
// sessions and upstream connection pools. Nothing here is shared with other workers on
// the request path.

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "proxy/common/clock.h"
#include "proxy/common/random.h"
#include "proxy/exchange/downstream_session.h"
#include "proxy/exchange/snapshot.h"
#include "proxy/exchange/worker_context.h"
#include "proxy/io/loop.h"
#include "proxy/io/tcp_listener.h"
#include "proxy/io/timer.h"

namespace outrigger::app {

class Worker {
 public:
  Worker(int id, metrics::Metrics& metrics, log::AccessLog* access_log,
         std::shared_ptr<const exchange::Snapshot> snapshot);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Binds every listener on this worker's loop; called on the main thread before start().
  // ports[i] is the port for listener i: 0 means "as configured" (and is replaced by the
  // port actually bound, so later workers share a port-0 listener's port).
  std::string bind(std::vector<uint16_t>& ports);
  void start(std::function<void()> on_exit);
  // Thread-safe. Stops accepting, lets in-flight requests finish (closing idle
  // connections at once), and ends the thread once no session is left or after timeout.
  void stop(Duration timeout);
  void join();
  size_t sessionCount() const { return session_count_.load(); }

 private:
  void accept(size_t listener_index, std::unique_ptr<io::TcpStream> stream);
  void beginStop(Duration timeout);
  void maybeFinish();
  void finish();

  int id_;
  io::Loop loop_;
  io::LoopClock clock_;
  FastRandom random_;
  exchange::WorkerContext context_;
  std::vector<std::unique_ptr<io::TcpListener>> listeners_;
  std::vector<prometheus::Gauge*> connection_gauges_;
  std::list<std::unique_ptr<exchange::DownstreamSession>> sessions_;
  std::atomic<size_t> session_count_{0};
  std::unique_ptr<io::Timer> stop_timer_;
  bool stopping_ = false;
  bool finished_ = false;
  std::function<void()> on_exit_;
  std::thread thread_;
};

}  // namespace outrigger::app
