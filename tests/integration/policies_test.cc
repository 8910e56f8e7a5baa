// The resilience policies through the real binary and mock-upstream (issue 3): each test
// asserts what the app sees, how often the upstream was hit, and the metrics.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <vector>

#include "tests/integration/proxy_fixture.h"
#include "tests/integration/raw_upstream.h"

namespace outrigger::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr const char* kRetry =
    "    retry:\n"
    "      max_attempts: 3\n"
    "      backoff: { initial: 10ms, max: 50ms, multiplier: 2, jitter: full }\n"
    "      retry_on: [ connect_failed, reset, timeout, 502, 503, 504 ]\n";

// Fires `count` requests at once and returns their statuses (0 = no response).
std::vector<int> concurrent(uint16_t port, const std::string& target, int count) {
  std::vector<std::future<int>> calls;
  for (int i = 0; i < count; ++i)
    calls.push_back(std::async(std::launch::async, [port, target] {
      auto r = httpRequest(port, "GET", target);
      return r ? r->status : 0;
    }));
  std::vector<int> statuses;
  for (auto& c : calls) statuses.push_back(c.get());
  return statuses;
}

int countOf(const std::vector<int>& statuses, int status) {
  return static_cast<int>(std::count(statuses.begin(), statuses.end(), status));
}

class RetryTest : public ProxyTest {
 protected:
  void SetUp() override { startProxy(kRetry); }
};

TEST_F(RetryTest, IntermittentFailuresAreRetriedUntilSuccess) {
  auto r = get("/intermittent?fail=2&key=a");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("x-outrigger-attempts"), "3");
  EXPECT_EQ(mock_->hits("/intermittent"), 3);
  EXPECT_EQ(metricOr0("outrigger_retries_total", {{"upstream", "mock"}}), 2);
  EXPECT_EQ(metricOr0("outrigger_upstream_attempts_total",
                      {{"upstream", "mock"}, {"outcome", "failure_status"}}),
            2);
}

TEST_F(RetryTest, ExhaustedRetriesPassTheLastResponseThrough) {
  auto r = get("/intermittent?fail=10&key=b");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, "intermittent failure");  // the upstream's own response, not masked
  EXPECT_EQ(r->header("x-outrigger-attempts"), "3");
  EXPECT_EQ(mock_->hits("/intermittent"), 3);
}

TEST_F(RetryTest, ClientErrorsAreNotRetried) {
  auto r = get("/status/404");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(mock_->hits("/status/404"), 1);
  EXPECT_FALSE(r->hasHeader("x-outrigger-attempts"));
}

TEST_F(RetryTest, PostIsTriedOnceUnlessItCarriesAnIdempotencyKey) {
  auto once = httpRequest(port_, "POST", "/intermittent?fail=5&key=post", "x");
  ASSERT_TRUE(once);
  EXPECT_EQ(once->status, 503);
  EXPECT_EQ(mock_->hits("/intermittent"), 1);

  auto retried = httpRequest(port_, "POST", "/intermittent?fail=2&key=keyed", "payload",
                             {"Idempotency-Key: k-1"});
  ASSERT_TRUE(retried);
  EXPECT_EQ(retried->status, 200);
  EXPECT_EQ(mock_->hits("/intermittent"), 4);
}

