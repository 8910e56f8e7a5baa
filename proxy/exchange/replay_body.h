#pragma once
// The request body as the exchange holds it: the pieces that arrived before a connection
// was ready (they go out once it is), and, while a retry may still need them, every piece
// sent so far, up to retry.max_body_bytes (DESIGN §4: the only body that is ever buffered).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace outrigger::exchange {

class ReplayBody {
 public:
  // A new request. `keep`: hold every piece for another attempt, up to `limit` bytes in
  // all; past it the body is sent once and can no longer be replayed.
  void reset(bool has_body, bool keep, uint64_t limit) {
    clear();
    total_bytes_ = 0;
    keep_ = has_body && keep;
    limit_ = limit;
    replayable_ = !has_body || keep_;
  }

  // A piece from the app. `sent`: it went to a connected attempt already, and is held only
  // for a retry.
  void add(std::string_view piece, bool sent);
  // What a new connection must be sent, in order.
  const std::vector<std::string>& pieces() const { return pieces_; }
  // They were sent: forgotten unless held for a retry.
  void sentAll() {
    if (!keep_) clear();
  }

  // Every byte so far is held (or there is no body): another attempt can send it all.
  bool replayable() const { return replayable_; }
  uint64_t heldBytes() const { return held_bytes_; }
  uint64_t totalBytes() const { return total_bytes_; }

 private:
  void clear() {
    pieces_.clear();
    held_bytes_ = 0;
  }

  std::vector<std::string> pieces_;
  uint64_t held_bytes_ = 0;
  uint64_t total_bytes_ = 0;
  uint64_t limit_ = 0;
  bool keep_ = false;
  bool replayable_ = true;
};

}  // namespace outrigger::exchange
