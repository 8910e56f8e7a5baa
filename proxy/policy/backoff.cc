#include "proxy/policy/backoff.h"

#include <cmath>
#include <string>
#include <utility>

namespace outrigger::policy {
namespace {

Error invalidBackoff(std::string message) {
  return Error{"invalid_backoff", ErrorSource::kConfig, false, std::move(message)};
}

}  // namespace

Result<Backoff> Backoff::create(BackoffConfig config) {
  if (config.initial < Duration::zero()) {
    return invalidBackoff("backoff.initial must not be negative");
  }
  if (config.max <= Duration::zero()) {
    return invalidBackoff("backoff.max must be greater than 0");
  }
  if (config.max < config.initial) {
    return invalidBackoff("backoff.max must be at least backoff.initial");
  }
  // Written so that NaN fails too.
  if (!(config.multiplier >= 1.0) || !std::isfinite(config.multiplier)) {
    return invalidBackoff("backoff.multiplier must be a finite number >= 1");
  }
  return Backoff(config);
}

Duration Backoff::ceiling(uint32_t retry_index) const {
  // In floating point the product saturates to infinity instead of wrapping, and the
  // comparison with max happens before converting back to integer nanoseconds.
  const double max_ns = static_cast<double>(config_.max.count());
  const double grown = static_cast<double>(config_.initial.count()) *
                       std::pow(config_.multiplier, static_cast<double>(retry_index));
  if (!(grown < max_ns)) return config_.max;
  return Duration(static_cast<int64_t>(grown));
}

Duration Backoff::delay(uint32_t retry_index, Random& random) const {
  const Duration cap = ceiling(retry_index);
  if (config_.jitter == Jitter::kNone) return cap;
  // cap fits in int64, so cap + 1 fits in uint64; below() is inclusive of 0, exclusive of n.
  const uint64_t span = static_cast<uint64_t>(cap.count()) + 1;
  return Duration(static_cast<int64_t>(random.below(span)));
}

}  // namespace outrigger::policy
