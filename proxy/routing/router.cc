#include "proxy/routing/router.h"

#include <algorithm>

#include "proxy/http/message.h"

namespace outrigger::routing {
namespace {

using http::lowerAscii;

// Compares a lower-case `stored` host with a request host of any case: <0, 0 or >0.
int compareHost(std::string_view stored, std::string_view request) {
  const size_t n = std::min(stored.size(), request.size());
  for (size_t i = 0; i < n; ++i) {
    const char a = stored[i];
    const char b = lowerAscii(request[i]);
    if (a != b) return static_cast<unsigned char>(a) < static_cast<unsigned char>(b) ? -1 : 1;
  }
  if (stored.size() == request.size()) return 0;
  return stored.size() < request.size() ? -1 : 1;
}

void sortLongestFirst(std::vector<const config::RouteConfig*>& routes) {
  // Stable, so routes with the same prefix keep file order and the first one wins.
  std::stable_sort(routes.begin(), routes.end(),
                   [](const config::RouteConfig* a, const config::RouteConfig* b) {
                     return a->path_prefix.size() > b->path_prefix.size();
                   });
}

}  // namespace

bool pathPrefixMatches(std::string_view prefix, std::string_view path) {
  if (!path.starts_with(prefix)) return false;
  if (prefix.empty() || prefix.back() == '/' || path.size() == prefix.size()) return true;
  const char next = path[prefix.size()];
  return next == '/' || next == '?';
}

Router::Router(const config::ListenerConfig& listener) : routes_(listener.routes) {
  for (config::RouteConfig& route : routes_) {
    std::transform(route.host.begin(), route.host.end(), route.host.begin(), lowerAscii);
  }
  for (const config::RouteConfig& route : routes_) {
    if (route.host == "*") {
      wildcard_.push_back(&route);
      continue;
    }
    auto group = std::find_if(hosts_.begin(), hosts_.end(),
                              [&](const HostGroup& g) { return g.host == route.host; });
    if (group == hosts_.end()) {
      hosts_.push_back(HostGroup{route.host, {}});
      group = hosts_.end() - 1;
    }
    group->routes.push_back(&route);
  }
  std::sort(hosts_.begin(), hosts_.end(),
            [](const HostGroup& a, const HostGroup& b) { return a.host < b.host; });
  for (HostGroup& group : hosts_) sortLongestFirst(group.routes);
  sortLongestFirst(wildcard_);
}

const config::RouteConfig* Router::match(std::string_view host_without_port,
                                         std::string_view path) const {
  auto group = std::lower_bound(
      hosts_.begin(), hosts_.end(), host_without_port,
      [](const HostGroup& g, std::string_view host) { return compareHost(g.host, host) < 0; });
  if (group != hosts_.end() && compareHost(group->host, host_without_port) == 0) {
    if (const config::RouteConfig* route = matchIn(group->routes, path)) return route;
  }
  return matchIn(wildcard_, path);
}

const config::RouteConfig* Router::matchIn(const std::vector<const config::RouteConfig*>& group,
                                           std::string_view path) {
  for (const config::RouteConfig* route : group) {
    if (pathPrefixMatches(route->path_prefix, path)) return route;
  }
  return nullptr;
}

}  // namespace outrigger::routing
