#pragma once
// What an exchange would otherwise allocate anew for every request. Lent to a connection,
// with the exchange itself, by the worker's ExchangeSlotPool.

#include <optional>
#include <string>

#include "proxy/http/message.h"
#include "proxy/http/parser.h"

namespace outrigger::exchange {

struct ExchangeBuffers {
  // The head the request parser fills, lent to it while a request arrives; the owner swaps
  // it with `request` when the head is complete, so both keep their capacity.
  http::RequestHead parse_head;
  http::RequestHead request;  // the exchange's request
  std::string request_id;
  std::optional<http::ResponseParser> response_parser;  // made by the first attempt
};

}  // namespace outrigger::exchange
