#pragma once
// Keeps the healthy/unhealthy verdict of each endpoint of one upstream from active health
// check results. The prober that produces the results lives elsewhere.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace outrigger::policy {

struct HealthCheckThresholds {
  uint32_t healthy_threshold = 2;    // successes in a row that make an unhealthy endpoint healthy
  uint32_t unhealthy_threshold = 3;  // failures in a row that make a healthy endpoint unhealthy

  friend bool operator==(const HealthCheckThresholds&, const HealthCheckThresholds&) = default;
};

// Empty when `thresholds` are usable, else what is wrong with them. The config loader reports
// this; the HealthState constructor aborts on it.
std::string_view healthCheckThresholdsError(const HealthCheckThresholds& thresholds);

// Endpoints are indexes into the upstream's endpoint list; when that list changes, build a new
// HealthState. Not thread-safe: the caller holds a short critical section around every call.
class HealthState {
 public:
  // Every endpoint starts healthy, so traffic flows from the start instead of waiting
  // healthy_threshold check intervals; a broken endpoint is caught by its checks soon after.
  HealthState(HealthCheckThresholds thresholds, size_t endpoint_count);

  // Returns true when this result flipped the endpoint's health.
  bool onProbeResult(size_t endpoint, bool success);

  bool healthy(size_t endpoint) const;
  size_t healthyCount() const { return healthy_count_; }
  // When no endpoint is healthy, the caller sends to all of them rather than fail every
  // request: a health check that is wrong (or an upstream that is only partly down) then
  // costs some failed requests instead of all of them. False when there are no endpoints.
  bool panic() const { return !endpoints_.empty() && healthy_count_ == 0; }

 private:
  struct Endpoint {
    bool healthy = true;
    uint32_t streak = 0;  // results in a row that disagree with `healthy`
  };

  void checkIndex(size_t endpoint) const;

  const HealthCheckThresholds thresholds_;
  std::vector<Endpoint> endpoints_;
  size_t healthy_count_;
};

}  // namespace outrigger::policy
