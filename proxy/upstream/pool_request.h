#pragma once
// A request for a pooled connection: the handle its caller owns (Envoy's cancellable pool
// request), and the FIFO queue the pool keeps such requests in. Nothing is allocated per
// request: the handle is a member of its caller and carries its own queue links.

#include <cstddef>
#include <string>

#include "proxy/common/clock.h"

namespace outrigger::upstream {

class ConnectionPool;
class PooledConnection;
class PoolRequest;

enum class PoolFailure {
  kConnectFailed,   // refused, unreachable, reset during connect
  kConnectTimeout,  // timeouts.connect passed
  kPoolTimeout,     // the pool stayed full for timeouts.pool
  kUnresolved,      // the endpoint has no address yet
};

// Told the outcome of a pool request. Never called from inside acquire().
class PoolCallbacks {
 public:
  virtual ~PoolCallbacks() = default;
  virtual void onPoolReady(PooledConnection& connection) = 0;
  virtual void onPoolFailure(PoolFailure failure, const std::string& detail) = 0;
};

// A request's place in one of the pool's queues. The queues are circular, and a queue's own
// node is its sentinel, so a request leaves a queue without knowing which one it is.
struct PoolRequestLink {
  PoolRequestLink* prev = this;
  PoolRequestLink* next = this;
  PoolRequest* request = nullptr;  // null in a queue's own node
  bool linked() const { return next != this; }
};

// Waiting requests in the order they came, with their count.
class PoolRequestQueue {
 public:
  PoolRequestQueue() = default;
  PoolRequestQueue(const PoolRequestQueue&) = delete;  // its nodes point at it
  PoolRequestQueue& operator=(const PoolRequestQueue&) = delete;

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  PoolRequest* front() const { return head_.next->request; }  // null when empty
  // The request queued after the one at `link`, or null.
  static PoolRequest* after(const PoolRequestLink& link) { return link.next->request; }
  void pushBack(PoolRequestLink& link);
  void remove(PoolRequestLink& link);  // `link` must be in this queue

 private:
  PoolRequestLink head_;
  size_t size_ = 0;
};

// A wait for a connection, owned by the caller (a member of it: nothing is allocated per
// request). Destroying it, or cancel(), withdraws the wait; after onPoolReady/onPoolFailure it
// is no longer waiting. Not copyable or movable: while waiting, the pool's queues point at it.
class PoolRequest {
 public:
  PoolRequest();
  ~PoolRequest();  // cancel()
  PoolRequest(const PoolRequest&) = delete;
  PoolRequest& operator=(const PoolRequest&) = delete;

  void cancel();  // safe when not waiting
  bool waiting() const { return pool_ != nullptr; }

 private:
  friend class ConnectionPool;

  ConnectionPool* pool_ = nullptr;  // set while waiting
  PoolCallbacks* callbacks_ = nullptr;
  size_t endpoint_ = 0;
  MonoTime deadline_ = MonoTime::max();  // timeouts.pool, while it waits for pool capacity
  PoolRequestLink in_endpoint_queue_;    // among its endpoint's waiters
  PoolRequestLink in_capacity_queue_;    // among the waiters for capacity, while it is one
};

}  // namespace outrigger::upstream
