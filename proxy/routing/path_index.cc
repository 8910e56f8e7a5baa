#include "proxy/routing/path_index.h"

#include <algorithm>

namespace outrigger::routing {

std::string_view PathIndex::segmentOf(std::string_view path) {
  if (!path.starts_with('/')) return {};
  size_t end = 1;  // a plain loop: find_first_of calls memchr once per character
  while (end < path.size() && path[end] != '/' && path[end] != '?') ++end;
  return path.substr(1, end - 1);
}

uint64_t PathIndex::keyBit(std::string_view segment) {
  // Keys are never empty; an empty segment gets bit 0 like any other, and finds no bucket.
  if (segment.empty()) return 1;
  const auto first = static_cast<unsigned char>(segment.front());
  const auto last = static_cast<unsigned char>(segment.back());
  return uint64_t{1} << ((first * 31u + last * 7u + segment.size()) % 64);
}

std::string_view PathIndex::keyOf(const config::RouteConfig& route) {
  if (!route.path_exact.empty()) return segmentOf(route.path_exact);
  std::string_view prefix = route.path_prefix;
  // Under the segment-boundary rule a prefix pins its first segment when that segment is
  // complete in it: "/v1/..." or "/v1/" ("/" then the segment's end), or "/v1" on its own
  // (the path must go on with '/', '?' or nothing). A '?' in it is left unindexed.
  if (!prefix.starts_with('/') || prefix.find('?') != std::string_view::npos) return {};
  prefix.remove_prefix(1);
  return prefix.substr(0, prefix.find('/'));
}

PathIndex::PathIndex(const Routes& routes) {
  std::vector<std::string_view> keys;
  for (const config::RouteConfig* route : routes) {
    const std::string_view key = keyOf(*route);
    if (key.empty()) unkeyed_.push_back(route);
    else keys.push_back(key);
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  buckets_.reserve(keys.size());
  for (std::string_view key : keys) {
    Bucket bucket{key, {}};
    for (const config::RouteConfig* route : routes) {
      const std::string_view k = keyOf(*route);
      if (k.empty() || k == key) bucket.routes.push_back(route);
    }
    buckets_.push_back(std::move(bucket));
    key_bits_ |= keyBit(key);
  }
}

const PathIndex::Routes& PathIndex::candidates(std::string_view path) const {
  if (buckets_.empty()) return unkeyed_;
  const std::string_view segment = segmentOf(path);
  if ((key_bits_ & keyBit(segment)) == 0) return unkeyed_;
  auto bucket = std::lower_bound(buckets_.begin(), buckets_.end(), segment,
                                 [](const Bucket& b, std::string_view s) { return b.key < s; });
  if (bucket != buckets_.end() && bucket->key == segment) return bucket->routes;
  return unkeyed_;
}

}  // namespace outrigger::routing
