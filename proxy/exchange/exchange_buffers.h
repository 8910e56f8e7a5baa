#pragma once
// What an exchange would otherwise allocate anew for every request. Lent to a connection,
// with the exchange itself, by the worker's ExchangeSlotPool.

#include <string>

#include "proxy/http/message.h"
#include "proxy/policy/stale_cache.h"

namespace outrigger::exchange {

struct ExchangeBuffers {
  // The head the request parser fills, lent to it while a request arrives; the owner swaps
  // it with `request` when the head is complete, so both keep their capacity.
  http::RequestHead parse_head;
  http::RequestHead request;       // the exchange's request
  http::Headers request_trailers;  // the request's trailer fields, if it had any
  std::string request_id;
  std::string host;  // the request's Host, without port and lowercased
  // The response being kept as a stale copy, and after it is stored, the copy it displaced:
  // the next response's headers trade places with those, so neither store is allocated
  // again (its body's buffer comes from the worker's StaleBodyPool).
  policy::StaleEntry stale_copy;
};

}  // namespace outrigger::exchange
