// protocol: tcp listeners (issue 18): a real redis-server behind an L4 listener, reached
// with redis-cli through outrigger, with the upstream's connect retry, breaker and bulkhead.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <functional>
#include <string>
#include <thread>

#include "tests/integration/proxy_fixture.h"
#include "tests/integration/redis_server.h"
#include "tests/support/lib/http_client.h"

namespace outrigger::testing {
namespace {

// Redis on a loopback TCP port (upstream endpoints are host:port): a port found free just
// before, and its Unix socket for redis-cli's readiness check.
std::unique_ptr<RedisServer> redisOnPort(const TempDir& dir, uint16_t port) {
  return std::make_unique<RedisServer>(dir,
                                       std::vector<std::string>{"--port", std::to_string(port)});
}

std::string tcpConfig(const std::string& endpoints, const std::string& upstream_extra = "") {
  return "admin: { listen: 127.0.0.1:0 }\n"
         "access_log: { path: off }\n"
         "listeners:\n"
         "  - name: redis\n"
         "    listen: 127.0.0.1:0\n"
         "    protocol: tcp\n"
         "    upstream: cache\n"
         "upstreams:\n"
         "  cache:\n"
         "    endpoints: [ " +
         endpoints + " ]\n" + "    load_balancing: round_robin\n" + upstream_extra;
}

std::string endpoint(uint16_t port) { return "\"127.0.0.1:" + std::to_string(port) + "\""; }

// redis-cli through the listener; its output, trimmed.
std::string cliThrough(uint16_t port, const std::string& args) {
  std::string out;
  runCommand("/usr/bin/redis-cli -h 127.0.0.1 -p " + std::to_string(port) + " " + args, &out);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}


class TcpListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!redisInstalled()) GTEST_SKIP() << "redis-server is not installed";
  }
  void startProxy(const std::string& yaml) {
    proxy_ = std::make_unique<OutriggerProcess>(dir_, yaml);
    ASSERT_TRUE(proxy_->ok()) << "outrigger did not start:\n" << proxy_->log();
    port_ = proxy_->port("redis");
  }
  double metric(const std::string& name, const std::map<std::string, std::string>& labels) {
    return proxy_->metric(name, labels).value_or(0);
  }

  TempDir dir_;
  std::unique_ptr<OutriggerProcess> proxy_;
  uint16_t port_ = 0;
};

TEST_F(TcpListenerTest, RedisCommandsPassThroughAndTheTunnelIsCounted) {
  const uint16_t redis_port = closedPort();
  auto redis = redisOnPort(dir_, redis_port);
  ASSERT_TRUE(redis->ok());
  startProxy(tcpConfig(endpoint(redis_port)));
  EXPECT_EQ(cliThrough(port_, "PING"), "PONG");
  EXPECT_EQ(cliThrough(port_, "SET greeting hello"), "OK");
  EXPECT_EQ(cliThrough(port_, "GET greeting"), "hello");
  EXPECT_EQ(redis->cli("GET greeting"), "hello\n");  // it reached the real server
  // A pipelined batch, both ways at once.
  std::string out;
  runCommand("printf 'PING\\r\\nPING\\r\\nPING\\r\\n' | /usr/bin/redis-cli -h 127.0.0.1 -p " +
                 std::to_string(port_),
             &out);
  EXPECT_EQ(out, "PONG\nPONG\nPONG\n");
  const std::map<std::string, std::string> closed = {
      {"upstream", "cache"}, {"kind", "tcp"}, {"result", "closed"}};
  EXPECT_TRUE(eventually([&] { return metric("outrigger_tunnels_total", closed) >= 4; }));
  EXPECT_GT(metric("outrigger_tunnel_bytes_total", {{"upstream", "cache"}, {"direction", "up"}}),
            0);
  EXPECT_GT(metric("outrigger_tunnel_bytes_total", {{"upstream", "cache"}, {"direction", "down"}}),
            0);
  EXPECT_TRUE(eventually([&] {
    return metric("outrigger_tunnels_active", {{"upstream", "cache"}, {"kind", "tcp"}}) == 0;
  }));
}

