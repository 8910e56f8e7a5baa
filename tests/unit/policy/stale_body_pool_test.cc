#include "proxy/policy/stale_body_pool.h"

#include <gtest/gtest.h>

#include <string>

namespace outrigger::policy {
namespace {

TEST(StaleBodyPoolTest, EmptyPoolLendsNothing) {
  StaleBodyPool pool;
  std::string body = "as it was";
  pool.lend(body);
  EXPECT_EQ(body, "as it was");
}

TEST(StaleBodyPoolTest, LendsAKeptBufferEmptied) {
  StaleBodyPool pool;
  std::string kept(1000, 'x');
  const char* buffer = kept.data();
  pool.keep(kept);
  EXPECT_TRUE(kept.empty());
  EXPECT_EQ(pool.spares(), 1u);
  std::string body;
  pool.lend(body);
  EXPECT_EQ(pool.spares(), 0u);
  EXPECT_TRUE(body.empty());
  EXPECT_EQ(body.data(), buffer);  // the same allocation
  EXPECT_GE(body.capacity(), 1000u);
}

TEST(StaleBodyPoolTest, ShortStringIsNotKept) {
  StaleBodyPool pool;
  std::string body = "short";
  pool.keep(body);
  EXPECT_EQ(pool.spares(), 0u);
  EXPECT_TRUE(body.empty());
}

TEST(StaleBodyPoolTest, KeepsAtMostMaxSpares) {
  StaleBodyPool pool;
  for (size_t i = 0; i < StaleBodyPool::kMaxSpares + 3; ++i) {
    std::string body(100, 'x');
    pool.keep(body);
  }
  EXPECT_EQ(pool.spares(), StaleBodyPool::kMaxSpares);
}

TEST(StaleBodyPoolTest, LargeBufferIsLetGo) {
  StaleBodyPool pool;
  std::string body(StaleBodyPool::kMaxSpareBytes + 1, 'x');
  pool.keep(body);
  EXPECT_EQ(pool.spares(), 0u);
  EXPECT_TRUE(body.empty());
}

}  // namespace
}  // namespace outrigger::policy
