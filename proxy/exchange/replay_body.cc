#include "proxy/exchange/replay_body.h"

namespace outrigger::exchange {

void ReplayBody::add(std::string_view piece, bool sent) {
  total_bytes_ += piece.size();
  if (keep_ && total_bytes_ > limit_) {
    // Too large to keep for a retry: it is sent once (retry.max_body_bytes).
    keep_ = false;
    replayable_ = false;
    if (sent) clear();  // everything held was sent already
  }
  if (sent && !keep_) return;
  pieces_.emplace_back(piece);
  held_bytes_ += piece.size();
}

}  // namespace outrigger::exchange
