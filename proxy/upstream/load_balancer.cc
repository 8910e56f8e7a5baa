#include "proxy/upstream/load_balancer.h"

namespace outrigger::upstream {
namespace {

bool usable(std::span<const EndpointLoad> endpoints, size_t i, int avoid) {
  return endpoints[i].available && static_cast<int>(i) != avoid;
}

// The last resort when every other endpoint is out: retry on the one we were avoiding.
int fallBackTo(std::span<const EndpointLoad> endpoints, int avoid) {
  const bool ok = avoid >= 0 && static_cast<size_t>(avoid) < endpoints.size() &&
                  endpoints[static_cast<size_t>(avoid)].available;
  return ok ? avoid : -1;
}

}  // namespace

LoadBalancer::LoadBalancer(config::LoadBalancing policy, Random& random)
    : policy_(policy),
      random_(random),
      cursor_(policy == config::LoadBalancing::kRoundRobin ? random.next() : 0) {}

int LoadBalancer::pick(std::span<const EndpointLoad> endpoints, int avoid) {
  if (endpoints.empty()) return -1;
  switch (policy_) {
    case config::LoadBalancing::kRoundRobin:
      return pickRoundRobin(endpoints, avoid);
    case config::LoadBalancing::kLeastRequest:
      return pickLeastRequest(endpoints, avoid);
  }
  return -1;
}

int LoadBalancer::pickRoundRobin(std::span<const EndpointLoad> endpoints, int avoid) {
  const size_t n = endpoints.size();
  for (size_t step = 0; step < n; ++step) {
    const size_t i = (cursor_ + step) % n;
    if (usable(endpoints, i, avoid)) {
      cursor_ = i + 1;
      return static_cast<int>(i);
    }
  }
  return fallBackTo(endpoints, avoid);
}

int LoadBalancer::pickLeastRequest(std::span<const EndpointLoad> endpoints, int avoid) {
  // Power of two choices: two distinct random candidates, the less loaded wins. Candidates
  // are drawn by rank among the usable endpoints, so the draw needs no allocation.
  size_t count = 0;
  for (size_t i = 0; i < endpoints.size(); ++i) count += usable(endpoints, i, avoid) ? 1 : 0;
  if (count == 0) return fallBackTo(endpoints, avoid);

  size_t first_rank = random_.below(count);
  size_t second_rank = first_rank;
  if (count > 1) {
    second_rank = random_.below(count - 1);
    if (second_rank >= first_rank) ++second_rank;
  }
  int first = -1;
  int second = -1;
  size_t rank = 0;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    if (!usable(endpoints, i, avoid)) continue;
    if (rank == first_rank) first = static_cast<int>(i);
    if (rank == second_rank) second = static_cast<int>(i);
    ++rank;
  }
  // Ties go to the first draw, which is itself random.
  return endpoints[static_cast<size_t>(second)].active_requests <
                 endpoints[static_cast<size_t>(first)].active_requests
             ? second
             : first;
}

}  // namespace outrigger::upstream
