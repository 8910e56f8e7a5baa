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

int64_t RetryBudget::sliceOf(MonoTime now) {
  const int64_t slice = now <= origin_ ? 0 : (now - origin_) / bucket_width_;
  int64_t newest = newest_slice_.load(std::memory_order_relaxed);
  // Written once per bucket width; every other call only reads it.
  while (slice > newest &&
         !newest_slice_.compare_exchange_weak(newest, slice, std::memory_order_relaxed)) {
  }
  return std::max(slice, newest);
}

double RetryBudget::requestsIn(int64_t slice) const {
  uint64_t requests = 0;
  for (const SliceCount& count : requests_) requests += count.countWithin(slice, kBuckets);
  return static_cast<double>(requests);
}

uint64_t RetryBudget::retriesIn(int64_t slice, size_t skip) const {
  uint64_t retries = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    if (i != skip) retries += retries_[i].countWithin(slice, kBuckets);
  }
  return retries;
}

void RetryBudget::recordRequest(MonoTime now) {
  const int64_t slice = sliceOf(now);
  requests_[static_cast<size_t>(slice) % kBuckets].increment(slice);
}

bool RetryBudget::tryWithdraw(MonoTime now) {
  const int64_t slice = sliceOf(now);
  const size_t newest = static_cast<size_t>(slice) % kBuckets;
  SliceCount& spent = retries_[newest];
  uint64_t word = spent.load();
  for (;;) {
    // Other threads' retries land in the newest bucket, so a CAS on it sees every concurrent
    // withdrawal: two callers cannot both take the last retry.
    const uint64_t retries = retriesIn(slice, newest) + SliceCount::countAt(word, slice);
    if (ratio_ * requestsIn(slice) + floor_ - static_cast<double>(retries) <= 0) return false;
    if (spent.tryIncrement(word, slice)) return true;
  }
}

double RetryBudget::available(MonoTime now) {
  const int64_t slice = sliceOf(now);
  const uint64_t retries = retriesIn(slice, kBuckets);  // skips none
  return ratio_ * requestsIn(slice) + floor_ - static_cast<double>(retries);
}

}  // namespace outrigger::policy
