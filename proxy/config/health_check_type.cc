// The default type of an upstream's health check, which depends on who uses the upstream:
// an HTTP GET means nothing to a Redis or a database behind a protocol: tcp listener.

#include <set>
#include <string>

#include "proxy/config/sections.h"

namespace outrigger::config {

void pickHealthCheckTypes(Config& config) {
  std::set<std::string> http_users;   // upstreams an HTTP route sends requests to
  std::set<std::string> bytes_users;  // upstreams a tcp listener or a CONNECT route pipes to
  for (const ListenerConfig& listener : config.listeners) {
    if (listener.protocol == ListenerProtocol::kTcp) {
      bytes_users.insert(listener.upstream);
      continue;
    }
    for (const RouteConfig& route : listener.routes) {
      std::set<std::string>& users = route.connect ? bytes_users : http_users;
      if (!route.upstream.empty()) users.insert(route.upstream);
      for (const SplitTarget& target : route.split) users.insert(target.upstream);
    }
  }
  for (UpstreamConfig& upstream : config.upstreams) {
    auto& check = upstream.policies.health_check;
    if (!check || check->type_written) continue;
    const bool only_bytes =
        bytes_users.contains(upstream.name) && !http_users.contains(upstream.name);
    check->type = only_bytes ? HealthCheckType::kTcp : HealthCheckType::kHttp;
  }
}

}  // namespace outrigger::config
