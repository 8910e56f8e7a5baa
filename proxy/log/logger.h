#pragma once
// The operational log: one line per event on stderr,
// "2026-11-22T22:10:00.123Z info <message>". Safe from any thread: each line is a single
// write(2), so lines from different threads never interleave.

#include <string_view>

#include "proxy/config/schema.h"

namespace outrigger::log {

void setLogLevel(config::LogLevel level);
bool logEnabled(config::LogLevel level);
std::string_view levelName(config::LogLevel level);  // "debug", "info", "warn", "error"

// printf-style. Lines over ~4 KiB are cut and end in "..."; newlines in the message become
// spaces so that one event is always one line.
void logf(config::LogLevel level, const char* format, ...) __attribute__((format(printf, 2, 3)));

// Where lines go; STDERR_FILENO unless a test redirects it. Returns the previous fd.
int setLogFd(int fd);

}  // namespace outrigger::log
