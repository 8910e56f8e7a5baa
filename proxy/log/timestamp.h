#pragma once
// RFC 3339 UTC timestamps with milliseconds, as written in both logs.

#include <cstddef>
#include <cstdint>

namespace outrigger::log {

// "2026-11-22T22:10:00.123Z" is exactly this long, without a terminating NUL.
inline constexpr size_t kTimestampLength = 24;

// Writes the timestamp for `unix_micros` (microseconds since the Unix epoch, as from
// wallClockMicros()) into out[0..kTimestampLength). Truncates to the millisecond.
void formatTimestamp(int64_t unix_micros, char* out);

}  // namespace outrigger::log
