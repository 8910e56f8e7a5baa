// The process as an operator sees it: CLI, exit codes, stop on SIGTERM, access log,
// several workers, metrics format, and bounded memory under large bodies.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <future>
#include <thread>

#include "tests/integration/proxy_fixture.h"

namespace outrigger::testing {
namespace {

using std::chrono::milliseconds;

long peakRssKiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

TEST(CliTest, VersionAndCheck) {
  std::string out;
  EXPECT_EQ(runOutrigger("--version", &out), 0);
  EXPECT_NE(out.find("outrigger "), std::string::npos);

  TempDir dir;
  dir.write("good.yaml", proxyConfig("10.0.0.1:8080"));
  out.clear();
  EXPECT_EQ(runOutrigger("--check -c " + dir.file("good.yaml"), &out), 0) << out;

  dir.write("bad.yaml", proxyConfig("10.0.0.1:8080", "    endpoits: []\n"));
  out.clear();
  EXPECT_EQ(runOutrigger("--check -c " + dir.file("bad.yaml"), &out), 2);
  EXPECT_NE(out.find(dir.file("bad.yaml") +
                     ":10:5: upstreams.mock: unknown key 'endpoits' (did you mean 'endpoints'?)"),
            std::string::npos)
      << out;

  out.clear();
  EXPECT_EQ(runOutrigger("", &out), 2);  // no config at all
}

class LifecycleTest : public ProxyTest {};

TEST_F(LifecycleTest, BindFailureNamesTheAddressAndExits1) {
  TempDir dir;
  MockUpstream mock(dir);
  ASSERT_TRUE(mock.ok());
  // The mock already holds its port: binding the listener there must fail.
  std::string yaml = proxyConfig(mock.address());
  yaml.replace(yaml.find("listen: 127.0.0.1:0\n    routes"), 20,
               "listen: " + mock.address() + "\n");
  dir.write("clash.yaml", yaml);
  ChildProcess p;
  ASSERT_TRUE(p.start({OUTRIGGER_BINARY, "-c", dir.file("clash.yaml")}, dir.file("clash.log")));
  EXPECT_EQ(p.wait(milliseconds(5000)), 1);
  EXPECT_NE(p.log().find(mock.address()), std::string::npos) << p.log();
}

TEST_F(LifecycleTest, SigtermFinishesInFlightRequestThenExits0) {
  startProxy("", "", "drain: { grace: 200ms, timeout: 5s }\n");
  auto in_flight =
      std::async(std::launch::async, [this] { return httpRequest(port_, "GET", "/delay/500"); });
  EXPECT_EQ(httpRequest(proxy_->adminPort(), "GET", "/healthz")->status, 200);
  EXPECT_EQ(httpRequest(proxy_->adminPort(), "GET", "/ready")->status, 200);
  std::this_thread::sleep_for(milliseconds(100));
  proxy_->signal(SIGTERM);
  // While the request drains, the pod must look not-ready but alive.
  EXPECT_TRUE(eventually([&] {
    auto ready = httpRequest(proxy_->adminPort(), "GET", "/ready");
    return ready && ready->status == 503;
  }));
  auto r = in_flight.get();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(proxy_->wait(milliseconds(5000)), 0) << proxy_->log();
}

TEST_F(LifecycleTest, AccessLogWritesOneJsonLinePerRequest) {
  TempDir dir;
  MockUpstream mock(dir);
  ASSERT_TRUE(mock.ok());
  std::string yaml = proxyConfig(mock.address());
  yaml.replace(yaml.find("access_log: { path: off }"), 25,
               "access_log: { path: " + dir.file("access.log") + " }\ndrain: { grace: 50ms }");
  OutriggerProcess proxy(dir, yaml);
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  ASSERT_TRUE(httpRequest(proxy.port("main"), "GET", "/get?q=1", "", {"X-Request-ID: log-me"}));
  proxy.signal(SIGTERM);
  ASSERT_EQ(proxy.wait(milliseconds(5000)), 0);
  const std::string log = readFile(dir.file("access.log"));
  EXPECT_NE(log.find("\"request_id\":\"log-me\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"status\":200"), std::string::npos) << log;
  EXPECT_NE(log.find("\"upstream\":\"mock\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"listener\":\"main\""), std::string::npos) << log;
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1);
}

// A local reply is decided inside the read callback that parsed the request, where the loop's
// clock is pinned to one reading; its logged duration must still be the real, non-zero time.
TEST_F(LifecycleTest, AccessLogTimesALocalReplyToo) {
  TempDir dir;
  MockUpstream mock(dir);
  ASSERT_TRUE(mock.ok());
  std::string yaml = proxyConfig(mock.address(),
                                 "    rate_limit: { requests_per_second: 1, burst: 1 }\n");
  yaml.replace(yaml.find("access_log: { path: off }"), 25,
               "access_log: { path: " + dir.file("access.log") + " }\ndrain: { grace: 50ms }");
  OutriggerProcess proxy(dir, yaml);
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  ASSERT_EQ(httpRequest(proxy.port("main"), "GET", "/get")->status, 200);
  ASSERT_EQ(httpRequest(proxy.port("main"), "GET", "/get")->status, 429);
  proxy.signal(SIGTERM);
  ASSERT_EQ(proxy.wait(milliseconds(5000)), 0);
  const std::string log = readFile(dir.file("access.log"));
  const size_t limited = log.find("\"status\":429");
  ASSERT_NE(limited, std::string::npos) << log;
  const size_t duration = log.find("\"duration_ms\":", limited);
  ASSERT_NE(duration, std::string::npos) << log;
  EXPECT_NE(log.compare(duration, 20, "\"duration_ms\":0.000,"), 0) << log;
}

TEST_F(LifecycleTest, TwoWorkersServeOnOnePort) {
  startProxy("", "", "workers: 2\n");
  for (int i = 0; i < 20; ++i) {
    auto r = httpRequest(port_, "GET", "/get");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(mock_->hits("/get"), 20);
  EXPECT_EQ(proxy_->metric("outrigger_requests_total", {{"upstream", "mock"}, {"code", "200"}})
                .value_or(0),
            20);
}

TEST_F(LifecycleTest, MetricsPassPromtoolCheck) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "promtool not installed";
  TempDir dir;
  MockUpstream mock(dir);
  ASSERT_TRUE(mock.ok());
  OutriggerProcess proxy(dir, proxyConfig(mock.address()));
  ASSERT_TRUE(proxy.ok());
  ASSERT_TRUE(httpRequest(proxy.port("main"), "GET", "/get"));
  ASSERT_TRUE(httpRequest(proxy.port("main"), "GET", "/status/418"));
  dir.write("metrics.txt", proxy.metrics());
  std::string out;
  EXPECT_EQ(runCommand("promtool check metrics < " + dir.file("metrics.txt"), &out), 0) << out;
}

TEST_F(LifecycleTest, TenMiBBodiesStreamWithBoundedMemory) {
  if (kUnderAddressSanitizer) GTEST_SKIP() << "RSS bounds are checked in the Release build";
  TempDir dir;
  MockUpstream mock(dir);
  ASSERT_TRUE(mock.ok());
  OutriggerProcess proxy(dir, proxyConfig(mock.address()));
  ASSERT_TRUE(proxy.ok());
  const uint16_t port = proxy.port("main");
  ASSERT_TRUE(httpRequest(port, "GET", "/get"));
  const long before = peakRssKiB(proxy.process().pid());

  constexpr size_t kTen = 10 * 1024 * 1024;
  auto down = httpRequest(port, "GET", "/bytes/" + std::to_string(kTen));
  ASSERT_TRUE(down);
  EXPECT_EQ(down->body.size(), kTen);
  EXPECT_TRUE(down->complete);
  std::string expected_tail;
  for (size_t i = kTen - 3; i < kTen; ++i) expected_tail += static_cast<char>('a' + i % 26);
  EXPECT_EQ(down->body.substr(kTen - 3), expected_tail);

  auto up = httpRequest(port, "POST", "/upload", std::string(kTen, 'z'));
  ASSERT_TRUE(up);
  EXPECT_EQ(up->status, 200);
  EXPECT_NE(up->body.find("\"bytes\":" + std::to_string(kTen)), std::string::npos) << up->body;

  const long after = peakRssKiB(proxy.process().pid());
  // Streaming keeps the peak far below one body; buffering would add over 10 MiB.
  EXPECT_LT(after - before, 4 * 1024)
      << "peak RSS grew from " << before << " to " << after << " KiB";
}

}  // namespace
}  // namespace outrigger::testing

