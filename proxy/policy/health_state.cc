#include "proxy/policy/health_state.h"

#include <cstdlib>
#include <iostream>

namespace outrigger::policy {

std::string_view healthCheckThresholdsError(const HealthCheckThresholds& thresholds) {
  // Zero would flip an endpoint without any result that agrees with the flip.
  if (thresholds.healthy_threshold == 0) return "healthy_threshold must be at least 1";
  if (thresholds.unhealthy_threshold == 0) return "unhealthy_threshold must be at least 1";
  return {};
}

HealthState::HealthState(HealthCheckThresholds thresholds, size_t endpoint_count)
    : thresholds_(thresholds), endpoints_(endpoint_count), healthy_count_(endpoint_count) {
  if (auto error = healthCheckThresholdsError(thresholds_); !error.empty()) {
    // The config loader rejects these with a position; reaching here is a programming error.
    std::cerr << "HealthState: invalid thresholds: " << error << "\n";
    std::abort();
  }
}

bool HealthState::onProbeResult(size_t endpoint, bool success) {
  checkIndex(endpoint);
  Endpoint& e = endpoints_[endpoint];
  if (success == e.healthy) {
    e.streak = 0;  // a result that agrees breaks the run towards flipping
    return false;
  }
  ++e.streak;
  uint32_t threshold = e.healthy ? thresholds_.unhealthy_threshold : thresholds_.healthy_threshold;
  if (e.streak < threshold) return false;
  // Healthy -> Unhealthy after unhealthy_threshold failures in a row;
  // Unhealthy -> Healthy after healthy_threshold successes in a row.
  e.healthy = !e.healthy;
  e.streak = 0;
  if (e.healthy) {
    ++healthy_count_;
  } else {
    --healthy_count_;
  }
  return true;
}

bool HealthState::healthy(size_t endpoint) const {
  checkIndex(endpoint);
  return endpoints_[endpoint].healthy;
}

void HealthState::checkIndex(size_t endpoint) const {
  if (endpoint < endpoints_.size()) return;
  std::cerr << "HealthState: endpoint " << endpoint << " out of range (" << endpoints_.size()
            << " endpoints)\n";
  std::abort();
}

}  // namespace outrigger::policy
