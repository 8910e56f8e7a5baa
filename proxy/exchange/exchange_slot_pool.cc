#include "proxy/exchange/exchange_slot_pool.h"

#include <cstdio>
#include <cstdlib>

#include "proxy/exchange/exchange_slot.h"

namespace outrigger::exchange {

ExchangeSlotPool::ExchangeSlotPool() = default;
ExchangeSlotPool::~ExchangeSlotPool() = default;

std::unique_ptr<ExchangeSlot> ExchangeSlotPool::acquire() {
  if (free_.empty()) return std::make_unique<ExchangeSlot>();
  std::unique_ptr<ExchangeSlot> slot = std::move(free_.back());
  free_.pop_back();
  return slot;
}

void ExchangeSlotPool::release(std::unique_ptr<ExchangeSlot> slot) {
  if (slot->exchange) {
    std::fprintf(stderr, "ExchangeSlotPool::release: the slot still holds an exchange\n");
    std::abort();
  }
  if (free_.size() >= kMaxFree) return;
  free_.push_back(std::move(slot));
}

}  // namespace outrigger::exchange
