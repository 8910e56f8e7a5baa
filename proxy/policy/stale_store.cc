#include "proxy/policy/stale_store.h"

#include <algorithm>

namespace outrigger::policy {

StaleStore::StaleStore(size_t max_entries, Duration ttl)
    : max_entries_(std::max<size_t>(1, max_entries)) {
  // Each shard alone may hold max_entries: with one worker it is the whole store, and
  // evicts by its own LRU exactly as a single cache would.
  for (auto& shard : shards_) shard.emplace(max_entries_, ttl);
}

size_t StaleStore::threadShard() {
  static std::atomic<size_t> next{0};
  thread_local const size_t mine = next.fetch_add(1, std::memory_order_relaxed);
  return mine;
}

void StaleStore::put(size_t shard, const std::string& key, StaleEntry& entry) {
  const size_t mine = shard % kShards;
  Shard& own = *shards_[mine];
  std::lock_guard<std::mutex> lock(own.mutex);
  const size_t before = own.cache.size();
  own.cache.put(key, entry);  // a full shard evicts its own oldest: the total stays
  if (own.cache.size() == before) return;
  // A new key; `entry` holds nothing (StaleCache::put), so it can take an evicted entry.
  if (total_.fetch_add(1) + 1 <= max_entries_) return;
  // Over the total: the oldest entry of this shard goes, or one of another shard's.
  if (own.cache.size() == 1 && evictFromAnother(mine)) return;
  own.cache.evictOldest(entry);  // with nothing else here, that is the new entry itself
  total_.fetch_sub(1);
}

bool StaleStore::evictFromAnother(size_t mine) {
  // The rare path, while shards rebalance: never waits for another worker's lock.
  for (size_t step = 1; step < kShards; ++step) {
    Shard& other = *shards_[(mine + step) % kShards];
    std::unique_lock<std::mutex> lock(other.mutex, std::try_to_lock);
    if (!lock.owns_lock()) continue;
    StaleEntry evicted;
    if (other.cache.evictOldest(evicted)) {
      total_.fetch_sub(1);
      return true;
    }
  }
  return false;
}

std::optional<StaleEntry> StaleStore::getLocked(Shard& shard, const std::string& key,
                                                MonoTime now) {
  const size_t before = shard.cache.size();
  std::optional<StaleEntry> found = shard.cache.get(key, now);
  if (shard.cache.size() < before) total_.fetch_sub(1);  // it had expired
  return found;
}

std::optional<StaleEntry> StaleStore::get(size_t shard, const std::string& key, MonoTime now) {
  const size_t mine = shard % kShards;
  {
    Shard& own = *shards_[mine];
    std::lock_guard<std::mutex> lock(own.mutex);
    if (auto found = getLocked(own, key, now)) return found;
  }
  // The request has failed already: waiting on another worker's lock is acceptable here.
  for (size_t step = 1; step < kShards; ++step) {
    Shard& other = *shards_[(mine + step) % kShards];
    std::lock_guard<std::mutex> lock(other.mutex);
    if (auto found = getLocked(other, key, now)) return found;
  }
  return std::nullopt;
}

}  // namespace outrigger::policy
