#include "proxy/metrics/store_metrics.h"

namespace outrigger::metrics {
namespace {

constexpr std::string_view kCommands[] = {"evalsha", "eval", "auth", "select",
                                          "get",     "set",  "other"};
constexpr std::string_view kResults[] = {"ok", "error", "timeout"};

std::string counterKey(std::string_view command, std::string_view result) {
  return std::string(command) + "/" + std::string(result);
}

}  // namespace

StoreMetrics::StoreMetrics(prometheus::Registry& registry)
    : commands_(prometheus::BuildCounter()
                    .Name("outrigger_store_commands_total")
                    .Help("Commands sent to the shared store (Redis), by command and result "
                          "(ok, error, timeout)")
                    .Register(registry)),
      duration_(prometheus::BuildHistogram()
                    .Name("outrigger_store_command_duration_seconds")
                    .Help("Time from sending a command to the shared store to its reply")
                    .Register(registry)
                    .Add({}, prometheus::Histogram::BucketBoundaries{0.0002, 0.0005, 0.001, 0.002,
                                                                     0.005, 0.01, 0.025, 0.05, 0.1,
                                                                     0.25, 0.5, 1})),
      up_family_(prometheus::BuildGauge()
                     .Name("outrigger_store_up")
                     .Help("1 while the shared store (Redis) is connected, else 0; absent "
                           "without a redis: block")
                     .Register(registry)),
      fleet_size_(prometheus::BuildGauge()
                      .Name("outrigger_global_rate_limit_fleet_size")
                      .Help("Replicas sharing the upstream's global rate limit, as last seen "
                            "in the store")
                      .Register(registry)) {
  for (std::string_view command : kCommands) {
    for (std::string_view result : kResults) {
      counters_[counterKey(command, result)] =
          &commands_.Add({{"command", std::string(command)}, {"result", std::string(result)}});
    }
  }
}

void StoreMetrics::countCommand(std::string_view command, std::string_view result, Duration took) {
  auto it = counters_.find(counterKey(command, result));
  if (it == counters_.end()) it = counters_.find(counterKey("other", result));
  if (it != counters_.end()) it->second->Increment();
  duration_.Observe(toSeconds(took));
}

void StoreMetrics::setConfigured(bool configured) {
  if (configured && up_ == nullptr) up_ = &up_family_.Add({});
  if (!configured && up_ != nullptr) {
    up_family_.Remove(up_);
    up_ = nullptr;
  }
}

prometheus::Gauge& StoreMetrics::fleetSize(const std::string& upstream) {
  prometheus::Gauge*& gauge = fleet_gauges_[upstream];
  if (gauge == nullptr) gauge = &fleet_size_.Add({{"upstream", upstream}});
  return *gauge;
}

void StoreMetrics::removeFleetSize(const std::string& upstream) {
  const auto it = fleet_gauges_.find(upstream);
  if (it == fleet_gauges_.end()) return;
  fleet_size_.Remove(it->second);
  fleet_gauges_.erase(it);
}

}  // namespace outrigger::metrics