// A client library rather than redis-cli: python3-redis with its own connection pool, a
// pipeline and a pub/sub round trip, all through the one tcp listener.
TEST_F(TcpListenerTest, APythonRedisClientWorksThroughTheListener) {
  if (commandOutput("/usr/bin/python3 -c 'import redis' && echo ok") != "ok\n") {
    GTEST_SKIP() << "python3-redis is not installed";
  }
  const uint16_t redis_port = closedPort();
  auto redis = redisOnPort(dir_, redis_port);
  ASSERT_TRUE(redis->ok());
  startProxy(tcpConfig(endpoint(redis_port)));
  const std::string script =
      "import redis\n"
      "r = redis.Redis(host='127.0.0.1', port=" + std::to_string(port_) + ", socket_timeout=5)\n"
      "r.set('counter', 0)\n"
      "p = r.pipeline()\n"
      "for _ in range(100): p.incr('counter')\n"
      "p.execute()\n"
      "s = r.pubsub(); s.subscribe('news'); s.get_message(timeout=2)\n"
      "r.publish('news', 'hello')\n"
      "m = s.get_message(timeout=2)\n"
      "print(int(r.get('counter')), m['data'].decode())\n";
  dir_.write("client.py", script);
  EXPECT_EQ(commandOutput("/usr/bin/python3 " + dir_.path() + "/client.py"), "100 hello\n");
  EXPECT_EQ(redis->cli("GET counter"), "100\n");  // it reached the real server
}

TEST_F(TcpListenerTest, AnOpenTunnelIsCountedAsActive) {
  const uint16_t redis_port = closedPort();
  auto redis = redisOnPort(dir_, redis_port);
  ASSERT_TRUE(redis->ok());
  startProxy(tcpConfig(endpoint(redis_port)));
  HttpConnection app(port_);
  ASSERT_TRUE(app.sendRaw("PING\r\n"));
  EXPECT_EQ(readSome(app.fd(), 7), "+PONG\r\n");
  EXPECT_EQ(metric("outrigger_tunnels_active", {{"upstream", "cache"}, {"kind", "tcp"}}), 1);
  // GET /upstreams shows it too, by kind.
  auto upstreams = httpRequest(proxy_->adminPort(), "GET", "/upstreams");
  ASSERT_TRUE(upstreams);
  EXPECT_NE(upstreams->body.find("\"tunnels\":{\"websocket\":0,\"connect\":0,\"tcp\":1}"),
            std::string::npos)
      << upstreams->body;
  // Half-close passes through: redis answers what it read, then closes its side.
  ASSERT_TRUE(app.sendRaw("ECHO last\r\n"));
  app.closeWrite();
  EXPECT_EQ(readSome(app.fd(), 100), "$4\r\nlast\r\n");
  EXPECT_TRUE(app.waitForClose(std::chrono::milliseconds(3000)));
  EXPECT_TRUE(eventually([&] {
    auto after = httpRequest(proxy_->adminPort(), "GET", "/upstreams");
    return after && after->body.find("\"tcp\":0}") != std::string::npos;
  }));
}

TEST_F(TcpListenerTest, AConnectToAnEndpointThatIsDownMovesOnToTheNext) {
  const uint16_t redis_port = closedPort();
  auto redis = redisOnPort(dir_, redis_port);
  ASSERT_TRUE(redis->ok());
  startProxy(tcpConfig(endpoint(closedPort()) + ", " + endpoint(redis_port)));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(cliThrough(port_, "PING"), "PONG") << "connection " << i;
  EXPECT_GE(metric("outrigger_upstream_attempts_total",
                   {{"upstream", "cache"}, {"outcome", "connect_failed"}}),
            1);
}

TEST_F(TcpListenerTest, TheBreakerOpensAfterConnectFailuresAndKeepsConnectionsAway) {
  const uint16_t redis_port = closedPort();
  startProxy(tcpConfig(endpoint(redis_port),
                       "    circuit_breaker: { failure_threshold: 2, open_for: 60s }\n"));
  for (int i = 0; i < 2; ++i) EXPECT_NE(cliThrough(port_, "PING"), "PONG");
  // The endpoint comes back, but the open breaker keeps new connections away from it.
  auto redis = redisOnPort(dir_, redis_port);
  ASSERT_TRUE(redis->ok());
  const auto started = std::chrono::steady_clock::now();
  EXPECT_NE(cliThrough(port_, "PING"), "PONG");
  EXPECT_LT(elapsedMs(started), 2000) << "a refused connection must be closed at once";
  EXPECT_EQ(metric("outrigger_tunnels_total",
                   {{"upstream", "cache"}, {"kind", "tcp"}, {"result", "circuit_open"}}),
            1);
  EXPECT_EQ(metric("outrigger_tunnels_total",
                   {{"upstream", "cache"}, {"kind", "tcp"}, {"result", "connect_failed"}}),
            2);
}

