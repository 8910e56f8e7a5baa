// A route's weighted `split:` (issue 20, item 4): read, rendered back, routed per target, and
// each bad input reported at its position.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "proxy/config/render.h"
#include "proxy/routing/router.h"
#include "tests/unit/config/config_test_util.h"

namespace outrigger::config {
namespace {

using ::testing::ElementsAre;
using testing::errorsOf;
using ::testing::HasSubstr;

// Two upstreams, users (3 attempts) and users-canary (one); the route is on line 11.
std::string withRoute(std::string_view route) {
  return "upstreams:\n"
         "  users:\n"
         "    endpoints: [ \"10.0.0.1:80\" ]\n"
         "    retry: { max_attempts: 3 }\n"
         "  users-canary:\n"
         "    endpoints: [ \"10.0.0.2:80\" ]\n"
         "listeners:\n"
         "  - name: out\n"
         "    listen: 127.0.0.1:0\n"
         "    routes:\n"
         "      - " +
         std::string(route) + "\n";
}

constexpr std::string_view kSplit =
    "{ path_prefix: /, split: [ { upstream: users, weight: 95 }, { upstream: users-canary, "
    "weight: 5 } ] }";

TEST(RouteSplitTest, ReadsEachTargetAndItsWeight) {
  const LoadResult r = testing::load(withRoute(kSplit));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  const RouteConfig& route = r.config->listeners[0].routes[0];
  EXPECT_EQ(route.upstream, "");
  EXPECT_THAT(route.split, ElementsAre(SplitTarget{"users", 95}, SplitTarget{"users-canary", 5}));
}

TEST(RouteSplitTest, RendersBackAsASplit) {
  const LoadResult r = testing::load(withRoute(kSplit));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  const std::string text = renderConfigYaml(*r.config);
  EXPECT_THAT(text, HasSubstr("split:"));
  EXPECT_THAT(text, HasSubstr("upstream: users-canary"));
  EXPECT_THAT(text, HasSubstr("weight: 5"));
  // What /config shows loads back the same.
  const LoadResult again = testing::load(text);
  ASSERT_TRUE(again.ok()) << again.formatErrors() << "\n" << text;
  EXPECT_EQ(again.config->listeners[0].routes[0].split, r.config->listeners[0].routes[0].split);
}

TEST(RouteSplitTest, EachTargetMergesTheRoutePolicyOverItsOwnUpstream) {
  const LoadResult r = testing::load(
      withRoute("{ split: [ { upstream: users, weight: 1 }, { upstream: users-canary, weight: 1 "
                "} ], timeouts: { per_try: 1s } }"));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  const routing::Router router(r.config->listeners[0], r.config->upstreams);
  const RouteConfig* route = router.match("any", "/x");
  ASSERT_NE(route, nullptr);
  const auto targets = router.targetsOf(route);
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0].upstream, "users");
  EXPECT_EQ(targets[1].upstream, "users-canary");
  ASSERT_TRUE(targets[0].overrides.timeouts && targets[1].overrides.timeouts);
  EXPECT_EQ(targets[0].overrides.timeouts->per_try, seconds(1));
  // The draw decides: below(2) of 1 is the second target, of 2 the first.
  SequenceRandom random({1, 2});
  EXPECT_EQ(router.pickTarget(route, random).upstream, "users-canary");
  EXPECT_EQ(router.pickTarget(route, random).upstream, "users");
}

TEST(RouteSplitTest, WeightsAddingUpToZeroAreRefusedNamingTheRoute) {
  EXPECT_THAT(errorsOf(withRoute("{ name: canary, split: [ { upstream: users, weight: 0 } ] }")),
              ElementsAre("test.yaml:11:32: listeners[0].routes[0].split: the weights of route "
                          "canary add up to 0; at least one must be above 0"));
}

TEST(RouteSplitTest, AnUnknownUpstreamIsRefusedLikeForUpstream) {
  EXPECT_THAT(errorsOf(withRoute("{ split: [ { upstream: userz, weight: 1 } ] }")),
              ElementsAre("test.yaml:11:32: listeners[0].routes[0].split[0].upstream: unknown "
                          "upstream 'userz' (did you mean 'users'?)"));
}

TEST(RouteSplitTest, UpstreamAndSplitTogetherAreRefused) {
  EXPECT_THAT(errorsOf(withRoute("{ upstream: users, split: [ { upstream: users, weight: 1 } ] }")),
              ElementsAre("test.yaml:11:28: listeners[0].routes[0]: a route has either "
                          "upstream or split, not both: split already names the upstreams"));
}

TEST(RouteSplitTest, BadItemsAreRefused) {
  EXPECT_THAT(
      errorsOf(withRoute("{ split: [ { upstream: users, weight: -1 }, { upstream: users } ] }")),
      ElementsAre(HasSubstr("listeners[0].routes[0].split[0].weight: must be at least 0"),
                  HasSubstr("listeners[0].routes[0].split[1]: missing required key 'weight'"),
                  HasSubstr("upstream 'users' is already in this split")));
  EXPECT_THAT(errorsOf(withRoute("{ split: [] }")),
              ElementsAre(HasSubstr("a split needs at least one item")));
  EXPECT_THAT(errorsOf(withRoute("{ split: [ { upstream: users, weight: 1, share: 2 } ] }")),
              ElementsAre(HasSubstr("listeners[0].routes[0].split[0]: unknown key 'share'")));
}

}  // namespace
}  // namespace outrigger::config
