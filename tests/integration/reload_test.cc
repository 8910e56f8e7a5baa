// Hot reload as an operator relies on it (DESIGN §7): SIGHUP, POST /reload and file changes
// apply a new config without losing a request; a bad file changes nothing; unchanged
// upstreams keep their state.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <sstream>
#include <string>

#include "tests/integration/proxy_fixture.h"

namespace outrigger::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using std::chrono::milliseconds;

class ReloadTest : public ProxyTest {
 protected:
  std::optional<HttpResponse> postReload() {
    return httpRequest(proxy_->adminPort(), "POST", "/reload");
  }
  double generation() { return metricOr0("outrigger_config_generation", {}); }
  double reloads(const std::string& result) {
    return metricOr0("outrigger_config_reloads_total", {{"result", result}});
  }
};

// Two upstreams, one listener each, each with a breaker that one 503 opens.
std::string breakerConfig(const std::string& endpoint, const std::string& changed_open_for) {
  return "admin: { listen: 127.0.0.1:0 }\n"
         "access_log: { path: off }\n"
         "listeners:\n"
         "  - { name: kept, listen: 127.0.0.1:0, routes: [ { upstream: kept } ] }\n"
         "  - { name: changed, listen: 127.0.0.1:0, routes: [ { upstream: changed } ] }\n"
         "upstreams:\n"
         "  kept:\n"
         "    endpoints: [ \"" + endpoint + "\" ]\n"
         "    retry: { max_attempts: 1, retry_on: [ 503 ] }\n"
         "    circuit_breaker: { failure_threshold: 1, open_for: 60s }\n"
         "  changed:\n"
         "    endpoints: [ \"" + endpoint + "\" ]\n"
         "    retry: { max_attempts: 1, retry_on: [ 503 ] }\n"
         "    circuit_breaker: { failure_threshold: 1, open_for: " + changed_open_for + " }\n";
}

TEST_F(ReloadTest, FiftyReloadsUnderTrafficLoseNoRequest) {
  // Two workers: each reload binds the added listener in both, on one port.
  startProxy("    timeouts: { read: 5s }\n", "", "workers: 2\n");
  const std::string a = proxyConfig(mock_->address(), "    timeouts: { read: 5s }\n", "", "workers: 2\n");
  // B changes the upstream (fresh state and pools every time) and adds a listener.
  std::string b = proxyConfig(mock_->address(), "    timeouts: { read: 6s }\n", "", "workers: 2\n");
  b.insert(b.find("upstreams:\n"),
           "  - name: extra\n    listen: 127.0.0.1:0\n    routes: [ { upstream: mock } ]\n");

  BackgroundTraffic traffic(port_, "/get");
  ASSERT_TRUE(eventually([&] { return traffic.ok() > 20; }));
  for (int i = 0; i < 50; ++i) {
    proxy_->writeConfig(i % 2 == 0 ? b : a);
    auto r = postReload();
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    std::this_thread::sleep_for(milliseconds(20));
  }
  const int before_stop = traffic.ok();
  std::this_thread::sleep_for(milliseconds(100));
  traffic.stop();
  EXPECT_EQ(traffic.failed(), 0) << traffic.firstFailure();
  EXPECT_GT(traffic.ok(), before_stop);
  EXPECT_GT(traffic.ok(), 100);
  // The file watcher may have applied some changes before POST /reload did; every applied
  // reload is one generation.
  EXPECT_GE(reloads("success"), 50);
  EXPECT_EQ(generation(), 1 + reloads("success"));
  EXPECT_EQ(reloads("failure"), 0);
}

TEST_F(ReloadTest, BadConfigIsRejectedWithPositionedErrorsAndTheOldOneKeepsServing) {
  startProxy("", "", "drain: { grace: 50ms }\n");
  BackgroundTraffic traffic(port_, "/get");
  ASSERT_TRUE(eventually([&] { return traffic.ok() > 20; }));

  std::string bad = proxyConfig(mock_->address(), "    timeouts: { read: fast }\n");
  proxy_->writeConfig(bad);
  auto r = postReload();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(r->body, HasSubstr("still serving the previous config"));
  EXPECT_THAT(r->body, HasSubstr(proxy_->configPath() + ":"));
  EXPECT_THAT(r->body, HasSubstr("timeouts.read"));

  std::this_thread::sleep_for(milliseconds(300));
  traffic.stop();
  EXPECT_EQ(traffic.failed(), 0) << traffic.firstFailure();
  EXPECT_GE(reloads("failure"), 1);
  EXPECT_EQ(reloads("success"), 0);
  EXPECT_EQ(generation(), 1);
  EXPECT_THAT(proxy_->log(), HasSubstr("reload rejected"));
  // SIGHUP with the same bad file: rejected again, still generation 1.
  proxy_->signal(SIGHUP);
  EXPECT_TRUE(eventually([&] { return reloads("failure") >= 2; }));
  EXPECT_EQ(generation(), 1);
  EXPECT_EQ(get("/get")->status, 200);
}

