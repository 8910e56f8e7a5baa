#include "proxy/routing/weighted_picker.h"

#include <algorithm>

namespace outrigger::routing {

WeightedPicker::WeightedPicker(std::span<const uint32_t> weights) {
  uint64_t sum = 0;
  cumulative_.reserve(weights.size());
  for (uint32_t w : weights) {
    sum += w;
    cumulative_.push_back(sum);
  }
}

size_t WeightedPicker::pick(Random& random) const {
  if (cumulative_.size() <= 1) return 0;
  return indexOf(random.below(total()));
}

size_t WeightedPicker::indexOf(uint64_t draw) const {
  // The first running sum above the draw: target i owns [cumulative[i-1], cumulative[i]).
  auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), draw);
  if (it == cumulative_.end()) return cumulative_.size() - 1;  // draw >= total: the last one
  return static_cast<size_t>(it - cumulative_.begin());
}

}  // namespace outrigger::routing
