#pragma once
// Spare stale-copy buffers of one worker (fallback.stale_if_error). Keeping a copy of every
// cacheable response would allocate its body each time; filling the buffer of the copy it
// displaced from the cache instead allocates nothing once the cache is warm. One per worker:
// no lock.

#include <cstddef>
#include <vector>

#include "proxy/policy/stale_cache.h"

namespace outrigger::policy {

class StaleEntryPool {
 public:
  // At most this many spares are kept ...
  static constexpr size_t kMaxSpares = 8;
  // ... and a body buffer larger than this is let go rather than kept for reuse.
  static constexpr size_t kMaxSpareBodyBytes = 64 * 1024;

  // An entry to fill: status 200, no body, and headers left over from an earlier copy, kept
  // only for their capacity (takeHeadersExcept hands them on to the response parser).
  StaleEntry take();
  // Keeps `entry`'s buffers for a later take(), within the bounds above.
  void give(StaleEntry entry);

  size_t spares() const { return spares_.size(); }

 private:
  std::vector<StaleEntry> spares_;
};

}  // namespace outrigger::policy
