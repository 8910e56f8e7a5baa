#include "proxy/policy/stale_body_pool.h"

namespace outrigger::policy {

void StaleBodyPool::lend(std::string& body) {
  if (spares_.empty()) return;
  body.swap(spares_.back());
  spares_.pop_back();
  body.clear();
}

void StaleBodyPool::keep(std::string& body) {
  // Only a heap buffer is worth keeping; a short string lives inside the object.
  const bool worth_keeping =
      body.capacity() > std::string().capacity() && body.capacity() <= kMaxSpareBytes;
  if (worth_keeping && spares_.size() < kMaxSpares) {
    spares_.emplace_back();
    spares_.back().swap(body);
  }
  body.clear();
}

}  // namespace outrigger::policy
