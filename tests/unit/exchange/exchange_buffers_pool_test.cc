// The worker's pool of exchange buffers: a set given back is the next one lent, with its
// capacity, and the pool keeps no more than a bounded number after a burst.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "proxy/exchange/exchange_buffers.h"

namespace outrigger::exchange {
namespace {

TEST(ExchangeBuffersPoolTest, AnEmptyPoolMakesANewSet) {
  ExchangeBuffersPool pool;
  EXPECT_NE(pool.acquire(), nullptr);
  EXPECT_EQ(pool.freeCount(), 0u);
}

TEST(ExchangeBuffersPoolTest, ASetGivenBackIsLentAgainWithItsCapacity) {
  ExchangeBuffersPool pool;
  std::unique_ptr<ExchangeBuffers> first = pool.acquire();
  first->request.headers.add("X-Long", std::string(500, 'v'));
  const size_t held = first->request.headers.capacityBytes();
  ExchangeBuffers* const address = first.get();
  pool.release(std::move(first));
  EXPECT_EQ(pool.freeCount(), 1u);

  std::unique_ptr<ExchangeBuffers> again = pool.acquire();
  EXPECT_EQ(again.get(), address);
  EXPECT_EQ(again->request.headers.capacityBytes(), held);
  EXPECT_EQ(pool.freeCount(), 0u);
}

TEST(ExchangeBuffersPoolTest, KeepsAtMostABoundedNumberAfterABurst) {
  ExchangeBuffersPool pool;
  std::vector<std::unique_ptr<ExchangeBuffers>> burst;
  for (int i = 0; i < 300; ++i) burst.push_back(pool.acquire());
  for (auto& buffers : burst) pool.release(std::move(buffers));
  EXPECT_EQ(pool.freeCount(), 256u);
}

}  // namespace
}  // namespace outrigger::exchange