TEST_F(TcpListenerTest, TheBulkheadLimitsOpenTunnels) {
  const uint16_t redis_port = closedPort();
  auto redis = redisOnPort(dir_, redis_port);
  ASSERT_TRUE(redis->ok());
  startProxy(tcpConfig(endpoint(redis_port),
                       "    bulkhead: { max_concurrent: 1, max_queue: 0, queue_timeout: 1s }\n"));
  {
    HttpConnection held(port_);
    ASSERT_TRUE(held.sendRaw("PING\r\n"));
    ASSERT_EQ(readSome(held.fd(), 7), "+PONG\r\n");
    // The one slot is held for the tunnel's life: a second connection is closed at once.
    EXPECT_NE(cliThrough(port_, "PING"), "PONG");
    EXPECT_EQ(metric("outrigger_tunnels_total",
                     {{"upstream", "cache"}, {"kind", "tcp"}, {"result", "bulkhead_full"}}),
              1);
  }
  // The slot is free once the tunnel closed.
  EXPECT_TRUE(eventually([&] { return cliThrough(port_, "PING") == "PONG"; }));
}

TEST_F(TcpListenerTest, AQueuedConnectionGetsTheSlotWhenATunnelCloses) {
  const uint16_t redis_port = closedPort();
  auto redis = redisOnPort(dir_, redis_port);
  ASSERT_TRUE(redis->ok());
  startProxy(tcpConfig(endpoint(redis_port),
                       "    bulkhead: { max_concurrent: 1, max_queue: 1, queue_timeout: 5s }\n"));
  auto held = std::make_unique<HttpConnection>(port_);
  ASSERT_TRUE(held->sendRaw("PING\r\n"));
  ASSERT_EQ(readSome(held->fd(), 7), "+PONG\r\n");
  HttpConnection waiting(port_);
  ASSERT_TRUE(waiting.sendRaw("PING\r\n"));
  EXPECT_EQ(readSome(waiting.fd(), 7), "") << "answered while the only slot was taken";
  held.reset();
  EXPECT_EQ(readSome(waiting.fd(), 7), "+PONG\r\n");
}

TEST_F(TcpListenerTest, AReloadLeavesAnOpenTunnelAlone) {
  const uint16_t redis_port = closedPort();
  auto redis = redisOnPort(dir_, redis_port);
  ASSERT_TRUE(redis->ok());
  startProxy(tcpConfig(endpoint(redis_port)));
  HttpConnection app(port_);
  ASSERT_TRUE(app.sendRaw("PING\r\n"));
  ASSERT_EQ(readSome(app.fd(), 7), "+PONG\r\n");
  proxy_->writeConfig(tcpConfig(endpoint(redis_port), "    timeouts: { connect: 3s }\n"));
  proxy_->signal(SIGHUP);
  EXPECT_TRUE(eventually([&] { return metric("outrigger_config_generation", {}) >= 2; }));
  ASSERT_TRUE(app.sendRaw("PING\r\n"));
  EXPECT_EQ(readSome(app.fd(), 7), "+PONG\r\n");
}

