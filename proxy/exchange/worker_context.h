#pragma once
// What every session and exchange on one worker shares: its loop, time, randomness, the
// current snapshot and the worker's own connection pools and load balancers.

#include <functional>
#include <memory>
#include <unordered_map>

#include "proxy/common/clock.h"
#include "proxy/common/random.h"
#include "proxy/exchange/admission_guard.h"
#include "proxy/exchange/exchange_slot_pool.h"
#include "proxy/exchange/snapshot.h"
#include "proxy/exchange/upstream_attempt.h"
#include "proxy/io/loop.h"
#include "proxy/io/redis_client.h"
#include "proxy/policy/stale_body_pool.h"
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
  // Makes the attempts on this upstream, for its protocol. Declared last: the attempts it
  // keeps for reuse hold on to the pool.
  std::unique_ptr<UpstreamCodec> codec;
};

// Makes the codec of a worker's upstream (set by the worker, which knows the protocols;
// tests set a fake). Called once per upstream and worker, never per request.
using CodecFactory = std::function<std::unique_ptr<UpstreamCodec>(WorkerUpstream& upstream,
                                                                  io::Loop& loop, Clock& clock)>;

struct WorkerContext {
  io::Loop& loop;
  Clock& clock;
  Random& random;
  metrics::Metrics& metrics;
  log::AccessLog* access_log;                // null when access_log is off
  std::shared_ptr<const Snapshot> snapshot;  // the newest generation
  // Pools of the upstreams the newest generation has. An exchange holds its own reference,
  // so a pool outlives a reload that drops its upstream until its last exchange ends.
  std::unordered_map<const upstream::Upstream*, std::shared_ptr<WorkerUpstream>> upstreams;
  bool draining = false;               // sidecar drain: every response asks the app to reconnect
  policy::StaleBodyPool stale_bodies;  // buffers for the stale copies this worker keeps
  ExchangeSlotPool exchange_slots;     // lent to a connection while it has a request
  QueuedAdmissions queued_admissions;  // this worker's requests waiting for a bulkhead slot
  CodecFactory make_codec;
  // The worker's Redis connection for shared stale copies (fallback.stale_if_error.store:
  // redis); null when no upstream keeps them there or there is no `redis:` block.
  io::RedisClient* stale_redis = nullptr;

  std::shared_ptr<WorkerUpstream> upstreamFor(const std::shared_ptr<upstream::Upstream>& shared) {
    auto found = upstreams.find(shared.get());
    if (found != upstreams.end()) return found->second;
    auto fresh = std::make_shared<WorkerUpstream>(loop, clock, random, shared);
    fresh->codec = make_codec(*fresh, loop, clock);
    // An exchange still on an older generation gets a pool of its own, not cached: caching
    // it would keep a retired upstream alive after that exchange ends.
    auto current = snapshot->upstreams.find(shared->name());
    if (current != snapshot->upstreams.end() && current->second == shared) {
      upstreams.emplace(shared.get(), fresh);
    }
    return fresh;
  }

  // Drops the pools of upstreams `generation` no longer has (idle connections close now).
  void retainUpstreamsOf(const Snapshot& generation) {
    for (auto it = upstreams.begin(); it != upstreams.end();) {
      auto current = generation.upstreams.find(it->second->upstream->name());
      const bool kept = current != generation.upstreams.end() && current->second.get() == it->first;
      it = kept ? std::next(it) : upstreams.erase(it);
    }
  }
};

}  // namespace outrigger::exchange
