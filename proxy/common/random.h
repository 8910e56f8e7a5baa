#pragma once
// Randomness as an injected source (CONVENTIONS §5), so jitter and load balancing are
// deterministic in tests.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace outrigger {

class Random {
 public:
  virtual ~Random() = default;
  virtual uint64_t next() = 0;
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n). n must be > 0.
  uint64_t below(uint64_t n) { return next() % n; }
};

// xoshiro256** seeded from splitmix64: fast, good enough for jitter and picking endpoints.
class FastRandom final : public Random {
 public:
  explicit FastRandom(uint64_t seed);
  uint64_t next() override;

 private:
  uint64_t s_[4];
};

// Returns the given values in order, cycling. For tests.
class SequenceRandom final : public Random {
 public:
  explicit SequenceRandom(std::vector<uint64_t> values) : values_(std::move(values)) {}
  uint64_t next() override { return values_[i_++ % values_.size()]; }

 private:
  std::vector<uint64_t> values_;
  size_t i_ = 0;
};

// A seed that differs between processes and threads.
uint64_t entropySeed();

}  // namespace outrigger