TEST_F(TcpListenerTest, TheDrainLetsAnOpenTunnelRunUntilItsTimeoutThenClosesIt) {
  const uint16_t redis_port = closedPort();
  auto redis = redisOnPort(dir_, redis_port);
  ASSERT_TRUE(redis->ok());
  startProxy("drain: { grace: 100ms, timeout: 1s }\n" + tcpConfig(endpoint(redis_port)));
  HttpConnection app(port_);
  ASSERT_TRUE(app.sendRaw("PING\r\n"));
  ASSERT_EQ(readSome(app.fd(), 7), "+PONG\r\n");
  const auto start = std::chrono::steady_clock::now();
  proxy_->signal(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(app.sendRaw("PING\r\n"));  // still served while draining
  EXPECT_EQ(readSome(app.fd(), 7), "+PONG\r\n");
  EXPECT_EQ(proxy_->wait(std::chrono::milliseconds(5000)), 0) << proxy_->log();
  EXPECT_GE(elapsedMs(start), 950);
  EXPECT_TRUE(app.waitForClose(std::chrono::milliseconds(1000)));
}

// A loopback server for one connection: `talk` has the accepted socket, closed after it. Its
// port is 0 until it listens.
class OneConnectionServer {
 public:
  explicit OneConnectionServer(std::function<void(int fd)> talk) : talk_(std::move(talk)) {
    listen_fd_ = listenOnLoopback(4, &port_);
    if (listen_fd_ < 0) return;
    thread_ = std::thread([this] { serve(); });
  }
  ~OneConnectionServer() {
    ::shutdown(listen_fd_, SHUT_RDWR);  // wakes an accept() that never got its connection
    if (thread_.joinable()) thread_.join();
    ::close(listen_fd_);
  }
  uint16_t port() const { return port_; }
  bool closed() const { return closed_; }

 private:
  void serve() {
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    talk_(fd);
    ::close(fd);
    closed_ = true;
  }

  std::function<void(int fd)> talk_;
  std::atomic<bool> closed_{false};
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

// Reads the connection to its EOF, then answers `size` bytes: what a half-closed app waits for.
std::function<void(int)> answerAfterEof(size_t size) {
  return [size](int fd) {
    char buf[4096];
    while (::recv(fd, buf, sizeof buf, 0) > 0) {
    }
    const std::string answer(size, 'a');
    for (size_t sent = 0; sent < answer.size();) {
      const ssize_t n = ::send(fd, answer.data() + sent, answer.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
  };
}

// The app half-closes after a question; what it reads until the EOF, and whether that EOF was
// orderly (recv 0) rather than a reset or a timeout. `slow_reader`: the app's receive buffer
// is tiny and it reads nothing until `ready` holds, so bytes are still queued in outrigger
// when the upstream's EOF arrives.
struct HalfClosedRead {
  size_t bytes = 0;
  bool orderly_eof = false;
};
HalfClosedRead askThenHalfClose(uint16_t port, const std::function<bool()>& ready = {}) {
  HalfClosedRead out;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (ready) {
    const int tiny = 4096;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &tiny, sizeof tiny);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::send(fd, "question", 8, MSG_NOSIGNAL) != 8) {
    ::close(fd);
    return out;
  }
  ::shutdown(fd, SHUT_WR);
  if (ready) eventually(ready);
  char buf[65536];
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      out.orderly_eof = n == 0;
      break;
    }
    out.bytes += static_cast<size_t>(n);
  }
  ::close(fd);
  return out;
}

// After both EOFs the tunnel closes the app's connection at once when nothing is queued for
// it: the app still gets the answer, then an orderly EOF, never a reset.
TEST_F(TcpListenerTest, AHalfClosedAppGetsAShortAnswerThenAnOrderlyClose) {
  OneConnectionServer upstream(answerAfterEof(5));
  ASSERT_NE(upstream.port(), 0);
  startProxy(tcpConfig(endpoint(upstream.port())));
  const HalfClosedRead read = askThenHalfClose(port_);
  EXPECT_EQ(read.bytes, 5u);
  EXPECT_TRUE(read.orderly_eof);
}

// ... and gracefully when bytes are still queued for it. The app here reads nothing until the
// upstream has sent its 192 KiB and closed, through a tiny receive buffer, so outrigger has
// paused the upstream with bytes queued for the app: they all arrive before an orderly EOF.
// (On loopback the kernel's send buffer takes what is queued even at a plain close, so this
// checks the outcome the app sees, not which close was chosen.)
TEST_F(TcpListenerTest, AHalfClosedSlowAppGetsALongAnswerThenAnOrderlyClose) {
  OneConnectionServer upstream(answerAfterEof(size_t{192} << 10));
  ASSERT_NE(upstream.port(), 0);
  startProxy(tcpConfig(endpoint(upstream.port())));
  const HalfClosedRead read = askThenHalfClose(port_, [&] { return upstream.closed(); });
  EXPECT_TRUE(upstream.closed());
  EXPECT_EQ(read.bytes, size_t{192} << 10);
  EXPECT_TRUE(read.orderly_eof);
}

// Speaks first, the moment it accepts (as SMTP's and MySQL's greetings do), then answers one
// read with "echo " and what it read.
std::function<void(int)> speaksFirst(std::string greeting) {
  return [greeting](int fd) {
    ::send(fd, greeting.data(), greeting.size(), MSG_NOSIGNAL);
    char buf[256];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    const std::string answer = "echo " + std::string(buf, static_cast<size_t>(n));
    ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
  };
}

// Reads from `fd` until `want` bytes came or 5 s passed.
std::string readUpTo(int fd, size_t want) {
  std::string got;
  char buf[256];
  while (got.size() < want) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) break;
    const ssize_t n = ::recv(fd, buf, std::min(sizeof buf, want - got.size()), 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

// The greeting reaches outrigger as its connect completes (the upstream connection reads from
// the start): the app hears it before it sends anything, then the conversation goes on.
TEST_F(TcpListenerTest, AServerThatSpeaksFirstIsHeardBeforeTheAppSaysAnything) {
  OneConnectionServer upstream(speaksFirst("220 ready\r\n"));
  ASSERT_NE(upstream.port(), 0);
  startProxy(tcpConfig(endpoint(upstream.port())));
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(readUpTo(fd, 11), "220 ready\r\n");
  ASSERT_EQ(::send(fd, "hi\n", 3, MSG_NOSIGNAL), 3);
  EXPECT_EQ(readUpTo(fd, 8), "echo hi\n");
  ::close(fd);
}
}  // namespace
}  // namespace outrigger::testing
