#pragma once
// GET /upstreams: the live state of every upstream of a generation as JSON — breaker state,
// counters and time left open; bulkhead active/queued; rate-limit tokens left; pool
// connections and health and ejection per endpoint; the shared store's state and each global
// limit's fleet size, lease and tokens left. Read on the main thread.

#include <string>

#include "proxy/common/clock.h"
#include "proxy/exchange/snapshot.h"

namespace outrigger::app {

// The shared store's connection, shown as "store" (null without a `redis:` block).
struct StoreStatus {
  std::string address;
  bool connected = false;
  std::string last_error;
};

std::string upstreamsJson(const exchange::Snapshot& snapshot, MonoTime now,
                          const StoreStatus* store = nullptr);

}  // namespace outrigger::app
