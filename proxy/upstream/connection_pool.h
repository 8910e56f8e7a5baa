#pragma once
// One worker's connections to one upstream (Envoy's model: pools are per worker, so no
// lock is taken on the request path). Connections are kept per endpoint in three states:
// connecting, idle (LIFO, so the warmest is reused first) and lent out to an exchange.
// A request that finds no idle connection waits in a FIFO queue, bounded by
// timeouts.connect when a connection is being opened for it and by timeouts.pool when the
// pool is full.

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "proxy/common/clock.h"
#include "proxy/io/loop.h"
#include "proxy/io/tcp_stream.h"
#include "proxy/io/timer.h"
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

enum class PoolFailure {
  kConnectFailed,   // refused, unreachable, reset during connect
  kConnectTimeout,  // timeouts.connect passed
  kPoolTimeout,     // the pool stayed full for timeouts.pool
  kUnresolved,      // the endpoint has no address yet
};

// Implemented by whoever waits for a connection (the exchange). Lives inside it: the pool
// keeps only a pointer, removed by cancel().
class PoolWaiter {
 public:
  virtual ~PoolWaiter() = default;
  virtual void onPoolReady(PooledConnection& connection) = 0;
  virtual void onPoolFailure(PoolFailure failure, const std::string& detail) = 0;

 private:
  friend class ConnectionPool;
  size_t endpoint_ = 0;
  MonoTime deadline_{};
  bool queued_ = false;
  std::list<PoolWaiter*>::iterator position_;
};

class ConnectionPool {
 public:
  ConnectionPool(io::Loop& loop, Clock& clock, std::shared_ptr<const Upstream> upstream);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Returns an idle connection at once, or nullptr and answers the waiter later (never
  // from inside this call).
  PooledConnection* acquire(size_t endpoint, PoolWaiter& waiter);
  // Withdraws a waiting request. Safe to call when it is not waiting.
  void cancel(PoolWaiter& waiter);
  // Gives a lent connection back. Not reusable (error seen, unread bytes, close asked):
  // it is closed. The borrower must not touch it afterwards.
  void release(PooledConnection& connection, bool reusable);

  // Requests in flight per endpoint on this worker, for least_request balancing.
  void requestStarted(size_t endpoint) { active_requests_[endpoint]++; }
  void requestFinished(size_t endpoint) { active_requests_[endpoint]--; }
  uint32_t activeRequests(size_t endpoint) const { return active_requests_[endpoint]; }

  const Upstream& upstream() const { return *upstream_; }
  size_t connectionCount() const { return all_.size(); }
  size_t idleCount() const;

 private:
  friend class PooledConnection;

  void startConnection(size_t endpoint);
  void onConnected(PooledConnection& connection);
  void onConnectFailed(PooledConnection& connection, PoolFailure failure, std::string detail);
  void onIdleTimer(PooledConnection& connection);
  void onIdleClosed(PooledConnection& connection);
  void makeIdle(PooledConnection& connection);
  void lend(PooledConnection& connection, PoolWaiter& waiter);
  void destroy(PooledConnection& connection);
  bool closeOneIdle();
  void serveCapacityWaiters();
  size_t waitersFor(size_t endpoint) const;
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
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // deferred work checks it
  std::list<PoolWaiter*> waiters_;
  io::Timer wait_timer_;
};

}  // namespace outrigger::upstream