TEST_F(RetryTest, RetriedPostReplaysItsBody) {
  auto r = httpRequest(port_, "POST", "/intermittent?fail=1&key=body", "the body",
                       {"Idempotency-Key: k-2"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(mock_->hits("/intermittent"), 2);
}

TEST_F(RetryTest, AppCanLowerMaxAttempts) {
  auto r = get("/intermittent?fail=5&key=lower", {"x-outrigger-max-attempts: 2"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(mock_->hits("/intermittent"), 2);
}

class ImmediateRetryTest : public ProxyTest {};

TEST_F(ImmediateRetryTest, ZeroInitialBackoffRetriesWithoutWaiting) {
  // initial 0s: the three retries go at once. With an initial of 100ms and no jitter, the
  // waits alone (100 + 200 + 400 ms) would take more than twice the bound.
  startProxy(
      "    retry:\n"
      "      max_attempts: 4\n"
      "      backoff: { initial: 0s, max: 1s, multiplier: 2, jitter: none }\n"
      "      retry_on: [ 503 ]\n");
  const auto start = Clock::now();
  auto r = get("/intermittent?fail=3&key=now");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("x-outrigger-attempts"), "4");
  EXPECT_EQ(mock_->hits("/intermittent"), 4);
  EXPECT_LT(elapsedMs(start), 300);
}

// A failure response that is retried: its connection goes back to the pool when the whole
// response was read and the upstream keeps it open, and is closed in any other case.
struct RetriedResponseRow {
  std::string name;
  std::string raw;  // what the upstream answers to every attempt
  bool reused;      // both attempts went over one upstream connection
};

void PrintTo(const RetriedResponseRow& row, std::ostream* os) { *os << row.name; }

class RetriedResponseConnectionTest : public ::testing::TestWithParam<RetriedResponseRow> {};

TEST_P(RetriedResponseConnectionTest, IsReusedOnlyWhenTheWholeResponseWasRead) {
  const RetriedResponseRow& row = GetParam();
  RawUpstream upstream({{"/fail", row.raw}});
  TempDir dir;
  const std::string policy =
      "    timeouts: { read: 1s }\n"
      "    retry: { max_attempts: 2, backoff: { initial: 0s } }\n";
  OutriggerProcess proxy(dir, proxyConfig(upstream.address(), policy));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  const auto start = Clock::now();
  auto r = httpRequest(proxy.port("main"), "GET", "/fail");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->header("x-outrigger-attempts"), "2");
  using Paths = std::vector<std::vector<std::string>>;
  const Paths one_connection{{"/fail", "/fail"}};
  const Paths two_connections{{"/fail"}, {"/fail"}};
  EXPECT_EQ(upstream.requestsByConnection(), row.reused ? one_connection : two_connections);
  // The retry never waited for the first body: only the last attempt's may wait for the
  // read timeout.
  EXPECT_LT(elapsedMs(start), 1800);
}

INSTANTIATE_TEST_SUITE_P(
    Responses, RetriedResponseConnectionTest,
    ::testing::Values(
        RetriedResponseRow{"WholeBody", "HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy", true},
        RetriedResponseRow{"NoBody", "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n", true},
        RetriedResponseRow{"Chunked",
                           "HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n"
                           "4\r\nbusy\r\n0\r\n\r\n",
                           true},
        RetriedResponseRow{
            "ConnectionClose",
            "HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 4\r\n\r\nbusy", false},
        RetriedResponseRow{"BodyStillOnItsWay",
                           "HTTP/1.1 503 Busy\r\nContent-Length: 10\r\n\r\nbusy", false},
        RetriedResponseRow{"BytesAfterTheResponse",
                           "HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy"
                           "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                           false}),
    [](const ::testing::TestParamInfo<RetriedResponseRow>& row) { return row.param.name; });

class RetryAfterTest : public ProxyTest {};

TEST_F(RetryAfterTest, RetryAfterIsHonouredWhenItFitsTheDeadline) {
  startProxy(std::string(kRetry) + "    timeouts: { request: 5s }\n");
  const auto start = Clock::now();
  auto r = httpRequest(port_, "GET", "/status/503?retry_after=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_GE(elapsedMs(start), 1900);  // two waits of one second between three attempts
  EXPECT_EQ(mock_->hits("/status/503"), 3);
}

TEST_F(RetryAfterTest, DeadlineBoundsTotalTimeIncludingBackoff) {
  startProxy(std::string(kRetry) + "    timeouts: { request: 500ms }\n");
  const auto start = Clock::now();
  auto r = httpRequest(port_, "GET", "/status/503?retry_after=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);  // a 1s wait cannot fit in 500ms: the response is returned
  EXPECT_LT(elapsedMs(start), 400);
  EXPECT_EQ(mock_->hits("/status/503"), 1);
}

class RetryBudgetTest : public ProxyTest {};

TEST_F(RetryBudgetTest, BudgetHoldsRetriesUnderTotalFailure) {
  startProxy(std::string(kRetry) +
             "      budget: { ratio: 20%, min_per_second: 1, window: 10s }\n");
  HttpConnection c(port_);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(c.request("GET", "/status/503")->status, 503);
  const long hits = mock_->hits("/status/503");
  // 50 first attempts, plus at most 20% of 50 and the floor of 1/s over the 10s window.
  EXPECT_GE(hits, 55);
  EXPECT_LE(hits, 50 + 10 + 10 + 2);
  EXPECT_GT(
      proxy_->metric("outrigger_retry_budget_exhausted_total", {{"upstream", "mock"}}).value_or(0),
      0);
}

class CircuitBreakerTest : public ProxyTest {};

TEST_F(CircuitBreakerTest, OpensAfterThresholdFailsFastAndClosesAfterAProbe) {
  startProxy(
      "    retry: { max_attempts: 1, retry_on: [ 503 ] }\n"
      "    circuit_breaker: { failure_threshold: 2, "
      "open_for: 500ms, half_open_probes: 1 }\n");
  EXPECT_EQ(httpRequest(port_, "GET", "/status/503")->status, 503);
  EXPECT_EQ(httpRequest(port_, "GET", "/status/503")->status, 503);
  EXPECT_EQ(proxy_->metric("outrigger_circuit_breaker_state", {{"upstream", "mock"}}), 1);

  HttpConnection c(port_);
  const auto start = Clock::now();
  auto rejected = c.request("GET", "/get");
  const long took = elapsedMs(start);
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->status, 503);
  EXPECT_EQ(rejected->header("x-outrigger-reason"), "circuit_open");
  EXPECT_EQ(rejected->header("Retry-After"), "1");
  EXPECT_LT(took, 20);
  EXPECT_EQ(mock_->hits("/get"), 0);

  std::this_thread::sleep_for(milliseconds(600));  // open_for passes: half-open
  auto probe = c.request("GET", "/get");
  ASSERT_TRUE(probe);
  EXPECT_EQ(probe->status, 200);
  EXPECT_EQ(mock_->hits("/get"), 1);
  EXPECT_EQ(proxy_->metric("outrigger_circuit_breaker_state", {{"upstream", "mock"}}), 0);
  EXPECT_EQ(proxy_->metric("outrigger_circuit_breaker_transitions_total",
                           {{"upstream", "mock"}, {"to", "open"}}),
            1);
}

TEST_F(CircuitBreakerTest, WithoutARetryBlockTheDefaultFailureStatusesOpenIt) {
  // No retry block: 502, 503 and 504 are still failures (DESIGN §5), for the breaker and
  // the attempts metric alike.
  startProxy("    circuit_breaker: { failure_threshold: 2, open_for: 30s }\n");
  EXPECT_EQ(httpRequest(port_, "GET", "/status/503")->status, 503);
  EXPECT_EQ(httpRequest(port_, "GET", "/status/503")->status, 503);
  auto rejected = httpRequest(port_, "GET", "/status/503");
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->status, 503);
  EXPECT_EQ(rejected->header("x-outrigger-reason"), "circuit_open");
  EXPECT_EQ(mock_->hits("/status/503"), 2);
  EXPECT_EQ(proxy_->metric("outrigger_circuit_breaker_state", {{"upstream", "mock"}}), 1);
  EXPECT_EQ(metricOr0("outrigger_upstream_attempts_total",
                      {{"upstream", "mock"}, {"outcome", "failure_status"}}),
            2);
  EXPECT_EQ(metricOr0("outrigger_upstream_attempts_total",
                      {{"upstream", "mock"}, {"outcome", "success"}}),
            0);
}

TEST_F(CircuitBreakerTest, ClientErrorsLeaveTheBreakerClosed) {
  startProxy("    circuit_breaker: { failure_threshold: 2 }\n");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(httpRequest(port_, "GET", "/status/404")->status, 404);
  EXPECT_EQ(mock_->hits("/status/404"), 4);
  EXPECT_EQ(proxy_->metric("outrigger_circuit_breaker_state", {{"upstream", "mock"}}), 0);
}

TEST_F(CircuitBreakerTest, ShadowModeCountsButNeverRejects) {
  TempDir dir;
  OutriggerProcess proxy(dir, proxyConfig("127.0.0.1:" + std::to_string(closedPort()),
                                          "    circuit_breaker: { failure_threshold: 1 }\n"
                                          "    shadow: [ circuit_breaker ]\n"));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  for (int i = 0; i < 3; ++i) {
    auto r = httpRequest(proxy.port("main"), "GET", "/get");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("x-outrigger-reason"), "connect_failed");
  }
  EXPECT_EQ(proxy.metric("outrigger_shadow_rejections_total",
                         {{"upstream", "mock"}, {"policy", "circuit_breaker"}}),
            2);
}

class BulkheadTest : public ProxyTest {};

TEST_F(BulkheadTest, FullBulkheadRejectsAtOnceAndGaugesReturnToZero) {
  startProxy("    bulkhead: { max_concurrent: 3, max_queue: 0 }\n");
  auto statuses = concurrent(port_, "/delay/400", 5);
  EXPECT_EQ(countOf(statuses, 200), 3);
  EXPECT_EQ(countOf(statuses, 503), 2);
  EXPECT_EQ(mock_->hits("/delay/400"), 3);
  EXPECT_EQ(proxy_->metric("outrigger_local_replies_total",
                           {{"upstream", "mock"}, {"reason", "bulkhead_full"}}),
            2);
  EXPECT_EQ(proxy_->metric("outrigger_bulkhead_active", {{"upstream", "mock"}}), 0);
  EXPECT_EQ(proxy_->metric("outrigger_bulkhead_queued", {{"upstream", "mock"}}), 0);
}

TEST_F(BulkheadTest, QueuedRequestsRunWhenSlotsFree) {
  startProxy(
      "    bulkhead: { max_concurrent: 2, max_queue: 5, "
      "queue_timeout: 3s }\n");
  auto statuses = concurrent(port_, "/delay/200", 5);
  EXPECT_EQ(countOf(statuses, 200), 5);
  EXPECT_EQ(proxy_->metric("outrigger_bulkhead_active", {{"upstream", "mock"}}), 0);
}

TEST_F(BulkheadTest, QueueTimeoutGivesBulkheadTimeout) {
  startProxy(
      "    bulkhead: { max_concurrent: 1, max_queue: 5, "
      "queue_timeout: 100ms }\n");
  auto statuses = concurrent(port_, "/delay/500", 3);
  EXPECT_EQ(countOf(statuses, 200), 1);
  EXPECT_EQ(countOf(statuses, 503), 2);
  EXPECT_EQ(proxy_->metric("outrigger_local_replies_total",
                           {{"upstream", "mock"}, {"reason", "bulkhead_timeout"}}),
            2);
  EXPECT_EQ(proxy_->metric("outrigger_bulkhead_queued", {{"upstream", "mock"}}), 0);
  EXPECT_EQ(proxy_->metric("outrigger_bulkhead_active", {{"upstream", "mock"}}), 0);
}

TEST_F(BulkheadTest, ClientAbortReleasesItsSlot) {
  startProxy("    bulkhead: { max_concurrent: 1, max_queue: 0 }\n");
  {
    HttpConnection abandoning(port_);
    ASSERT_TRUE(abandoning.sendRaw("GET /delay/3000 HTTP/1.1\r\nHost: a\r\n\r\n"));
    ASSERT_TRUE(eventually([&] { return mock_->hits("/delay/3000") == 1; }));
    EXPECT_EQ(proxy_->metric("outrigger_bulkhead_active", {{"upstream", "mock"}}), 1);
  }  // the app goes away mid-request
  const auto gone = std::chrono::steady_clock::now();
  EXPECT_TRUE(eventually([&] {
    return proxy_->metric("outrigger_bulkhead_active", {{"upstream", "mock"}}) == 0;
  }));
  EXPECT_LT(elapsedMs(gone), 1000);  // released at once, not when the upstream answers
  auto next = httpRequest(port_, "GET", "/get");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);  // the slot is free again
}

class RateLimitTest : public ProxyTest {};

TEST_F(RateLimitTest, RequestsPastTheBurstGet429WithRetryAfter) {
  startProxy("    rate_limit: { requests_per_second: 10, burst: 5 }\n");
  HttpConnection c(port_);
  int ok = 0, limited = 0;
  std::string retry_after;
  for (int i = 0; i < 8; ++i) {
    auto r = c.request("GET", "/get");
    ASSERT_TRUE(r);
    if (r->status == 200) ok++;
    if (r->status == 429) {
      limited++;
      retry_after = r->header("Retry-After");
      EXPECT_EQ(r->header("x-outrigger-reason"), "rate_limited");
    }
  }
  EXPECT_GE(ok, 5);
  EXPECT_LE(ok, 6);  // one token may refill while the loop runs
  EXPECT_EQ(ok + limited, 8);
  EXPECT_EQ(retry_after, "1");
  EXPECT_EQ(mock_->hits("/get"), ok);
}

TEST(OutlierTest, FailingEndpointIsEjectedAndTrafficGoesToTheGoodOne) {
  TempDir dir;
  MockUpstream good(dir);
  ASSERT_TRUE(good.ok());
  const std::string bad = "127.0.0.1:" + std::to_string(closedPort());
  std::string yaml = proxyConfig(good.address(),
                                 "    outlier_detection: { consecutive_failures: 2, "
                                 "base_ejection: 30s }\n");
  const std::string one = "[ \"" + good.address() + "\" ]";
  yaml.replace(yaml.find(one), one.size(), "[ \"" + good.address() + "\", \"" + bad + "\" ]");
  OutriggerProcess proxy(dir, yaml);
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  HttpConnection c(proxy.port("main"));
  for (int i = 0; i < 6; ++i) c.request("GET", "/get");  // round robin: the bad one fails twice
  EXPECT_EQ(proxy.metric("outrigger_endpoint_ejected", {{"upstream", "mock"}, {"endpoint", bad}}),
            1);
  const long before = good.hits("/get");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(c.request("GET", "/get")->status, 200);
  EXPECT_EQ(good.hits("/get"), before + 10);
}

TEST(OutlierTest, EndpointThatAlwaysAnswers503IsEjected) {
  TempDir dir;
  MockUpstream good(dir, "good"), bad(dir, "bad");
  ASSERT_TRUE(good.ok() && bad.ok());
  ASSERT_EQ(httpRequest(bad.port(), "POST", "/__fail/on?status=503")->status, 200);
  std::string yaml = proxyConfig(good.address(),
                                 "    retry: { max_attempts: 1, retry_on: [ 503 ] }\n"
                                 "    outlier_detection: { consecutive_failures: 2, "
                                 "base_ejection: 30s }\n");
  const std::string one = "[ \"" + good.address() + "\" ]";
  yaml.replace(yaml.find(one), one.size(),
               "[ \"" + good.address() + "\", \"" + bad.address() + "\" ]");
  OutriggerProcess proxy(dir, yaml);
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  HttpConnection c(proxy.port("main"));
  for (int i = 0; i < 4; ++i) c.request("GET", "/get");  // round robin: bad answers 503 twice
  EXPECT_EQ(bad.hits("/get"), 2);
  EXPECT_EQ(proxy.metric("outrigger_endpoint_ejected",
                         {{"upstream", "mock"}, {"endpoint", bad.address()}}),
            1);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(c.request("GET", "/get")->status, 200);
  EXPECT_EQ(bad.hits("/get"), 2);  // nothing more reached the ejected endpoint
  EXPECT_EQ(good.hits("/get"), 12);
}

class FallbackTest : public ProxyTest {};

TEST_F(FallbackTest, StaticResponseReplacesAFinalFailure) {
  TempDir dir;
  OutriggerProcess proxy(dir, proxyConfig("127.0.0.1:" + std::to_string(closedPort()),
                                          "    fallback:\n"
                                          "      response: { status: 200, content_type: "
                                          "application/json, body: '{\"degraded\":true}' }\n"));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  auto r = httpRequest(proxy.port("main"), "GET", "/get");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{\"degraded\":true}");
  EXPECT_EQ(r->header("x-outrigger-fallback"), "static");
  EXPECT_EQ(r->header("x-outrigger-reason"), "connect_failed");
  EXPECT_EQ(proxy.metric("outrigger_fallbacks_total",
                         {{"upstream", "mock"}, {"kind", "static"}, {"source", "response"}}),
            1);
}

TEST_F(FallbackTest, StaleCopyIsServedWhenTheUpstreamGoesDown) {
  startProxy("    fallback: { stale_if_error: { ttl: 60s } }\n");
  auto fresh = httpRequest(port_, "GET", "/get?item=1");
  ASSERT_TRUE(fresh);
  ASSERT_EQ(fresh->status, 200);
  mock_->kill();

  auto stale = httpRequest(port_, "GET", "/get?item=1");
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 200);
  EXPECT_EQ(stale->body, fresh->body);
  EXPECT_EQ(stale->header("x-outrigger-fallback"), "stale");
  EXPECT_EQ(stale->header("x-outrigger-reason"), "connect_failed");
  EXPECT_TRUE(stale->hasHeader("Age"));
  EXPECT_EQ(proxy_->metric("outrigger_fallbacks_total",
                           {{"upstream", "mock"}, {"kind", "stale"}, {"source", "memory"}}),
            1);

  auto never_seen = httpRequest(port_, "GET", "/get?item=2");  // no copy of this one
  ASSERT_TRUE(never_seen);
  EXPECT_EQ(never_seen->status, 502);
  EXPECT_EQ(never_seen->header("x-outrigger-reason"), "connect_failed");
}

TEST_F(FallbackTest, StaleCopyReplacesAFailureStatusThatIsNotRetried) {
  // RFC 5861 stale-if-error: a 503 from a live upstream gets the copy, not only a local failure.
  startProxy("    fallback: { stale_if_error: { ttl: 60s } }\n");
  auto fresh = httpRequest(port_, "GET", "/get?item=3");
  ASSERT_TRUE(fresh);
  ASSERT_EQ(fresh->status, 200);
  ASSERT_EQ(httpRequest(mock_->port(), "POST", "/__fail/on?status=503")->status, 200);

  auto stale = httpRequest(port_, "GET", "/get?item=3");
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 200);
  EXPECT_EQ(stale->body, fresh->body);
  EXPECT_EQ(stale->header("x-outrigger-fallback"), "stale");
  EXPECT_EQ(stale->header("x-outrigger-reason"), "failure_status");
  EXPECT_EQ(mock_->hits("/get"), 2);
  EXPECT_EQ(proxy_->metric("outrigger_fallbacks_total",
                           {{"upstream", "mock"}, {"kind", "stale"}, {"source", "memory"}}),
            1);
  // Without a copy, the upstream's own 503 passes through, as before.
  auto never_seen = httpRequest(port_, "GET", "/get?item=4");
  ASSERT_TRUE(never_seen);
  EXPECT_EQ(never_seen->status, 503);
  EXPECT_FALSE(never_seen->hasHeader("x-outrigger-fallback"));
}

