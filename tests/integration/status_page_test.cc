// The status page (GET / on the admin port) in a real browser: headless Chromium loads it,
// runs its script under virtual time (so its 2 s polls happen at once), and the test reads
// the DOM the script built. A screenshot is kept as a test artifact for people to look at.
#include "proxy/admin/status_page.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <regex>

#include "tests/integration/proxy_fixture.h"
#include "tests/integration/redis_server.h"

namespace outrigger::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

constexpr char kChromium[] = "/usr/bin/chromium";
constexpr auto kBrowserBudget = std::chrono::seconds(60);  // for all browser runs of one test

// Headless Chromium with a throwaway profile. Every run shares one deadline, and a run that
// outlives it is killed, so a stuck browser fails the test instead of hanging it.
class Browser {
 public:
  Browser() : deadline_(Clock::now() + kBrowserBudget) {}

  static bool installed() { return ::access(kChromium, X_OK) == 0; }

  // Loads `url`, lets 5 s of virtual time pass, and returns the serialized DOM; nullopt (with
  // the reason in error()) if Chromium failed or ran out of time. With a screenshot path, it
  // also writes a 1280x900 PNG of the same moment.
  std::optional<std::string> dumpDom(const std::string& url, const std::string& screenshot = "") {
    std::vector<std::string> argv = {
        kChromium, "--headless=new", "--no-sandbox",  // the sandbox cannot run as root
        "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--disable-background-networking",  // no update or safe-browsing traffic from tests
        "--user-data-dir=" + profile_.file("profile-" + std::to_string(runs_)),
        // Virtual time stands still while a fetch is in flight, so 5000 ms is two full poll
        // periods after the first poll, however slow the machine.
        "--virtual-time-budget=5000"};
    if (!screenshot.empty()) {
      argv.push_back("--window-size=1280,900");
      argv.push_back("--screenshot=" + screenshot);
    }
    argv.push_back("--dump-dom");
    argv.push_back(url);
    const std::string log = profile_.file("chromium-" + std::to_string(runs_++) + ".log");

    ChildProcess chromium;
    if (!chromium.start(argv, log)) return fail("could not fork", "");
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
    const std::optional<int> status = chromium.wait(std::max(left, std::chrono::milliseconds(0)));
    if (!status) {
      chromium.signal(SIGKILL);
      chromium.wait(std::chrono::seconds(5));
      return fail("did not finish within the 60 s budget", chromium.log());
    }
    // stdout (the DOM) and stderr (Chromium's own noise) share the log; the DOM is one write.
    const std::string output = chromium.log();
    const size_t begin = output.find("<html");
    const size_t end = output.rfind("</html>");
    if (*status != 0 || begin == std::string::npos || end == std::string::npos) {
      return fail("exited with " + std::to_string(*status) + " and no DOM", output);
    }
    return output.substr(begin, end + 7 - begin);
  }

  const std::string& error() const { return error_; }

 private:
  std::nullopt_t fail(const std::string& what, const std::string& output) {
    error_ = std::string("chromium ") + what + "; its output:\n" + output;
    return std::nullopt;
  }

  TempDir profile_;
  Clock::time_point deadline_;
  int runs_ = 0;
  std::string error_;
};

constexpr char kMissingChromium[] =
    "/usr/bin/chromium is missing: run deploy/install-deps.sh (it installs the Debian "
    "package chromium, which the status page tests need)";

// The <tr> of one upstream in a dumped DOM, or "" if there is none.
std::string rowOf(const std::string& dom, const std::string& upstream) {
  const size_t at = dom.find("data-upstream=\"" + upstream + "\"");
  if (at == std::string::npos) return "";
  const size_t begin = dom.rfind("<tr", at);
  const size_t end = dom.find("</tr>", at);
  return dom.substr(begin, end - begin);
}

