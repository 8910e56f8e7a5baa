// The per-worker connection pool on a real loop over loopback: event-driven, no sleeps.
// Each test ends by destroying the loop, which aborts if any libuv handle leaked.
#include "proxy/upstream/connection_pool.h"

#include <gtest/gtest.h>

#include <list>
#include <string>
#include <vector>

#include "proxy/io/tcp_listener.h"
#include "proxy/metrics/metrics.h"
#include "proxy/metrics/policy_metrics.h"

namespace outrigger::upstream {
namespace {

using Log = std::vector<std::string>;

// A caller of the pool: owns its request, as the exchange does, and notes what it was told
// (in `log` too, under its name, when it has one).
class Waiter final : public PoolCallbacks {
 public:
  explicit Waiter(io::Loop& loop, Log* log = nullptr, std::string name = "")
      : loop_(loop), log_(log), name_(std::move(name)) {}
  PooledConnection* acquire(ConnectionPool& pool, size_t endpoint) {
    return pool.acquire(endpoint, request, *this);
  }
  void onPoolReady(PooledConnection& connection) override {
    EXPECT_FALSE(request.waiting());
    ready = &connection;
    if (log_ != nullptr)
      log_->push_back(name_ + " ready on " + std::to_string(connection.endpoint()));
    loop_.stop();
  }
  void onPoolFailure(PoolFailure f, const std::string& why) override {
    EXPECT_FALSE(request.waiting());
    failure = f;
    failed = true;
    detail = why;
    if (log_ != nullptr) log_->push_back(name_ + " failed");
    loop_.stop();
  }
  PoolRequest request;
  PooledConnection* ready = nullptr;
  bool failed = false;
  PoolFailure failure = PoolFailure::kConnectFailed;
  std::string detail;

 private:
  io::Loop& loop_;
  Log* log_;
  std::string name_;
};

class ConnectionPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<io::TcpListener>(
        *loop_, [this](std::unique_ptr<io::TcpStream> s) { accepted_.push_back(std::move(s)); });
    ASSERT_EQ(server_->listen("127.0.0.1", 0, false), "");
  }
  void TearDown() override {
    pool_.reset();
    upstream_.reset();
    accepted_.clear();
    server_.reset();
    loop_.reset();  // aborts if a handle was leaked
  }
  // One endpoint per port given; port 0 is the test's server. With `host`, the endpoints
  // are that name instead, which nothing has resolved.
  void makePool(uint32_t max_connections, std::vector<uint16_t> ports = {0},
                Duration pool_timeout = std::chrono::seconds(2), std::string host = "127.0.0.1") {
    config::UpstreamConfig cfg;
    cfg.name = "u";
    for (uint16_t port : ports) {
      const uint16_t p = port != 0 ? port : server_->port();
      cfg.endpoints.push_back({host, p, host + ":" + std::to_string(p)});
    }
    cfg.pool.max_connections = max_connections;
    cfg.timeouts.pool = pool_timeout;
    std::vector<std::string> labels;
    for (const auto& e : cfg.endpoints) labels.push_back(e.text);
    upstream_ = std::make_shared<Upstream>(cfg, metrics_.upstream("u"),
                                           policy_metrics_.upstream("u", labels), clock_.now());
    pool_ = std::make_unique<ConnectionPool>(*loop_, clock_, upstream_);
  }

  // A waiter's callback stops the loop; one called outside run() makes the next run()
  // return at once. So run until `done`, a few times at most.
  template <typename Done>
  void runUntil(Done done) {
    for (int i = 0; i < 5 && !done(); ++i) loop_->run();
  }

  metrics::Metrics metrics_;
  metrics::PolicyMetrics policy_metrics_{metrics_.registry()};
  std::unique_ptr<io::Loop> loop_ = std::make_unique<io::Loop>();
  // Deadlines are read from it; the loop's timers still run on real time, so a test that
  // lets a deadline pass advances this clock and lets the (short) timer fire.
  ManualClock clock_;
  std::unique_ptr<io::TcpListener> server_;
  std::list<std::unique_ptr<io::TcpStream>> accepted_;
  std::shared_ptr<Upstream> upstream_;
  std::unique_ptr<ConnectionPool> pool_;
};

