#pragma once
// One counter of a sliding window that is a ring of time slices (the retry budget's and the
// circuit breaker's): the count of one slice, packed with that slice's number in one atomic
// word, so that restarting the counter for a newer slice and counting in it are one
// compare-and-swap. Any thread may count without a lock.
//
// The slice number is kept modulo 2^32, so a word is misread only after it went untouched
// for nearly 2^32 slices (the windows that use it are at least 1 s, in slices of at least
// 100 ms: 13 years).

#include <atomic>
#include <cstdint>

namespace outrigger::policy {

class SliceCount {
 public:
  // Counts one event in slice `slice`. A word still holding an older slice restarts at 1;
  // one that another thread already moved to a newer slice keeps it and counts there (the
  // event counts a moment late, as a slightly stale `now` does).
  void increment(int64_t slice) {
    uint64_t word = word_.load();
    while (!word_.compare_exchange_weak(word, next(word, slice))) {
    }
  }

  // For a conditional increment: read the word, check countAt(word, slice), then
  // tryIncrement(word, slice), which fails (and rereads `word`) if it changed meanwhile.
  uint64_t load() const { return word_.load(); }
  static uint32_t countAt(uint64_t word, int64_t slice) {
    return holdsOlder(word, slice) ? 0 : countOf(word);
  }
  bool tryIncrement(uint64_t& word, int64_t slice) {
    return word_.compare_exchange_weak(word, next(word, slice));
  }

  // The count if the word holds one of the `span` slices that end at `newest`, else 0.
  uint32_t countWithin(int64_t newest, uint32_t span) const {
    const uint64_t word = word_.load();
    const uint32_t age = static_cast<uint32_t>(newest) - sliceOf(word);
    return age < span ? countOf(word) : 0;
  }

  void reset() { word_.store(0); }

 private:
  static uint32_t sliceOf(uint64_t word) { return static_cast<uint32_t>(word >> 32); }
  static uint32_t countOf(uint64_t word) { return static_cast<uint32_t>(word); }
  static uint64_t pack(uint32_t slice, uint32_t count) {
    return (static_cast<uint64_t>(slice) << 32) | count;
  }
  // Neither the same slice nor a newer one (a caller with a later `now` moved the word on
  // while this one was between reading the newest slice and counting): the count is past.
  static bool holdsOlder(uint64_t word, int64_t slice) {
    const uint32_t ahead = sliceOf(word) - static_cast<uint32_t>(slice);
    return ahead >= kNewerBound;
  }
  static uint64_t next(uint64_t word, int64_t slice) {
    if (holdsOlder(word, slice)) return pack(static_cast<uint32_t>(slice), 1);
    const uint32_t count = countOf(word);
    return count == UINT32_MAX ? word : word + 1;  // saturates rather than spill
  }

  static constexpr uint32_t kNewerBound = uint32_t{1} << 20;
  std::atomic<uint64_t> word_{0};
};

}  // namespace outrigger::policy
