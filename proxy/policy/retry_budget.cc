#include "proxy/policy/retry_budget.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>

namespace outrigger::policy {

RetryBudget::RetryBudget(double ratio, uint32_t min_per_second, Duration window, MonoTime now)
    : ratio_(ratio),
      floor_(static_cast<double>(min_per_second) * toSeconds(window)),
      origin_(now),
      // A window shorter than kBuckets nanoseconds still gets 1ns buckets.
      bucket_width_(std::max(Duration(1), window / static_cast<int64_t>(kBuckets))) {
  if (!(ratio >= 0) || !std::isfinite(ratio) || window <= Duration::zero()) {
    std::cerr << "RetryBudget: invalid ratio " << ratio << " or window " << window.count()
              << "ns\n";
    std::abort();
  }
}

void RetryBudget::advance(MonoTime now) {
  const int64_t step = (now - origin_) / bucket_width_;
  // An older `now` (read on another thread before the caller's lock) counts in the newest
  // bucket instead of moving the window back.
  if (step <= current_step_) return;
  // Clear the buckets that the window slid past; after a full turn all of them are stale.
  const int64_t stale = std::min<int64_t>(step - current_step_, kBuckets);
  for (int64_t i = 1; i <= stale; ++i) {
    Bucket& bucket = buckets_[(current_step_ + i) % kBuckets];
    requests_ -= bucket.requests;
    retries_ -= bucket.retries;
    bucket = Bucket{};
  }
  current_step_ = step;
}

void RetryBudget::recordRequest(MonoTime now) {
  advance(now);
  ++current().requests;
  ++requests_;
}

bool RetryBudget::tryWithdraw(MonoTime now) {
  if (available(now) <= 0) return false;
  ++current().retries;
  ++retries_;
  return true;
}

double RetryBudget::available(MonoTime now) {
  advance(now);
  return ratio_ * static_cast<double>(requests_) + floor_ - static_cast<double>(retries_);
}

}  // namespace outrigger::policy