TEST_F(ConnectionPoolTest, ConnectsThenReusesTheIdleConnection) {
  makePool(4);
  Waiter w(*loop_);
  EXPECT_EQ(w.acquire(*pool_, 0), nullptr);  // never answers from inside acquire()
  loop_->run();
  ASSERT_NE(w.ready, nullptr);
  EXPECT_EQ(w.ready->requestsServed(), 1u);
  PooledConnection* first = w.ready;
  pool_->release(*first, /*reusable=*/true);
  EXPECT_EQ(pool_->idleCount(), 1u);

  Waiter again(*loop_);
  PooledConnection* reused = again.acquire(*pool_, 0);
  EXPECT_EQ(reused, first);
  EXPECT_EQ(reused->requestsServed(), 2u);
  EXPECT_EQ(pool_->idleCount(), 0u);
  EXPECT_EQ(pool_->connectionCount(), 1u);
  pool_->release(*reused, true);
}

TEST_F(ConnectionPoolTest, ConnectFailureReachesTheWaiter) {
  const uint16_t closed = server_->port();
  server_.reset();  // nothing listens there any more
  makePool(4, {closed});
  Waiter w(*loop_);
  EXPECT_EQ(w.acquire(*pool_, 0), nullptr);
  loop_->run();
  EXPECT_TRUE(w.failed);
  EXPECT_EQ(w.failure, PoolFailure::kConnectFailed);
  EXPECT_EQ(w.detail, "ECONNREFUSED");
  EXPECT_EQ(pool_->connectionCount(), 0u);
}

TEST_F(ConnectionPoolTest, FullPoolHandsAReleasedConnectionToTheNextWaiter) {
  makePool(1);
  Waiter first(*loop_), second(*loop_);
  first.acquire(*pool_, 0);
  loop_->run();
  ASSERT_NE(first.ready, nullptr);
  EXPECT_EQ(second.acquire(*pool_, 0), nullptr);  // the pool is full: it waits
  pool_->release(*first.ready, true);
  EXPECT_EQ(second.ready, first.ready);
  EXPECT_EQ(pool_->connectionCount(), 1u);
  pool_->release(*second.ready, true);
}

TEST_F(ConnectionPoolTest, UnreusableConnectionIsClosedAndReplaced) {
  makePool(1);
  Waiter first(*loop_), second(*loop_);
  first.acquire(*pool_, 0);
  loop_->run();
  PooledConnection* broken = first.ready;
  ASSERT_NE(broken, nullptr);
  second.acquire(*pool_, 0);
  pool_->release(*broken, /*reusable=*/false);  // frees capacity: a new connection opens
  loop_->run();
  ASSERT_NE(second.ready, nullptr);
  EXPECT_EQ(pool_->connectionCount(), 1u);
  EXPECT_EQ(accepted_.size(), 2u);
  pool_->release(*second.ready, true);
}

TEST_F(ConnectionPoolTest, CancelledWaiterIsNeverCalled) {
  makePool(1);
  Waiter first(*loop_), cancelled(*loop_);
  first.acquire(*pool_, 0);
  loop_->run();
  cancelled.acquire(*pool_, 0);
  EXPECT_TRUE(cancelled.request.waiting());
  cancelled.request.cancel();
  EXPECT_FALSE(cancelled.request.waiting());
  cancelled.request.cancel();  // safe when not waiting
  pool_->release(*first.ready, true);
  EXPECT_EQ(cancelled.ready, nullptr);
  EXPECT_FALSE(cancelled.failed);
  EXPECT_EQ(pool_->idleCount(), 1u);
}

