#include "proxy/policy/stale_entry_pool.h"

#include <gtest/gtest.h>

#include <string>

namespace outrigger::policy {
namespace {

StaleEntry filled(size_t body_bytes) {
  StaleEntry e;
  e.status = 203;
  e.headers = {{"Content-Type", "text/plain"}};
  e.body.assign(body_bytes, 'x');
  e.stored = seconds(5);
  return e;
}

TEST(StaleEntryPoolTest, EmptyPoolGivesAFreshEntry) {
  StaleEntryPool pool;
  StaleEntry e = pool.take();
  EXPECT_EQ(e.status, 200);
  EXPECT_TRUE(e.headers.empty());
  EXPECT_TRUE(e.body.empty());
}

TEST(StaleEntryPoolTest, TakeReusesAGivenEntrysBuffers) {
  StaleEntryPool pool;
  StaleEntry given = filled(1000);
  const char* body_buffer = given.body.data();
  pool.give(std::move(given));
  EXPECT_EQ(pool.spares(), 1u);
  StaleEntry e = pool.take();
  EXPECT_EQ(pool.spares(), 0u);
  EXPECT_EQ(e.status, 200);
  EXPECT_TRUE(e.body.empty());
  EXPECT_EQ(e.stored, MonoTime{});
  EXPECT_EQ(e.body.data(), body_buffer);  // the same allocation, cleared
  EXPECT_GE(e.body.capacity(), 1000u);
  EXPECT_EQ(e.headers.size(), 1u);  // left for takeHeadersExcept to hand on
}

TEST(StaleEntryPoolTest, EntryWithoutBuffersIsNotKept) {
  StaleEntryPool pool;
  pool.give(StaleEntry{});
  EXPECT_EQ(pool.spares(), 0u);
}

TEST(StaleEntryPoolTest, KeepsAtMostMaxSpares) {
  StaleEntryPool pool;
  for (size_t i = 0; i < StaleEntryPool::kMaxSpares + 3; ++i) pool.give(filled(100));
  EXPECT_EQ(pool.spares(), StaleEntryPool::kMaxSpares);
}

TEST(StaleEntryPoolTest, LargeBodyBufferIsLetGoButHeadersAreKept) {
  StaleEntryPool pool;
  pool.give(filled(StaleEntryPool::kMaxSpareBodyBytes + 1));
  ASSERT_EQ(pool.spares(), 1u);
  StaleEntry e = pool.take();
  EXPECT_LE(e.body.capacity(), StaleEntryPool::kMaxSpareBodyBytes);
  EXPECT_EQ(e.headers.size(), 1u);
}

}  // namespace
}  // namespace outrigger::policy
