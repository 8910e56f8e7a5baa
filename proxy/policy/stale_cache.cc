#include "proxy/policy/stale_cache.h"

#include <algorithm>
#include <cctype>

namespace outrigger::policy {
namespace {

bool containsToken(std::string_view value, std::string_view token) {
  std::string lower(value);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  size_t pos = 0;
  while ((pos = lower.find(token, pos)) != std::string::npos) {
    const bool start = pos == 0 || lower[pos - 1] == ',' || lower[pos - 1] == ' ';
    const size_t end = pos + token.size();
    const bool stop =
        end == lower.size() || lower[end] == ',' || lower[end] == ' ' || lower[end] == '=';
    if (start && stop) return true;
    pos = end;
  }
  return false;
}

}  // namespace

StaleCache::StaleCache(size_t max_entries, Duration ttl)
    : max_entries_(std::max<size_t>(1, max_entries)), ttl_(ttl) {}

void StaleCache::put(const std::string& key, StaleEntry& entry) {
  auto found = index_.find(key);
  if (found != index_.end()) {
    // Replaced in place: the key and its nodes stay, and the old copy goes back to the caller.
    lru_.splice(lru_.begin(), lru_, found->second);
    found->second->second.swap(entry);
    return;
  }
  lru_.emplace_front(key, StaleEntry{});
  lru_.front().second.swap(entry);
  index_.emplace(key, lru_.begin());
  while (index_.size() > max_entries_) {
    index_.erase(lru_.back().first);
    entry.swap(lru_.back().second);
    lru_.pop_back();
  }
}

std::optional<StaleEntry> StaleCache::get(const std::string& key, MonoTime now) {
  auto found = index_.find(key);
  if (found == index_.end()) return std::nullopt;
  auto item = found->second;
  if (now - item->second.stored >= ttl_) {
    lru_.erase(item);
    index_.erase(found);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, item);
  return item->second;
}

bool StaleCache::evictOldest(StaleEntry& out) {
  if (lru_.empty()) return false;
  index_.erase(lru_.back().first);
  out.swap(lru_.back().second);
  lru_.pop_back();
  return true;
}

void takeFirstHeaders(http::Headers& from, size_t count, http::Headers& to) {
  to.swap(from);
  to.truncate(count);
}

bool cacheControlSays(const http::Headers& headers, std::string_view directive) {
  for (const auto& h : headers) {
    if (http::equalsIgnoreCase(h.name, "cache-control") && containsToken(h.value, directive))
      return true;
  }
  return false;
}

bool isStaleCacheable(std::string_view method, const http::ResponseHead& head) {
  if (method != "GET" || head.status != 200) return false;
  return !cacheControlSays(head.headers, "no-store") && !cacheControlSays(head.headers, "private");
}

}  // namespace outrigger::policy
