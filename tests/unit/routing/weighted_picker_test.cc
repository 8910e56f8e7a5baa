// The split picker (issue 20, item 4): which target each draw lands on, with the draw fixed.

#include "proxy/routing/weighted_picker.h"

#include <gtest/gtest.h>

#include <vector>

namespace outrigger::routing {
namespace {

TEST(WeightedPickerTest, EachTargetOwnsAsManyDrawsAsItsWeight) {
  const std::vector<uint32_t> weights = {95, 5};
  const WeightedPicker picker(weights);
  EXPECT_EQ(picker.total(), 100u);
  EXPECT_EQ(picker.indexOf(0), 0u);
  EXPECT_EQ(picker.indexOf(94), 0u);
  EXPECT_EQ(picker.indexOf(95), 1u);
  EXPECT_EQ(picker.indexOf(99), 1u);
}

TEST(WeightedPickerTest, PickDrawsBelowTheTotal) {
  const std::vector<uint32_t> weights = {3, 1};
  const WeightedPicker picker(weights);
  // below(4) is next() % 4: 2 -> first, 3 -> second, 7 -> 3 -> second, 4 -> 0 -> first.
  SequenceRandom random({2, 3, 7, 4});
  EXPECT_EQ(picker.pick(random), 0u);
  EXPECT_EQ(picker.pick(random), 1u);
  EXPECT_EQ(picker.pick(random), 1u);
  EXPECT_EQ(picker.pick(random), 0u);
}

TEST(WeightedPickerTest, AZeroWeightIsNeverPicked) {
  const std::vector<uint32_t> weights = {0, 2, 0, 1};
  const WeightedPicker picker(weights);
  std::vector<size_t> picked;
  for (uint64_t draw = 0; draw < picker.total(); ++draw) picked.push_back(picker.indexOf(draw));
  EXPECT_EQ(picked, (std::vector<size_t>{1, 1, 3}));
}

TEST(WeightedPickerTest, OneTargetDrawsNothing) {
  const std::vector<uint32_t> weights = {7};
  const WeightedPicker picker(weights);
  SequenceRandom random({5, 6});
  EXPECT_EQ(picker.pick(random), 0u);
  EXPECT_EQ(random.next(), 5u);  // the picker left the sequence where it was
}

TEST(WeightedPickerTest, SharesHoldOverManyDraws) {
  const std::vector<uint32_t> weights = {95, 5};
  const WeightedPicker picker(weights);
  FastRandom random(42);
  int canary = 0;
  constexpr int kDraws = 100000;
  for (int i = 0; i < kDraws; ++i) canary += picker.pick(random) == 1 ? 1 : 0;
  EXPECT_NEAR(canary * 100.0 / kDraws, 5.0, 0.5);
}

}  // namespace
}  // namespace outrigger::routing
