#include "proxy/policy/slice_count.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace outrigger::policy {
namespace {

TEST(SliceCountTest, CountsWithinItsSliceAndRestartsInANewerOne) {
  SliceCount count;
  count.increment(3);
  count.increment(3);
  EXPECT_EQ(count.countWithin(3, 10), 2u);
  EXPECT_EQ(count.countWithin(12, 10), 2u);  // slice 3 is still one of the ten ending at 12
  EXPECT_EQ(count.countWithin(13, 10), 0u);  // ... and no longer one of those ending at 13
  count.increment(13);                       // the ring came round: the old count is gone
  EXPECT_EQ(count.countWithin(13, 10), 1u);
}

TEST(SliceCountTest, ALateCallerCountsInTheNewerSlice) {
  SliceCount count;
  count.increment(20);
  count.increment(10);  // read slice 10 before another thread moved the word to 20
  EXPECT_EQ(count.countWithin(20, 10), 2u);
  EXPECT_EQ(SliceCount::countAt(count.load(), 10), 2u);
  EXPECT_EQ(SliceCount::countAt(count.load(), 21), 0u);  // older than slice 21
}

TEST(SliceCountTest, TryIncrementFailsWhenTheWordChanged) {
  SliceCount count;
  uint64_t word = count.load();
  count.increment(0);
  EXPECT_FALSE(count.tryIncrement(word, 0));  // `word` is reread
  EXPECT_EQ(SliceCount::countAt(word, 0), 1u);
  EXPECT_TRUE(count.tryIncrement(word, 0));
  EXPECT_EQ(count.countWithin(0, 10), 2u);
}

TEST(SliceCountTest, ConcurrentIncrementsAreAllCounted) {
  SliceCount count;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50000; ++i) count.increment(7);
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(count.countWithin(7, 10), 200000u);
}

}  // namespace
}  // namespace outrigger::policy
