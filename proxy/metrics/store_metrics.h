#pragma once
// Metric families of the fleet's shared store (Redis), registered once at start-up: commands
// by name and result, their latency, whether the store is up, and each global rate limit's
// fleet size. Everything here is updated from the main loop, never from the request path.

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <string>
#include <string_view>

#include "proxy/common/clock.h"

namespace outrigger::metrics {

class StoreMetrics {
 public:
  explicit StoreMetrics(prometheus::Registry& registry);

  // outrigger_store_commands_total{command,result} and
  // outrigger_store_command_duration_seconds. Every command outrigger sends has its series
  // from the start; another name is counted as "other".
  void countCommand(std::string_view command, std::string_view result, Duration took);
  // outrigger_store_up: 1 connected, 0 not. The series exists only while a `redis:` block
  // is configured, so an alert on `== 0` never fires for a process without one.
  void setConfigured(bool configured);
  void setUp(bool up) {
    if (up_ != nullptr) up_->Set(up ? 1 : 0);
  }
  // outrigger_global_rate_limit_fleet_size{upstream}, created on first use.
  prometheus::Gauge& fleetSize(const std::string& upstream);
  void removeFleetSize(const std::string& upstream);

 private:
  prometheus::Family<prometheus::Counter>& commands_;
  prometheus::Histogram& duration_;
  prometheus::Family<prometheus::Gauge>& up_family_;
  prometheus::Gauge* up_ = nullptr;
  prometheus::Family<prometheus::Gauge>& fleet_size_;
  std::map<std::string, prometheus::Counter*, std::less<>> counters_;  // "command/result"
  std::map<std::string, prometheus::Gauge*> fleet_gauges_;
};

}  // namespace outrigger::metrics
