#include "proxy/metrics/duration_histogram.h"

#include <cmath>
#include <limits>
#include <utility>

namespace outrigger::metrics {

DurationHistogram::DurationHistogram(const std::vector<double>& upper_bounds)
    : upper_bounds_(upper_bounds),
      counts_(new std::atomic<uint64_t>[upper_bounds.size() + 1]) {
  upper_bound_nanos_.reserve(upper_bounds_.size());
  for (double bound : upper_bounds_) {
    upper_bound_nanos_.push_back(static_cast<int64_t>(std::llround(bound * 1e9)));
  }
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) counts_[i].store(0);
}

void DurationHistogram::observe(Duration elapsed) {
  const int64_t nanos = elapsed.count() > 0 ? elapsed.count() : 0;
  // Linear: most requests fall in the first few buckets, and there are only 15.
  size_t bucket = 0;
  while (bucket < upper_bound_nanos_.size() && nanos > upper_bound_nanos_[bucket]) ++bucket;
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_nanos_.fetch_add(static_cast<uint64_t>(nanos), std::memory_order_relaxed);
}

void DurationHistogram::collect(prometheus::ClientMetric::Histogram& out) const {
  out.bucket.clear();
  out.bucket.reserve(upper_bounds_.size() + 1);
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    prometheus::ClientMetric::Bucket bucket;
    bucket.cumulative_count = cumulative;
    bucket.upper_bound = i < upper_bounds_.size() ? upper_bounds_[i]
                                                  : std::numeric_limits<double>::infinity();
    out.bucket.push_back(bucket);
  }
  out.sample_count = cumulative;
  out.sample_sum = static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9;
}

DurationHistogramFamily::DurationHistogramFamily(std::string name, std::string help,
                                                 std::vector<double> upper_bounds)
    : name_(std::move(name)), help_(std::move(help)), upper_bounds_(std::move(upper_bounds)) {}

DurationHistogram& DurationHistogramFamily::add(const std::string& upstream) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& series = series_[upstream];
  if (!series) series = std::make_unique<DurationHistogram>(upper_bounds_);
  return *series;
}

void DurationHistogramFamily::remove(const std::string& upstream) {
  std::lock_guard<std::mutex> lock(mutex_);
  series_.erase(upstream);
}

std::vector<prometheus::MetricFamily> DurationHistogramFamily::Collect() const {
  prometheus::MetricFamily family;
  family.name = name_;
  family.help = help_;
  family.type = prometheus::MetricType::Histogram;
  std::lock_guard<std::mutex> lock(mutex_);
  family.metric.reserve(series_.size());
  for (const auto& [upstream, series] : series_) {
    prometheus::ClientMetric metric;
    metric.label.push_back({"upstream", upstream});
    series->collect(metric.histogram);
    family.metric.push_back(std::move(metric));
  }
  return {std::move(family)};
}

}  // namespace outrigger::metrics
