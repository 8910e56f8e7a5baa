#pragma once
// A route's own policy (issue 20, item 2): `timeouts`, `retry` and `fallback` on a route override
// the upstream's, key by key. The breaker, bulkhead, rate limit, outlier detection and the retry
// budget stay the upstream's: they protect the upstream, not the route.

#include <span>
#include <string>
#include <vector>

#include "proxy/config/config_node.h"
#include "proxy/config/diagnostics.h"
#include "proxy/config/schema.h"

namespace outrigger::config {

// Reads the route's `timeouts:`, `retry:` and `fallback:`. `upstreams` are the route's upstreams
// that are known (one, or each of a split), so a merge that makes no sense (per_try over the
// request timeout, a backoff whose initial is above its max) is reported at the route's key.
void readRoutePolicy(const ConfigNode& route, std::span<const UpstreamConfig* const> upstreams,
                     RouteConfig& out, Diagnostics& diag);

// The upstream's timeouts with the route's keys over them.
TimeoutsConfig effectiveTimeouts(const TimeoutsConfig& upstream, const RouteTimeouts& route);
// The upstream's retry policy (or a retry block's defaults when it has none) with the route's
// keys over them.
policy::RetryPolicyConfig effectiveRetry(const PolicyConfig& upstream, const RetryOverrides& route);
// The upstream's fallback with the route's keys over it.
FallbackConfig effectiveFallback(const FallbackConfig& upstream, const RouteFallback& route);
// The upstream as this route's requests see it: for `explain`.
UpstreamConfig effectiveUpstream(const UpstreamConfig& upstream, const RouteConfig& route);

// The key paths, relative to the upstream ("timeouts.request", "retry.backoff.max"), that the
// route sets.
std::vector<std::string> routeOverrideKeys(const RouteConfig& route);

}  // namespace outrigger::config
