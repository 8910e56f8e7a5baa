#pragma once
// What a route changes in its upstream's policy (issue 20, item 2), built once per config
// generation so a request only reads it: the merged timeouts and the route's own retry
// decision. Budget, breaker, bulkhead, rate limit and outliers stay the upstream's.

#include <optional>

#include "proxy/config/schema.h"
#include "proxy/policy/retry_policy.h"

namespace outrigger::routing {

struct RouteOverrides {
  std::optional<config::TimeoutsConfig> timeouts;  // set when the route sets any timeout
  std::optional<policy::RetryPolicy> retry;        // set when the route has `retry:`
};

// `upstream` is the route's upstream, or null (unknown: merged over the built-in values).
RouteOverrides buildRouteOverrides(const config::RouteConfig& route,
                                   const config::UpstreamConfig* upstream);

}  // namespace outrigger::routing
