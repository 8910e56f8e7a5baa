#include "proxy/routing/router.h"

#include <algorithm>
#include <tuple>

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

size_t conditionCount(const config::RouteConfig& r) {
  return (r.methods.empty() ? 0 : 1) + r.headers.size();
}

// Rules 2 to 4 of router.h; stable, so equal routes keep file order and the first one wins.
void sortMostSpecificFirst(std::vector<const config::RouteConfig*>& routes) {
  const auto rank = [](const config::RouteConfig* r) {
    const bool exact = !r->path_exact.empty();
    return std::make_tuple(exact, exact ? 0 : r->path_prefix.size(), conditionCount(*r));
  };
  std::stable_sort(routes.begin(), routes.end(),
                   [&](const config::RouteConfig* a, const config::RouteConfig* b) {
                     return rank(a) > rank(b);
                   });
}

bool methodMatches(const config::RouteConfig& route, std::string_view method) {
  if (route.methods.empty()) return true;
  for (const std::string& m : route.methods) {
    if (m == method) return true;
  }
  return false;
}

// Any header of that name (with that value, for kExact) makes kExact and kPresent hold and
// kAbsent fail.
bool headerHolds(const config::HeaderMatch& condition, const http::Headers* headers) {
  using Kind = config::HeaderMatch::Kind;
  if (headers != nullptr) {
    for (const http::HeaderView& h : *headers) {
      if (h.name.size() != condition.name.size() || !http::equalsIgnoreCase(h.name, condition.name))
        continue;
      if (condition.kind != Kind::kExact || h.value == condition.value)
        return condition.kind != Kind::kAbsent;
    }
  }
  return condition.kind == Kind::kAbsent;
}

uint64_t lengthBit(size_t length) { return uint64_t{1} << (length % 64); }

bool headersHold(const config::RouteConfig& route, const http::Headers* headers) {
  for (const config::HeaderMatch& condition : route.headers) {
    if (!headerHolds(condition, headers)) return false;
  }
  return true;
}

bool conditionsHold(const config::RouteConfig& route, const RouteRequest& request) {
  if (!route.path_exact.empty() ? route.path_exact != request.path
                                : !pathPrefixMatches(route.path_prefix, request.path))
    return false;
  if (!methodMatches(route, request.method)) return false;
  return headersHold(route, request.headers);
}

const config::UpstreamConfig* findUpstream(std::span<const config::UpstreamConfig> upstreams,
                                           const std::string& name) {
  for (const config::UpstreamConfig& u : upstreams)
    if (u.name == name) return &u;
  return nullptr;
}

}  // namespace

Router::RouteTargets Router::buildTargets(const config::RouteConfig& route,
                                          std::span<const config::UpstreamConfig> upstreams) {
  std::vector<RouteTarget> targets;
  std::vector<uint32_t> weights;
  if (!route.split.empty()) {
    for (const config::SplitTarget& s : route.split) {
      targets.push_back(
          {s.upstream, buildRouteOverrides(route, findUpstream(upstreams, s.upstream))});
      weights.push_back(s.weight);
    }
  } else if (!route.direct_response) {
    targets.push_back(
        {route.upstream, buildRouteOverrides(route, findUpstream(upstreams, route.upstream))});
    weights.push_back(1);
  }
  return RouteTargets{std::move(targets), WeightedPicker(weights)};
}

bool pathPrefixMatches(std::string_view prefix, std::string_view path) {
  if (!path.starts_with(prefix)) return false;
  if (prefix.empty() || prefix.back() == '/' || path.size() == prefix.size()) return true;
  const char next = path[prefix.size()];
  return next == '/' || next == '?';
}

void Router::add(std::vector<HostGroup>& groups, std::string_view host,
                 const config::RouteConfig* route) {
  auto group = std::find_if(groups.begin(), groups.end(),
                            [&](const HostGroup& g) { return g.host == host; });
  if (group == groups.end()) {
    groups.push_back(HostGroup{host, {}, {}});
    group = groups.end() - 1;
  }
  group->routes.push_back(route);
}

