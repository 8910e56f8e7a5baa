#pragma once
// The retry budget (DESIGN §6 retry.budget, after Finagle and Linkerd): retries may add at
// most `ratio` of the recent request volume, plus a small floor so that a quiet service can
// still retry. It keeps a failing upstream from being hit with max_attempts times its load.
//
// Not thread-safe: the budget is process-wide (DESIGN §3), so the caller wraps each call in a
// short critical section. A `now` slightly older than a previous call's is tolerated.

#include <array>
#include <cstdint>

#include "proxy/common/clock.h"

namespace outrigger::policy {

class RetryBudget {
 public:
  // Requires ratio >= 0 and window > 0; anything else aborts (the config validator checks).
  RetryBudget(double ratio, uint32_t min_per_second, Duration window, MonoTime now);

  // Counts an original request (a first attempt).
  void recordRequest(MonoTime now);

  // Asks to spend one retry. Allowed while
  //   retries in window < ratio * requests in window + min_per_second * window seconds;
  // an allowed retry is counted, a refused one is not.
  bool tryWithdraw(MonoTime now);

  // Retries that tryWithdraw() would still allow at `now` (may be fractional), for the
  // admin state page.
  double available(MonoTime now);

  static constexpr size_t kBuckets = 10;

 private:
  // The window slides in steps of window / kBuckets: counts age out one bucket at a time,
  // so "the window" covers between (kBuckets - 1) and kBuckets bucket widths of history.
  struct Bucket {
    uint64_t requests = 0;
    uint64_t retries = 0;
  };

  void advance(MonoTime now);
  Bucket& current() { return buckets_[current_step_ % kBuckets]; }

  double ratio_;
  double floor_;  // min_per_second * window seconds: retries allowed with no traffic
  MonoTime origin_;
  Duration bucket_width_;
  int64_t current_step_ = 0;  // (now - origin_) / bucket_width_ of the newest bucket
  std::array<Bucket, kBuckets> buckets_{};
  uint64_t requests_ = 0;  // sums over buckets_, kept so that each call is O(1)
  uint64_t retries_ = 0;
};

}  // namespace outrigger::policy
