#pragma once
// What a route changes in its upstream's policy (issue 20, item 2), built once per config
// generation so a request only reads it: the merged timeouts and the route's own retry
// decision and fallback. Budget, breaker, bulkhead, rate limit and outliers stay the upstream's.

#include <optional>
#include <string>

#include "proxy/config/schema.h"
#include "proxy/policy/retry_policy.h"

namespace outrigger::routing {

struct RouteOverrides {
  std::optional<config::TimeoutsConfig> timeouts;  // set when the route sets any timeout
  std::optional<policy::RetryPolicy> retry;        // set when the route has `retry:`
  std::optional<config::FallbackConfig> fallback;  // set when the route has `fallback:`
};

// One upstream a route sends to, with the route's policy merged over that upstream's.
struct RouteTarget {
  std::string upstream;  // the snapshot's key for the upstream runtime
  RouteOverrides overrides;
};

// `upstream` is the route's upstream, or null (unknown: merged over the built-in values).
RouteOverrides buildRouteOverrides(const config::RouteConfig& route,
                                   const config::UpstreamConfig* upstream);

}  // namespace outrigger::routing
