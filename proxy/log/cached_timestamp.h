#pragma once
// formatTimestamp for a stream of times that mostly share their second, as access log lines
// do: the date and time of day are formatted once per second, and each call after that only
// writes the milliseconds. Not thread-safe: one per thread.

#include <cstdint>
#include <limits>

#include "proxy/log/timestamp.h"

namespace outrigger::log {

class CachedTimestamp {
 public:
  // Writes exactly what formatTimestamp(unix_micros, out) writes.
  void format(int64_t unix_micros, char* out);

 private:
  int64_t second_ = std::numeric_limits<int64_t>::min();  // the second text_ is for
  char text_[kTimestampLength] = {};
};

}  // namespace outrigger::log
