#include "proxy/upstream/load_balancer.h"

#include <gtest/gtest.h>

#include <vector>

namespace outrigger::upstream {
namespace {

using config::LoadBalancing;

std::vector<EndpointLoad> healthy(size_t n) { return std::vector<EndpointLoad>(n); }

TEST(RoundRobinTest, RotatesThroughEveryEndpoint) {
  SequenceRandom random({0});  // start at endpoint 0
  LoadBalancer lb(LoadBalancing::kRoundRobin, random);
  auto endpoints = healthy(3);
  std::vector<int> picks;
  for (int i = 0; i < 7; ++i) picks.push_back(lb.pick(endpoints));
  EXPECT_EQ(picks, (std::vector<int>{0, 1, 2, 0, 1, 2, 0}));
}

TEST(RoundRobinTest, StartsAtARandomPosition) {
  SequenceRandom random({5});  // 5 % 3 = 2
  LoadBalancer lb(LoadBalancing::kRoundRobin, random);
  auto endpoints = healthy(3);
  EXPECT_EQ(lb.pick(endpoints), 2);
  EXPECT_EQ(lb.pick(endpoints), 0);
}

TEST(RoundRobinTest, DistributesEvenly) {
  SequenceRandom random({0});
  LoadBalancer lb(LoadBalancing::kRoundRobin, random);
  auto endpoints = healthy(4);
  std::vector<int> counts(4);
  for (int i = 0; i < 400; ++i) ++counts[static_cast<size_t>(lb.pick(endpoints))];
  EXPECT_EQ(counts, (std::vector<int>{100, 100, 100, 100}));
}

TEST(RoundRobinTest, SkipsUnavailableEndpoints) {
  SequenceRandom random({0});
  LoadBalancer lb(LoadBalancing::kRoundRobin, random);
  auto endpoints = healthy(4);
  endpoints[1].available = false;
  endpoints[2].available = false;
  std::vector<int> picks;
  for (int i = 0; i < 4; ++i) picks.push_back(lb.pick(endpoints));
  EXPECT_EQ(picks, (std::vector<int>{0, 3, 0, 3}));
}

TEST(RoundRobinTest, AvoidsThePreviousEndpoint) {
  SequenceRandom random({0});
  LoadBalancer lb(LoadBalancing::kRoundRobin, random);
  auto endpoints = healthy(3);
  EXPECT_EQ(lb.pick(endpoints, /*avoid=*/0), 1);
  EXPECT_EQ(lb.pick(endpoints, /*avoid=*/2), 0);  // the cursor was at 2
}

TEST(RoundRobinTest, PicksTheAvoidedEndpointWhenItIsTheOnlyOneLeft) {
  SequenceRandom random({0});
  LoadBalancer lb(LoadBalancing::kRoundRobin, random);
  auto endpoints = healthy(2);
  endpoints[1].available = false;
  EXPECT_EQ(lb.pick(endpoints, /*avoid=*/0), 0);
}

TEST(RoundRobinTest, NoneAvailable) {
  SequenceRandom random({0});
  LoadBalancer lb(LoadBalancing::kRoundRobin, random);
  auto endpoints = healthy(2);
  endpoints[0].available = false;
  endpoints[1].available = false;
  EXPECT_EQ(lb.pick(endpoints), -1);
  EXPECT_EQ(lb.pick(endpoints, /*avoid=*/1), -1);
  EXPECT_EQ(lb.pick({}), -1);
}

TEST(RoundRobinTest, CopesWithTheEndpointListShrinking) {
  SequenceRandom random({0});
  LoadBalancer lb(LoadBalancing::kRoundRobin, random);
  auto four = healthy(4);
  lb.pick(four);
  lb.pick(four);
  lb.pick(four);  // the cursor is now 3
  auto two = healthy(2);
  EXPECT_EQ(lb.pick(two), 1);  // 3 % 2
  EXPECT_EQ(lb.pick(two), 0);
}

TEST(LeastRequestTest, ChoosesTheLessLoadedOfTwo) {
  // Ranks drawn: first = 0, second = 1 (draw 0 among the 2 left, bumped past the first).
  SequenceRandom random({0, 0});
  LoadBalancer lb(LoadBalancing::kLeastRequest, random);
  std::vector<EndpointLoad> endpoints = {{5, true}, {2, true}, {0, true}};
  EXPECT_EQ(lb.pick(endpoints), 1);
}

TEST(LeastRequestTest, KeepsTheFirstDrawOnATie) {
  SequenceRandom random({2, 0});  // candidates 2 and 0
  LoadBalancer lb(LoadBalancing::kLeastRequest, random);
  std::vector<EndpointLoad> endpoints = {{1, true}, {9, true}, {1, true}};
  EXPECT_EQ(lb.pick(endpoints), 2);
}

TEST(LeastRequestTest, TheTwoCandidatesAreDistinct) {
  // Both draws are 1: the second is bumped to rank 2, so endpoint 1 faces endpoint 2.
  SequenceRandom random({1, 1});
  LoadBalancer lb(LoadBalancing::kLeastRequest, random);
  std::vector<EndpointLoad> endpoints = {{0, true}, {7, true}, {3, true}};
  EXPECT_EQ(lb.pick(endpoints), 2);
}

TEST(LeastRequestTest, DrawsOnlyAmongAvailableEndpoints) {
  SequenceRandom random({0, 0});  // ranks 0 and 1 among the available: endpoints 1 and 3
  LoadBalancer lb(LoadBalancing::kLeastRequest, random);
  std::vector<EndpointLoad> endpoints = {{0, false}, {4, true}, {0, false}, {6, true}};
  EXPECT_EQ(lb.pick(endpoints), 1);
}

TEST(LeastRequestTest, OneAvailableIsPickedWithoutASecondDraw) {
  SequenceRandom random({0});
  LoadBalancer lb(LoadBalancing::kLeastRequest, random);
  std::vector<EndpointLoad> endpoints = {{0, false}, {50, true}};
  EXPECT_EQ(lb.pick(endpoints), 1);
}

TEST(LeastRequestTest, AvoidsThePreviousEndpoint) {
  SequenceRandom random({0, 0});
  LoadBalancer lb(LoadBalancing::kLeastRequest, random);
  // Endpoint 0 is the least loaded, but the previous attempt failed there.
  std::vector<EndpointLoad> endpoints = {{0, true}, {3, true}, {2, true}};
  EXPECT_EQ(lb.pick(endpoints, /*avoid=*/0), 2);
}

TEST(LeastRequestTest, PicksTheAvoidedEndpointWhenItIsTheOnlyOneLeft) {
  SequenceRandom random({0});
  LoadBalancer lb(LoadBalancing::kLeastRequest, random);
  std::vector<EndpointLoad> endpoints = {{0, false}, {3, true}};
  EXPECT_EQ(lb.pick(endpoints, /*avoid=*/1), 1);
}

TEST(LeastRequestTest, NoneAvailable) {
  SequenceRandom random({0});
  LoadBalancer lb(LoadBalancing::kLeastRequest, random);
  std::vector<EndpointLoad> endpoints = {{0, false}, {0, false}};
  EXPECT_EQ(lb.pick(endpoints), -1);
  EXPECT_EQ(lb.pick({}), -1);
}

TEST(LeastRequestTest, PrefersIdleEndpointsOverManyPicks) {
  FastRandom random(42);
  LoadBalancer lb(LoadBalancing::kLeastRequest, random);
  std::vector<EndpointLoad> endpoints = {{10, true}, {10, true}, {0, true}, {10, true}};
  int idle = 0;
  for (int i = 0; i < 1000; ++i) idle += lb.pick(endpoints) == 2 ? 1 : 0;
  // The idle endpoint wins whenever it is one of the two candidates: 1/2 of draws.
  EXPECT_GT(idle, 420);
  EXPECT_LT(idle, 580);
}

}  // namespace
}  // namespace outrigger::upstream
