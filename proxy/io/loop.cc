#include "proxy/io/loop.h"

#include <uv.h>

#include <cstdio>
#include <cstdlib>

namespace outrigger::io {

struct Loop::Internals {
  uv_idle_t idle;    // runs deferred work on the next turn
  uv_async_t async;  // wakes the loop for posted work from other threads
  std::vector<std::function<void()>> deferred;
  std::mutex posted_mutex;
  std::vector<std::function<void()>> posted;
  bool closed = false;
};

namespace {

void runDeferred(uv_idle_t* handle) {
  auto* in = static_cast<Loop::Internals*>(handle->data);
  // Work deferred while running this batch runs on the next turn.
  std::vector<std::function<void()>> batch;
  batch.swap(in->deferred);
  for (auto& fn : batch) fn();
  if (in->deferred.empty()) uv_idle_stop(handle);
}

void runPosted(uv_async_t* handle) {
  auto* in = static_cast<Loop::Internals*>(handle->data);
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(in->posted_mutex);
    batch.swap(in->posted);
  }
  for (auto& fn : batch) fn();
}

}  // namespace

Loop::Loop() : loop_(new uv_loop_t), internals_(std::make_unique<Internals>()) {
  if (uv_loop_init(loop_) != 0) {
    std::fprintf(stderr, "outrigger: uv_loop_init failed\n");
    std::abort();
  }
  uv_idle_init(loop_, &internals_->idle);
  internals_->idle.data = internals_.get();
  uv_async_init(loop_, &internals_->async, runPosted);
  internals_->async.data = internals_.get();
  // The async handle must not keep the loop alive on its own.
  uv_unref(reinterpret_cast<uv_handle_t*>(&internals_->async));
}

Loop::~Loop() {
  shutdown();
  // Let every close callback run so handle memory is freed where it should be. uv_run
  // returns early when stop() was called while the loop was not running, so run again.
  for (int i = 0; i < 100 && uv_run(loop_, UV_RUN_DEFAULT) != 0; ++i) {
  }
  int rc = uv_loop_close(loop_);
  if (rc != 0) {
    std::fprintf(stderr, "outrigger: uv_loop_close: %s (a handle was leaked)\n", uv_strerror(rc));
    uv_walk(
        loop_,
        [](uv_handle_t* h, void*) {
          std::fprintf(stderr, "  open handle: %s\n", uv_handle_type_name(h->type));
        },
        nullptr);
    std::abort();
  }
  delete loop_;
}

void Loop::run() { uv_run(loop_, UV_RUN_DEFAULT); }

void Loop::stop() { uv_stop(loop_); }

void Loop::defer(std::function<void()> fn) {
  internals_->deferred.push_back(std::move(fn));
  if (!internals_->closed) uv_idle_start(&internals_->idle, runDeferred);
}

void Loop::post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(internals_->posted_mutex);
    internals_->posted.push_back(std::move(fn));
  }
  uv_async_send(&internals_->async);
}

void Loop::shutdown() {
  if (internals_->closed) return;
  internals_->closed = true;
  // Run what is still deferred: it may release resources that hold handles.
  while (!internals_->deferred.empty()) runDeferred(&internals_->idle);
  uv_close(reinterpret_cast<uv_handle_t*>(&internals_->idle), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&internals_->async), nullptr);
}

MonoTime LoopClock::now() const { return MonoTime(static_cast<int64_t>(uv_hrtime())); }

}  // namespace outrigger::io
