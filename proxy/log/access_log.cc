#include "proxy/log/access_log.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "proxy/log/logger.h"

namespace outrigger::log {
namespace {

// Count of complete lines in `data`, for reporting what a failed write lost.
uint64_t countLines(std::string_view data) {
  return static_cast<uint64_t>(std::count(data.begin(), data.end(), '\n'));
}

}  // namespace

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
  // Formatting happens outside the lock, into a buffer each thread reuses (a plain array:
  // a string would be zero-filled before each line is written into it).
  thread_local std::unique_ptr<char[]> buffer;
  thread_local size_t buffer_size = 0;
  const size_t room = maxAccessLogLineLength(entry);
  if (room > buffer_size) {
    buffer_size = std::max<size_t>(room, 1024);
    buffer.reset(new char[buffer_size]);
  }
  const std::string_view line(
      buffer.get(), static_cast<size_t>(writeAccessLogLine(entry, buffer.get()) - buffer.get()));

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
