#include "proxy/upstream/connection_pool.h"

#include <algorithm>

#include "proxy/metrics/metrics.h"

namespace outrigger::upstream {
namespace {
constexpr MonoTime kNoDeadline = MonoTime::max();
}

PooledConnection::PooledConnection(ConnectionPool& pool, size_t endpoint)
    : pool_(pool),
      endpoint_(endpoint),
      stream_(std::make_unique<io::TcpStream>(pool.loop_)),
      timer_(pool.loop_, [this] {
        if (state_ == State::kConnecting) {
          pool_.onConnectFailed(*this, PoolFailure::kConnectTimeout, "connect timeout");
        } else if (state_ == State::kIdle) {
          pool_.onIdleTimer(*this);
        }
      }) {
  stream_->setHandler(this);
}

PooledConnection::~PooledConnection() = default;

void PooledConnection::onStreamConnected(int error) {
  if (state_ != State::kConnecting) return;
  if (stream_->isTls()) countTlsHandshake(pool_.upstream_->metrics(), *stream_, error);
  if (error != 0) {
    pool_.onConnectFailed(*this, PoolFailure::kConnectFailed, connectFailure(*stream_, error));
    return;
  }
  pool_.onConnected(*this);
}

void PooledConnection::onStreamData(const char*, size_t) {
  // An idle connection must stay silent; bytes now mean a confused or closing peer.
  if (state_ == State::kIdle) pool_.onIdleClosed(*this);
}

void PooledConnection::onStreamEnd(int) {
  if (state_ == State::kIdle) pool_.onIdleClosed(*this);
}

ConnectionPool::ConnectionPool(io::Loop& loop, Clock& clock,
                               std::shared_ptr<const Upstream> upstream)
    : loop_(loop),
      clock_(clock),
      upstream_(std::move(upstream)),
      idle_(upstream_->endpointCount()),
      connecting_(upstream_->endpointCount(), 0),
      active_requests_(upstream_->endpointCount(), 0),
      waiters_(std::make_unique<EndpointWaiters[]>(upstream_->endpointCount())),
      covered_(upstream_->endpointCount(), 0),
      unresolved_(upstream_->endpointCount(), 0),
      wait_timer_(loop, [this] { onWaitTimer(); }),
      fail_unresolved_(loop, [this] { failUnresolved(); }) {}

ConnectionPool::~ConnectionPool() {
  // A reload dropped the upstream while requests wait: their handles forget this pool.
  for (size_t e = 0; e < connecting_.size(); ++e) {
    while (PoolRequest* request = oldestWaiter(e)) withdraw(*request);
  }
  for (auto& c : all_) setState(*c, PooledConnection::State::kClosed);
}

size_t ConnectionPool::idleCount() const {
  size_t n = 0;
  for (const auto& list : idle_) n += list.size();
  return n;
}

PooledConnection* ConnectionPool::acquire(size_t endpoint, PoolRequest& request,
                                          PoolCallbacks& callbacks) {
  request.cancel();
  auto& idle = idle_[endpoint];
  while (!idle.empty()) {
    PooledConnection* c = idle.back();
    if (!hasCurrentIdentity(*c)) {
      destroy(*c);  // takes it out of `idle`
      continue;
    }
    idle.pop_back();
    // The idle timer stays pending: it does nothing while the connection is lent, and the
    // next idle period reuses it instead of a timer-heap removal and insertion per request.
    setState(*c, PooledConnection::State::kLent);
    c->requests_++;
    return c;
  }
  request.pool_ = this;
  request.callbacks_ = &callbacks;
  request.endpoint_ = endpoint;
  waiters_[endpoint].queue.pushBack(request.in_endpoint_queue_);
  if (waitersFor(endpoint) <= connecting_[endpoint]) return nullptr;  // one is on its way
  const auto max = upstream_->config().pool.max_connections;
  if (all_.size() < max || closeOneIdle()) {
    startConnection(endpoint);
  } else {
    waitForCapacity(request);
    armWaitTimer();
  }
  return nullptr;
}

void ConnectionPool::waitForCapacity(PoolRequest& request) {
  // Every request waits the same timeouts.pool from a clock that never goes back, so this
  // queue's order is also the order of the deadlines.
  request.deadline_ = clock_.now() + upstream_->config().timeouts.pool;
  capacity_waiters_.pushBack(request.in_capacity_queue_);
  waiters_[request.endpoint_].for_capacity++;
}

void ConnectionPool::stopWaitingForCapacity(PoolRequest& request) {
  if (!request.in_capacity_queue_.linked()) return;
  capacity_waiters_.remove(request.in_capacity_queue_);
  waiters_[request.endpoint_].for_capacity--;
  request.deadline_ = kNoDeadline;
}

void ConnectionPool::withdraw(PoolRequest& request) {
  stopWaitingForCapacity(request);
  waiters_[request.endpoint_].queue.remove(request.in_endpoint_queue_);
  request.pool_ = nullptr;
  request.callbacks_ = nullptr;
}

void ConnectionPool::fail(PoolRequest& request, PoolFailure failure, const std::string& detail) {
  PoolCallbacks& callbacks = *request.callbacks_;
  withdraw(request);  // first: the callback may start a new request on the same handle
  callbacks.onPoolFailure(failure, detail);
}

void ConnectionPool::release(PooledConnection& c, bool reusable) {
  const auto& pool = upstream_->config().pool;
  if (pool.max_requests_per_connection != 0 && c.requests_ >= pool.max_requests_per_connection)
    reusable = false;
  c.stream_->setHandler(&c);
  if (!reusable || !hasCurrentIdentity(c)) {
    c.stream_->setResetOnClose();
    destroy(c);
    serveCapacityWaiters();
    return;
  }
  if (PoolRequest* oldest = oldestWaiter(c.endpoint_)) {
    lend(c, *oldest);
    return;
  }
  makeIdle(c);
}

std::unique_ptr<io::TcpStream> ConnectionPool::detach(PooledConnection& c) {
  std::unique_ptr<io::TcpStream> stream = std::move(c.stream_);
  stream->setHandler(nullptr);
  stream->stopReading();
  destroy(c);
  serveCapacityWaiters();
  return stream;
}

void ConnectionPool::startConnection(size_t endpoint) {
  auto address = upstream_->nextAddress(endpoint);
  if (!address) {
    // Fail on a later turn: acquire() must not call back from inside itself.
    unresolved_[endpoint] = 1;
    fail_unresolved_.schedule();
    return;
  }
  auto owned = std::make_unique<PooledConnection>(*this, endpoint);
  PooledConnection& c = *owned;
  c.self_ = all_.insert(all_.end(), std::move(owned));
  c.peer_ = address->toString();
  connecting_[endpoint]++;
  upstream_->metrics().pool_connecting.Increment();  // the constructor's state is kConnecting
  upstream_->connections(endpoint).connecting.fetch_add(1, std::memory_order_relaxed);
  // The handshake counts inside timeouts.connect: the stream reports connected after it.
  c.timer_.start(upstream_->config().timeouts.connect);
  c.tls_generation_ = upstream_->connect(*c.stream_, endpoint, *address);
}

bool ConnectionPool::hasCurrentIdentity(const PooledConnection& c) const {
  const UpstreamTls* tls = upstream_->tls();
  return tls == nullptr || c.tls_generation_ == tls->generation();
}

void ConnectionPool::failUnresolved() {
  for (size_t e = 0; e < unresolved_.size(); ++e) {
    if (unresolved_[e] == 0) continue;
    unresolved_[e] = 0;
    // Those waiting now. One that a failure callback adds tries to connect again: it gets
    // its own run of this task.
    for (size_t n = waitersFor(e); n > 0 && oldestWaiter(e) != nullptr; --n)
      fail(*oldestWaiter(e), PoolFailure::kUnresolved, "endpoint not resolved");
  }
}

void ConnectionPool::onConnected(PooledConnection& c) {
  c.timer_.stop();
  connecting_[c.endpoint_]--;
  if (PoolRequest* oldest = oldestWaiter(c.endpoint_)) {
    lend(c, *oldest);
    return;
  }
  setState(c, PooledConnection::State::kLent);  // makeIdle takes a lent connection
  makeIdle(c);
}

void ConnectionPool::onConnectFailed(PooledConnection& c, PoolFailure failure, std::string detail) {
  const size_t endpoint = c.endpoint_;
  destroy(c);
  // Waiters that no remaining connection attempt will serve fail now, oldest first.
  while (waitersFor(endpoint) > connecting_[endpoint])
    fail(*oldestWaiter(endpoint), failure, detail);
  serveCapacityWaiters();
}

void ConnectionPool::onIdleTimer(PooledConnection& c) {
  const Duration idle_for = clock_.now() - c.idle_since_;
  const Duration limit = upstream_->config().pool.idle_timeout;
  if (idle_for < limit) {
    c.timer_.fireWithin(limit - idle_for);  // idle again since the timer was set
    return;
  }
  onIdleClosed(c);
}

void ConnectionPool::onIdleClosed(PooledConnection& c) {
  destroy(c);
  serveCapacityWaiters();
}

void ConnectionPool::makeIdle(PooledConnection& c) {
  const auto& pool = upstream_->config().pool;
  if (idleCount() >= pool.max_idle) {
    destroy(c);
    serveCapacityWaiters();
    return;
  }
  setState(c, PooledConnection::State::kIdle);
  idle_[c.endpoint_].push_back(&c);
  c.idle_since_ = clock_.now();
  c.timer_.fireWithin(pool.idle_timeout);
  c.stream_->startReading();  // to notice the peer closing while idle
}

void ConnectionPool::lend(PooledConnection& c, PoolRequest& request) {
  PoolCallbacks& callbacks = *request.callbacks_;
  withdraw(request);
  c.requests_++;
  setState(c, PooledConnection::State::kLent);
  callbacks.onPoolReady(c);
}

void ConnectionPool::closeIdle(size_t endpoint) {
  auto& idle = idle_[endpoint];
  while (!idle.empty()) destroy(*idle.back());  // takes it out of `idle`
}

void ConnectionPool::destroy(PooledConnection& c) {
  if (c.state_ == PooledConnection::State::kClosed) return;
  if (c.state_ == PooledConnection::State::kConnecting) {
    connecting_[c.endpoint_]--;
  } else if (c.state_ == PooledConnection::State::kIdle) {
    auto& idle = idle_[c.endpoint_];
    idle.erase(std::remove(idle.begin(), idle.end(), &c), idle.end());
  }
  setState(c, PooledConnection::State::kClosed);
  c.timer_.stop();
  if (c.stream_) c.stream_->setHandler(nullptr);  // null once detached
  // Freed on the next turn: we may be inside one of its own callbacks.
  auto owned = std::move(*c.self_);
  all_.erase(c.self_);
  loop_.deleteLater(std::move(owned));
}

bool ConnectionPool::closeOneIdle() {
  for (auto& list : idle_) {
    if (!list.empty()) {
      // The oldest idle connection of some endpoint makes room for another endpoint.
      destroy(*list.front());
      return true;
    }
  }
  return false;
}

void ConnectionPool::serveCapacityWaiters() {
  if (!capacity_waiters_.empty()) openForCapacityWaiters();
  armWaitTimer();
}

void ConnectionPool::openForCapacityWaiters() {
  // An endpoint's oldest waiters are covered, one each, by its connections being opened;
  // the rest, its newest, all wait for capacity. So of its capacity waiters, the oldest
  // (count - uncovered) are covered already.
  for (size_t e = 0; e < connecting_.size(); ++e) {
    const EndpointWaiters& w = waiters_[e];
    const size_t uncovered = w.queue.size() - std::min<size_t>(w.queue.size(), connecting_[e]);
    covered_[e] = w.for_capacity - std::min<uint32_t>(w.for_capacity, uncovered);
  }
  const auto max = upstream_->config().pool.max_connections;
  PoolRequest* next = capacity_waiters_.front();
  while (next != nullptr) {
    PoolRequest& request = *next;
    next = PoolRequestQueue::after(request.in_capacity_queue_);
    const size_t e = request.endpoint_;
    if (covered_[e] > 0) {
      covered_[e]--;
      continue;
    }
    if (all_.size() >= max) break;
    // A connection is opened for it: timeouts.connect bounds its wait from now on.
    stopWaitingForCapacity(request);
    startConnection(e);
  }
}

void ConnectionPool::armWaitTimer() {
  const PoolRequest* oldest = capacity_waiters_.front();
  if (oldest == nullptr) {
    wait_timer_.stop();
    return;
  }
  wait_timer_.start(std::max(Duration::zero(), oldest->deadline_ - clock_.now()));
}

void ConnectionPool::onWaitTimer() {
  const MonoTime now = clock_.now();
  while (PoolRequest* oldest = capacity_waiters_.front()) {
    if (oldest->deadline_ > now) break;
    fail(*oldest, PoolFailure::kPoolTimeout, "no connection available within timeouts.pool");
  }
  armWaitTimer();
}

void ConnectionPool::setState(PooledConnection& c, PooledConnection::State state) {
  // Where a connection in a state is counted: the pool gauge, and the endpoint's count for
  // GET /upstreams. A closed connection is counted nowhere.
  struct Counted {
    prometheus::Gauge* gauge = nullptr;
    std::atomic<int32_t>* count = nullptr;
  };
  auto& m = upstream_->metrics();
  auto& counts = upstream_->connections(c.endpoint());
  auto counted = [&](PooledConnection::State s) -> Counted {
    switch (s) {
      case PooledConnection::State::kConnecting:
        return {&m.pool_connecting, &counts.connecting};
      case PooledConnection::State::kIdle:
        return {&m.pool_idle, &counts.idle};
      case PooledConnection::State::kLent:
        return {&m.pool_active, &counts.active};
      case PooledConnection::State::kClosed:
        return {};
    }
    return {};
  };
  if (const Counted from = counted(c.state_); from.gauge) {
    from.gauge->Decrement();
    from.count->fetch_sub(1, std::memory_order_relaxed);
  }
  if (const Counted to = counted(state); to.gauge) {
    to.gauge->Increment();
    to.count->fetch_add(1, std::memory_order_relaxed);
  }
  c.state_ = state;
}

}  // namespace outrigger::upstream