namespace outrigger::testing {
namespace {

TEST(BackPressureTest, SlowClientPausesTheUpstreamInsteadOfGrowingMemory) {
  if (kUnderAddressSanitizer) GTEST_SKIP() << "RSS bounds are checked in the Release build";
  TempDir dir;
  MockUpstream mock(dir);
  ASSERT_TRUE(mock.ok());
  OutriggerProcess proxy(dir, proxyConfig(mock.address()));
  ASSERT_TRUE(proxy.ok());
  const uint16_t port = proxy.port("main");
  ASSERT_TRUE(httpRequest(port, "GET", "/get"));
  const long before = peakRssKiB(proxy.process().pid());

  constexpr size_t kSize = 32 * 1024 * 1024;
  HttpConnection c(port);
  ASSERT_TRUE(c.sendRaw("GET /bytes/" + std::to_string(kSize) + " HTTP/1.1\r\nHost: a\r\n\r\n"));
  // Read nothing for a while: socket buffers fill, and the proxy must stop reading the
  // upstream rather than queue the 32 MiB in memory.
  std::this_thread::sleep_for(milliseconds(700));
  const long stalled = peakRssKiB(proxy.process().pid());
  EXPECT_LT(stalled - before, 4 * 1024)
      << "RSS grew from " << before << " to " << stalled << " KiB while the client was not reading";
  auto r = c.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body.size(), kSize);
  EXPECT_TRUE(r->complete);
}

TEST_F(LifecycleTest, StopIsBoundedByTheDrainTimeout) {
  startProxy("", "", "drain: { grace: 100ms, timeout: 400ms }\n");
  auto stuck =
      std::async(std::launch::async, [this] { return httpRequest(port_, "GET", "/delay/10000"); });
  ASSERT_TRUE(eventually([&] { return mock_->hits("/delay/10000") == 1; }));
  const auto start = std::chrono::steady_clock::now();
  proxy_->signal(SIGTERM);
  EXPECT_EQ(proxy_->wait(milliseconds(5000)), 0) << proxy_->log();
  const auto took =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(took, 350);
  EXPECT_LT(took, 2000);
  auto r = stuck.get();  // cut off: no response, or an incomplete one
  EXPECT_TRUE(!r || !r->complete || r->status != 200);
}

TEST_F(LifecycleTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  startProxy("", "    limits: { idle_timeout: 300ms }\n");
  HttpConnection c(port_);
  ASSERT_EQ(c.request("GET", "/get")->status, 200);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.waitForClose(milliseconds(3000)));
  const auto took =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(took, 250);
  EXPECT_LT(took, 1500);
}

}  // namespace
}  // namespace outrigger::testing
