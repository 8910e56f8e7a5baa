#include "proxy/app/reload_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "proxy/config/loader.h"

namespace outrigger::app {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

config::Config parse(const std::string& yaml) {
  auto loaded = config::loadConfigString(
      yaml, "test.yaml", [](const std::string&) -> std::optional<std::string> { return {}; });
  EXPECT_TRUE(loaded.ok()) << loaded.formatErrors();
  return loaded.ok() ? *loaded.config : config::Config{};
}

constexpr char kBase[] =
    "listeners:\n"
    "  - { name: a, listen: 127.0.0.1:15001, routes: [ { upstream: one } ] }\n"
    "  - { name: b, listen: 127.0.0.1:15002, routes: [ { upstream: two } ] }\n"
    "upstreams:\n"
    "  one: { endpoints: [ \"127.0.0.1:1\" ], circuit_breaker: { failure_threshold: 3 } }\n"
    "  two: { endpoints: [ \"127.0.0.1:2\" ] }\n";

TEST(ReloadPlanTest, IdenticalConfigKeepsEverything) {
  const ReloadPlan plan = planReload(parse(kBase), parse(kBase));
  EXPECT_THAT(plan.upstreams_kept, ElementsAre("one", "two"));
  EXPECT_THAT(plan.upstreams_changed, IsEmpty());
  EXPECT_THAT(plan.listeners_changed, IsEmpty());
  EXPECT_EQ(plan.summary(), "upstreams +0 -0 ~0; listeners +0 -0 ~0");
}

TEST(ReloadPlanTest, PolicyChangeStartsTheUpstreamFreshAndLeavesTheOtherAlone) {
  std::string next = kBase;
  next.replace(next.find("failure_threshold: 3"), 20, "failure_threshold: 4");
  const ReloadPlan plan = planReload(parse(kBase), parse(next));
  EXPECT_THAT(plan.upstreams_changed, ElementsAre("one"));
  EXPECT_THAT(plan.upstreams_kept, ElementsAre("two"));
  EXPECT_THAT(plan.summary(), HasSubstr("upstreams +0 -0 ~1 (changed: one)"));
}

TEST(ReloadPlanTest, AddedRemovedAndMovedListenersAndUpstreams) {
  const std::string next =
      "listeners:\n"
      "  - { name: a, listen: 127.0.0.1:15009, routes: [ { upstream: one } ] }\n"
      "  - { name: c, listen: 127.0.0.1:15003, routes: [ { upstream: three } ] }\n"
      "upstreams:\n"
      "  one: { endpoints: [ \"127.0.0.1:1\" ], circuit_breaker: { failure_threshold: 3 } }\n"
      "  three: { endpoints: [ \"127.0.0.1:3\" ] }\n";
  const ReloadPlan plan = planReload(parse(kBase), parse(next));
  EXPECT_THAT(plan.upstreams_added, ElementsAre("three"));
  EXPECT_THAT(plan.upstreams_removed, ElementsAre("two"));
  EXPECT_THAT(plan.upstreams_kept, ElementsAre("one"));
  EXPECT_THAT(plan.listeners_added, ElementsAre("c"));
  EXPECT_THAT(plan.listeners_removed, ElementsAre("b"));
  EXPECT_THAT(plan.listeners_rebound, ElementsAre("a"));
  EXPECT_EQ(plan.summary(),
            "upstreams +1 -1 ~0 (added: three; removed: two); "
            "listeners +1 -1 ~1 (added: c; removed: b; new address: a)");
}

TEST(ReloadPlanTest, NewRoutesOnTheSameAddressKeepTheSocket) {
  std::string next = kBase;
  next.replace(next.find("routes: [ { upstream: two } ]"), 29,
               "routes: [ { path_prefix: /x, upstream: two } ]");
  const ReloadPlan plan = planReload(parse(kBase), parse(next));
  EXPECT_THAT(plan.listeners_changed, ElementsAre("b"));
  EXPECT_THAT(plan.listeners_rebound, IsEmpty());
}

TEST(ReloadPlanTest, RestartOnlySettingsAreKeptAndReported) {
  const config::Config from = parse(std::string("workers: 1\n") + kBase);
  config::Config to = parse(std::string("workers: 2\nadmin: { listen: 127.0.0.1:9999 }\n"
                                        "drain: { grace: 1s }\n") + kBase);
  const ReloadPlan plan = planReload(from, to);
  EXPECT_THAT(plan.needs_restart, ElementsAre("workers", "admin.listen"));
  EXPECT_THAT(plan.summary(), HasSubstr("needs a restart to change: workers, admin.listen"));
  const config::Config applied = withRestartOnlySettingsOf(from, to);
  EXPECT_EQ(applied.workers, 1);
  EXPECT_EQ(applied.admin.listen, from.admin.listen);
  EXPECT_EQ(applied.drain.grace, seconds(1));  // reloadable settings do change
}

}  // namespace
}  // namespace outrigger::app

namespace outrigger::app {
namespace {

TEST(ReloadPlanRedisTest, AddingChangingAndRemovingRedisKeepsEveryUpstream) {
  const std::string with = std::string(kBase) + "redis: { address: \"unix:/tmp/a.sock\" }\n";
  const std::string moved = std::string(kBase) + "redis: { address: \"unix:/tmp/b.sock\" }\n";
  const ReloadPlan added = planReload(parse(kBase), parse(with));
  EXPECT_THAT(added.upstreams_kept, ElementsAre("one", "two"));
  EXPECT_EQ(added.summary(), "upstreams +0 -0 ~0; listeners +0 -0 ~0; redis added");
  EXPECT_THAT(planReload(parse(with), parse(moved)).summary(), HasSubstr("; redis changed"));
  const ReloadPlan removed = planReload(parse(with), parse(kBase));
  EXPECT_THAT(removed.upstreams_kept, ElementsAre("one", "two"));
  EXPECT_THAT(removed.summary(), HasSubstr("; redis removed"));
  EXPECT_EQ(planReload(parse(with), parse(with)).redis_change, "");
}

}  // namespace
}  // namespace outrigger::app
