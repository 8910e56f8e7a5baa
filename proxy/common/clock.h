#pragma once
// Time as an injected source (CONVENTIONS §5): production reads the monotonic clock,
// tests step a ManualClock and never sleep.

#include <chrono>
#include <cstdint>

namespace outrigger {

using Duration = std::chrono::nanoseconds;
// Monotonic time since an arbitrary epoch. Only differences are meaningful.
using MonoTime = std::chrono::nanoseconds;

inline constexpr Duration milliseconds(int64_t ms) { return std::chrono::milliseconds(ms); }
inline constexpr Duration seconds(int64_t s) { return std::chrono::seconds(s); }
inline double toSeconds(Duration d) { return std::chrono::duration<double>(d).count(); }
inline int64_t toMillis(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}
// Milliseconds rounded up, so a timer never fires before its deadline.
inline uint64_t toMillisCeil(Duration d) {
  if (d.count() <= 0) return 0;
  return static_cast<uint64_t>((d.count() + 999999) / 1000000);
}

class Clock {
 public:
  virtual ~Clock() = default;
  virtual MonoTime now() const = 0;
  // The time right now, even where now() returns a reading pinned for a batch of work
  // (io::EventTimeScope): for durations that must include that work, such as a request's.
  virtual MonoTime preciseNow() const { return now(); }
};

class SteadyClock final : public Clock {
 public:
  MonoTime now() const override {
    return std::chrono::duration_cast<MonoTime>(
        std::chrono::steady_clock::now().time_since_epoch());
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(MonoTime start = std::chrono::seconds(1000)) : now_(start) {}
  MonoTime now() const override { return now_; }
  void advance(Duration d) { now_ += d; }
  void set(MonoTime t) { now_ = t; }

 private:
  MonoTime now_;
};

// Wall-clock time for logs and HTTP dates, in microseconds since the Unix epoch.
int64_t wallClockMicros();

}  // namespace outrigger
