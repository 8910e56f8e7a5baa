#include "proxy/log/cached_timestamp.h"

#include <cstring>

namespace outrigger::log {
namespace {

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr size_t kMillisOffset = 20;  // "YYYY-MM-DDTHH:MM:SS." then "mmmZ"

}  // namespace

void CachedTimestamp::format(int64_t unix_micros, char* out) {
  // Floor, as formatTimestamp does, so that instants before 1970 land in the right second.
  int64_t second = unix_micros / kMicrosPerSecond;
  int64_t micros = unix_micros % kMicrosPerSecond;
  if (micros < 0) {
    second -= 1;
    micros += kMicrosPerSecond;
  }
  if (second != second_) {
    formatTimestamp(unix_micros, text_);
    second_ = second;
  }
  const int64_t millis = micros / 1000;
  std::memcpy(out, text_, kMillisOffset);
  out[kMillisOffset] = static_cast<char>('0' + millis / 100);
  out[kMillisOffset + 1] = static_cast<char>('0' + millis / 10 % 10);
  out[kMillisOffset + 2] = static_cast<char>('0' + millis % 10);
  out[kMillisOffset + 3] = 'Z';
}

}  // namespace outrigger::log
