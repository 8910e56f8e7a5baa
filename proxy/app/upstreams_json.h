#pragma once
// GET /upstreams: the live state of every upstream of a generation as JSON — breaker state,
// counters and time left open; bulkhead active/queued; rate-limit tokens left; pool
// connections and health and ejection per endpoint. Read on the main thread.

#include <string>

#include "proxy/common/clock.h"
#include "proxy/exchange/snapshot.h"

namespace outrigger::app {

std::string upstreamsJson(const exchange::Snapshot& snapshot, MonoTime now);

}  // namespace outrigger::app