size_t countOf(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// Where screenshots go: $OUTRIGGER_TEST_ARTIFACTS, else artifacts/ in the working directory
// (the build tree, under ctest).
std::filesystem::path artifactsDir() {
  const char* env = std::getenv("OUTRIGGER_TEST_ARTIFACTS");
  std::filesystem::path dir =
      env && *env ? std::filesystem::path(env) : std::filesystem::current_path() / "artifacts";
  std::filesystem::create_directories(dir);
  return dir;
}

class StatusPageTest : public ProxyTest {};

TEST_F(StatusPageTest, BrowserShowsEachUpstreamsBreakerStateFromLiveMetrics) {
  ASSERT_TRUE(Browser::installed()) << kMissingChromium;
  // "mock" opens its breaker on the first failure (one attempt, no retry). "steady" never gets
  // a request (every route goes to mock), so its breaker stays closed; its endpoint is a
  // closed port that nothing connects to.
  startProxy(
      "    retry: { max_attempts: 1 }\n"
      "    circuit_breaker: { failure_threshold: 1, open_for: 60s }\n"
      "  steady:\n"
      "    endpoints: [ \"127.0.0.1:" +
      std::to_string(closedPort()) +
      "\" ]\n"
      "    circuit_breaker: { failure_threshold: 1 }\n"
      "    fallback: { stale_if_error: { ttl: 60s } }\n");
  ASSERT_EQ(get("/status/503")->status, 503);
  for (int i = 0; i < 2; ++i) ASSERT_EQ(get("/get")->header("x-outrigger-reason"), "circuit_open");
  ASSERT_EQ(metricOr0("outrigger_circuit_breaker_state", {{"upstream", "mock"}}), 1);
  ASSERT_EQ(metricOr0("outrigger_circuit_breaker_state", {{"upstream", "steady"}}), 0);

  const auto screenshot = artifactsDir() / "status-page.png";
  std::filesystem::remove(screenshot);  // a stale file from an earlier run must not pass
  const auto start = Clock::now();
  Browser browser;
  const std::string url = "http://127.0.0.1:" + std::to_string(proxy_->adminPort()) + "/";
  const std::optional<std::string> dom = browser.dumpDom(url, screenshot.string());
  ASSERT_TRUE(dom) << browser.error();
  std::cout << "[ chromium ] " << elapsedMs(start) << " ms; screenshot " << screenshot.string()
            << "\n";

  // The script polled at least twice: rates need two polls.
  std::smatch polls;
  ASSERT_TRUE(std::regex_search(*dom, polls, std::regex(R"re(data-polls="(\d+)")re")));
  EXPECT_GE(std::stoi(polls[1]), 2) << *dom;
  EXPECT_THAT(*dom, HasSubstr("class=\"pulse ok\""));

  EXPECT_EQ(countOf(*dom, "<tr data-upstream="), 2u) << *dom;
  const std::string mock = rowOf(*dom, "mock");
  const std::string steady = rowOf(*dom, "steady");
  EXPECT_THAT(mock, HasSubstr("data-breaker-state=\"open\"")) << *dom;
  EXPECT_THAT(mock, HasSubstr("class=\"breaker breaker-open\""));
  EXPECT_THAT(steady, HasSubstr("data-breaker-state=\"closed\"")) << *dom;
  EXPECT_THAT(steady, HasSubstr("class=\"breaker breaker-closed\""));
  EXPECT_THAT(steady, Not(HasSubstr("breaker-open")));
  // Where each upstream keeps its stale copies, from /upstreams: only steady keeps any.
  EXPECT_THAT(steady, HasSubstr("stale copies: memory"));
  EXPECT_THAT(mock, Not(HasSubstr("stale copies")));

  // Nothing happened between the polls, so the rates are a measured zero, not "–".
  EXPECT_THAT(mock, ContainsRegex("data-stat=\"requests\"><span>0\\.0/s<"));
  // The two rejected requests, by reason, with the cumulative count.
  EXPECT_THAT(mock, ContainsRegex("<li data-reason=\"circuit_open\">.*>2 total<"));
  EXPECT_THAT(steady, HasSubstr(">none<"));

  const std::string metrics = proxy_->metrics();
  std::smatch version;
  ASSERT_TRUE(std::regex_search(metrics, version,
                                std::regex(R"re(outrigger_build_info\{version="([^"]+)")re")));
  EXPECT_THAT(*dom, HasSubstr(">version " + version[1].str() + "<"));

  // /upstreams is optional for the page; when this outrigger has it, the countdown shows.
  auto upstreams = httpRequest(proxy_->adminPort(), "GET", "/upstreams");
  if (upstreams && upstreams->status == 200) {
    EXPECT_THAT(mock, ContainsRegex("[0-9] s left<")) << upstreams->body;
  }

  ASSERT_TRUE(std::filesystem::exists(screenshot)) << browser.error();
  EXPECT_GT(std::filesystem::file_size(screenshot), 10u * 1024) << screenshot;
  EXPECT_EQ(readFile(screenshot.string()).substr(0, 8), "\x89PNG\r\n\x1a\n");
}

// With a `redis:` block the page shows the store's state under the table, and a global rate
// limit's share under the upstream's name, both from /upstreams; when Redis goes away, both say
// so (and the page keeps polling).
TEST(StatusPageStoreTest, BrowserShowsTheRedisStoreAndTheGlobalLimitsShare) {
  ASSERT_TRUE(Browser::installed()) << kMissingChromium;
  if (!redisInstalled()) GTEST_SKIP() << "redis-server is not installed (apt-get install redis-server)";
  TempDir dir;
  RedisServer redis(dir);
  ASSERT_TRUE(redis.ok());
  MockUpstream mock(dir);
  ASSERT_TRUE(mock.ok());
  OutriggerProcess proxy(
      dir,
      proxyConfig(mock.address(),
                  "    rate_limit: { requests_per_second: 300, burst: 50, scope: global }\n", "",
                  "redis: { address: \"" + redis.address() +
                      "\", timeouts: { connect: 200ms, command: 100ms } }\n"));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  ASSERT_TRUE(eventually([&] { return proxy.metric("outrigger_store_up").value_or(0) == 1; }));
  for (int i = 0; i < 5; ++i) ASSERT_EQ(httpRequest(proxy.port("main"), "GET", "/get")->status, 200);

  Browser browser;
  const std::string url = "http://127.0.0.1:" + std::to_string(proxy.adminPort()) + "/";
  std::optional<std::string> dom = browser.dumpDom(url);
  ASSERT_TRUE(dom) << browser.error();
  EXPECT_THAT(*dom, HasSubstr("Redis store " + redis.address() + ": connected<")) << *dom;
  EXPECT_THAT(*dom, Not(HasSubstr("id=\"store\" hidden")));
  EXPECT_THAT(rowOf(*dom, "mock"),
              ContainsRegex("global limit 300/s · fleet of 1 · lease [0-9]+, [0-9]+ left<"))
      << *dom;

  redis.kill();
  ASSERT_TRUE(eventually([&] { return proxy.metric("outrigger_store_up").value_or(1) == 0; }));
  dom = browser.dumpDom(url);
  ASSERT_TRUE(dom) << browser.error();
  EXPECT_THAT(*dom, HasSubstr("Redis store " + redis.address() + ": not connected")) << *dom;
  EXPECT_THAT(rowOf(*dom, "mock"),
              HasSubstr("global limit 300/s · fleet of 1 · Redis unreachable, on_store_error applies"))
      << *dom;
}

// The script's pure parts, checked in the browser against known answers: the page plus a
// script that calls its functions and prints PASS/FAIL lines.
constexpr char kScriptChecks[] = R"js(<pre id="results"></pre>
<script>
"use strict";
const results = [];
function check(what, got, want) {
  const same = Object.is(got, want) ||
    (typeof want === "number" && typeof got === "number" ? Math.abs(got - want) < 1e-9
                                                         : JSON.stringify(got) === JSON.stringify(want));
  results.push((same ? "PASS " : "FAIL ") + what + ": got " + JSON.stringify(got) +
               ", want " + JSON.stringify(want));
}
try {
  const m = parseMetrics([
    "# HELP a A counter.", "# TYPE a counter",
    'a{x="q\\"uote",y="back\\\\slash",z="new\\nline",w="a,b}c"} 3',
    "b 4.5 1712345678",
    'c{le="+Inf"} +Inf',
    'd{x="no closing quote} 1',
    'e{x="1",} 7',
    "f NaN",
  ].join("\n"));
  check("escaped quote", m.get("a")[0].labels.x, 'q"uote');
  check("escaped backslash", m.get("a")[0].labels.y, "back\\slash");
  check("escaped newline", m.get("a")[0].labels.z, "new\nline");
  check("comma and brace in a value", m.get("a")[0].labels.w, "a,b}c");
  check("value before a timestamp", m.get("b")[0].value, 4.5);
  check("+Inf", m.get("c")[0].value, Infinity);
  check("malformed line skipped", m.has("d"), false);
  check("trailing comma", m.get("e")[0].value, 7);
  check("NaN", Number.isNaN(m.get("f")[0].value), true);

  // histogram_quantile's answers for the same buckets.
  const inf = Infinity;
  check("interpolated", histogramQuantile(0.99, [{le: 0.1, count: 10}, {le: 0.5, count: 20}, {le: inf, count: 20}]), 0.492);
  check("first bucket starts at 0", histogramQuantile(0.5, [{le: 0.1, count: 10}, {le: inf, count: 10}]), 0.05);
  check("rank in +Inf", histogramQuantile(0.99, [{le: 0.1, count: 0}, {le: 0.5, count: 0}, {le: inf, count: 5}]), 0.5);
  check("no observations", histogramQuantile(0.99, [{le: 0.1, count: 0}, {le: inf, count: 0}]), null);
  check("bucket increase", bucketIncrease([{le: 0.1, count: 12}, {le: inf, count: 15}],
                                          [{le: 0.1, count: 10}, {le: inf, count: 10}]),
        [{le: 0.1, count: 2}, {le: inf, count: 5}]);
  check("bucket increase after a restart", bucketIncrease([{le: inf, count: 3}], [{le: inf, count: 9}]),
        [{le: inf, count: 3}]);
  check("rate", ratePerSecond(10, 4, 2), 3);
  check("rate after a restart", ratePerSecond(3, 10, 2), 1.5);
  check("no rate on the first poll", ratePerSecond(5, null, 2), null);

  // Two polls 2 s apart: 10 requests (4 of them 503), 8 rejected by the breaker.
  const series = (ok, failed, rejected, fast, state) => parseMetrics([
    `outrigger_requests_total{code="200",upstream="u"} ${ok}`,
    `outrigger_requests_total{code="503",upstream="u"} ${failed}`,
    `outrigger_requests_total{code="200",upstream="other"} 1000`,
    `outrigger_local_replies_total{reason="circuit_open",upstream="u"} ${rejected}`,
    `outrigger_local_replies_total{reason="bulkhead_full",upstream="u"} 0`,
    `outrigger_request_duration_seconds_bucket{upstream="u",le="0.01"} ${fast}`,
    `outrigger_request_duration_seconds_bucket{upstream="u",le="0.1"} ${ok + failed}`,
    `outrigger_request_duration_seconds_bucket{upstream="u",le="+Inf"} ${ok + failed}`,
    `outrigger_circuit_breaker_state{upstream="u"} ${state}`,
    `outrigger_pool_connections{state="active",upstream="u"} 2`,
    `outrigger_pool_connections{state="idle",upstream="u"} 3`,
    `outrigger_tunnels_active{kind="tcp",upstream="u"} 2`,
    `outrigger_tunnels_active{kind="connect",upstream="u"} 1`,
    `outrigger_tunnels_active{kind="tcp",upstream="other"} 5`,
    `outrigger_grpc_responses_total{grpc_status="ok",upstream="u"} ${ok}`,
    `outrigger_grpc_responses_total{grpc_status="unavailable",upstream="u"} ${failed}`,
  ].join("\n"));
  const first = upstreamStats("u", series(10, 0, 2, 10, 0), null, 0, undefined);
  check("first poll: no rate yet", first.requestRate, null);
  check("first poll: 5xx share since start", first.serverErrorShare, 0);
  check("first poll: p99 since start", first.p99, 0.01 * 0.99);
  const s = upstreamStats("u", series(16, 4, 10, 10, 2), series(10, 0, 2, 10, 0), 2, 1234);
  check("request rate", s.requestRate, 5);
  check("5xx share", s.serverErrorShare, 0.4);
  check("gRPC error share", s.grpcErrorShare, 0.4);
  check("no gRPC calls: no share", upstreamStats("u", parseMetrics(""), null, 0, undefined).grpcErrorShare, null);
  check("p99 of the interval", s.p99, 0.01 + 0.09 * (9.9 / 10));
  check("breaker", s.breaker, "half-open");
  check("countdown only while open", s.openRemainingMs, undefined);
  check("replies by reason", s.replies, [{reason: "circuit_open", total: 10, rate: 4}]);
  check("pool", [s.poolActive, s.poolIdle], [2, 3]);
  check("open tunnels", s.tunnels, 3);

  check("formatSeconds ms", formatSeconds(0.492), "492 ms");
  check("formatSeconds small ms", formatSeconds(0.0042), "4.2 ms");
  check("formatSeconds s", formatSeconds(1.5), "1.50 s");
  check("formatRate", [formatRate(2), formatRate(42.4), formatRate(1234), formatRate(null)],
        ["2.0/s", "42/s", "1.2k/s", "–"]);
  check("formatShare", [formatShare(0.4), formatShare(0.0123), formatShare(0)], ["40%", "1.2%", "0%"]);
  check("formatRemaining", [formatRemaining(1500), formatRemaining(61000)], ["2 s", "1 min 1 s"]);

  // A hostile upstream name reaches the DOM as text only.
  const name = '<img src=x onerror="document.title=1">';
  const info = { openRemaining: new Map([[name, 1500]]), staleStores: new Map([[name, "redis"]]),
                 globalLimits: new Map([[name, { requests_per_second: 300, fleet_size: 3, lease: 40,
                                                 tokens_left: 12, store_ok: false }]]),
                 store: { address: "unix:/run/<b>redis.sock", connected: false, last_error: "Connection refused" } };
  render(parseMetrics(`outrigger_circuit_breaker_state{upstream="${name.replace(/"/g, '\\"')}"} 1`),
         null, 0, info);
  const row = [...document.querySelectorAll("tr[data-upstream]")].find((r) => r.dataset.upstream === name);
  check("row for the hostile name", Boolean(row), true);
  check("no element made from it", document.querySelectorAll("#upstreams img").length, 0);
  check("name shown as text", row && row.querySelector(".name").textContent, name);
  const badge = row && row.querySelector("[data-breaker-state]");
  check("open badge", badge && [badge.dataset.breakerState, badge.className], ["open", "breaker breaker-open"]);
  check("countdown", row && row.querySelector("[data-stat=breaker]").textContent, "open2 s left");
  check("stale store note", row && row.querySelector(".stale-store").textContent, "stale copies: redis");
  const limit = row && row.querySelector(".global-limit");
  check("global limit without Redis", limit && [limit.textContent, limit.classList.contains("alert")],
        ["global limit 300/s · fleet of 3 · Redis unreachable, on_store_error applies", true]);
  check("global limit share", globalLimitText({ requests_per_second: 1500, fleet_size: 2, lease: 40,
                                                 tokens_left: 12, store_ok: true }),
        "global limit 1.5k/s · fleet of 2 · lease 40, 12 left");
  const store = document.getElementById("store");
  check("store line shown", store.hidden, false);
  check("store line", document.getElementById("store-text").textContent,
        "Redis store unix:/run/<b>redis.sock: not connected · last error: Connection refused");
  check("store address as text", document.querySelectorAll("#store b").length, 0);
  render(parseMetrics(""), null, 0, { openRemaining: new Map(), staleStores: new Map(),
                                      globalLimits: new Map(), store: null });
  check("no redis: no store line", store.hidden, true);
} catch (error) {
  results.push("FAIL exception: " + error);
}
results.push("DONE");
document.getElementById("results").textContent = results.join("\n");
</script>
)js";

TEST(StatusPageScriptTest, ParsesRatesAndQuantilesLikePrometheusAndEscapesNames) {
  ASSERT_TRUE(Browser::installed()) << kMissingChromium;
  TempDir dir;
  std::string html(admin::statusPageHtml());
  html.insert(html.rfind("</body>"), kScriptChecks);
  dir.write("checks.html", html);
  Browser browser;
  const std::optional<std::string> dom = browser.dumpDom("file://" + dir.file("checks.html"));
  ASSERT_TRUE(dom) << browser.error();
  const size_t begin = dom->find("<pre id=\"results\">");
  ASSERT_NE(begin, std::string::npos) << *dom;
  const std::string results = dom->substr(begin, dom->find("</pre>", begin) - begin);
  EXPECT_THAT(results, Not(HasSubstr("FAIL"))) << results;
  EXPECT_THAT(results, HasSubstr("DONE"));
  EXPECT_EQ(countOf(results, "PASS "), 49u) << results;
}

}  // namespace
}  // namespace outrigger::testing
