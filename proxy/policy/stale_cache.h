#pragma once
// The last good response per request key, for `fallback.stale_if_error`: an LRU bounded by
// entry count, served only while younger than ttl. Pure and not thread-safe: StaleStore
// keeps one per worker, each behind a lock of its own.

#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/common/clock.h"
#include "proxy/http/message.h"

namespace outrigger::policy {

struct StaleEntry {
  int status = 200;
  http::Headers headers;  // with their own byte store, taken from the response
  std::string body;
  MonoTime stored{};

  // Member by member: cheaper than std::swap's three moves of the whole entry.
  void swap(StaleEntry& other) noexcept {
    std::swap(status, other.status);
    headers.swap(other.headers);
    body.swap(other.body);
    std::swap(stored, other.stored);
  }
};

class StaleCache {
 public:
  StaleCache(size_t max_entries, Duration ttl);
  // Stores or replaces; the least recently used entry goes when the cache is full. `entry` is
  // swapped in, and left holding the entry it displaced (the older copy under `key`, or the
  // one evicted) or nothing, so that the caller can reuse its buffers (StaleBodyPool).
  void put(const std::string& key, StaleEntry& entry);
  // A copy of the entry if it is younger than ttl; an expired one is dropped.
  std::optional<StaleEntry> get(const std::string& key, MonoTime now);
  // Removes the least recently used entry and swaps it into `out`; false when empty.
  bool evictOldest(StaleEntry& out);
  size_t size() const { return index_.size(); }

 private:
  using Item = std::pair<std::string, StaleEntry>;
  size_t max_entries_;
  Duration ttl_;
  std::list<Item> lru_;  // most recent first
  std::unordered_map<std::string, std::list<Item>::iterator> index_;
};

// Moves the first `count` headers of `from` into `to`, and what `to` held into `from`: a
// response's headers, byte store and all, become its stale copy's once the head has been
// sent and they are no longer needed. `from` gets the displaced copy's store, whose room
// the next response reuses. (The copy keeps the X-Request-ID it was sent with; serving it
// replaces that with the new request's.)
void takeFirstHeaders(http::Headers& from, size_t count, http::Headers& to);

// Whether a response may be kept as a stale copy: a 200 to GET, and Cache-Control does not
// say no-store or private.
bool isStaleCacheable(std::string_view method, const http::ResponseHead& head);

// Whether a Cache-Control field of `headers` holds `directive` (lowercase: "no-store").
bool cacheControlSays(const http::Headers& headers, std::string_view directive);

}  // namespace outrigger::policy
