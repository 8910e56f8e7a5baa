// The per-worker connection pool on a real loop over loopback: event-driven, no sleeps.
// Each test ends by destroying the loop, which aborts if any libuv handle leaked.
#include "proxy/upstream/connection_pool.h"

#include <gtest/gtest.h>

#include <list>

#include "proxy/io/tcp_listener.h"
#include "proxy/metrics/metrics.h"
#include "proxy/metrics/policy_metrics.h"

namespace outrigger::upstream {
namespace {

class Waiter final : public PoolWaiter {
 public:
  explicit Waiter(io::Loop& loop) : loop_(loop) {}
  void onPoolReady(PooledConnection& connection) override {
    ready = &connection;
    loop_.stop();
  }
  void onPoolFailure(PoolFailure f, const std::string& why) override {
    failure = f;
    failed = true;
    detail = why;
    loop_.stop();
  }
  PooledConnection* ready = nullptr;
  bool failed = false;
  PoolFailure failure = PoolFailure::kConnectFailed;
  std::string detail;

 private:
  io::Loop& loop_;
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
  void makePool(uint32_t max_connections, uint16_t port = 0) {
    config::UpstreamConfig cfg;
    cfg.name = "u";
    const uint16_t p = port != 0 ? port : server_->port();
    cfg.endpoints.push_back({"127.0.0.1", p, "127.0.0.1:" + std::to_string(p)});
    cfg.pool.max_connections = max_connections;
    upstream_ = std::make_shared<Upstream>(cfg, metrics_.upstream("u"),
                                           policy_metrics_.upstream("u", {"e"}), clock_.now());
    pool_ = std::make_unique<ConnectionPool>(*loop_, clock_, upstream_);
  }

  metrics::Metrics metrics_;
  metrics::PolicyMetrics policy_metrics_{metrics_.registry()};
  std::unique_ptr<io::Loop> loop_ = std::make_unique<io::Loop>();
  io::LoopClock clock_;
  std::unique_ptr<io::TcpListener> server_;
  std::list<std::unique_ptr<io::TcpStream>> accepted_;
  std::shared_ptr<Upstream> upstream_;
  std::unique_ptr<ConnectionPool> pool_;
};

TEST_F(ConnectionPoolTest, ConnectsThenReusesTheIdleConnection) {
  makePool(4);
  Waiter w(*loop_);
  EXPECT_EQ(pool_->acquire(0, w), nullptr);  // never answers from inside acquire()
  loop_->run();
  ASSERT_NE(w.ready, nullptr);
  EXPECT_EQ(w.ready->requestsServed(), 1u);
  PooledConnection* first = w.ready;
  pool_->release(*first, /*reusable=*/true);
  EXPECT_EQ(pool_->idleCount(), 1u);

  Waiter again(*loop_);
  PooledConnection* reused = pool_->acquire(0, again);
  EXPECT_EQ(reused, first);
  EXPECT_EQ(reused->requestsServed(), 2u);
  EXPECT_EQ(pool_->idleCount(), 0u);
  EXPECT_EQ(pool_->connectionCount(), 1u);
  pool_->release(*reused, true);
}

TEST_F(ConnectionPoolTest, ConnectFailureReachesTheWaiter) {
  const uint16_t closed = server_->port();
  server_.reset();  // nothing listens there any more
  makePool(4, closed);
  Waiter w(*loop_);
  EXPECT_EQ(pool_->acquire(0, w), nullptr);
  loop_->run();
  EXPECT_TRUE(w.failed);
  EXPECT_EQ(w.failure, PoolFailure::kConnectFailed);
  EXPECT_EQ(w.detail, "ECONNREFUSED");
  EXPECT_EQ(pool_->connectionCount(), 0u);
}

TEST_F(ConnectionPoolTest, FullPoolHandsAReleasedConnectionToTheNextWaiter) {
  makePool(1);
  Waiter first(*loop_), second(*loop_);
  pool_->acquire(0, first);
  loop_->run();
  ASSERT_NE(first.ready, nullptr);
  EXPECT_EQ(pool_->acquire(0, second), nullptr);  // the pool is full: it waits
  pool_->release(*first.ready, true);
  EXPECT_EQ(second.ready, first.ready);
  EXPECT_EQ(pool_->connectionCount(), 1u);
  pool_->release(*second.ready, true);
}

TEST_F(ConnectionPoolTest, UnreusableConnectionIsClosedAndReplaced) {
  makePool(1);
  Waiter first(*loop_), second(*loop_);
  pool_->acquire(0, first);
  loop_->run();
  PooledConnection* broken = first.ready;
  ASSERT_NE(broken, nullptr);
  pool_->acquire(0, second);
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
  pool_->acquire(0, first);
  loop_->run();
  pool_->acquire(0, cancelled);
  pool_->cancel(cancelled);
  pool_->release(*first.ready, true);
  EXPECT_EQ(cancelled.ready, nullptr);
  EXPECT_FALSE(cancelled.failed);
  EXPECT_EQ(pool_->idleCount(), 1u);
}

}  // namespace
}  // namespace outrigger::upstream
