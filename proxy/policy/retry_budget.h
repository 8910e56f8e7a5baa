#pragma once
// The retry budget (DESIGN §6 retry.budget, after Finagle and Linkerd): retries may add at
// most `ratio` of the recent request volume, plus a small floor so that a quiet service can
// still retry. It keeps a failing upstream from being hit with max_attempts times its load.
//
// Thread-safe without a lock: the budget is process-wide (DESIGN §3) and every worker counts
// its requests in it, so each count is an atomic word (SliceCount) and a retry is withdrawn
// with a compare-and-swap. A `now` slightly older than a previous call's is tolerated.

#include <array>
#include <atomic>
#include <cstdint>

#include "proxy/common/clock.h"
#include "proxy/policy/slice_count.h"

namespace outrigger::policy {

class RetryBudget {
 public:
  // Requires ratio >= 0 and window > 0; anything else aborts (the config validator checks).
  RetryBudget(double ratio, uint32_t min_per_second, Duration window, MonoTime now);

  // Counts an original request (a first attempt).
  void recordRequest(MonoTime now);

  // Asks to spend one retry. Allowed while
  //   retries in window < ratio * requests in window + min_per_second * window seconds;
  // an allowed retry is counted, a refused one is not. Concurrent callers cannot overspend:
  // the check and the count are one CAS on the newest slice's retry count.
  bool tryWithdraw(MonoTime now);

  // Retries that tryWithdraw() would still allow at `now` (may be fractional), for the
  // admin state page.
  double available(MonoTime now);

  static constexpr size_t kBuckets = 10;

 private:
  // The window slides in steps of window / kBuckets: counts age out one bucket at a time,
  // so "the window" covers between (kBuckets - 1) and kBuckets bucket widths of history.
  // Bucket i counts slice s when s % kBuckets == i; a bucket still holding a slice that the
  // window slid past is restarted by the first count in its new slice.

  // The slice that `now` counts in: never older than the newest one seen, so that an older
  // `now` (read on another thread a moment before) counts in the newest bucket instead of
  // moving the window back.
  int64_t sliceOf(MonoTime now);
  double requestsIn(int64_t slice) const;
  // Retries counted in the window ending at `slice`, but for bucket `skip`'s.
  uint64_t retriesIn(int64_t slice, size_t skip) const;

  double ratio_;
  double floor_;  // min_per_second * window seconds: retries allowed with no traffic
  MonoTime origin_;
  Duration bucket_width_;
  std::atomic<int64_t> newest_slice_{0};  // (now - origin_) / bucket_width_, the largest seen
  std::array<SliceCount, kBuckets> requests_{};
  std::array<SliceCount, kBuckets> retries_{};
};

}  // namespace outrigger::policy
