#pragma once
// The access log: one JSON object per request, one per line. Each worker formats a line and
// appends it to a bounded ring of its own, without a lock; a background thread drains the
// rings in batches and does the writing, so a slow disk or a full stdout pipe never stalls
// an event loop. When a ring is full, lines are dropped and counted instead.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "proxy/common/clock.h"
#include "proxy/config/schema.h"

namespace outrigger::log {

struct AccessLogEntry {
  int64_t time_micros = 0;  // microseconds since the epoch; 0 = the time of formatting
  std::string_view request_id;
  std::string_view listener;
  std::string_view method;
  std::string_view path;      // as the caller chooses; mind secrets in query strings
  std::string_view upstream;  // empty when no route matched
  std::string_view endpoint;  // empty when no attempt was made
  int status = 0;
  std::string_view reason;  // http::reasonName of a local reply; empty otherwise
  std::string_view error;   // detail of a failure for people, e.g. "connect: ECONNREFUSED"
  uint32_t attempts = 0;
  double duration_ms = 0;     // printed with three decimals
  uint64_t bytes_in = 0;      // request body bytes read from the app
  uint64_t bytes_out = 0;     // response body bytes written to the app
  std::string_view protocol;  // the app's side: "HTTP/1.1", "HTTP/1.0" or "HTTP/2"
  int grpc_status = -1;       // a gRPC call's status as the app got it; -1 (null) otherwise
  std::string_view trace_id;  // with `tracing:`: the request's trace, 32 hex digits
  std::string_view span_id;   // the span of the last attempt upstream, 16 hex digits
};

// Appends the entry as one JSON object followed by '\n'. The keys, always all present and in
// this order: time request_id listener method path upstream endpoint status reason error
// attempts duration_ms bytes_in bytes_out protocol grpc_status (a number, or null when the
// request was not a gRPC call or got no status) trace_id span_id.
void formatAccessLogLine(const AccessLogEntry& entry, std::string& out);
// The same line written at `out`, which must have room for maxAccessLogLineLength(entry)
// bytes; returns the end of what was written. For a caller that keeps its own buffer, so
// that no string has to be grown (and zero-filled) first.
size_t maxAccessLogLineLength(const AccessLogEntry& entry);
char* writeAccessLogLine(const AccessLogEntry& entry, char* out);

// Appends `value` as a quoted JSON string. Quotes, backslashes and control characters are
// escaped; a byte that is not part of valid UTF-8 becomes \u00XX (its Latin-1 reading), so
// every line stays valid JSON whatever the app sent.
void appendJsonString(std::string_view value, std::string& out);

struct AccessLogOptions {
  size_t max_pending_bytes = 1024 * 1024;  // per writing thread; beyond it, lines drop
  // The writer wakes early at this much: at 40k requests/s a wake every ~6 ms rather than
  // one every ~33 lines, each a futex call and a context switch on the worker's CPU ...
  size_t wake_bytes = 64 * 1024;
  Duration flush_interval = milliseconds(100);  // ... and otherwise within this
};

class AccessLog {
 public:
  // Opens the configured sink ("stdout", "stderr" or a file, appended to and created with
  // mode 0644). Returns nullptr with `error` left empty when the log is off, or with `error`
  // set when the file can't be opened.
  static std::unique_ptr<AccessLog> open(const config::AccessLogConfig& config, std::string* error,
                                         AccessLogOptions options = {});
  // Writes to an already open fd; closes it on destruction when `owns_fd`.
  static std::unique_ptr<AccessLog> fromFd(int fd, bool owns_fd, AccessLogOptions options = {});

  // Writes what is pending, then stops the writer thread. Blocks while the sink is stuck.
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  // Safe from any thread; never blocks. Appends to the calling thread's ring without a lock
  // (the first call on a thread registers its ring, once); only when the writer sleeps and
  // must be woken (a batch starts, or grows past wake_bytes) does it take the writer's lock.
  // Lines of one thread reach the fd in the order written.
  void write(const AccessLogEntry& entry);

  // Returns once everything written before the call, on any thread, has reached the fd. It
  // blocks, so it is for shutdown and tests, not for an event loop.
  void flush();

  // Lines lost because the buffer was full or the fd failed.
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  // One writing thread's lines: a single-producer, single-consumer byte ring. The thread
  // appends at head, the writer thread writes out from tail; each publishes its end with a
  // release store that the other reads with acquire, so neither needs a lock.
  struct Ring {
    Ring(std::thread::id thread, size_t bytes)
        : owner(thread), capacity(bytes), data(new char[bytes]) {}
    const std::thread::id owner;
    const size_t capacity;
    const std::unique_ptr<char[]> data;
    alignas(64) std::atomic<uint64_t> head{0};  // bytes ever appended; the owner writes it
    alignas(64) std::atomic<uint64_t> tail{0};  // bytes ever written out; the writer writes it
  };
  // What the writer is doing, so that write() wakes it only when it sleeps.
  enum WriterState : int { kBusy, kIdle, kBatching };

  AccessLog(int fd, bool owns_fd, AccessLogOptions options);

  Ring& ringOfThisThread();
  void wakeWriter();
  void run();
  bool anyPending() const;        // under mutex_: some ring holds lines
  size_t largestPending() const;  // under mutex_
  bool drainRings();              // writer thread: writes out every ring; false if all empty
  bool flushWanted() const { return flush_requested_ > flush_done_; }
  void writeOut(std::string_view data);

  const uint64_t id_;  // unique per log: a thread's cached ring belongs to one log
  const int fd_;
  const bool owns_fd_;
  const AccessLogOptions options_;
  std::atomic<uint64_t> dropped_{0};
  bool reported_failure_ = false;  // writer thread only: log a failing fd once, not per batch
  std::atomic<int> writer_state_{kBusy};

  std::mutex mutex_;
  std::condition_variable wake_;     // the writer waits on it
  std::condition_variable flushed_;  // flush() waits on it
  // Every ring ever registered, each kept until the log goes (a thread may write again at
  // any time, and its last lines must still be written). Guarded by mutex_; write() takes it
  // once per thread, to register.
  std::vector<std::unique_ptr<Ring>> rings_;
  uint64_t flush_requested_ = 0;  // guarded by mutex_
  uint64_t flush_done_ = 0;       // guarded by mutex_
  bool stopping_ = false;         // guarded by mutex_

  std::vector<Ring*> draining_;  // writer thread only: rings_ as of the last look
  std::thread writer_;           // last: starts after everything above is built
};

}  // namespace outrigger::log
