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
  void stop();
  bool active() const;
  // Lets the loop exit while this timer is pending (for housekeeping timers).
  void unref();

 private:
  struct Handle;
  Handle* handle_;  // freed in its close callback
};

}  // namespace outrigger::io
