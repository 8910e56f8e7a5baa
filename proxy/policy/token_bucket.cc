#include "proxy/policy/token_bucket.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>

namespace outrigger::policy {
namespace {

constexpr double kNanosPerSecond = 1e9;
// Keeps burst * interval well inside int64 nanoseconds (about 292 years).
constexpr double kMaxCapacityNs = 1e18;

}  // namespace

TokenBucket::TokenBucket(double rate_per_second, double burst, MonoTime now)
    : full_at_ns_(now.count()) {
  if (!(rate_per_second > 0) || !(burst >= 1) || !std::isfinite(rate_per_second) ||
      !std::isfinite(burst)) {
    std::cerr << "TokenBucket: invalid rate " << rate_per_second << "/s or burst " << burst << "\n";
    std::abort();
  }
  // A rate above 1e9/s still refills at least one nanosecond per token.
  const double interval = std::clamp(kNanosPerSecond / rate_per_second, 1.0, kMaxCapacityNs);
  token_interval_ns_ = std::llround(interval);
  capacity_ns_ =
      std::llround(std::min(burst * static_cast<double>(token_interval_ns_), kMaxCapacityNs));
}

int64_t TokenBucket::debtAt(int64_t full_at_ns, MonoTime now) {
  // Debt is how long until the bucket is full again; it never goes below zero, so a long
  // idle period cannot bank more than `burst` tokens.
  return std::max<int64_t>(0, full_at_ns - now.count());
}

TokenBucket::Decision TokenBucket::tryTake(MonoTime now) {
  int64_t full_at = full_at_ns_.load(std::memory_order_relaxed);
  for (;;) {
    const int64_t debt_after = debtAt(full_at, now) + token_interval_ns_;
    if (debt_after > capacity_ns_) {
      // The bucket holds (capacity - debt) / interval < 1 token; the missing part refills in
      // debt_after - capacity nanoseconds.
      return {false, Duration(debt_after - capacity_ns_)};
    }
    // Another worker's take in between reloads full_at, and this one is decided again.
    if (full_at_ns_.compare_exchange_weak(full_at, now.count() + debt_after,
                                          std::memory_order_relaxed)) {
      return {true, Duration::zero()};
    }
  }
}

double TokenBucket::available(MonoTime now) const {
  const int64_t debt = debtAt(full_at_ns_.load(std::memory_order_relaxed), now);
  return static_cast<double>(capacity_ns_ - debt) / static_cast<double>(token_interval_ns_);
}

}  // namespace outrigger::policy