TEST_F(ReloadTest, AListenerThatCannotBeBoundRejectsTheWholeReloadAndLeavesNoTrace) {
  startProxy();
  // A new upstream and a listener on the mock's port, which is taken.
  std::string clash = proxyConfig(mock_->address());
  clash.insert(clash.find("upstreams:\n"), "  - name: clash\n    listen: " + mock_->address() +
                                                "\n    routes: [ { upstream: ghost } ]\n");
  clash += "  ghost:\n    endpoints: [ \"" + mock_->address() + "\" ]\n";
  proxy_->writeConfig(clash);
  auto r = postReload();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(r->body, HasSubstr("listener clash"));
  EXPECT_THAT(r->body, HasSubstr(mock_->address()));
  EXPECT_EQ(generation(), 1);
  EXPECT_EQ(reloads("failure"), 1);
  const std::string metrics = proxy_->metrics();
  EXPECT_THAT(metrics, Not(HasSubstr("ghost")));
  EXPECT_THAT(metrics, Not(HasSubstr("listener=\"clash\"")));
  EXPECT_EQ(get("/get")->status, 200);
}

TEST_F(ReloadTest, UnchangedUpstreamKeepsItsBreakerAndAChangedOneStartsFresh) {
  mock_ = std::make_unique<MockUpstream>(dir_);
  ASSERT_TRUE(mock_->ok());
  proxy_ = std::make_unique<OutriggerProcess>(dir_, breakerConfig(mock_->address(), "60s"));
  ASSERT_TRUE(proxy_->ok()) << proxy_->log();
  const uint16_t kept_port = proxy_->port("kept");
  const uint16_t changed_port = proxy_->port("changed");

  for (uint16_t port : {kept_port, changed_port}) {
    auto failed = httpRequest(port, "GET", "/status/503");
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->status, 503);
    auto rejected = httpRequest(port, "GET", "/status/200");
    ASSERT_TRUE(rejected);
    EXPECT_EQ(rejected->header("X-Outrigger-Reason"), "circuit_open") << port;
  }
  const int hits_before = mock_->hits("/status/200");

  proxy_->writeConfig(breakerConfig(mock_->address(), "61s"));
  auto r = postReload();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_THAT(r->body, HasSubstr("changed: changed"));

  auto kept = httpRequest(kept_port, "GET", "/status/200");
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->status, 503);
  EXPECT_EQ(kept->header("X-Outrigger-Reason"), "circuit_open");
  auto changed = httpRequest(changed_port, "GET", "/status/200");
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->status, 200);
  EXPECT_EQ(mock_->hits("/status/200"), hits_before + 1);
  EXPECT_EQ(metricOr0("outrigger_circuit_breaker_state", {{"upstream", "kept"}}), 1);
  EXPECT_EQ(metricOr0("outrigger_circuit_breaker_state", {{"upstream", "changed"}}), 0);

  auto upstreams = httpRequest(proxy_->adminPort(), "GET", "/upstreams");
  ASSERT_TRUE(upstreams);
  EXPECT_EQ(upstreams->status, 200);
  EXPECT_THAT(upstreams->body, HasSubstr("\"generation\":2"));
  EXPECT_THAT(upstreams->body, HasSubstr("{\"name\":\"kept\",\"circuit_breaker\":{\"state\":\"open\""));
  EXPECT_THAT(upstreams->body,
              HasSubstr("{\"name\":\"changed\",\"circuit_breaker\":{\"state\":\"closed\""));
}

TEST_F(ReloadTest, AddedListenerServesAndARemovedOneStopsAcceptingAfterItsRequestsFinish) {
  startProxy();
  std::string with_extra = proxyConfig(mock_->address());
  with_extra.insert(with_extra.find("upstreams:\n"),
                    "  - name: extra\n    listen: 127.0.0.1:0\n    routes: [ { upstream: mock } ]\n");
  proxy_->writeConfig(with_extra);
  ASSERT_EQ(postReload()->status, 200);
  ASSERT_TRUE(proxy_->readPorts());
  const uint16_t extra = proxy_->port("extra");
  ASSERT_NE(extra, 0);
  EXPECT_EQ(proxy_->port("main"), port_);  // unchanged listener, same socket
  EXPECT_EQ(httpRequest(extra, "GET", "/get")->status, 200);

  // A request in flight on "extra" when it is removed still gets its answer.
  HttpConnection busy(extra);
  ASSERT_TRUE(busy.sendRaw("GET /delay/400 HTTP/1.1\r\nHost: a\r\n\r\n"));
  ASSERT_TRUE(eventually([&] { return mock_->hits("/delay/400") == 1; }));
  proxy_->writeConfig(proxyConfig(mock_->address()));
  auto r = postReload();
  ASSERT_TRUE(r);
  EXPECT_THAT(r->body, HasSubstr("removed: extra"));
  auto answer = busy.readResponse();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->header("Connection"), "close");
  EXPECT_TRUE(busy.waitForClose(milliseconds(2000)));
  HttpConnection refused(extra);
  EXPECT_FALSE(refused.connected());
  EXPECT_EQ(get("/get")->status, 200);
}

