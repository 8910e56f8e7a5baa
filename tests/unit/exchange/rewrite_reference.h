#pragma once
// Test helpers for route rewrites (issue 20): a route loaded from YAML, and the reference
// form of a request rewrite — a rewritten copy of the app's head — against which the
// write-time rewrite (forwardedRequest() and the head writer) is checked.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "proxy/exchange/route_rewrite.h"
#include "tests/unit/config/config_test_util.h"

namespace outrigger::exchange::testing {

// The first route of a listener whose route is `route` (YAML flow map).
inline config::RouteConfig loadRoute(const std::string& route) {
  config::LoadResult r = config::testing::load(
      "listeners:\n  - name: l\n    listen: 127.0.0.1:0\n    routes:\n      - " + route +
      "\nupstreams:\n  u: { endpoints: [ \"10.0.0.1:80\" ] }\n");
  EXPECT_TRUE(r.ok()) << r.formatErrors();
  return r.ok() ? r.config->listeners[0].routes[0] : config::RouteConfig{};
}

// The target with `replaced` (a prefix of its path) swapped for `replacement`.
inline std::string rewriteTarget(std::string_view target, std::string_view path,
                                 std::string_view replaced, std::string_view replacement) {
  std::string out;
  rewriteTargetInto(target, path, replaced, replacement, out);
  return out;
}

// `out` becomes `in` with the route's prefix_rewrite and request_headers applied (Host is the
// head writer's, from host_rewrite).
inline void rewriteRequest(const config::RouteRewrite& rewrite, const RewriteVariables& vars,
                           const http::RequestHead& in, http::RequestHead& out) {
  out = in;
  if (rewrite.prefix_rewrite) {
    rewriteTargetInto(in.target, in.path(), rewrite.replaced_path, *rewrite.prefix_rewrite,
                      out.target);
  }
  if (!rewrite.request.empty()) applyHeaderRewrite(rewrite.request, vars, out.headers);
}

}  // namespace outrigger::exchange::testing
