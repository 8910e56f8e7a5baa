#include "proxy/policy/outlier_detector.h"

#include <cstdlib>
#include <iostream>

namespace outrigger::policy {

std::string_view outlierConfigError(const OutlierConfig& config) {
  // Zero would eject an endpoint before it ever failed.
  if (config.consecutive_failures == 0) return "consecutive_failures must be at least 1";
  if (config.base_ejection <= Duration::zero()) return "base_ejection must be positive";
  if (config.max_ejection < config.base_ejection) {
    return "max_ejection must be at least base_ejection";
  }
  // Written as !(in range) so that NaN is rejected too.
  if (!(config.max_ejected_percent >= 0 && config.max_ejected_percent <= 1)) {
    return "max_ejected_percent must be between 0% and 100%";
  }
  return {};
}

OutlierDetector::OutlierDetector(OutlierConfig config, size_t endpoint_count, EjectionFn on_change)
    : config_(config), endpoints_(endpoint_count), on_change_(std::move(on_change)) {
  if (auto error = outlierConfigError(config_); !error.empty()) {
    // The config loader rejects these with a position; reaching here is a programming error.
    std::cerr << "OutlierDetector: invalid config: " << error << "\n";
    std::abort();
  }
}

void OutlierDetector::onSuccess(size_t endpoint, MonoTime now) {
  returnIfDue(endpoint, now);
  Endpoint& e = at(endpoint);
  if (e.ejected) return;  // sent before the ejection
  e.consecutive_failures = 0;
  ++e.consecutive_successes;
  if (e.times_ejected > 0 && e.consecutive_successes >= config_.consecutive_failures) {
    e.times_ejected = 0;  // healthy again: the next ejection starts from base_ejection
  }
}

void OutlierDetector::onFailure(size_t endpoint, MonoTime now) {
  returnIfDue(endpoint, now);
  Endpoint& e = at(endpoint);
  if (e.ejected) return;  // sent before the ejection
  e.consecutive_successes = 0;
  ++e.consecutive_failures;
  if (e.consecutive_failures < config_.consecutive_failures || !roomToEject(now)) return;
  // Available -> Ejected, for longer each time it comes back and fails again. The run of
  // failures is used up: back from ejection, it must fail consecutive_failures times afresh.
  e.ejected = true;
  e.consecutive_failures = 0;
  ++e.times_ejected;
  Duration ejection = ejectionFor(e.times_ejected);
  e.ejected_until = now + ejection;
  if (on_change_) on_change_(endpoint, true, ejection);
}

bool OutlierDetector::isEjected(size_t endpoint, MonoTime now) {
  returnIfDue(endpoint, now);
  return at(endpoint).ejected;
}

size_t OutlierDetector::ejectedCount(MonoTime now) {
  size_t count = 0;
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    if (isEjected(i, now)) ++count;
  }
  return count;
}

Duration OutlierDetector::ejectedRemaining(size_t endpoint, MonoTime now) const {
  const Endpoint& e = at(endpoint);
  if (!e.ejected || e.ejected_until <= now) return Duration::zero();
  return e.ejected_until - now;
}

uint32_t OutlierDetector::timesEjected(size_t endpoint) const { return at(endpoint).times_ejected; }

bool OutlierDetector::atRest(size_t endpoint) const {
  const Endpoint& e = at(endpoint);
  return !e.ejected && e.consecutive_failures == 0 && e.times_ejected == 0;
}

OutlierDetector::Endpoint& OutlierDetector::at(size_t endpoint) {
  checkIndex(endpoint);
  return endpoints_[endpoint];
}

const OutlierDetector::Endpoint& OutlierDetector::at(size_t endpoint) const {
  checkIndex(endpoint);
  return endpoints_[endpoint];
}

void OutlierDetector::checkIndex(size_t endpoint) const {
  if (endpoint < endpoints_.size()) return;
  std::cerr << "OutlierDetector: endpoint " << endpoint << " out of range (" << endpoints_.size()
            << " endpoints)\n";
  std::abort();
}

void OutlierDetector::returnIfDue(size_t endpoint, MonoTime now) {
  Endpoint& e = at(endpoint);
  if (!e.ejected || now < e.ejected_until) return;
  // Ejected -> Available when its ejection time is up. Its streaks are already zero: the
  // ejection cleared the failures, the failures cleared the successes, and nothing counted
  // while it was out.
  e.ejected = false;
  if (on_change_) on_change_(endpoint, false, Duration::zero());
}

bool OutlierDetector::roomToEject(MonoTime now) {
  size_t after = ejectedCount(now) + 1;
  // At least one endpoint always stays available: with every endpoint ejected the upstream
  // would fail outright, which is worse than sending to a suspect endpoint.
  if (after >= endpoints_.size()) return false;
  // A small tolerance so that 50% of 4 endpoints is exactly 2, whatever the rounding.
  return static_cast<double>(after) <=
         config_.max_ejected_percent * static_cast<double>(endpoints_.size()) + 1e-9;
}

Duration OutlierDetector::ejectionFor(uint32_t times_ejected) const {
  // Compared by division, so a large times_ejected can't overflow the multiplication.
  if (times_ejected > static_cast<uint64_t>(config_.max_ejection / config_.base_ejection)) {
    return config_.max_ejection;
  }
  return config_.base_ejection * times_ejected;
}

}  // namespace outrigger::policy