TEST_F(FallbackTest, StaleCopyIsTheNewestResponseOfItsKey) {
  // Each copy reuses the buffers of one it displaced: nothing of an older copy may show.
  startProxy("    fallback: { stale_if_error: { ttl: 60s } }\n");
  auto first = httpRequest(port_, "GET", "/get?item=1");
  auto second = httpRequest(port_, "GET", "/get?item=1");
  auto other = httpRequest(port_, "GET", "/get?item=2&padding=" + std::string(300, 'p'));
  ASSERT_TRUE(first && second && other);
  ASSERT_NE(first->body, second->body);  // /get echoes the request, whose id differs
  mock_->kill();

  auto stale = httpRequest(port_, "GET", "/get?item=1");
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->header("x-outrigger-fallback"), "stale");
  EXPECT_EQ(stale->body, second->body);
  EXPECT_EQ(stale->header("Content-Type"), second->header("Content-Type"));
  // Every header of the copy, with this request's id, not the stored response's.
  for (const auto& [name, value] : second->headers) {
    if (name == "X-Request-ID" || name == "x-request-id") continue;
    EXPECT_EQ(stale->header(name), value) << name;
  }
  int ids = 0;
  for (const auto& h : stale->headers) ids += h.first == "X-Request-ID" ? 1 : 0;
  EXPECT_EQ(ids, 1);
  EXPECT_NE(stale->header("X-Request-ID"), second->header("X-Request-ID"));
  auto stale_other = httpRequest(port_, "GET", "/get?item=2&padding=" + std::string(300, 'p'));
  ASSERT_TRUE(stale_other);
  EXPECT_EQ(stale_other->header("x-outrigger-fallback"), "stale");
  EXPECT_EQ(stale_other->body, other->body);
}

