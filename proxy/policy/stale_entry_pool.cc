#include "proxy/policy/stale_entry_pool.h"

#include <utility>

namespace outrigger::policy {

StaleEntry StaleEntryPool::take() {
  if (spares_.empty()) return {};
  StaleEntry entry = std::move(spares_.back());
  spares_.pop_back();
  entry.status = 200;
  entry.body.clear();
  entry.stored = MonoTime{};
  return entry;
}

void StaleEntryPool::give(StaleEntry entry) {
  if (spares_.size() >= kMaxSpares) return;
  const bool has_buffers =
      entry.headers.capacity() > 0 || entry.body.capacity() > std::string().capacity();
  if (!has_buffers) return;
  // Swapped, not assigned: assigning a short string keeps the big buffer.
  if (entry.body.capacity() > kMaxSpareBodyBytes) std::string().swap(entry.body);
  spares_.push_back(std::move(entry));
}

}  // namespace outrigger::policy
