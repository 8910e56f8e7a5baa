#include "proxy/routing/path_index.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "proxy/routing/router.h"

namespace outrigger::routing {
namespace {

config::RouteConfig prefix(std::string p, std::string upstream) {
  config::RouteConfig r;
  r.path_prefix = std::move(p);
  r.upstream = std::move(upstream);
  return r;
}

config::RouteConfig exact(std::string p, std::string upstream) {
  config::RouteConfig r;
  r.path_exact = std::move(p);
  r.upstream = std::move(upstream);
  return r;
}

std::string upstreamFor(const Router& router, std::string_view path) {
  const config::RouteConfig* r = router.match("h", path);
  return r == nullptr ? "<none>" : r->upstream;
}

TEST(PathIndexTest, KeysAreTheFirstSegmentAPathConditionPins) {
  EXPECT_EQ(PathIndex::keyOf(prefix("/v1/users", "u")), "v1");
  EXPECT_EQ(PathIndex::keyOf(prefix("/v1/", "u")), "v1");
  EXPECT_EQ(PathIndex::keyOf(prefix("/v1", "u")), "v1");
  EXPECT_EQ(PathIndex::keyOf(exact("/healthz", "u")), "healthz");
  EXPECT_EQ(PathIndex::keyOf(prefix("/", "u")), "");
  EXPECT_EQ(PathIndex::keyOf(prefix("", "u")), "");
  EXPECT_EQ(PathIndex::keyOf(prefix("/a?b", "u")), "");
  EXPECT_EQ(PathIndex::segmentOf("/v1/x"), "v1");
  EXPECT_EQ(PathIndex::segmentOf("/v1?q"), "v1");
  EXPECT_EQ(PathIndex::segmentOf("/v1"), "v1");
  EXPECT_EQ(PathIndex::segmentOf("*"), "");
  EXPECT_EQ(PathIndex::segmentOf("/"), "");
  EXPECT_EQ(PathIndex::segmentOf("/?q"), "");
  EXPECT_EQ(PathIndex::segmentOf("//x"), "");
  EXPECT_EQ(PathIndex::segmentOf(""), "");
}

// The index only narrows: the winner is the one a walk of every route in precedence order
// finds, including catch-alls declared before, between and after keyed routes.
TEST(PathIndexTest, IndexedTableKeepsPrecedence) {
  std::vector<config::RouteConfig> routes;
  for (int i = 0; i < 50; ++i) routes.push_back(prefix("/v1/res" + std::to_string(i), "res"));
  routes.push_back(prefix("/", "root"));
  routes.push_back(prefix("/v1", "v1"));
  routes.push_back(exact("/healthz", "health"));
  routes.push_back(prefix("/v1/res7/deep", "deep"));
  routes.push_back(prefix("/", "second-root"));
  routes.push_back(prefix("/v2/", "v2-slash"));
  config::ListenerConfig listener;
  listener.routes = std::move(routes);
  Router router(listener);
  EXPECT_EQ(upstreamFor(router, "/hello"), "root");
  EXPECT_EQ(upstreamFor(router, "/v1/res7/deep/x"), "deep");
  EXPECT_EQ(upstreamFor(router, "/v1/res7"), "res");
  EXPECT_EQ(upstreamFor(router, "/v1/res70"), "v1");
  EXPECT_EQ(upstreamFor(router, "/v1"), "v1");
  EXPECT_EQ(upstreamFor(router, "/v1x"), "root");
  EXPECT_EQ(upstreamFor(router, "/healthz"), "health");
  EXPECT_EQ(upstreamFor(router, "/healthz/x"), "root");
  EXPECT_EQ(upstreamFor(router, "/v2/a"), "v2-slash");
  EXPECT_EQ(upstreamFor(router, "/v2"), "root");
  EXPECT_EQ(upstreamFor(router, "*"), "<none>");  // "/" needs a leading slash
}

TEST(PathIndexTest, KeyedRoutesOnlyFallThroughToNoRoute) {
  config::ListenerConfig listener;
  listener.routes = {prefix("/a", "a"), exact("/b/c", "bc")};
  Router router(listener);
  EXPECT_EQ(upstreamFor(router, "/a/1"), "a");
  EXPECT_EQ(upstreamFor(router, "/b/c"), "bc");
  EXPECT_EQ(upstreamFor(router, "/b"), "<none>");
  EXPECT_EQ(upstreamFor(router, "/c"), "<none>");
  EXPECT_EQ(upstreamFor(router, "/"), "<none>");
  EXPECT_EQ(upstreamFor(router, "/A/1"), "<none>");  // segments compare byte for byte
}

}  // namespace
}  // namespace outrigger::routing