TEST_F(ConnectionPoolTest, DestroyedWaiterIsNeverCalledAndTheNextOneTakesItsPlace) {
  makePool(1);
  Log log;
  Waiter first(*loop_);
  first.acquire(*pool_, 0);
  loop_->run();
  ASSERT_NE(first.ready, nullptr);
  auto gone = std::make_unique<Waiter>(*loop_, &log, "gone");
  Waiter next(*loop_, &log, "next");
  EXPECT_EQ(gone->acquire(*pool_, 0), nullptr);
  EXPECT_EQ(next.acquire(*pool_, 0), nullptr);
  gone.reset();  // its owner went away while it waited: the wait goes with it
  pool_->release(*first.ready, true);
  EXPECT_EQ(log, (Log{"next ready on 0"}));
  ASSERT_EQ(next.ready, first.ready);
  pool_->release(*next.ready, true);
}

TEST_F(ConnectionPoolTest, ConnectionOpenedForADestroyedWaiterServesTheNextOne) {
  makePool(4);
  Log log;
  auto gone = std::make_unique<Waiter>(*loop_, &log, "gone");
  gone->acquire(*pool_, 0);  // opens a connection for it
  gone.reset();
  Waiter next(*loop_, &log, "next");
  EXPECT_EQ(next.acquire(*pool_, 0), nullptr);  // the one being opened covers it
  loop_->run();
  EXPECT_EQ(log, (Log{"next ready on 0"}));
  EXPECT_EQ(accepted_.size(), 1u);
  EXPECT_EQ(pool_->connectionCount(), 1u);
  ASSERT_NE(next.ready, nullptr);
  pool_->release(*next.ready, true);
}

TEST_F(ConnectionPoolTest, EachEndpointServesItsOwnWaitersOldestFirst) {
  makePool(1, {0, 0});
  Log log;
  Waiter first(*loop_), w1(*loop_, &log, "w1"), w2(*loop_, &log, "w2"), w3(*loop_, &log, "w3");
  first.acquire(*pool_, 0);
  loop_->run();
  ASSERT_NE(first.ready, nullptr);
  EXPECT_EQ(w1.acquire(*pool_, 1), nullptr);  // the pool is full: all three wait
  EXPECT_EQ(w2.acquire(*pool_, 0), nullptr);
  EXPECT_EQ(w3.acquire(*pool_, 0), nullptr);
  pool_->release(*first.ready, true);  // endpoint 0's connection: w1 is not its waiter
  EXPECT_EQ(log, (Log{"w2 ready on 0"}));
  pool_->release(*w2.ready, true);
  EXPECT_EQ(log, (Log{"w2 ready on 0", "w3 ready on 0"}));
  EXPECT_EQ(w3.ready, first.ready);
  pool_->release(*w3.ready, /*reusable=*/false);  // room at last: w1's endpoint connects
  runUntil([&] { return w1.ready != nullptr || w1.failed; });
  EXPECT_EQ(log, (Log{"w2 ready on 0", "w3 ready on 0", "w1 ready on 1"}));
  EXPECT_EQ(accepted_.size(), 2u);
  ASSERT_NE(w1.ready, nullptr);
  pool_->release(*w1.ready, true);
}

TEST_F(ConnectionPoolTest, PoolTimeoutsExpireOldestFirstEachAtItsOwnDeadline) {
  makePool(1, {0}, std::chrono::milliseconds(5));
  Log log;
  Waiter first(*loop_), a(*loop_, &log, "a"), b(*loop_, &log, "b"), c(*loop_, &log, "c");
  first.acquire(*pool_, 0);
  loop_->run();
  ASSERT_NE(first.ready, nullptr);
  a.acquire(*pool_, 0);  // due at +5ms
  clock_.advance(std::chrono::milliseconds(3));
  b.acquire(*pool_, 0);  // due at +8ms
  c.acquire(*pool_, 0);  // due at +8ms
  clock_.advance(std::chrono::milliseconds(2));
  loop_->run();  // the timer fires after 2ms of real time
  EXPECT_EQ(log, (Log{"a failed"}));
  EXPECT_EQ(a.failure, PoolFailure::kPoolTimeout);
  EXPECT_EQ(a.detail, "no connection available within timeouts.pool");
  EXPECT_TRUE(b.request.waiting());
  EXPECT_TRUE(c.request.waiting());
  clock_.advance(std::chrono::milliseconds(3));
  loop_->run();
  EXPECT_EQ(log, (Log{"a failed", "b failed", "c failed"}));
  EXPECT_EQ(c.failure, PoolFailure::kPoolTimeout);
  pool_->release(*first.ready, true);
  EXPECT_EQ(pool_->idleCount(), 1u);  // nobody waits any more
}

