#include "proxy/routing/route_overrides.h"

#include <cstdio>
#include <cstdlib>

#include "proxy/config/route_policy.h"

namespace outrigger::routing {

RouteOverrides buildRouteOverrides(const config::RouteConfig& route,
                                   const config::UpstreamConfig* upstream) {
  static const config::UpstreamConfig kBuiltIn;
  const config::UpstreamConfig& base = upstream != nullptr ? *upstream : kBuiltIn;
  RouteOverrides out;
  if (!route.timeouts.empty())
    out.timeouts = config::effectiveTimeouts(base.timeouts, route.timeouts);
  if (!route.fallback.empty())
    out.fallback = config::effectiveFallback(base.policies.fallback, route.fallback);
  if (!route.retry) return out;
  auto created = policy::RetryPolicy::create(config::effectiveRetry(base.policies, *route.retry));
  if (!created.ok()) {
    // The loader checks every route's merged retry first: this cannot happen.
    std::fprintf(stderr, "outrigger: route %s: impossible retry policy: %s\n", route.name.c_str(),
                 created.error().message.c_str());
    std::abort();
  }
  out.retry.emplace(std::move(*created));
  return out;
}

}  // namespace outrigger::routing
