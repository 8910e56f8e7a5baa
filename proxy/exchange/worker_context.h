#pragma once
// What every session and exchange on one worker shares: its loop, time, randomness, the
// current snapshot and the worker's own connection pools and load balancers.

#include <memory>
#include <unordered_map>

#include "proxy/common/clock.h"
#include "proxy/common/random.h"
#include "proxy/exchange/snapshot.h"
#include "proxy/io/loop.h"
#include "proxy/upstream/connection_pool.h"
#include "proxy/upstream/load_balancer.h"

namespace outrigger::log {
class AccessLog;
}
namespace outrigger::metrics {
class Metrics;
}

namespace outrigger::exchange {

// One worker's view of an upstream.
struct WorkerUpstream {
  WorkerUpstream(io::Loop& loop, Clock& clock, Random& random,
                 std::shared_ptr<upstream::Upstream> shared)
      : upstream(shared),
        pool(loop, clock, shared),
        balancer(shared->config().load_balancing, random) {}
  std::shared_ptr<upstream::Upstream> upstream;
  upstream::ConnectionPool pool;
  upstream::LoadBalancer balancer;
};

struct WorkerContext {
  io::Loop& loop;
  Clock& clock;
  Random& random;
  metrics::Metrics& metrics;
  log::AccessLog* access_log;  // null when access_log is off
  std::shared_ptr<const Snapshot> snapshot;
  std::unordered_map<const upstream::Upstream*, std::unique_ptr<WorkerUpstream>> upstreams;

  WorkerUpstream& upstreamFor(const std::shared_ptr<upstream::Upstream>& shared) {
    auto& slot = upstreams[shared.get()];
    if (!slot) slot = std::make_unique<WorkerUpstream>(loop, clock, random, shared);
    return *slot;
  }
};

}  // namespace outrigger::exchange
