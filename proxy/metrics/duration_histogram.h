#pragma once
// outrigger_request_duration_seconds without a lock on the request path. prometheus-cpp's
// Histogram::Observe takes a per-series mutex, which every worker would share for an
// upstream; here each bucket and the sum are atomics, so observe() is two relaxed
// fetch_adds. Collection reads each bucket once and derives the cumulative counts and
// the total from that one reading, so a scrape is always self-consistent (+Inf == count),
// even while workers keep observing.

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "proxy/common/clock.h"

namespace outrigger::metrics {

class DurationHistogram {
 public:
  // `upper_bounds` in seconds, ascending; a last +Inf bucket is implied.
  explicit DurationHistogram(const std::vector<double>& upper_bounds);
  DurationHistogram(const DurationHistogram&) = delete;
  DurationHistogram& operator=(const DurationHistogram&) = delete;

  // Safe from any thread, lock-free. Negative durations count as 0.
  void observe(Duration elapsed);
  // Cumulative buckets, count and sum (seconds) into `out`.
  void collect(prometheus::ClientMetric::Histogram& out) const;

 private:
  std::vector<double> upper_bounds_;       // seconds, for the exposition
  std::vector<int64_t> upper_bound_nanos_;  // the same, compared on the request path
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket, not cumulative; +Inf last
  std::atomic<uint64_t> sum_nanos_{0};
};

// One histogram metric family keyed by the upstream label. add/remove/Collect lock a mutex
// (config time and scrapes); the request path uses the DurationHistogram it was handed.
class DurationHistogramFamily : public prometheus::Collectable {
 public:
  DurationHistogramFamily(std::string name, std::string help, std::vector<double> upper_bounds);

  // The series for `upstream`, created on the first call; stable until remove(upstream).
  DurationHistogram& add(const std::string& upstream);
  void remove(const std::string& upstream);

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const std::string name_;
  const std::string help_;
  const std::vector<double> upper_bounds_;
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<DurationHistogram>> series_;
};

}  // namespace outrigger::metrics
