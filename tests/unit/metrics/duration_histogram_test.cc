#include "proxy/metrics/duration_histogram.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>
#include <vector>

namespace outrigger::metrics {
namespace {

prometheus::ClientMetric::Histogram collect(const DurationHistogram& histogram) {
  prometheus::ClientMetric::Histogram out;
  histogram.collect(out);
  return out;
}

TEST(DurationHistogramTest, BoundsAreInclusiveAndBucketsCumulative) {
  DurationHistogram histogram({0.001, 0.01});
  histogram.observe(std::chrono::microseconds(1000));  // exactly on the first bound: le="0.001"
  histogram.observe(std::chrono::microseconds(1001));
  histogram.observe(milliseconds(10));
  histogram.observe(seconds(3));
  const auto out = collect(histogram);
  ASSERT_EQ(out.bucket.size(), 3u);
  EXPECT_EQ(out.bucket[0].cumulative_count, 1u);
  EXPECT_DOUBLE_EQ(out.bucket[0].upper_bound, 0.001);
  EXPECT_EQ(out.bucket[1].cumulative_count, 3u);
  EXPECT_EQ(out.bucket[2].cumulative_count, 4u);
  EXPECT_TRUE(std::isinf(out.bucket[2].upper_bound));
  EXPECT_EQ(out.sample_count, 4u);
  EXPECT_DOUBLE_EQ(out.sample_sum, 0.001 + 0.001001 + 0.01 + 3);
}

TEST(DurationHistogramTest, NegativeDurationCountsAsZero) {
  DurationHistogram histogram({0.001});
  histogram.observe(Duration(-5));
  const auto out = collect(histogram);
  EXPECT_EQ(out.bucket[0].cumulative_count, 1u);
  EXPECT_EQ(out.sample_sum, 0.0);
}

// Workers observe concurrently without a lock: not one observation may be lost.
TEST(DurationHistogramTest, ConcurrentObservationsAreAllCounted) {
  DurationHistogram histogram({0.001, 0.01});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&histogram, t] {
      for (int i = 0; i < kPerThread; ++i) histogram.observe(std::chrono::microseconds(t % 2 == 0 ? 500 : 5000));
    });
  }
  for (auto& thread : threads) thread.join();
  const auto out = collect(histogram);
  EXPECT_EQ(out.sample_count, uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(out.bucket[0].cumulative_count, uint64_t{kThreads / 2} * kPerThread);
  EXPECT_EQ(out.bucket[1].cumulative_count, uint64_t{kThreads} * kPerThread);
  EXPECT_NEAR(out.sample_sum, kPerThread * 2 * (0.0005 + 0.005), 1e-9);
}

TEST(DurationHistogramFamilyTest, OneSeriesPerUpstreamUntilRemoved) {
  DurationHistogramFamily family("d_seconds", "help", {0.1});
  DurationHistogram& a = family.add("a");
  EXPECT_EQ(&family.add("a"), &a);
  family.add("b").observe(milliseconds(50));
  auto families = family.Collect();
  ASSERT_EQ(families.size(), 1u);
  EXPECT_EQ(families[0].name, "d_seconds");
  EXPECT_EQ(families[0].type, prometheus::MetricType::Histogram);
  ASSERT_EQ(families[0].metric.size(), 2u);
  EXPECT_EQ(families[0].metric[1].label[0].value, "b");
  EXPECT_EQ(families[0].metric[1].histogram.sample_count, 1u);
  family.remove("a");
  EXPECT_EQ(family.Collect()[0].metric.size(), 1u);
}

}  // namespace
}  // namespace outrigger::metrics
