#pragma once
// A one-shot timer. The owner may destroy it at any time, even from its own callback;
// the libuv handle is freed later in its close callback.

#include <functional>

#include "proxy/common/clock.h"
#include "proxy/io/loop.h"

namespace outrigger::io {

class Timer {
 public:
  Timer(Loop& loop, std::function<void()> on_fire);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void start(Duration after);  // (re)arms; a running timer is replaced
  // Makes sure it fires within `after`: a timer already due sooner is left alone. For
  // owners that check their own deadline when it fires and sleep again if it is not there
  // yet: a deadline that keeps moving later (an idle timeout, a read timeout) then costs
  // no timer-heap removal and insertion per request.
  void fireWithin(Duration after);
  void stop();
  bool active() const;
  // Lets the loop exit while this timer is pending (for housekeeping timers).
  void unref();

 private:
  struct Handle;
  Handle* handle_;  // freed in its close callback
};

}  // namespace outrigger::io
