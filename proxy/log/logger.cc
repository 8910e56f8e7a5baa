#include "proxy/log/logger.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "proxy/common/clock.h"
#include "proxy/log/timestamp.h"

namespace outrigger::log {
namespace {

std::atomic<int> g_level{static_cast<int>(config::LogLevel::kInfo)};
std::atomic<int> g_fd{STDERR_FILENO};

constexpr size_t kMaxLine = 4096;

void writeLine(const char* data, size_t size) {
  const int fd = g_fd.load(std::memory_order_relaxed);
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere left to report a failing log
    data += n;
    size -= static_cast<size_t>(n);
  }
}

}  // namespace

void setLogLevel(config::LogLevel level) {
  g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

bool logEnabled(config::LogLevel level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

std::string_view levelName(config::LogLevel level) {
  switch (level) {
    case config::LogLevel::kDebug:
      return "debug";
    case config::LogLevel::kInfo:
      return "info";
    case config::LogLevel::kWarn:
      return "warn";
    case config::LogLevel::kError:
      return "error";
  }
  return "unknown";
}

int setLogFd(int fd) { return g_fd.exchange(fd); }

void logf(config::LogLevel level, const char* format, ...) {
  if (!logEnabled(level)) return;
  char line[kMaxLine];
  formatTimestamp(wallClockMicros(), line);
  size_t used = kTimestampLength;
  line[used++] = ' ';
  const std::string_view name = levelName(level);
  std::memcpy(line + used, name.data(), name.size());
  used += name.size();
  line[used++] = ' ';

  // Leave room for "...\n" so a cut line still ends like every other.
  const size_t room = kMaxLine - used - 4;
  va_list args;
  va_start(args, format);
  const int wanted = std::vsnprintf(line + used, room + 1, format, args);
  va_end(args);
  const size_t message_end = used + (wanted < 0 ? 0 : std::min(static_cast<size_t>(wanted), room));
  for (size_t i = used; i < message_end; ++i) {
    if (line[i] == '\n' || line[i] == '\r') line[i] = ' ';
  }
  used = message_end;
  if (wanted > 0 && static_cast<size_t>(wanted) > room) {
    std::memcpy(line + used, "...", 3);
    used += 3;
  }
  line[used++] = '\n';
  writeLine(line, used);
}

}  // namespace outrigger::log
