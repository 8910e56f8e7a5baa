#pragma once
// The pure parts of stale copies shared through Redis (fallback.stale_if_error.store: redis):
// the hashed key a copy is kept under, which copies may be shared at all, a copy as the bytes
// stored and back, and how often one replica rewrites a key (RewriteThrottle).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "proxy/common/clock.h"
#include "proxy/http/message.h"
#include "proxy/policy/stale_cache.h"

namespace outrigger::policy {

// `prefix` + "{upstream}:stale:" + 16 hex digits of a 64-bit FNV-1a hash of the request key
// (staleKey: Host and target). No URL or query ends up in a Redis key; the hash tag keeps an
// upstream's keys on one Redis Cluster slot, as its rate limit's are.
std::string sharedStaleKey(std::string_view prefix, std::string_view upstream,
                           std::string_view request_key);

// Whether a copy may be shared with the fleet, on top of isStaleCacheable: never for a
// request that carried Authorization or a response that sets a cookie, unless the response
// says Cache-Control: public.
bool maySharedKeep(bool request_had_authorization, const http::Headers& response_headers);

// A copy as stored in Redis: its request key (checked on the way back, so a hash collision
// is a miss, never another URL's page), its status, when it was stored (wall clock, ms since
// the epoch), its headers and its body, each length-prefixed.
void encodeSharedCopy(std::string_view request_key, const StaleEntry& copy, int64_t stored_wall_ms,
                      std::string& out);

struct SharedCopy {
  StaleEntry entry;  // `stored` is left unset: the copy came from another process
  int64_t stored_wall_ms = 0;
};
// nullopt for bytes that are not a copy of `request_key`.
std::optional<SharedCopy> decodeSharedCopy(std::string_view bytes, std::string_view request_key);

// Decides whether a key is due to be written again: at most once per `interval` (ttl / 4)
// per key. Remembers at most `max_keys` keys; past that it forgets those whose interval has
// passed, and if none has, everything (a few extra writes, never unbounded memory). Pure
// and not thread-safe.
class RewriteThrottle {
 public:
  RewriteThrottle(Duration interval, size_t max_keys);
  // True (and the write is counted as done now) if `key` was not written within interval.
  bool due(const std::string& key, MonoTime now);
  size_t size() const { return last_.size(); }

 private:
  Duration interval_;
  size_t max_keys_;
  std::unordered_map<std::string, MonoTime> last_;
};

}  // namespace outrigger::policy
