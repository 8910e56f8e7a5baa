#include "proxy/io/signals.h"

#include <uv.h>

namespace outrigger::io {

struct SignalWatcher::Handle {
  uv_signal_t signal;
  std::function<void()> on_signal;
};

SignalWatcher::SignalWatcher(Loop& loop, int signum, std::function<void()> on_signal)
    : handle_(new Handle) {
  uv_signal_init(loop.raw(), &handle_->signal);
  handle_->signal.data = handle_;
  handle_->on_signal = std::move(on_signal);
  uv_signal_start(
      &handle_->signal,
      [](uv_signal_t* s, int) {
        auto* h = static_cast<Handle*>(s->data);
        if (h->on_signal) h->on_signal();
      },
      signum);
  // A signal watcher alone must not keep the loop running.
  uv_unref(reinterpret_cast<uv_handle_t*>(&handle_->signal));
}

SignalWatcher::~SignalWatcher() {
  handle_->on_signal = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_->signal),
           [](uv_handle_t* h) { delete static_cast<Handle*>(h->data); });
}

}  // namespace outrigger::io
