#include "proxy/log/access_log.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>

#include "proxy/log/logger.h"
#include "proxy/log/timestamp.h"

namespace outrigger::log {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not one. Rejects
// overlong forms, surrogates and code points above U+10FFFF (RFC 3629).
size_t utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  auto cont = [&](size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < s.size() && byte(k) >= lo && byte(k) <= hi;
  };
  const unsigned char c = byte(i);
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = c == 0xED ? 0x9F : 0xBF;
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    const unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

void appendEscapedByte(unsigned char c, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    default:
      break;
  }
  const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
  out.append(escaped, sizeof(escaped));
}

// Bytes copied into a JSON string as they are: printable ASCII but the quote and the
// backslash. A table, since every byte of every logged value is looked up.
constexpr std::array<bool, 256> kPlainAscii = [] {
  std::array<bool, 256> table{};
  for (int c = 0x20; c < 0x7F; ++c) table[static_cast<size_t>(c)] = c != '"' && c != '\\';
  return table;
}();

bool isPlainAscii(unsigned char c) { return kPlainAscii[c]; }

template <typename Int>
void appendInt(Int value, std::string& out) {
  char buffer[24];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out.append(buffer, result.ptr);
}

// Milliseconds with exactly three decimals, by integer arithmetic so that the C locale can't
// change the decimal point. Negative and NaN print as 0.
void appendMillis(double ms, std::string& out) {
  constexpr double kMaxMicros = 9.0e18;  // keeps llround in range
  const double micros_exact = ms * 1000.0;
  const int64_t micros =
      micros_exact > 0 ? std::llround(std::min(micros_exact, kMaxMicros)) : int64_t{0};
  appendInt(micros / 1000, out);
  const int64_t fraction = micros % 1000;
  const char digits[] = {'.', static_cast<char>('0' + fraction / 100),
                         static_cast<char>('0' + fraction / 10 % 10),
                         static_cast<char>('0' + fraction % 10)};
  out.append(digits, sizeof(digits));
}

// `prefix` is the separator and key together, `,"key":`, appended in one go.
void appendField(std::string_view prefix, std::string_view value, std::string& out) {
  out.append(prefix);
  appendJsonString(value, out);
}

template <typename Int>
void appendIntField(std::string_view prefix, Int value, std::string& out) {
  out.append(prefix);
  appendInt(value, out);
}

// Count of complete lines in `data`, for reporting what a failed write lost.
uint64_t countLines(std::string_view data) {
  return static_cast<uint64_t>(std::count(data.begin(), data.end(), '\n'));
}

}  // namespace

void appendJsonString(std::string_view value, std::string& out) {
  out += '"';
  size_t i = 0;
  while (i < value.size()) {
    size_t run = i;
    while (run < value.size() && isPlainAscii(static_cast<unsigned char>(value[run]))) ++run;
    out.append(value.data() + i, run - i);
    i = run;
    if (i == value.size()) break;
    const auto c = static_cast<unsigned char>(value[i]);
    if (c >= 0x80) {
      if (size_t len = utf8SequenceLength(value, i); len > 0) {
        out.append(value.data() + i, len);
        i += len;
        continue;
      }
    }
    appendEscapedByte(c, out);
    ++i;
  }
  out += '"';
}

void formatAccessLogLine(const AccessLogEntry& entry, std::string& out) {
  char time[kTimestampLength];
  formatTimestamp(entry.time_micros != 0 ? entry.time_micros : wallClockMicros(), time);
  out += "{\"time\":\"";
  out.append(time, kTimestampLength);
  out += '"';
  appendField(R"(,"request_id":)", entry.request_id, out);
  appendField(R"(,"listener":)", entry.listener, out);
  appendField(R"(,"method":)", entry.method, out);
  appendField(R"(,"path":)", entry.path, out);
  appendField(R"(,"upstream":)", entry.upstream, out);
  appendField(R"(,"endpoint":)", entry.endpoint, out);
  appendIntField(R"(,"status":)", entry.status, out);
  appendField(R"(,"reason":)", entry.reason, out);
  appendField(R"(,"error":)", entry.error, out);
  appendIntField(R"(,"attempts":)", entry.attempts, out);
  out += ",\"duration_ms\":";
  appendMillis(entry.duration_ms, out);
  appendIntField(R"(,"bytes_in":)", entry.bytes_in, out);
  appendIntField(R"(,"bytes_out":)", entry.bytes_out, out);
  out += "}\n";
}

