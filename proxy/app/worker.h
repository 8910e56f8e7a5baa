#pragma once
// One worker (DESIGN §3): its own thread, loop, listening sockets (SO_REUSEPORT), client
// sessions and upstream connection pools. Nothing here is shared with other workers on
// the request path.
//
// Config generations arrive in two steps, so that a reload either applies everywhere or
// nowhere: prepare() binds the listeners the new config adds (a bind error aborts the
// reload), then commit() serves the new generation, keeping every unchanged listener's socket.

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "proxy/common/clock.h"
#include "proxy/common/random.h"
#include "proxy/exchange/downstream_connection.h"
#include "proxy/exchange/snapshot.h"
#include "proxy/exchange/worker_context.h"
#include "proxy/io/loop.h"
#include "proxy/io/redis_client.h"
#include "proxy/io/tcp_listener.h"
#include "proxy/io/timer.h"

namespace outrigger::metrics {
class StoreMetrics;
}

namespace outrigger::app {

class Worker {
 public:
  // `store_metrics` counts the commands of the worker's Redis connection (shared stale
  // copies); may be null.
  Worker(int id, metrics::Metrics& metrics, log::AccessLog* access_log,
         metrics::StoreMetrics* store_metrics = nullptr);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Binds every listener of `next` this worker does not serve yet (see sameSocket), without
  // serving it: what it accepts waits for commit(). ports[i] is the port for listener i of
  // `next`: 0 means "as configured", and is replaced by the port bound, so later workers
  // share a port-0 listener's port. Called from the main thread; runs on the worker's loop
  // once it started, and blocks until done. On error nothing changes.
  std::string prepare(const config::Config& next, std::vector<uint16_t>& ports);
  // Serves `next`, whose config was prepared: new requests use it; listeners it lacks
  // close, and their connections finish what they are doing and close. Blocks likewise.
  void commit(std::shared_ptr<const exchange::Snapshot> next);
  // Forgets a prepared snapshot and closes the sockets prepare() bound. Blocks likewise.
  void abort();

  void start(std::function<void()> on_exit);
  // Thread-safe. Sidecar drain (DESIGN §7): keep accepting and serving, but every response
  // asks the app to reconnect (Connection: close), so connections wind down.
  void beginDrain();
  // Thread-safe. Stops accepting, lets in-flight requests finish (closing idle
  // connections at once), and ends the thread once no session is left or after timeout.
  void stop(Duration timeout);
  void join();

  // Read from the main thread while draining, to tell when the app has gone quiet.
  size_t sessionCount() const { return session_count_.load(); }
  uint64_t acceptedCount() const { return accepted_count_.load(); }

 private:
  struct ListenerSlot {
    std::string name;
    config::HostPort listen;  // as configured: a port-0 listener stays the same listener
    std::unique_ptr<io::TcpListener> socket;
    prometheus::Gauge* connections = nullptr;  // set when it starts serving: http1, or tcp
    prometheus::Gauge* connections_http2 = nullptr;             // likewise
    prometheus::Counter* underscore_headers_dropped = nullptr;  // likewise
    prometheus::Counter* trailers_dropped = nullptr;            // likewise
    bool serving = false;  // false from prepare() until commit()
    // Accepted after prepare() bound the socket, before commit() made it serve.
    std::vector<std::unique_ptr<io::TcpStream>> waiting;
    // While the listener is at limits.max_connections: checks whether it may accept again.
    std::unique_ptr<io::Timer> limit_timer;
  };
  struct SessionEntry {
    ListenerSlot* slot;  // the listener that accepted it; null once that one is removed
    // A ProtocolSniffer until the first bytes tell, then an HTTP/1.1 or HTTP/2 session.
    std::unique_ptr<exchange::DownstreamConnection> session;
  };

  // Runs fn on the worker's loop (directly before the thread started) and waits for it.
  void onLoop(const std::function<void()>& fn);
  std::string bindNew(const config::Config& next, std::vector<uint16_t>& ports);
  // Whether `slot` serves listener `cfg` of `next`: same name and address; or a listener
  // renamed at the same fixed address, since a second SO_REUSEPORT socket there would take
  // half the new connections and reset them when either closed.
  static bool sameSocket(const ListenerSlot& slot, const config::ListenerConfig& cfg,
                         const config::Config& next);
  void accept(ListenerSlot& slot, std::unique_ptr<io::TcpStream> stream);
  // A `protocol: tcp` listener's connection: piped to its upstream, with no sniffing.
  void acceptTunnel(ListenerSlot& slot, const config::ListenerConfig& cfg,
                    std::unique_ptr<io::TcpStream> stream);
  // The sniffer in `entry` found the protocol: the session for it takes the socket. False
  // when it is not served (its listener went away, or the worker stops).
  bool serve(SessionEntry& entry, bool http2, std::unique_ptr<io::TcpStream> stream,
             std::string first_bytes);
  // A connection closed: its entry goes, and the object on the next turn.
  void forget(const exchange::DownstreamConnection& closed);
  // Pauses the slot while its listener has limits.max_connections open connections (over
  // all workers: the connection gauge is process-wide), and resumes it once it has fewer.
  void enforceConnectionLimit(ListenerSlot& slot);
  // Opens, replaces or closes the worker's Redis connection for shared stale copies: open
  // while `config` has a `redis:` block and an upstream with stale_if_error.store: redis.
  void syncStaleRedis(const config::Config& config);
  void beginStop(Duration timeout);
  void maybeFinish();
  void finish();

  int id_;
  io::Loop loop_;
  io::LoopClock clock_;
  FastRandom random_;
  exchange::WorkerContext context_;
  metrics::StoreMetrics* store_metrics_;
  std::unique_ptr<io::RedisClient> stale_redis_;  // context_.stale_redis
  std::optional<config::RedisConfig> stale_redis_config_;
  std::vector<std::unique_ptr<ListenerSlot>> listeners_;  // serving
  std::vector<std::unique_ptr<ListenerSlot>> prepared_;   // bound by prepare(), not serving
  std::list<SessionEntry> sessions_;
  std::atomic<size_t> session_count_{0};
  std::atomic<uint64_t> accepted_count_{0};
  std::unique_ptr<io::Timer> stop_timer_;
  bool stopping_ = false;
  bool finished_ = false;
  std::function<void()> on_exit_;
  std::thread thread_;
};

}  // namespace outrigger::app
