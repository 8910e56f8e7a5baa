#pragma once
// Picks one of a route's split targets by weight (issue 20, item 4): a pure function of the
// weights and one draw from the worker's Random, so tests decide the draw. Built once per
// config generation; pick() allocates nothing.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "proxy/common/random.h"

namespace outrigger::routing {

class WeightedPicker {
 public:
  // `weights` sum above 0 (the loader checks it); a zero weight is never picked.
  explicit WeightedPicker(std::span<const uint32_t> weights);

  // The index of the target for one request. With one target it draws nothing, so a route
  // without a split leaves the random sequence alone.
  size_t pick(Random& random) const;
  // The index a draw in [0, total()) lands on.
  size_t indexOf(uint64_t draw) const;
  uint64_t total() const { return cumulative_.empty() ? 0 : cumulative_.back(); }
  size_t size() const { return cumulative_.size(); }

 private:
  std::vector<uint64_t> cumulative_;  // running sums of the weights
};

}  // namespace outrigger::routing
