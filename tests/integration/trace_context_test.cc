// W3C trace context through the real binary (issue 20, item 7): an incoming traceparent keeps
// its trace id and each attempt gets its own parent id; a trace is started when none came in,
// sampled per sample_rate; B3 headers map to traceparent; the access log carries the ids.

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

#include "tests/integration/proxy_fixture.h"
#include "tests/integration/raw_upstream.h"

namespace outrigger::testing {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kAppSpan = "00f067aa0ba902b7";
const std::string kIncoming = "00-" + std::string(kTraceId) + "-" + std::string(kAppSpan) + "-01";

// The value of `name` in a raw request head (names compared case-insensitively), or "".
std::string headerIn(const std::string& head, const std::string& name) {
  const std::regex line("\r\n" + name + ": *([^\r]*)", std::regex::icase);
  std::smatch m;
  return std::regex_search(head, m, line) ? m[1].str() : "";
}

const std::regex kTraceparentShape("00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]");

TEST(TraceContextTest, EachAttemptKeepsTheTraceIdWithItsOwnParentId) {
  const std::string fail = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nfail";
  RawUpstream upstream({{"/fail", fail}});
  TempDir dir;
  OutriggerProcess proxy(
      dir,
      proxyConfig(upstream.address(), "    retry: { max_attempts: 3, backoff: { initial: 0s } }\n",
                  "", "tracing: { propagate: w3c, sample_rate: 0% }\n"));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  auto r = httpRequest(proxy.port("main"), "GET", "/fail", "",
                       {"traceparent: " + kIncoming, "tracestate: vendor=opaque,x=1"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  const std::vector<std::string> heads = upstream.heads();
  ASSERT_EQ(heads.size(), 3u);
  std::set<std::string> parents;
  for (const std::string& head : heads) {
    const std::string traceparent = headerIn(head, "traceparent");
    std::smatch m;
    ASSERT_TRUE(std::regex_match(traceparent, m, kTraceparentShape)) << head;
    EXPECT_EQ(m[1].str(), kTraceId);
    EXPECT_NE(m[2].str(), kAppSpan);
    EXPECT_TRUE(traceparent.ends_with("-01")) << "the app's sampled flag wins over sample_rate";
    parents.insert(m[2].str());
    EXPECT_EQ(headerIn(head, "tracestate"), "vendor=opaque,x=1");
  }
  EXPECT_EQ(parents.size(), 3u) << "each attempt needs its own parent id";
}

class TraceStartTest : public ProxyTest {
 protected:
  // The traceparent the upstream saw for one request without one.
  std::string startedTraceparent(const std::vector<std::string>& headers = {}) {
    auto r = get("/echo", headers);
    if (!r || r->status != 200) return "";
    return r->header("X-Echo-Header-traceparent");
  }
};

TEST_F(TraceStartTest, ATraceIsStartedWhenNoneCameIn) {
  startProxy("", "", "tracing: { propagate: w3c, sample_rate: 100% }\n");
  const std::string first = startedTraceparent();
  const std::string second = startedTraceparent();
  std::smatch a;
  std::smatch b;
  ASSERT_TRUE(std::regex_match(first, a, kTraceparentShape)) << first;
  ASSERT_TRUE(std::regex_match(second, b, kTraceparentShape)) << second;
  EXPECT_NE(a[1].str(), b[1].str()) << "each request starts its own trace";
  EXPECT_TRUE(first.ends_with("-01"));
  // An invalid one (upper-case hex) is replaced by a new trace.
  const std::string replaced =
      startedTraceparent({"traceparent: 00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"});
  std::smatch c;
  ASSERT_TRUE(std::regex_match(replaced, c, kTraceparentShape)) << replaced;
  EXPECT_NE(c[1].str(), "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST_F(TraceStartTest, SampleRateZeroNeverSamples) {
  startProxy("", "", "tracing: { propagate: w3c, sample_rate: 0% }\n");
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(startedTraceparent().ends_with("-00"));
}

TEST_F(TraceStartTest, SampleRateDecidesTheShareOfSampledTraces) {
  startProxy("", "", "tracing: { propagate: w3c, sample_rate: 10% }\n");
  constexpr int kRequests = 5000;
  HttpConnection connection(port_);
  int sampled = 0;
  for (int i = 0; i < kRequests; ++i) {
    auto r = connection.request("GET", "/echo");
    ASSERT_TRUE(r && r->status == 200);
    sampled += r->header("X-Echo-Header-traceparent").ends_with("-01") ? 1 : 0;
  }
  EXPECT_NEAR(sampled * 100.0 / kRequests, 10.0, 3.0);
}

TEST_F(TraceStartTest, B3HeadersMapToTraceparent) {
  startProxy("", "", "tracing: { propagate: w3c }\n");
  const std::string seen = startedTraceparent({"X-B3-TraceId: 463ac35c9f6413ad48485a3953bb6124",
                                               "X-B3-SpanId: a2fb4a1d1a96d312", "X-B3-Sampled: 0"});
  std::smatch m;
  ASSERT_TRUE(std::regex_match(seen, m, kTraceparentShape)) << seen;
  EXPECT_EQ(m[1].str(), "463ac35c9f6413ad48485a3953bb6124");
  EXPECT_TRUE(seen.ends_with("-00"));
}

TEST_F(TraceStartTest, B3PropagationWritesB3Headers) {
  startProxy("", "", "tracing: { propagate: b3 }\n");
  auto r = get("/echo", {"X-B3-TraceId: 463ac35c9f6413ad48485a3953bb6124",
                         "X-B3-SpanId: a2fb4a1d1a96d312", "X-B3-Sampled: 1"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("X-Echo-Header-x-b3-traceid"), "463ac35c9f6413ad48485a3953bb6124");
  EXPECT_EQ(r->header("X-Echo-Header-x-b3-parentspanid"), "a2fb4a1d1a96d312");
  EXPECT_EQ(r->header("X-Echo-Header-x-b3-sampled"), "1");
  const std::string span = r->header("X-Echo-Header-x-b3-spanid");
  EXPECT_EQ(span.size(), 16u);
  EXPECT_NE(span, "a2fb4a1d1a96d312");
}

TEST_F(TraceStartTest, WithoutTracingTraceHeadersPassThroughUntouched) {
  startProxy();
  EXPECT_EQ(startedTraceparent({"traceparent: " + kIncoming}), kIncoming);
  EXPECT_EQ(startedTraceparent(), "");
}

TEST(TraceContextAccessLogTest, TheAccessLogCarriesTraceIdAndSpanId) {
  TempDir dir;
  MockUpstream mock(dir);
  ASSERT_TRUE(mock.ok());
  std::string yaml = proxyConfig(mock.address(), "", "", "tracing: { propagate: w3c }\n");
  yaml.replace(yaml.find("access_log: { path: off }"), 25,
               "access_log: { path: " + dir.file("access.log") + " }\ndrain: { grace: 50ms }");
  OutriggerProcess proxy(dir, yaml);
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  auto r = httpRequest(proxy.port("main"), "GET", "/echo", "", {"traceparent: " + kIncoming});
  ASSERT_TRUE(r);
  std::smatch sent;
  const std::string traceparent = r->header("X-Echo-Header-traceparent");
  ASSERT_TRUE(std::regex_match(traceparent, sent, kTraceparentShape)) << traceparent;
  proxy.signal(SIGTERM);
  ASSERT_EQ(proxy.wait(milliseconds(5000)), 0);
  const std::string log = readFile(dir.file("access.log"));
  EXPECT_NE(log.find("\"trace_id\":\"" + std::string(kTraceId) + "\""), std::string::npos) << log;
  // The span the upstream saw as its parent.
  EXPECT_NE(log.find("\"span_id\":\"" + sent[2].str() + "\""), std::string::npos) << log;
}

}  // namespace
}  // namespace outrigger::testing
