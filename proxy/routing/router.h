#pragma once
// Maps a request to one route of a listener (DESIGN §6, issue 20).
//
// A route matches when every condition it has holds: host, path (path_prefix or path_exact),
// methods and headers. When several match, the most specific one wins:
//   1. Host first: an exact host beats a "*.domain" wildcard (the longest domain first), which
//      beats "*" (any host).
//   2. Within one host, path_exact beats any path_prefix; then the longest path_prefix wins.
//   3. Then the route with more conditions (a methods list counts as one, each header one).
//   4. Then the route declared first.
// A prefix matches on a segment boundary: "/users" matches "/users", "/users/1" and
// "/users?x", but not "/users2". A prefix ending in "/" (including "/") matches anything
// that starts with it. "*.example.com" matches "a.example.com" and "a.b.example.com", not
// "example.com".
// Matching allocates nothing: routes are ranked once, when the Router is built, and indexed
// by the first path segment they pin (path_index.h), so only candidate routes are tried.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "proxy/common/random.h"
#include "proxy/config/schema.h"
#include "proxy/http/message.h"
#include "proxy/routing/path_index.h"
#include "proxy/routing/route_overrides.h"
#include "proxy/routing/weighted_picker.h"

namespace outrigger::routing {

// What routing reads of a request; views into it.
struct RouteRequest {
  std::string_view host;  // the Host header without its port
  std::string_view path;  // without the query
  std::string_view method;
  const http::Headers* headers = nullptr;  // null: the request has no headers
};

class Router {
 public:
  // Copies the routes, so the Router does not depend on the config's lifetime. `upstreams`
  // are those the routes name: each route's own timeouts and retry merge over its upstream's.
  explicit Router(const config::ListenerConfig& listener,
                  std::span<const config::UpstreamConfig> upstreams = {});

  // Copying would leave the copy pointing into the original; moving keeps the element
  // buffers, so the internal pointers stay valid.
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;
  Router(Router&&) = default;
  Router& operator=(Router&&) = default;

  // The route for a request, or nullptr (no_route). Allocation-free. The pointer stays
  // valid for the Router's lifetime.
  const config::RouteConfig* match(const RouteRequest& request) const;
  // Where a route's request goes: its upstream, or one of its split picked by weight with a
  // draw from `random` (none for a single upstream). `route` is one match() returned, and
  // not a direct_response. Allocation-free.
  const RouteTarget& pickTarget(const config::RouteConfig* route, Random& random) const {
    const RouteTargets& t = targets_[indexOf(route)];
    return t.targets[t.picker.pick(random)];
  }
  // All of a route's targets, in the order of its split (explain, tests).
  std::span<const RouteTarget> targetsOf(const config::RouteConfig* route) const {
    return targets_[indexOf(route)].targets;
  }
  // The connect: true route for a CONNECT to `host` (the authority without its port), or
  // nullptr (connect_not_allowed). Only those routes are looked at, by host as match()
  // ranks them, and their headers conditions must hold. Allocation-free.
  const config::RouteConfig* matchConnect(std::string_view host,
                                          const http::Headers* headers = nullptr) const;
  // A GET with no headers (explain, tests).
  const config::RouteConfig* match(std::string_view host_without_port,
                                   std::string_view path) const {
    return match(RouteRequest{host_without_port, path, "GET", nullptr});
  }

 private:
  struct HostGroup {
    std::string_view host;  // lower-case, points into routes_; ".example.com" for wildcards
    std::vector<const config::RouteConfig*> routes;  // most specific first
    PathIndex index;  // `routes` narrowed by the path's first segment
  };

  struct RouteTargets {
    std::vector<RouteTarget> targets;  // one, or a split's in its order; none: direct_response
    WeightedPicker picker;
  };

  static RouteTargets buildTargets(const config::RouteConfig& route,
                                   std::span<const config::UpstreamConfig> upstreams);
  size_t indexOf(const config::RouteConfig* route) const {
    return static_cast<size_t>(route - routes_.data());
  }
  // Routes by host: exact hosts and "*.x" domains sorted for binary search, then "*".
  struct HostIndex {
    std::vector<HostGroup> hosts;                 // exact hosts, sorted by host
    std::vector<HostGroup> domains;               // "*.x" routes by ".x", sorted likewise
    std::vector<const config::RouteConfig*> any;  // "*", most specific first
    PathIndex any_index;                          // `any` narrowed by the first path segment
    // Bit (length % 64) set for each length in hosts and domains: a host (or suffix) whose
    // length is not there skips the binary search, so hosts no route names cost little.
    uint64_t host_lengths = 0;
    uint64_t domain_lengths = 0;
    // The shortest ".x" in domains: a host's suffixes shorter than it are not looked up, so
    // a host shorter than every wildcard domain (an IP, say) skips the suffix walk.
    size_t shortest_domain = 0;
  };

  static const config::RouteConfig* lookup(const HostIndex& index, const RouteRequest& request,
                                           bool connect);
  static const config::RouteConfig* matchIn(const HostGroup& group, const RouteRequest& request,
                                            bool connect);
  static const config::RouteConfig* matchIn(const PathIndex& index, const RouteRequest& request);
  static const config::RouteConfig* matchConnectIn(
      const std::vector<const config::RouteConfig*>& routes, const RouteRequest& request);
  static void index(HostIndex& index, const config::RouteConfig* route);
  static const HostGroup* find(const std::vector<HostGroup>& groups, uint64_t lengths,
                               std::string_view host);
  static void add(std::vector<HostGroup>& groups, std::string_view host,
                  const config::RouteConfig* route);

  std::vector<config::RouteConfig> routes_;  // hosts lower-cased; never resized after build
  std::vector<RouteTargets> targets_;        // by index in routes_
  HostIndex requests_;                       // the ordinary routes
  HostIndex connects_;                       // the connect: true routes
};

// True if `prefix` matches `path` under the segment-boundary rule above.
bool pathPrefixMatches(std::string_view prefix, std::string_view path);

}  // namespace outrigger::routing
