#include "proxy/http2/send_queue.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace outrigger::http2 {

bool SendQueue::append(std::string_view chunk) {
  if (ended_) return false;
  if (offset_ == bytes_.size()) {
    bytes_.clear();
    offset_ = 0;
  }
  bytes_.append(chunk);
  return true;
}

bool SendQueue::end() {
  if (ended_) return false;
  ended_ = true;
  return true;
}

bool SendQueue::endWithTrailers(http::Headers trailers) {
  if (!end()) return false;
  trailers_ = std::move(trailers);
  has_trailers_ = !trailers_.empty();
  return true;
}

size_t SendQueue::take(char* out, size_t room) {
  const size_t n = std::min(room, pending());
  std::memcpy(out, bytes_.data() + offset_, n);
  offset_ += n;
  // Keep the buffer from growing without bound while it is never fully drained.
  if (offset_ == bytes_.size()) {
    bytes_.clear();
    offset_ = 0;
  } else if (offset_ > 64 * 1024 && offset_ * 2 > bytes_.size()) {
    bytes_.erase(0, offset_);
    offset_ = 0;
  }
  return n;
}

void SendQueue::reset() {
  bytes_.clear();
  offset_ = 0;
  ended_ = false;
  has_trailers_ = false;
  trailers_.clear();
  deferred = false;
  blocked_reported = false;
}

}  // namespace outrigger::http2
