#pragma once
// Room for one request's Exchange and the buffers it reuses, lent to a connection by the
// worker's ExchangeSlotPool while it has a request.

#include <optional>

#include "proxy/exchange/exchange.h"
#include "proxy/exchange/exchange_buffers.h"

namespace outrigger::exchange {

struct ExchangeSlot {
  ExchangeBuffers buffers;
  // Constructed in place for each request, destroyed before the slot goes back.
  std::optional<Exchange> exchange;
};

}  // namespace outrigger::exchange
