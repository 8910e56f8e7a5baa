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

std::atomic<uint64_t> next_log_id{1};

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
    : id_(next_log_id.fetch_add(1)),
      fd_(fd),
      owns_fd_(owns_fd),
      options_(options),
      writer_([this] { run(); }) {}

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

  Ring& ring = ringOfThisThread();
  const uint64_t head = ring.head.load(std::memory_order_relaxed);  // only this thread writes it
  const uint64_t used = head - ring.tail.load(std::memory_order_acquire);
  if (used + line.size() > ring.capacity) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const size_t at = static_cast<size_t>(head % ring.capacity);
  const size_t first = std::min(line.size(), ring.capacity - at);
  std::memcpy(ring.data.get() + at, line.data(), first);
  std::memcpy(ring.data.get(), line.data() + first, line.size() - first);
  // Publishes the line. Sequentially consistent, like the writer's store of its state before
  // it looks at the rings: either the writer sees this line before it sleeps, or this thread
  // sees it asleep and wakes it (run() has the other half).
  ring.head.store(head + line.size());
  const int state = writer_state_.load();
  // An idle writer sleeps until woken; a batching one wakes by itself within
  // flush_interval, or early once a ring holds wake_bytes. Otherwise it is busy and will
  // look at every ring again before it sleeps: no lock, no futex call.
  if (state == kIdle || (state == kBatching && used < options_.wake_bytes &&
                         used + line.size() >= options_.wake_bytes)) {
    wakeWriter();
  }
}

AccessLog::Ring& AccessLog::ringOfThisThread() {
  // A thread writes to one log at a time (tests may build several, one after the other), so
  // one cached ring per thread; the id, unlike the address, is never reused by a later log.
  thread_local uint64_t cached_log = 0;
  thread_local Ring* cached_ring = nullptr;
  if (cached_log == id_) return *cached_ring;
  std::lock_guard<std::mutex> lock(mutex_);
  const std::thread::id me = std::this_thread::get_id();
  Ring* ring = nullptr;
  // A thread id is reused only after its thread ended, so the ring's producer is gone.
  for (auto& r : rings_) {
    if (r->owner == me) ring = r.get();
  }
  if (ring == nullptr) {
    rings_.push_back(std::make_unique<Ring>(me, std::max<size_t>(options_.max_pending_bytes, 1)));
    ring = rings_.back().get();
  }
  cached_log = id_;
  cached_ring = ring;
  return *ring;
}

void AccessLog::wakeWriter() {
  // Taking the lock orders this after the writer's look at the rings (done under it): either
  // it has not looked yet, and will see the line, or it waits, and is notified.
  { std::lock_guard<std::mutex> lock(mutex_); }
  wake_.notify_one();
}

bool AccessLog::anyPending() const {
  for (const auto& ring : rings_) {
    if (ring->head.load() != ring->tail.load(std::memory_order_relaxed)) return true;
  }
  return false;
}

size_t AccessLog::largestPending() const {
  uint64_t largest = 0;
  for (const auto& ring : rings_) {
    largest = std::max(largest, ring->head.load() - ring->tail.load(std::memory_order_relaxed));
  }
  return static_cast<size_t>(largest);
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
  bool wrote = false;  // the last round found lines: traffic flows
  for (;;) {
    // The state is stored before the rings are looked at (under the lock, in the predicate),
    // and write() publishes a line before it loads the state: so either the predicate sees
    // the line or write() sees the writer asleep and wakes it. While traffic flows the
    // writer goes straight back to batching, so that the first line of a batch need not
    // wake it; only a round that found nothing lets it sleep until woken.
    if (!wrote) {
      writer_state_.store(kIdle);
      wake_.wait(lock, [&] { return stopping_ || flushWanted() || anyPending(); });
    }
    if (!stopping_ && !flushWanted()) {
      // Batch: wait for more lines, up to the interval or until a ring holds wake_bytes.
      writer_state_.store(kBatching);
      wake_.wait_for(lock, options_.flush_interval, [&] {
        return stopping_ || flushWanted() || largestPending() >= options_.wake_bytes;
      });
    }
    writer_state_.store(kBusy);
    const uint64_t flush_target = flush_requested_;
    const bool stop = stopping_;
    draining_.clear();
    for (const auto& ring : rings_) draining_.push_back(ring.get());
    lock.unlock();
    wrote = drainRings();
    lock.lock();
    flush_done_ = flush_target;
    flushed_.notify_all();
    if (stop && !anyPending()) return;
  }
}

bool AccessLog::drainRings() {
  bool wrote = false;
  for (Ring* ring : draining_) {
    // Everything published up to `head`: whole lines, since a line is published at once.
    const uint64_t head = ring->head.load(std::memory_order_acquire);
    const uint64_t tail = ring->tail.load(std::memory_order_relaxed);
    if (head == tail) continue;
    wrote = true;
    const size_t at = static_cast<size_t>(tail % ring->capacity);
    const size_t size = static_cast<size_t>(head - tail);
    const size_t first = std::min(size, ring->capacity - at);
    writeOut(std::string_view(ring->data.get() + at, first));
    if (size > first) writeOut(std::string_view(ring->data.get(), size - first));
    // Only now may the owner reuse the bytes.
    ring->tail.store(head, std::memory_order_release);
  }
  return wrote;
}

void AccessLog::writeOut(std::string_view data) {
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
    dropped_.fetch_add(countLines(data.substr(offset)), std::memory_order_relaxed);
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