TEST_F(ConnectionPoolTest, ConnectFailureOnOneEndpointLeavesAnotherEndpointsWaiters) {
  auto refusing = std::make_unique<io::TcpListener>(*loop_, [](std::unique_ptr<io::TcpStream>) {});
  ASSERT_EQ(refusing->listen("127.0.0.1", 0, false), "");
  const uint16_t closed = refusing->port();
  refusing.reset();  // nothing listens there any more
  makePool(2, {closed, 0});
  Log log;
  Waiter first(*loop_), a(*loop_, &log, "a"), b(*loop_, &log, "b");
  first.acquire(*pool_, 1);
  loop_->run();
  ASSERT_NE(first.ready, nullptr);
  EXPECT_EQ(a.acquire(*pool_, 0), nullptr);  // opens the second connection, refused
  EXPECT_EQ(b.acquire(*pool_, 1), nullptr);  // the pool is full: b waits for room
  loop_->run();
  EXPECT_EQ(log, (Log{"a failed"}));
  EXPECT_EQ(a.detail, "ECONNREFUSED");
  EXPECT_TRUE(b.request.waiting());  // the failed attempt made room: one opens for b
  loop_->run();
  EXPECT_EQ(log, (Log{"a failed", "b ready on 1"}));
  EXPECT_EQ(pool_->connectionCount(), 2u);
  ASSERT_NE(b.ready, nullptr);
  pool_->release(*first.ready, true);
  pool_->release(*b.ready, true);
}

TEST_F(ConnectionPoolTest, UnresolvedEndpointFailsItsWaitersOnALaterTurnOldestFirst) {
  makePool(4, {80}, std::chrono::seconds(2), "backend.invalid");
  Log log;
  Waiter a(*loop_, &log, "a"), b(*loop_, &log, "b");
  EXPECT_EQ(a.acquire(*pool_, 0), nullptr);
  EXPECT_EQ(b.acquire(*pool_, 0), nullptr);
  EXPECT_TRUE(log.empty());  // never from inside acquire()
  runUntil([&] { return log.size() == 2; });
  EXPECT_EQ(log, (Log{"a failed", "b failed"}));
  EXPECT_EQ(b.failure, PoolFailure::kUnresolved);
  EXPECT_EQ(b.detail, "endpoint not resolved");
  EXPECT_EQ(pool_->connectionCount(), 0u);
}

TEST_F(ConnectionPoolTest, PoolGoneBeforeItsUnresolvedFailureRanTellsNoOne) {
  makePool(4, {80}, std::chrono::seconds(2), "backend.invalid");
  Waiter a(*loop_);
  a.acquire(*pool_, 0);
  pool_.reset();
  EXPECT_FALSE(a.request.waiting());
  // Two turns later: the turn its failure was due in has passed.
  loop_->defer([this] { loop_->defer([this] { loop_->stop(); }); });
  loop_->run();
  EXPECT_FALSE(a.failed);
}

TEST_F(ConnectionPoolTest, PoolGoneWhileARequestWaitsLeavesTheRequestSafe) {
  makePool(1);
  Waiter first(*loop_), waiting(*loop_);
  first.acquire(*pool_, 0);
  loop_->run();
  waiting.acquire(*pool_, 0);
  EXPECT_TRUE(waiting.request.waiting());
  pool_.reset();  // a reload dropped the upstream
  EXPECT_FALSE(waiting.request.waiting());
  waiting.request.cancel();  // and its destructor: nothing left to touch
  EXPECT_FALSE(waiting.failed);
}

}  // namespace
}  // namespace outrigger::upstream