// ---- AccessLog ----

std::unique_ptr<AccessLog> AccessLog::open(const config::AccessLogConfig& config,
                                           std::string* error, AccessLogOptions options) {
  error->clear();
  if (!config.enabled) return nullptr;
  if (config.path == "stdout") return fromFd(STDOUT_FILENO, false, options);
  if (config.path == "stderr") return fromFd(STDERR_FILENO, false, options);
  const int fd = ::open(config.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = "cannot open access log " + config.path + ": " + std::strerror(errno);
    return nullptr;
  }
  return fromFd(fd, true, options);
}

std::unique_ptr<AccessLog> AccessLog::fromFd(int fd, bool owns_fd, AccessLogOptions options) {
  return std::unique_ptr<AccessLog>(new AccessLog(fd, owns_fd, options));
}

AccessLog::AccessLog(int fd, bool owns_fd, AccessLogOptions options)
    : fd_(fd), owns_fd_(owns_fd), options_(options), writer_([this] { run(); }) {}

AccessLog::~AccessLog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
  if (owns_fd_) ::close(fd_);
}

void AccessLog::write(const AccessLogEntry& entry) {
  // Formatting happens outside the lock, into a buffer each thread reuses.
  thread_local std::string line;
  line.clear();
  formatAccessLogLine(entry, line);

  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const size_t before = pending_.size();
    if (before + line.size() > options_.max_pending_bytes) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    pending_ += line;
    // Wake the writer when a batch starts (to arm its interval) and when it grows big; not
    // on every line, which would cost a futex call per request.
    wake = before == 0 || (before < options_.wake_bytes && pending_.size() >= options_.wake_bytes);
  }
  if (wake) wake_.notify_one();
}

void AccessLog::flush() {
  std::unique_lock<std::mutex> lock(mutex_);
  const uint64_t target = ++flush_requested_;
  wake_.notify_one();
  flushed_.wait(lock, [&] { return flush_done_ >= target; });
}

void AccessLog::run() {
  // Signals belong to the main thread; and with SIGPIPE blocked, a closed stdout pipe
  // makes write() fail with EPIPE instead of killing the process.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);

  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || flushWanted() || !pending_.empty(); });
    if (!stopping_ && !flushWanted()) {
      // Batch: wait for more lines, up to the interval or until the batch is big.
      wake_.wait_for(lock, options_.flush_interval, [&] {
        return stopping_ || flushWanted() || pending_.size() >= options_.wake_bytes;
      });
    }
    const uint64_t flush_target = flush_requested_;
    const bool stop = stopping_;
    writing_.swap(pending_);
    lock.unlock();
    writeOut(writing_);
    writing_.clear();
    lock.lock();
    flush_done_ = flush_target;
    flushed_.notify_all();
    if (stop && pending_.empty()) return;
  }
}

void AccessLog::writeOut(const std::string& data) {
  size_t offset = 0;
  while (offset < data.size()) {
    const ssize_t n = ::write(fd_, data.data() + offset, data.size() - offset);
    if (n > 0) {
      offset += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // Someone (libuv, for a tty or pipe) made the fd non-blocking; wait for room.
      pollfd pfd{fd_, POLLOUT, 0};
      ::poll(&pfd, 1, -1);
      continue;
    }
    const int err = n < 0 ? errno : EIO;
    dropped_.fetch_add(countLines(std::string_view(data).substr(offset)),
                       std::memory_order_relaxed);
    if (!reported_failure_) {
      reported_failure_ = true;
      logf(config::LogLevel::kError, "access log write failed: %s; dropping lines",
           std::strerror(err));
    }
    return;
  }
  reported_failure_ = false;
}

}  // namespace outrigger::log
