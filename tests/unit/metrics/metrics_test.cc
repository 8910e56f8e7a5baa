#include "proxy/metrics/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace outrigger::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The value of the sample line that starts with `series` (name plus labels), or -1.
double sampleValue(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::strtod(line.c_str() + series.size(), nullptr);
  }
  return -1;
}

TEST(MetricsTest, CountsRequestsByUpstreamAndCode) {
  Metrics metrics;
  UpstreamMetrics& a = metrics.upstream("a");
  a.countRequest(200, milliseconds(3));
  a.countRequest(200, milliseconds(30));
  a.countRequest(503, seconds(2));

  std::string text = metrics.serialize();
  EXPECT_THAT(text, HasSubstr("outrigger_requests_total{code=\"200\",upstream=\"a\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("outrigger_requests_total{code=\"503\",upstream=\"a\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("outrigger_request_duration_seconds_count{upstream=\"a\"} 3\n"));
  EXPECT_THAT(
      text,
      HasSubstr("outrigger_request_duration_seconds_bucket{upstream=\"a\",le=\"0.005\"} 1\n"));
  EXPECT_THAT(
      text, HasSubstr("outrigger_request_duration_seconds_bucket{upstream=\"a\",le=\"0.05\"} 2\n"));
  EXPECT_THAT(
      text, HasSubstr("outrigger_request_duration_seconds_bucket{upstream=\"a\",le=\"+Inf\"} 3\n"));
  EXPECT_DOUBLE_EQ(sampleValue(text, "outrigger_request_duration_seconds_sum{upstream=\"a\"}"),
                   2.033);
}

TEST(MetricsTest, PreCreatesCommonCodesAtZero) {
  Metrics metrics;
  metrics.upstream("a");
  std::string text = metrics.serialize();
  for (const char* code : {"200", "404", "502", "503", "504"}) {
    EXPECT_THAT(text, HasSubstr("outrigger_requests_total{code=\"" + std::string(code) +
                                "\",upstream=\"a\"} 0\n"));
  }
  EXPECT_THAT(text, Not(HasSubstr("code=\"418\"")));
}

TEST(MetricsTest, RareStatusCodeIsCreatedOnFirstUse) {
  Metrics metrics;
  UpstreamMetrics& a = metrics.upstream("a");
  a.countRequest(418, milliseconds(1));
  a.countRequest(418, milliseconds(1));
  a.countRequest(99, milliseconds(1));
  a.countRequest(600, milliseconds(1));
  std::string text = metrics.serialize();
  EXPECT_THAT(text, HasSubstr("outrigger_requests_total{code=\"418\",upstream=\"a\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("outrigger_requests_total{code=\"other\",upstream=\"a\"} 2\n"));
}

TEST(MetricsTest, ConcurrentFirstUseOfACodeCountsEveryIncrement) {
  Metrics metrics;
  UpstreamMetrics& a = metrics.upstream("a");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&a] {
      for (int i = 0; i < 1000; ++i) a.countRequest(201, milliseconds(1));
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_THAT(metrics.serialize(),
              HasSubstr("outrigger_requests_total{code=\"201\",upstream=\"a\"} 4000\n"));
}

TEST(MetricsTest, CountsAttemptsByOutcome) {
  Metrics metrics;
  UpstreamMetrics& a = metrics.upstream("a");
  a.countAttempt(policy::AttemptOutcome::kReset);
  a.countAttempt(policy::AttemptOutcome::kReset);
  a.countAttempt(policy::AttemptOutcome::kSuccess);
  std::string text = metrics.serialize();
  EXPECT_THAT(text,
              HasSubstr("outrigger_upstream_attempts_total{outcome=\"reset\",upstream=\"a\"} 2\n"));
  EXPECT_THAT(
      text, HasSubstr("outrigger_upstream_attempts_total{outcome=\"success\",upstream=\"a\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("outrigger_upstream_attempts_total{outcome=\"cancelled\",upstream="
                              "\"a\"} 0\n"));
}

TEST(MetricsTest, CountsLocalRepliesByReason) {
  Metrics metrics;
  metrics.upstream("a").countLocalReply(http::LocalReason::kCircuitOpen);
  std::string text = metrics.serialize();
  EXPECT_THAT(
      text, HasSubstr("outrigger_local_replies_total{reason=\"circuit_open\",upstream=\"a\"} 1\n"));
  EXPECT_THAT(
      text, HasSubstr("outrigger_local_replies_total{reason=\"rate_limited\",upstream=\"a\"} 0\n"));
}

TEST(MetricsTest, NoUpstreamCountsOnlyWhatHappened) {
  Metrics metrics;
  metrics.noUpstream().countLocalReply(http::LocalReason::kNoRoute);
  metrics.noUpstream().countRequest(404, milliseconds(1));
  metrics.noUpstream().pool_active.Set(3);  // detached: never exported
  std::string text = metrics.serialize();
  EXPECT_THAT(text,
              HasSubstr("outrigger_local_replies_total{reason=\"no_route\",upstream=\"\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("outrigger_requests_total{code=\"404\",upstream=\"\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("reason=\"rate_limited\",upstream=\"\"")));
  EXPECT_THAT(text, Not(HasSubstr("outrigger_pool_connections{")));
}

TEST(MetricsTest, PoolGaugesAreExported) {
  Metrics metrics;
  UpstreamMetrics& a = metrics.upstream("a");
  a.pool_active.Set(4);
  a.pool_idle.Increment();
  std::string text = metrics.serialize();
  EXPECT_THAT(text, HasSubstr("outrigger_pool_connections{state=\"active\",upstream=\"a\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("outrigger_pool_connections{state=\"idle\",upstream=\"a\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("outrigger_pool_connections{state=\"connecting\",upstream=\"a\"} 0\n"));
}

TEST(MetricsTest, UpstreamReturnsTheSameObject) {
  Metrics metrics;
  UpstreamMetrics* first = &metrics.upstream("a");
  metrics.upstream("b");
  EXPECT_EQ(first, &metrics.upstream("a"));
  EXPECT_EQ(first->name(), "a");
}

TEST(MetricsTest, RemoveUpstreamDropsItsSeriesOnly) {
  Metrics metrics;
  metrics.upstream("a").countRequest(418, milliseconds(1));
  metrics.upstream("b").countRequest(200, milliseconds(1));
  metrics.removeUpstream("a");
  std::string text = metrics.serialize();
  EXPECT_THAT(text, Not(HasSubstr("upstream=\"a\"")));
  EXPECT_THAT(text, HasSubstr("outrigger_requests_total{code=\"200\",upstream=\"b\"} 1\n"));

  // A later upstream of the same name starts from zero.
  metrics.upstream("a");
  EXPECT_THAT(metrics.serialize(),
              HasSubstr("outrigger_requests_total{code=\"200\",upstream=\"a\"} 0\n"));
}

TEST(MetricsTest, DownstreamConnectionsByListenerAndProtocol) {
  Metrics metrics;
  prometheus::Gauge& outbound = metrics.downstreamConnections("outbound");
  EXPECT_EQ(&outbound, &metrics.downstreamConnections("outbound", "http1"));
  outbound.Increment();
  outbound.Increment();
  metrics.downstreamConnections("outbound", "http2").Increment();
  EXPECT_THAT(metrics.serialize(), HasSubstr("outrigger_downstream_connections{listener=\"outbound\","
                                             "protocol=\"http1\"} 2\n"));
  EXPECT_THAT(metrics.serialize(), HasSubstr("outrigger_downstream_connections{listener=\"outbound\","
                                             "protocol=\"http2\"} 1\n"));
  EXPECT_EQ(metrics.downstreamConnectionCount("outbound"), 3);
  metrics.removeListener("outbound");
  EXPECT_THAT(metrics.serialize(), Not(HasSubstr("listener=\"outbound\"")));
}

TEST(MetricsTest, BuildInfo) {
  Metrics metrics;
  std::string text = metrics.serialize();
  EXPECT_THAT(text, HasSubstr("# TYPE outrigger_build_info gauge\n"));
  EXPECT_THAT(text, HasSubstr("outrigger_build_info{version=\""));
}

TEST(MetricsTest, HelpAndTypeLines) {
  Metrics metrics;
  metrics.upstream("a");  // a family with no series is left out of the exposition
  std::string text = metrics.serialize();
  EXPECT_THAT(text, HasSubstr("# TYPE outrigger_requests_total counter\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE outrigger_request_duration_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE outrigger_pool_connections gauge\n"));
  EXPECT_THAT(text, HasSubstr("# HELP outrigger_upstream_attempts_total "));
}

TEST(MetricsTest, ProcessMetrics) {
  Metrics metrics;
  std::string text = metrics.serialize();
  EXPECT_THAT(text, HasSubstr("# TYPE process_cpu_seconds_total counter\n"));
  EXPECT_GT(sampleValue(text, "process_resident_memory_bytes"), 1024 * 1024);
  EXPECT_GT(sampleValue(text, "process_virtual_memory_bytes"),
            sampleValue(text, "process_resident_memory_bytes"));
  EXPECT_GE(sampleValue(text, "process_open_fds"), 3);  // stdin, stdout, stderr
  EXPECT_GE(sampleValue(text, "process_max_fds"), sampleValue(text, "process_open_fds"));
  EXPECT_GE(sampleValue(text, "process_cpu_seconds_total"), 0);
  // Started in the last day, not at the epoch or in the future.
  double now = static_cast<double>(wallClockMicros()) / 1e6;
  double start = sampleValue(text, "process_start_time_seconds");
  EXPECT_GT(start, now - 86400);
  EXPECT_LE(start, now + 1);
}

}  // namespace
}  // namespace outrigger::metrics
