#include "proxy/io/timer.h"

#include <uv.h>

namespace outrigger::io {

struct Timer::Handle {
  uv_timer_t timer;
  std::function<void()> on_fire;
};

Timer::Timer(Loop& loop, std::function<void()> on_fire) : handle_(new Handle) {
  uv_timer_init(loop.raw(), &handle_->timer);
  handle_->timer.data = handle_;
  handle_->on_fire = std::move(on_fire);
}

Timer::~Timer() {
  uv_timer_stop(&handle_->timer);
  // The callback may own captures that point back at the owner: drop it now.
  handle_->on_fire = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_->timer),
           [](uv_handle_t* h) { delete static_cast<Handle*>(h->data); });
}

void Timer::start(Duration after) {
  uv_timer_start(
      &handle_->timer,
      [](uv_timer_t* t) {
        auto* h = static_cast<Handle*>(t->data);
        if (h->on_fire) h->on_fire();
      },
      toMillisCeil(after), 0);
}

void Timer::fireWithin(Duration after) {
  if (active() && uv_timer_get_due_in(&handle_->timer) <= toMillisCeil(after)) return;
  start(after);
}

void Timer::stop() { uv_timer_stop(&handle_->timer); }

bool Timer::active() const {
  return uv_is_active(reinterpret_cast<const uv_handle_t*>(&handle_->timer)) != 0;
}

void Timer::unref() { uv_unref(reinterpret_cast<uv_handle_t*>(&handle_->timer)); }

}  // namespace outrigger::io
