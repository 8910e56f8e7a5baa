#pragma once
// What an exchange would otherwise allocate anew for every request, and the per-worker pool
// that lends it: a connection borrows one set when a request begins and gives it back once
// it is idle again, so an idle keep-alive connection holds no head storage at all, and a
// busy worker reuses the same few sets without allocating.

#include <memory>
#include <optional>
#include <string>
#include <vector>

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

class ExchangeBuffersPool {
 public:
  // A set from the pool, or a new one when it is empty.
  std::unique_ptr<ExchangeBuffers> acquire() {
    if (free_.empty()) return std::make_unique<ExchangeBuffers>();
    std::unique_ptr<ExchangeBuffers> buffers = std::move(free_.back());
    free_.pop_back();
    return buffers;
  }

  // Takes a set back for the next request; beyond kMaxFree (after a burst of concurrent
  // requests) it is freed instead, so the pool does not keep a burst's memory for ever.
  void release(std::unique_ptr<ExchangeBuffers> buffers) {
    if (free_.size() >= kMaxFree) return;
    free_.push_back(std::move(buffers));
  }

  size_t freeCount() const { return free_.size(); }

 private:
  static constexpr size_t kMaxFree = 256;
  std::vector<std::unique_ptr<ExchangeBuffers>> free_;
};

}  // namespace outrigger::exchange
