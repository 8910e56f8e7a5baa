#pragma once
// Picks the endpoint for an attempt: a pure function of the endpoints' state plus a cursor
// and a random source. Not thread-safe; each worker owns its own LoadBalancer.

#include <cstdint>
#include <span>

#include "proxy/common/random.h"
#include "proxy/config/schema.h"

namespace outrigger::upstream {

struct EndpointLoad {
  uint32_t active_requests = 0;  // in flight on this worker
  bool available = true;         // false = unhealthy, ejected or unresolved
};

class LoadBalancer {
 public:
  // round_robin starts at a random position, so that workers and restarted processes don't
  // all send their first request to endpoint 0.
  LoadBalancer(config::LoadBalancing policy, Random& random);

  // An index into `endpoints`, or -1 if none is available. `avoid` (the endpoint of the
  // previous attempt, or -1) is skipped when another endpoint is available, and chosen only
  // when it is the sole available one.
  int pick(std::span<const EndpointLoad> endpoints, int avoid = -1);

 private:
  int pickRoundRobin(std::span<const EndpointLoad> endpoints, int avoid);
  int pickLeastRequest(std::span<const EndpointLoad> endpoints, int avoid);

  const config::LoadBalancing policy_;
  Random& random_;
  uint64_t cursor_;  // round_robin: the next index to try, modulo the endpoint count
};

}  // namespace outrigger::upstream
