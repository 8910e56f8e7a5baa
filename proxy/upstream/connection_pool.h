#pragma once
// One worker's connections to one upstream (Envoy's model: pools are per worker, so no
// lock is taken on the request path). Connections are kept per endpoint in three states:
// connecting, idle (LIFO, so the warmest is reused first) and lent out to an exchange.
// A request that finds no idle connection waits in its endpoint's FIFO queue, bounded by
// timeouts.connect when a connection is being opened for it and by timeouts.pool when the
// pool is full; those waiting for room are also in one FIFO queue, which is deadline order.

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "proxy/common/clock.h"
#include "proxy/io/loop.h"
#include "proxy/io/tcp_stream.h"
#include "proxy/io/timer.h"
#include "proxy/upstream/pool_request.h"
#include "proxy/upstream/upstream.h"

namespace outrigger::upstream {

class ConnectionPool;

// A pooled connection. While lent out, the borrowing exchange is the stream's handler.
class PooledConnection final : public io::StreamHandler {
 public:
  PooledConnection(ConnectionPool& pool, size_t endpoint);
  ~PooledConnection() override;

  io::TcpStream& stream() { return *stream_; }
  size_t endpoint() const { return endpoint_; }
  const std::string& peer() const { return peer_; }  // "10.0.0.7:8443"
  uint32_t requestsServed() const { return requests_; }

 private:
  friend class ConnectionPool;
  enum class State { kConnecting, kIdle, kLent, kClosed };

  void onStreamConnected(int error) override;
  void onStreamData(const char* data, size_t len) override;
  void onStreamEnd(int error) override;

  ConnectionPool& pool_;
  size_t endpoint_;
  State state_ = State::kConnecting;
  std::unique_ptr<io::TcpStream> stream_;
  io::Timer timer_;  // connect timeout while connecting, idle timeout while idle
  MonoTime idle_since_{};
  uint32_t requests_ = 0;
  uint64_t tls_generation_ = 0;  // the upstream's TLS identity it was made with
  std::string peer_;
  std::list<std::unique_ptr<PooledConnection>>::iterator self_;
};

class ConnectionPool {
 public:
  ConnectionPool(io::Loop& loop, Clock& clock, std::shared_ptr<const Upstream> upstream);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // An idle connection at once, or nullptr: `request` then waits and `callbacks` is told
  // later (never from inside this call). A request still waiting from before is withdrawn
  // first. The pool's destruction withdraws every request, telling no one.
  PooledConnection* acquire(size_t endpoint, PoolRequest& request, PoolCallbacks& callbacks);
  // Gives a lent connection back. Not reusable (error seen, unread bytes, close asked):
  // it is closed. The borrower must not touch it afterwards.
  void release(PooledConnection& connection, bool reusable);
  // Takes a lent connection out of the pool for good (it switched protocols and becomes a
  // tunnel): its stream, not reading, with no handler. The pool has room for another.
  std::unique_ptr<io::TcpStream> detach(PooledConnection& connection);
  // Closes every idle connection to `endpoint` (its server changed protocol: they speak the
  // old one).
  void closeIdle(size_t endpoint);

  // Requests in flight per endpoint on this worker, for least_request balancing.
  void requestStarted(size_t endpoint) { active_requests_[endpoint]++; }
  void requestFinished(size_t endpoint) { active_requests_[endpoint]--; }
  uint32_t activeRequests(size_t endpoint) const { return active_requests_[endpoint]; }

  const Upstream& upstream() const { return *upstream_; }
  size_t connectionCount() const { return all_.size(); }
  size_t idleCount() const;

 private:
  friend class PooledConnection;
  friend class PoolRequest;

  // One endpoint's waiting requests, oldest first, and how many of them wait for capacity.
  struct EndpointWaiters {
    PoolRequestQueue queue;
    uint32_t for_capacity = 0;
  };

  void startConnection(size_t endpoint);
  void onConnected(PooledConnection& connection);
  void onConnectFailed(PooledConnection& connection, PoolFailure failure, std::string detail);
  void onIdleTimer(PooledConnection& connection);
  void onIdleClosed(PooledConnection& connection);
  void makeIdle(PooledConnection& connection);
  void lend(PooledConnection& connection, PoolRequest& request);
  void fail(PoolRequest& request, PoolFailure failure, const std::string& detail);
  // Takes the request out of every queue: it is no longer waiting.
  void withdraw(PoolRequest& request);
  void waitForCapacity(PoolRequest& request);
  void stopWaitingForCapacity(PoolRequest& request);
  void failUnresolved();
  void destroy(PooledConnection& connection);
  bool closeOneIdle();
  // Opens connections for capacity waiters while there is room, oldest first.
  void serveCapacityWaiters();
  void openForCapacityWaiters();
  size_t waitersFor(size_t endpoint) const { return waiters_[endpoint].queue.size(); }
  PoolRequest* oldestWaiter(size_t endpoint) const { return waiters_[endpoint].queue.front(); }
  void armWaitTimer();
  void onWaitTimer();
  void setState(PooledConnection& connection, PooledConnection::State state);
  // False once a certificate rotation replaced the TLS identity it was made with.
  bool hasCurrentIdentity(const PooledConnection& connection) const;

  io::Loop& loop_;
  Clock& clock_;
  std::shared_ptr<const Upstream> upstream_;
  std::list<std::unique_ptr<PooledConnection>> all_;
  std::vector<std::vector<PooledConnection*>> idle_;  // per endpoint, most recent last
  std::vector<uint32_t> connecting_;                  // per endpoint
  std::vector<uint32_t> active_requests_;             // per endpoint
  std::unique_ptr<EndpointWaiters[]> waiters_;        // per endpoint
  PoolRequestQueue capacity_waiters_;                 // the pool was full; oldest first
  std::vector<uint32_t> covered_;     // serveCapacityWaiters' per-endpoint scratch, kept
  std::vector<char> unresolved_;      // per endpoint: its waiters fail on fail_unresolved_'s run
  io::Timer wait_timer_;              // the oldest capacity waiter's timeouts.pool
  io::DeferredTask fail_unresolved_;  // destroyed with the pool, so it never outlives it
};

}  // namespace outrigger::upstream
