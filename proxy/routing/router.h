#pragma once
// Maps a request's Host and path to one route of a listener (DESIGN §6).
//
// Rules, in order:
//   1. Routes whose host equals the request host (ASCII case-insensitive) beat "*" routes.
//   2. Within a host group, the longest matching path_prefix wins; equal prefixes keep
//      file order.
//   3. If the exact-host group has no matching prefix, the "*" group is tried.
// A prefix matches on a segment boundary: "/users" matches "/users", "/users/1" and
// "/users?x", but not "/users2". A prefix ending in "/" (including "/") matches anything
// that starts with it.

#include <string_view>
#include <vector>

#include "proxy/config/schema.h"

namespace outrigger::routing {

class Router {
 public:
  // Copies the routes, so the Router does not depend on the config's lifetime.
  explicit Router(const config::ListenerConfig& listener);

  // Copying would leave the copy pointing into the original; moving keeps the element
  // buffers, so the internal pointers stay valid.
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;
  Router(Router&&) = default;
  Router& operator=(Router&&) = default;

  // The route for a request, or nullptr (no_route). Allocation-free. The pointer stays
  // valid for the Router's lifetime.
  const config::RouteConfig* match(std::string_view host_without_port, std::string_view path) const;

 private:
  struct HostGroup {
    std::string_view host;                           // lower-case, points into routes_
    std::vector<const config::RouteConfig*> routes;  // longest prefix first
  };

  static const config::RouteConfig* matchIn(const std::vector<const config::RouteConfig*>& group,
                                            std::string_view path);

  std::vector<config::RouteConfig> routes_;  // hosts lower-cased; never resized after build
  std::vector<HostGroup> hosts_;             // sorted by host, for binary search
  std::vector<const config::RouteConfig*> wildcard_;  // longest prefix first
};

// True if `prefix` matches `path` under the segment-boundary rule above.
bool pathPrefixMatches(std::string_view prefix, std::string_view path);

}  // namespace outrigger::routing
