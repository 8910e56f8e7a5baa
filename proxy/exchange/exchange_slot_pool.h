#pragma once
// The per-worker pool of exchange slots (an Exchange's room and its buffers): a connection
// borrows one when a request begins and gives it back once idle again, so an idle keep-alive
// connection holds neither, and a busy worker reuses the same few without allocating.
// ExchangeSlot is only declared here: the worker context holds the pool, and Exchange
// itself needs the worker context.

#include <cstddef>
#include <memory>
#include <vector>

namespace outrigger::exchange {

struct ExchangeSlot;  // exchange_slot.h

class ExchangeSlotPool {
 public:
  ExchangeSlotPool();
  ~ExchangeSlotPool();
  ExchangeSlotPool(const ExchangeSlotPool&) = delete;
  ExchangeSlotPool& operator=(const ExchangeSlotPool&) = delete;

  // A slot from the pool, or a new one when it is empty. It holds no exchange.
  std::unique_ptr<ExchangeSlot> acquire();
  // Takes a slot back (its exchange already destroyed) for the next request; beyond
  // kMaxFree (after a burst of concurrent requests) it is freed instead, so the pool does
  // not keep a burst's memory for ever.
  void release(std::unique_ptr<ExchangeSlot> slot);
  size_t freeCount() const { return free_.size(); }

  static constexpr size_t kMaxFree = 256;

 private:
  std::vector<std::unique_ptr<ExchangeSlot>> free_;
};

}  // namespace outrigger::exchange
