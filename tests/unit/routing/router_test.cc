#include "proxy/routing/router.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace outrigger::routing {
namespace {

config::ListenerConfig listener(std::vector<config::RouteConfig> routes) {
  config::ListenerConfig l;
  l.name = "outbound";
  l.routes = std::move(routes);
  return l;
}

config::RouteConfig route(std::string host, std::string prefix, std::string upstream) {
  config::RouteConfig r;
  r.host = std::move(host);
  r.path_prefix = std::move(prefix);
  r.upstream = std::move(upstream);
  return r;
}

// The upstream a request routes to, or "<none>".
std::string upstreamFor(const Router& router, std::string_view host, std::string_view path) {
  const config::RouteConfig* r = router.match(host, path);
  return r == nullptr ? "<none>" : r->upstream;
}

TEST(RouterTest, ExactHostMatches) {
  Router router(listener({route("payments", "/", "payments"), route("users", "/", "users")}));
  EXPECT_EQ(upstreamFor(router, "payments", "/charge"), "payments");
  EXPECT_EQ(upstreamFor(router, "users", "/u/1"), "users");
  EXPECT_EQ(upstreamFor(router, "other", "/"), "<none>");
}

TEST(RouterTest, ExactHostBeatsWildcardWhateverTheOrder) {
  Router router(listener({route("*", "/", "any"), route("payments", "/", "payments")}));
  EXPECT_EQ(upstreamFor(router, "payments", "/x"), "payments");
  EXPECT_EQ(upstreamFor(router, "elsewhere", "/x"), "any");
}

TEST(RouterTest, ExactHostBeatsALongerWildcardPrefix) {
  Router router(listener({route("*", "/api/v1", "wild"), route("payments", "/", "payments")}));
  EXPECT_EQ(upstreamFor(router, "payments", "/api/v1/x"), "payments");
}

TEST(RouterTest, FallsBackToWildcardWhenHostGroupHasNoMatchingPrefix) {
  Router router(listener({route("payments", "/pay", "payments"), route("*", "/", "any")}));
  EXPECT_EQ(upstreamFor(router, "payments", "/pay/1"), "payments");
  EXPECT_EQ(upstreamFor(router, "payments", "/health"), "any");
}

TEST(RouterTest, LongestPrefixWins) {
  Router router(listener({route("*", "/", "root"), route("*", "/users", "users"),
                          route("*", "/users/admin", "admin")}));
  EXPECT_EQ(upstreamFor(router, "h", "/"), "root");
  EXPECT_EQ(upstreamFor(router, "h", "/orders"), "root");
  EXPECT_EQ(upstreamFor(router, "h", "/users"), "users");
  EXPECT_EQ(upstreamFor(router, "h", "/users/7"), "users");
  EXPECT_EQ(upstreamFor(router, "h", "/users/admin/x"), "admin");
}

TEST(RouterTest, LongestPrefixWinsWithinAHostGroup) {
  Router router(listener({route("api", "/", "api-root"), route("api", "/v2", "api-v2")}));
  EXPECT_EQ(upstreamFor(router, "api", "/v2/items"), "api-v2");
  EXPECT_EQ(upstreamFor(router, "api", "/v1/items"), "api-root");
}

TEST(RouterTest, EqualPrefixesKeepFileOrder) {
  Router router(listener({route("*", "/a", "first"), route("*", "/a", "second")}));
  EXPECT_EQ(upstreamFor(router, "h", "/a"), "first");
}

TEST(RouterTest, PrefixMatchesOnASegmentBoundary) {
  Router router(listener({route("*", "/users", "users")}));
  EXPECT_EQ(upstreamFor(router, "h", "/users"), "users");
  EXPECT_EQ(upstreamFor(router, "h", "/users/"), "users");
  EXPECT_EQ(upstreamFor(router, "h", "/users/1"), "users");
  EXPECT_EQ(upstreamFor(router, "h", "/users?page=2"), "users");
  EXPECT_EQ(upstreamFor(router, "h", "/users2"), "<none>");
  EXPECT_EQ(upstreamFor(router, "h", "/user"), "<none>");
}

TEST(RouterTest, PrefixEndingInSlashMatchesAnythingBelowIt) {
  Router router(listener({route("*", "/static/", "static")}));
  EXPECT_EQ(upstreamFor(router, "h", "/static/app.js"), "static");
  EXPECT_EQ(upstreamFor(router, "h", "/static"), "<none>");
  EXPECT_EQ(upstreamFor(router, "h", "/staticfoo"), "<none>");
}

TEST(RouterTest, HostIsCaseInsensitive) {
  Router router(listener({route("Payments.Internal", "/", "payments")}));
  EXPECT_EQ(upstreamFor(router, "payments.internal", "/"), "payments");
  EXPECT_EQ(upstreamFor(router, "PAYMENTS.INTERNAL", "/"), "payments");
  EXPECT_EQ(upstreamFor(router, "payments.internal.evil", "/"), "<none>");
  EXPECT_EQ(upstreamFor(router, "payments", "/"), "<none>");
}

TEST(RouterTest, ManyHostsAreFoundByBinarySearch) {
  std::vector<config::RouteConfig> routes;
  for (const char* host : {"d", "b", "a", "c", "e", "aa"}) routes.push_back(route(host, "/", host));
  Router router(listener(std::move(routes)));
  for (const char* host : {"a", "aa", "b", "c", "d", "e"}) {
    EXPECT_EQ(upstreamFor(router, host, "/"), host);
  }
  EXPECT_EQ(upstreamFor(router, "ab", "/"), "<none>");
  EXPECT_EQ(upstreamFor(router, "", "/"), "<none>");
}

TEST(RouterTest, NoRoutes) {
  Router router(listener({}));
  EXPECT_EQ(router.match("h", "/"), nullptr);
}

TEST(RouterTest, ReturnsAStablePointerToTheRoute) {
  Router router(listener({route("*", "/", "any")}));
  const config::RouteConfig* r = router.match("h", "/x");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r, router.match("other", "/y"));
  EXPECT_EQ(r->path_prefix, "/");
  Router moved = std::move(router);
  EXPECT_EQ(moved.match("h", "/x"), r);
}

TEST(RouterTest, DefaultRouteMatchesEverything) {
  Router router(listener({config::RouteConfig{.upstream = "catalog"}}));
  EXPECT_EQ(upstreamFor(router, "anything", "/a/b?c"), "catalog");
}

TEST(PathPrefixMatchesTest, Rules) {
  EXPECT_TRUE(pathPrefixMatches("/", "/"));
  EXPECT_TRUE(pathPrefixMatches("/", "/x"));
  EXPECT_FALSE(pathPrefixMatches("/", "x"));
  EXPECT_TRUE(pathPrefixMatches("", "/anything"));
  EXPECT_TRUE(pathPrefixMatches("/a/b", "/a/b/c"));
  EXPECT_FALSE(pathPrefixMatches("/a/b", "/a/bc"));
  EXPECT_FALSE(pathPrefixMatches("/a/b", "/a"));
}

}  // namespace
}  // namespace outrigger::routing
