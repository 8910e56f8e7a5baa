#pragma once
// Narrows one host group's routes to those that can match a path, by the path's first
// segment, so a large table costs about what a small one does (issue 20).
//
// A route whose path condition pins the first segment ("/v1/users", "/healthz", "/api/")
// is a candidate only for paths with that segment; any other route ("/", no path) is a
// candidate for every path. Each list keeps the group's order (most specific first), so
// the first route whose conditions hold is the same one a walk of the whole group finds.
// Lookup allocates nothing.

#include <cstdint>
#include <string_view>
#include <vector>

#include "proxy/config/schema.h"

namespace outrigger::routing {

class PathIndex {
 public:
  using Routes = std::vector<const config::RouteConfig*>;

  PathIndex() = default;
  // `routes` in the group's order, most specific first; the pointers must outlive the index.
  explicit PathIndex(const Routes& routes);

  // The routes that may match `path` (without the query), in the group's order.
  const Routes& candidates(std::string_view path) const;

  // The first segment a path condition pins, or empty if it pins none.
  static std::string_view keyOf(const config::RouteConfig& route);
  // A request path's first segment: after the leading '/', up to the next '/' or '?'.
  static std::string_view segmentOf(std::string_view path);

 private:
  struct Bucket {
    std::string_view key;  // points into a route's path, which outlives the index
    Routes routes;         // the keyed routes and every unkeyed one, in group order
  };
  // Which bit of key_bits_ a segment sets: a path whose segment's bit is clear skips the
  // binary search (most paths of a table that pins few segments).
  static uint64_t keyBit(std::string_view segment);

  std::vector<Bucket> buckets_;  // sorted by key, for binary search
  uint64_t key_bits_ = 0;        // keyBit() of every key
  Routes unkeyed_;               // for a path whose segment no route pins
};

}  // namespace outrigger::routing
