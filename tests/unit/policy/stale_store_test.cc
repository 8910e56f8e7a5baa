#include "proxy/policy/stale_store.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace outrigger::policy {
namespace {

StaleEntry entry(const std::string& body, MonoTime stored) {
  StaleEntry e;
  e.body = body;
  e.stored = stored;
  return e;
}

TEST(StaleStoreTest, OneWorkerEvictsByItsOwnLeastRecentlyUsed) {
  ManualClock clock;
  StaleStore store(2, seconds(60));
  for (const char* key : {"a", "b", "c"}) {
    StaleEntry e = entry(key, clock.now());
    store.put(0, key, e);
  }
  EXPECT_EQ(store.size(), 2u);
  EXPECT_FALSE(store.get(0, "a", clock.now()));
  EXPECT_EQ(store.get(0, "c", clock.now())->body, "c");
}

TEST(StaleStoreTest, AWorkerFindsAnotherWorkersCopyWhenItHasNone) {
  ManualClock clock;
  StaleStore store(10, seconds(60));
  StaleEntry e = entry("from 1", clock.now());
  store.put(1, "k", e);
  auto hit = store.get(2, "k", clock.now());
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->body, "from 1");
  // Its own copy comes first.
  StaleEntry mine = entry("from 2", clock.now());
  store.put(2, "k", mine);
  EXPECT_EQ(store.get(2, "k", clock.now())->body, "from 2");
  EXPECT_EQ(store.get(1, "k", clock.now())->body, "from 1");
  EXPECT_EQ(store.size(), 2u);  // one copy per worker
}

TEST(StaleStoreTest, MaxEntriesHoldsForAllWorkersTogether) {
  ManualClock clock;
  StaleStore store(4, seconds(60));
  for (int i = 0; i < 4; ++i) {
    StaleEntry e = entry("w0", clock.now());
    store.put(0, "w0-" + std::to_string(i), e);
  }
  // Worker 1 has nothing of its own to evict: an entry of worker 0's goes instead.
  StaleEntry e = entry("w1", clock.now());
  store.put(1, "w1-0", e);
  EXPECT_EQ(store.size(), 4u);
  EXPECT_TRUE(store.get(1, "w1-0", clock.now()));
  EXPECT_FALSE(store.get(0, "w0-0", clock.now()));  // the oldest of worker 0's
  // Now worker 1 evicts its own oldest.
  StaleEntry f = entry("w1", clock.now());
  store.put(1, "w1-1", f);
  EXPECT_EQ(store.size(), 4u);
  EXPECT_FALSE(store.get(1, "w1-0", clock.now()));
  EXPECT_TRUE(store.get(0, "w0-1", clock.now()));
}

TEST(StaleStoreTest, ExpiredEntriesLeaveTheCount) {
  ManualClock clock;
  StaleStore store(4, seconds(60));
  StaleEntry e = entry("x", clock.now());
  store.put(3, "k", e);
  clock.advance(seconds(60));
  EXPECT_FALSE(store.get(0, "k", clock.now()));  // found expired in worker 3's shard
  EXPECT_EQ(store.size(), 0u);
}

TEST(StaleStoreTest, ThreadsGetShardsOfTheirOwn) {
  const size_t here = StaleStore::threadShard();
  EXPECT_EQ(StaleStore::threadShard(), here);
  size_t there = here;
  std::thread([&] { there = StaleStore::threadShard(); }).join();
  EXPECT_NE(there, here);
}

// Workers storing at once, each into its own shard, never take the store past max_entries
// once they are done, and every worker's last copy of its own key is found.
TEST(StaleStoreTest, ConcurrentWorkersKeepTheTotal) {
  ManualClock clock;
  StaleStore store(50, seconds(60));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        StaleEntry e = entry(std::to_string(i), clock.now());
        store.put(static_cast<size_t>(t), "t" + std::to_string(t) + "-" + std::to_string(i % 200),
                  e);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_LE(store.size(), 50u);
  EXPECT_GT(store.size(), 0u);
  size_t found = 0;
  for (int t = 0; t < 4; ++t) {
    for (int k = 0; k < 200; ++k) {
      found += store.get(static_cast<size_t>(t), "t" + std::to_string(t) + "-" + std::to_string(k),
                         clock.now())
                   ? 1
                   : 0;
    }
  }
  EXPECT_EQ(found, store.size());  // every counted entry is there to be found
}

}  // namespace
}  // namespace outrigger::policy
