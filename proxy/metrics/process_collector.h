#pragma once
// The standard process_* metrics of the Prometheus client libraries, read from /proc/self
// at scrape time. A family that can't be read (no /proc) is left out rather than reported
// as zero.

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <vector>

namespace outrigger::metrics {

class ProcessCollector final : public prometheus::Collectable {
 public:
  ProcessCollector();

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  double ticks_per_second_;
  double page_size_;
  double start_time_seconds_;  // < 0 when unknown; constant for the life of the process
};

}  // namespace outrigger::metrics
