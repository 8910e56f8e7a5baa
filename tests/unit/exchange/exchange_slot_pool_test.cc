// The worker's pool of exchange slots: a slot given back is the next one lent, with its
// buffers' capacity, and the pool keeps no more than a bounded number after a burst.
#include "proxy/exchange/exchange_slot_pool.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "proxy/exchange/exchange_slot.h"

namespace outrigger::exchange {
namespace {

TEST(ExchangeSlotPoolTest, AnEmptyPoolMakesANewSlot) {
  ExchangeSlotPool pool;
  std::unique_ptr<ExchangeSlot> slot = pool.acquire();
  ASSERT_NE(slot, nullptr);
  EXPECT_FALSE(slot->exchange.has_value());
  EXPECT_EQ(pool.freeCount(), 0u);
}

TEST(ExchangeSlotPoolTest, ASlotGivenBackIsLentAgainWithItsCapacity) {
  ExchangeSlotPool pool;
  std::unique_ptr<ExchangeSlot> first = pool.acquire();
  first->buffers.request.headers.add("X-Long", std::string(500, 'v'));
  const size_t held = first->buffers.request.headers.capacityBytes();
  ExchangeSlot* const address = first.get();
  pool.release(std::move(first));
  EXPECT_EQ(pool.freeCount(), 1u);

  std::unique_ptr<ExchangeSlot> again = pool.acquire();
  EXPECT_EQ(again.get(), address);
  EXPECT_EQ(again->buffers.request.headers.capacityBytes(), held);
  EXPECT_EQ(pool.freeCount(), 0u);
}

TEST(ExchangeSlotPoolTest, KeepsAtMostABoundedNumberAfterABurst) {
  ExchangeSlotPool pool;
  std::vector<std::unique_ptr<ExchangeSlot>> burst;
  for (size_t i = 0; i < ExchangeSlotPool::kMaxFree + 44; ++i) burst.push_back(pool.acquire());
  for (auto& slot : burst) pool.release(std::move(slot));
  EXPECT_EQ(pool.freeCount(), ExchangeSlotPool::kMaxFree);
}

}  // namespace
}  // namespace outrigger::exchange