TEST_F(FallbackTest, AResponseCutShortLeavesNothingInTheNextCopy) {
  // The copy being filled lives in the worker's exchange slot, which the next request
  // reuses: what a response cut short left there must not show in the next copy. One
  // worker, so that every request meets the same slots.
  startProxy("    fallback: { stale_if_error: { ttl: 60s } }\n", "", "workers: 1\n");
  std::vector<std::string> fresh_bodies;
  for (int i = 0; i < 3; ++i) {
    auto cut = httpRequest(port_, "GET", "/partial");  // 500 of 1000 bytes, then a close
    EXPECT_TRUE(!cut || cut->body.size() < 1000);
    auto fresh = httpRequest(port_, "GET", "/get?item=" + std::to_string(i));
    ASSERT_TRUE(fresh);
    ASSERT_EQ(fresh->status, 200);
    fresh_bodies.push_back(fresh->body);
  }
  mock_->kill();
  for (int i = 0; i < 3; ++i) {
    auto stale = httpRequest(port_, "GET", "/get?item=" + std::to_string(i));
    ASSERT_TRUE(stale);
    EXPECT_EQ(stale->header("x-outrigger-fallback"), "stale");
    EXPECT_EQ(stale->body, fresh_bodies[i]) << "item " << i;
  }
  auto never_whole = httpRequest(port_, "GET", "/partial");  // never kept: it never completed
  ASSERT_TRUE(never_whole);
  EXPECT_EQ(never_whole->status, 502);
}

