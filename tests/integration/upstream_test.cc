// Upstream behaviour through the real binary: load balancing over several endpoints,
// DNS names, and the connection pool's limits.
#include <gtest/gtest.h>

#include <future>
#include <set>
#include <thread>

#include "tests/integration/proxy_fixture.h"

namespace outrigger::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

std::string twoEndpointConfig(const MockUpstream& a, const MockUpstream& b,
                              const std::string& balancing) {
  std::string yaml = proxyConfig(a.address(), "    load_balancing: " + balancing + "\n");
  const std::string one = "[ \"" + a.address() + "\" ]";
  yaml.replace(yaml.find(one), one.size(), "[ \"" + a.address() + "\", \"" + b.address() + "\" ]");
  return yaml;
}

TEST(LoadBalancingTest, RoundRobinSpreadsEvenly) {
  TempDir dir;
  MockUpstream a(dir, "a"), b(dir, "b");
  ASSERT_TRUE(a.ok() && b.ok());
  OutriggerProcess proxy(dir, twoEndpointConfig(a, b, "round_robin"));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  for (int i = 0; i < 10; ++i)
    ASSERT_EQ(httpRequest(proxy.port("main"), "GET", "/get")->status, 200);
  EXPECT_EQ(a.hits("/get"), 5);
  EXPECT_EQ(b.hits("/get"), 5);
}

TEST(LoadBalancingTest, LeastRequestAvoidsTheBusyEndpoint) {
  TempDir dir;
  MockUpstream a(dir, "a"), b(dir, "b");
  ASSERT_TRUE(a.ok() && b.ok());
  OutriggerProcess proxy(dir, twoEndpointConfig(a, b, "least_request"));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  const uint16_t port = proxy.port("main");
  auto slow =
      std::async(std::launch::async, [port] { return httpRequest(port, "GET", "/delay/1500"); });
  ASSERT_TRUE(eventually([&] { return a.hits("/delay/1500") + b.hits("/delay/1500") == 1; }));
  for (int i = 0; i < 10; ++i) ASSERT_EQ(httpRequest(port, "GET", "/get")->status, 200);
  const bool a_is_busy = a.hits("/delay/1500") == 1;
  EXPECT_EQ((a_is_busy ? b : a).hits("/get"), 10);
  EXPECT_EQ((a_is_busy ? a : b).hits("/get"), 0);
  EXPECT_EQ(slow.get()->status, 200);
}

TEST(UpstreamTest, HostNameEndpointIsResolved) {
  TempDir dir;
  MockUpstream mock(dir);
  ASSERT_TRUE(mock.ok());
  OutriggerProcess proxy(
      dir, proxyConfig("localhost:" + std::to_string(mock.port()), "    dns_refresh: 1s\n"));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  auto r = httpRequest(proxy.port("main"), "GET", "/get");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  // Host carries the endpoint as configured, name and port.
  EXPECT_NE(r->body.find("\"Host\":\"localhost:" + std::to_string(mock.port()) + "\""),
            std::string::npos)
      << r->body;
}

class PoolTest : public ProxyTest {};

TEST_F(PoolTest, FullPoolAnswersPoolTimeout) {
  startProxy("    pool: { max_connections: 1 }\n    timeouts: { pool: 200ms }\n");
  auto busy = std::async(std::launch::async, [this] { return get("/delay/1000"); });
  ASSERT_TRUE(eventually([&] { return mock_->hits("/delay/1000") == 1; }));
  const auto start = Clock::now();
  auto r = get("/get");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->header("x-outrigger-reason"), "pool_timeout");
  const auto waited = std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
  EXPECT_GE(waited, 180);
  EXPECT_LT(waited, 900);
  EXPECT_EQ(mock_->hits("/get"), 0);
  EXPECT_EQ(busy.get()->status, 200);
}

TEST_F(PoolTest, WaitingRequestGetsTheConnectionWhenItFrees) {
  startProxy("    pool: { max_connections: 1 }\n    timeouts: { pool: 3s }\n");
  auto first = std::async(std::launch::async, [this] { return get("/delay/300"); });
  ASSERT_TRUE(eventually([&] { return mock_->hits("/delay/300") == 1; }));
  auto second = get("/get");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
  auto first_response = first.get();
  ASSERT_TRUE(first_response);
  EXPECT_EQ(first_response->header("X-Mock-Connection"), second->header("X-Mock-Connection"));
}

TEST_F(PoolTest, MaxRequestsPerConnectionRotatesConnections) {
  startProxy("    pool: { max_requests_per_connection: 2 }\n");
  HttpConnection c(port_);
  std::vector<std::string> seen;
  for (int i = 0; i < 4; ++i) seen.push_back(c.request("GET", "/get")->header("X-Mock-Connection"));
  EXPECT_EQ(seen[0], seen[1]);
  EXPECT_NE(seen[1], seen[2]);
  EXPECT_EQ(seen[2], seen[3]);
}

TEST_F(PoolTest, IdleConnectionsExpire) {
  startProxy("    pool: { idle_timeout: 200ms }\n");
  auto before = get("/get");
  ASSERT_TRUE(before);
  EXPECT_TRUE(eventually([&] {
    return metricOr0("outrigger_pool_connections", {{"upstream", "mock"}, {"state", "idle"}}) == 0;
  }));
  auto after = get("/get");
  ASSERT_TRUE(after);
  EXPECT_NE(before->header("X-Mock-Connection"), after->header("X-Mock-Connection"));
}

TEST_F(PoolTest, ConnectionWithUnreadBodyIsNotReused) {
  startProxy("    timeouts: { read: 300ms }\n");
  HttpConnection c(port_);
  auto cut = c.request("GET", "/drip?bytes=5&interval_ms=1000");  // read timeout mid-body
  ASSERT_TRUE(cut);
  EXPECT_FALSE(cut->complete);
  auto next = get("/get");
  ASSERT_TRUE(next);
  EXPECT_NE(next->header("X-Mock-Connection"), cut->header("X-Mock-Connection"));
}

}  // namespace
}  // namespace outrigger::testing
