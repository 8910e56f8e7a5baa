#pragma once
// Runs a callback on the loop when a POSIX signal arrives.

#include <functional>

#include "proxy/io/loop.h"

namespace outrigger::io {

class SignalWatcher {
 public:
  SignalWatcher(Loop& loop, int signum, std::function<void()> on_signal);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  struct Handle;
  Handle* handle_;  // freed in its close callback
};

}  // namespace outrigger::io