TEST_F(FallbackTest, StaleCopyLeavesOutWhatWasAddedForTheClientThatFetchedIt) {
  // An HTTP/1.0 client asking for keep-alive is told "Connection: keep-alive", and a retried
  // request carries x-outrigger-attempts: neither belongs to the copy served later.
  startProxy("    fallback: { stale_if_error: { ttl: 60s } }\n");
  HttpConnection old_client(port_);
  ASSERT_TRUE(old_client.sendRaw(
      "GET /get?item=3 HTTP/1.0\r\nHost: test.local\r\nConnection: keep-alive\r\n\r\n"));
  auto fresh = old_client.readResponse();
  ASSERT_TRUE(fresh);
  ASSERT_EQ(fresh->status, 200);
  ASSERT_EQ(fresh->header("Connection"), "keep-alive");
  mock_->kill();

  auto stale = httpRequest(port_, "GET", "/get?item=3");  // Host: test.local, the same key
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->header("x-outrigger-fallback"), "stale");
  EXPECT_EQ(stale->body, fresh->body);
  EXPECT_NE(stale->header("Connection"), "keep-alive");
}

TEST_F(FallbackTest, StaleCopyIsServedWhileTheBreakerIsOpen) {
  startProxy(
      "    retry: { max_attempts: 1, retry_on: [ 503 ] }\n"
      "    circuit_breaker: { failure_threshold: 2, "
      "open_for: 30s }\n"
      "    fallback: { stale_if_error: { ttl: 60s } }\n");
  auto fresh = httpRequest(port_, "GET", "/get?page=1");
  ASSERT_TRUE(fresh);
  ASSERT_EQ(fresh->status, 200);
  EXPECT_EQ(httpRequest(port_, "GET", "/status/503")->status, 503);
  EXPECT_EQ(httpRequest(port_, "GET", "/status/503")->status, 503);  // the breaker opens
  const long hits_before = mock_->hits("/get");

  auto stale = httpRequest(port_, "GET", "/get?page=1");
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->status, 200);
  EXPECT_EQ(stale->body, fresh->body);
  EXPECT_EQ(stale->header("x-outrigger-fallback"), "stale");
  EXPECT_EQ(stale->header("x-outrigger-reason"), "circuit_open");
  EXPECT_EQ(mock_->hits("/get"), hits_before);  // served without touching the upstream
}

}  // namespace
}  // namespace outrigger::testing
