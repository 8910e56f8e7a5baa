#pragma once
// The stale copies of one upstream (fallback.stale_if_error), shared by all workers without a
// lock shared between them on the store path: each worker stores into a shard of its own (a
// StaleCache behind a lock only that worker takes to store), and a lookup, which happens
// only when a request has already failed, tries the worker's own shard first and then the
// others, under their locks. max_entries holds for all shards together.

#include <array>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

#include "proxy/common/clock.h"
#include "proxy/policy/stale_cache.h"

namespace outrigger::policy {

class StaleStore {
 public:
  // More workers than this share shards, two or more to one.
  static constexpr size_t kShards = 16;

  StaleStore(size_t max_entries, Duration ttl);

  // The calling thread's shard: threads are numbered in the order they first ask.
  static size_t threadShard();

  // StaleCache::put into shard `shard` (taken modulo kShards). A new key that takes the store
  // over max_entries evicts the least recently used entry of the same shard; if the shard
  // holds nothing else (other workers' shards hold the rest), it evicts from another shard
  // whose lock is free at once, and if none is, the new entry itself goes.
  void put(size_t shard, const std::string& key, StaleEntry& entry);
  // The entry of shard `shard` if it has a live one, else of the first other shard that has.
  std::optional<StaleEntry> get(size_t shard, const std::string& key, MonoTime now);
  // Entries in all shards; a key stored by two workers counts twice.
  size_t size() const { return total_.load(std::memory_order_relaxed); }

 private:
  struct Shard {
    Shard(size_t max_entries, Duration ttl) : cache(max_entries, ttl) {}
    std::mutex mutex;
    StaleCache cache;
  };
  // Under `shard`'s lock: looks `key` up there, keeping total_ in step with an expired drop.
  std::optional<StaleEntry> getLocked(Shard& shard, const std::string& key, MonoTime now);
  bool evictFromAnother(size_t mine);

  const size_t max_entries_;
  std::array<std::optional<Shard>, kShards> shards_;
  std::atomic<size_t> total_{0};
};

}  // namespace outrigger::policy
