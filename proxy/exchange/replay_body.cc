#include "proxy/exchange/replay_body.h"

namespace outrigger::exchange {

void ReplayBody::reset(bool has_body, bool keep, uint64_t limit) {
  clear();
  total_bytes_ = 0;
  keep_ = has_body && keep;
  limit_ = limit;
  replayable_ = !has_body || keep_;
}

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

void ReplayBody::sentAll() {
  if (!keep_) clear();
}

void ReplayBody::clear() {
  pieces_.clear();
  held_bytes_ = 0;
}

}  // namespace outrigger::exchange