Router::Router(const config::ListenerConfig& listener,
               std::span<const config::UpstreamConfig> upstreams)
    : routes_(listener.routes) {
  for (config::RouteConfig& route : routes_) {
    std::transform(route.host.begin(), route.host.end(), route.host.begin(), lowerAscii);
    targets_.push_back(buildTargets(route, upstreams));
  }
  for (const config::RouteConfig& route : routes_)
    index(route.connect ? connects_ : requests_, &route);
  for (HostIndex* idx : {&requests_, &connects_}) {
    for (std::vector<HostGroup>* groups : {&idx->hosts, &idx->domains}) {
      std::sort(groups->begin(), groups->end(),
                [](const HostGroup& a, const HostGroup& b) { return a.host < b.host; });
      for (HostGroup& group : *groups) {
        sortMostSpecificFirst(group.routes);
        group.index = PathIndex(group.routes);
      }
    }
    for (const HostGroup& group : idx->hosts) idx->host_lengths |= lengthBit(group.host.size());
    for (const HostGroup& group : idx->domains) {
      idx->domain_lengths |= lengthBit(group.host.size());
      if (idx->shortest_domain == 0 || group.host.size() < idx->shortest_domain)
        idx->shortest_domain = group.host.size();
    }
    sortMostSpecificFirst(idx->any);
    idx->any_index = PathIndex(idx->any);
  }
}

void Router::index(HostIndex& idx, const config::RouteConfig* route) {
  const std::string_view host = route->host;
  if (host == "*") {
    idx.any.push_back(route);
  } else if (host.starts_with("*.")) {
    add(idx.domains, host.substr(1), route);  // keeps the dot: ".example.com"
  } else {
    add(idx.hosts, host, route);
  }
}

const Router::HostGroup* Router::find(const std::vector<HostGroup>& groups, uint64_t lengths,
                                      std::string_view host) {
  if ((lengths & lengthBit(host.size())) == 0) return nullptr;
  auto group = std::lower_bound(
      groups.begin(), groups.end(), host,
      [](const HostGroup& g, std::string_view h) { return compareHost(g.host, h) < 0; });
  if (group != groups.end() && compareHost(group->host, host) == 0) return &*group;
  return nullptr;
}

const config::RouteConfig* Router::match(const RouteRequest& request) const {
  return lookup(requests_, request, false);
}

const config::RouteConfig* Router::matchConnect(std::string_view host,
                                                const http::Headers* headers) const {
  return lookup(connects_, RouteRequest{host, "", "CONNECT", headers}, true);
}

const config::RouteConfig* Router::lookup(const HostIndex& idx, const RouteRequest& request,
                                          bool connect) {
  if (const HostGroup* group = find(idx.hosts, idx.host_lengths, request.host)) {
    if (const config::RouteConfig* route = matchIn(*group, request, connect)) return route;
  }
  if (!idx.domains.empty() && request.host.size() > idx.shortest_domain) {
    // Each suffix that starts at a dot, longest first, down to the shortest domain; a
    // wildcard needs a label before it.
    const std::string_view host = request.host;
    for (size_t dot = host.find('.', 1);
         dot != std::string_view::npos && host.size() - dot >= idx.shortest_domain;
         dot = host.find('.', dot + 1)) {
      if (const HostGroup* group = find(idx.domains, idx.domain_lengths, request.host.substr(dot))) {
        if (const config::RouteConfig* route = matchIn(*group, request, connect)) return route;
      }
    }
  }
  return connect ? matchConnectIn(idx.any, request) : matchIn(idx.any_index, request);
}

const config::RouteConfig* Router::matchIn(const HostGroup& group, const RouteRequest& request,
                                           bool connect) {
  return connect ? matchConnectIn(group.routes, request) : matchIn(group.index, request);
}

const config::RouteConfig* Router::matchIn(const PathIndex& index, const RouteRequest& request) {
  for (const config::RouteConfig* route : index.candidates(request.path)) {
    if (conditionsHold(*route, request)) return route;
  }
  return nullptr;
}

const config::RouteConfig* Router::matchConnectIn(
    const std::vector<const config::RouteConfig*>& routes, const RouteRequest& request) {
  // A CONNECT has no path and its method is implied: only headers conditions apply.
  for (const config::RouteConfig* route : routes) {
    if (headersHold(*route, request.headers)) return route;
  }
  return nullptr;
}

}  // namespace outrigger::routing