TEST_F(ReloadTest, RemovedUpstreamSeriesGoAwayOnceDrained) {
  startProxy();
  std::string with_gone = proxyConfig(mock_->address());
  with_gone.replace(with_gone.find("routes: [ { path_prefix: /, upstream: mock } ]"),
                    std::string("routes: [ { path_prefix: /, upstream: mock } ]").size(),
                    "routes: [ { path_prefix: /gone, upstream: gone }, { upstream: mock } ]");
  with_gone += "  gone:\n    endpoints: [ \"" + mock_->address() + "\" ]\n";
  proxy_->writeConfig(with_gone);
  ASSERT_EQ(postReload()->status, 200);
  EXPECT_EQ(get("/gone")->status, 404);  // mock-upstream has no /gone: proxied, not local
  EXPECT_EQ(metricOr0("outrigger_requests_total", {{"upstream", "gone"}, {"code", "404"}}), 1);

  proxy_->writeConfig(proxyConfig(mock_->address()));
  ASSERT_EQ(postReload()->status, 200);
  EXPECT_TRUE(eventually(
      [&] { return proxy_->metrics().find("upstream=\"gone\"") == std::string::npos; },
      milliseconds(4000)))
      << proxy_->metrics();
  EXPECT_EQ(get("/get")->status, 200);
}

TEST_F(ReloadTest, SighupReloads) {
  startProxy();
  std::string moved = proxyConfig(mock_->address());
  moved.replace(moved.find("path_prefix: /,"), 15, "path_prefix: /only,");
  proxy_->writeConfig(moved);
  proxy_->signal(SIGHUP);
  EXPECT_TRUE(eventually([&] { return get("/get")->status == 404; }));
  EXPECT_EQ(get("/get")->header("X-Outrigger-Reason"), "no_route");
  EXPECT_EQ(generation(), 2);
}

// A Kubernetes ConfigMap volume: the file is a symlink through "..data", and an update
// swaps "..data" to a new directory. Watching the file itself would miss it.
TEST_F(ReloadTest, ConfigMapSymlinkSwapIsPickedUpWithoutAnySignal) {
  mock_ = std::make_unique<MockUpstream>(dir_);
  ASSERT_TRUE(mock_->ok());
  const std::string volume = dir_.file("volume");
  ASSERT_EQ(::mkdir(volume.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((volume + "/..v1").c_str(), 0755), 0);
  dir_.write("volume/..v1/outrigger.yaml", proxyConfig(mock_->address()));
  ASSERT_EQ(::symlink("..v1", (volume + "/..data").c_str()), 0);
  ASSERT_EQ(::symlink("..data/outrigger.yaml", (volume + "/outrigger.yaml").c_str()), 0);

  ChildProcess p;
  const std::string ports = dir_.file("cm.ports");
  ASSERT_TRUE(p.start({OUTRIGGER_BINARY, "-c", volume + "/outrigger.yaml", "--ports-file", ports},
                      dir_.file("cm.log")));
  ASSERT_TRUE(eventually([&] { return ::access(ports.c_str(), F_OK) == 0; }));
  uint16_t port = 0, admin = 0;
  {
    std::istringstream in(readFile(ports));
    std::string kind, name;
    in >> kind >> admin >> kind >> name >> port;
  }
  ASSERT_NE(port, 0);
  EXPECT_EQ(httpRequest(port, "GET", "/get")->status, 200);

  std::string moved = proxyConfig(mock_->address());
  moved.replace(moved.find("path_prefix: /,"), 15, "path_prefix: /only,");
  ASSERT_EQ(::mkdir((volume + "/..v2").c_str(), 0755), 0);
  dir_.write("volume/..v2/outrigger.yaml", moved);
  ASSERT_EQ(::symlink("..v2", (volume + "/..data_tmp").c_str()), 0);
  ASSERT_EQ(std::rename((volume + "/..data_tmp").c_str(), (volume + "/..data").c_str()), 0);

  EXPECT_TRUE(eventually([&] {
    auto r = httpRequest(port, "GET", "/get");
    return r && r->status == 404;
  }))
      << p.log();
  auto metrics = httpRequest(admin, "GET", "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(findMetric(metrics->body, "outrigger_config_generation", {}), 2);
  p.signal(SIGKILL);
  p.wait(milliseconds(5000));
}

}  // namespace
}  // namespace outrigger::testing
