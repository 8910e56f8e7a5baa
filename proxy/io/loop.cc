#include "proxy/io/loop.h"

#include <uv.h>

#include <cstdio>
#include <cstdlib>

namespace outrigger::io {

namespace {

void unlink(Loop::TaskLink& link) {
  link.prev->next = link.next;
  link.next->prev = link.prev;
  link.prev = link.next = &link;
}

void linkBefore(Loop::TaskLink& link, Loop::TaskLink& at) {
  link.prev = at.prev;
  link.next = &at;
  at.prev->next = &link;
  at.prev = &link;
}

bool empty(const Loop::TaskLink& list) { return list.next == &list; }

// Moves every node of `from` to the empty list `to`.
void spliceAll(Loop::TaskLink& from, Loop::TaskLink& to) {
  if (empty(from)) return;
  to.next = from.next;
  to.prev = from.prev;
  to.next->prev = &to;
  to.prev->next = &to;
  from.prev = from.next = &from;
}

}  // namespace

struct Loop::Internals {
  uv_idle_t idle;    // runs deferred work on the next turn
  uv_async_t async;  // wakes the loop for posted work from other threads
  // Run the TurnEndTasks: check after the turn's events were handled, prepare before the
  // loop waits (for tasks scheduled by timers or close callbacks). Active only while a task
  // is pending, so they keep the loop alive until it ran.
  uv_check_t check;
  uv_prepare_t prepare;
  std::vector<std::function<void()>> deferred;
  struct Doomed {
    void* object;
    void (*destroy)(void* object);
  };
  std::vector<Doomed> doomed;     // handed to deleteLater, destroyed on the next turn
  Loop::TaskLink tasks;           // scheduled DeferredTasks, in order
  Loop::TaskLink turn_end_tasks;  // scheduled TurnEndTasks, in order
  std::mutex posted_mutex;
  std::vector<std::function<void()>> posted;
  bool closed = false;

  static void runDeferred(uv_idle_t* handle) {
    auto* in = static_cast<Internals*>(handle->data);
    // Work deferred while running this batch runs on the next turn.
    std::vector<std::function<void()>> batch;
    batch.swap(in->deferred);
    Loop::TaskLink tasks;  // a task destroyed before its turn unlinks itself from here
    spliceAll(in->tasks, tasks);
    std::vector<Doomed> dying;  // what is handed over from here on waits a turn more
    dying.swap(in->doomed);
    for (auto& fn : batch) fn();
    while (!empty(tasks)) {
      Loop::TaskLink& link = *tasks.next;
      unlink(link);  // before it runs: it may schedule itself again, or be destroyed
      runTask(link);
    }
    // Keep the vector's room for the next batch instead of allocating it again.
    batch.clear();
    if (in->deferred.empty()) in->deferred.swap(batch);
    in->destroy(dying);
    if (in->deferred.empty() && empty(in->tasks) && in->doomed.empty()) uv_idle_stop(handle);
  }

  // Destroys a batch taken from `doomed`, then keeps its room for the next one.
  void destroy(std::vector<Doomed>& batch) {
    for (const Doomed& d : batch) d.destroy(d.object);
    batch.clear();
    if (doomed.empty()) doomed.swap(batch);
  }

  // Destroys what was handed over before this call; what their destructors hand over waits
  // for the next call.
  void destroyDoomed() {
    std::vector<Doomed> batch;
    batch.swap(doomed);
    destroy(batch);
  }

  void runTurnEnd() {
    // A task scheduled while these run (a write from inside a write) runs in this pass too.
    while (!empty(turn_end_tasks)) {
      Loop::TaskLink& link = *turn_end_tasks.next;
      unlink(link);
      Loop::runTurnEndTask(link);
    }
    uv_check_stop(&check);
    uv_prepare_stop(&prepare);
  }
};

namespace {

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
  uv_check_init(loop_, &internals_->check);
  internals_->check.data = internals_.get();
  uv_prepare_init(loop_, &internals_->prepare);
  internals_->prepare.data = internals_.get();
  uv_async_init(loop_, &internals_->async, runPosted);
  internals_->async.data = internals_.get();
  // The async handle must not keep the loop alive on its own.
  uv_unref(reinterpret_cast<uv_handle_t*>(&internals_->async));
}

Loop::~Loop() {
  shutdown();
  // Let every close callback run so handle memory is freed where it should be. uv_run
  // returns early when stop() was called while the loop was not running, so run again.
  // Objects handed to deleteLater after shutdown are destroyed first: their handles close
  // and the run lets those close callbacks happen.
  for (int i = 0; i < 100; ++i) {
    internals_->destroyDoomed();
    const bool active = uv_run(loop_, UV_RUN_DEFAULT) != 0;
    if (!active && internals_->doomed.empty()) break;
  }
  internals_->destroyDoomed();  // a handle they still hold makes uv_loop_close say so below
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
  // Tasks scheduled after shutdown never run; their owners may outlive the loop.
  while (!empty(internals_->tasks)) unlink(*internals_->tasks.next);
  while (!empty(internals_->turn_end_tasks)) unlink(*internals_->turn_end_tasks.next);
  delete loop_;
}

void Loop::run() {
  running_ = true;
  uv_run(loop_, UV_RUN_DEFAULT);
  running_ = false;
}

void Loop::stop() { uv_stop(loop_); }

void Loop::defer(std::function<void()> fn) {
  internals_->deferred.push_back(std::move(fn));
  if (!internals_->closed) uv_idle_start(&internals_->idle, Internals::runDeferred);
}

void Loop::deleteLater(void* object, void (*destroy)(void* object)) {
  internals_->doomed.push_back({object, destroy});
  // After shutdown the idle handle is closed: ~Loop destroys it.
  if (!internals_->closed) uv_idle_start(&internals_->idle, Internals::runDeferred);
}

void Loop::schedule(TaskLink& link) {
  linkBefore(link, internals_->tasks);
  if (!internals_->closed) uv_idle_start(&internals_->idle, Internals::runDeferred);
}

void Loop::scheduleAtTurnEnd(TaskLink& link) {
  linkBefore(link, internals_->turn_end_tasks);
  auto run = [](auto* handle) { static_cast<Internals*>(handle->data)->runTurnEnd(); };
  uv_check_start(&internals_->check, run);
  uv_prepare_start(&internals_->prepare, run);
}

void Loop::runTask(TaskLink& link) { static_cast<DeferredTask*>(link.task)->run_(); }

void Loop::runTurnEndTask(TaskLink& link) {
  auto* task = static_cast<TurnEndTask*>(link.task);
  task->run_(task->owner_);
}

DeferredTask::DeferredTask(Loop& loop, std::function<void()> run)
    : loop_(loop), run_(std::move(run)) {
  link_.task = this;
}

DeferredTask::~DeferredTask() { unlink(link_); }

void DeferredTask::schedule() {
  if (!pending()) loop_.schedule(link_);
}

TurnEndTask::TurnEndTask(Loop& loop, void* owner, void (*run)(void* owner))
    : loop_(loop), owner_(owner), run_(run) {
  link_.task = this;
}

TurnEndTask::~TurnEndTask() { unlink(link_); }

bool TurnEndTask::schedule() {
  // After shutdown() the check and prepare handles are closed: nothing would run it.
  if (!loop_.running_ || loop_.internals_->closed) return false;
  if (!pending()) loop_.scheduleAtTurnEnd(link_);
  return true;
}

void TurnEndTask::cancel() { unlink(link_); }

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
  while (!internals_->deferred.empty() || !empty(internals_->tasks) || !internals_->doomed.empty())
    Internals::runDeferred(&internals_->idle);
  internals_->runTurnEnd();
  uv_close(reinterpret_cast<uv_handle_t*>(&internals_->idle), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&internals_->check), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&internals_->prepare), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&internals_->async), nullptr);
}

namespace {

// The reading of this thread's outermost EventTimeScope, while one is open.
thread_local bool tEventTimeSet = false;
thread_local MonoTime tEventTime{};

MonoTime readClock() { return MonoTime(static_cast<int64_t>(uv_hrtime())); }

}  // namespace

MonoTime LoopClock::now() const { return tEventTimeSet ? tEventTime : readClock(); }

MonoTime LoopClock::preciseNow() const { return readClock(); }

EventTimeScope::EventTimeScope() : outermost_(!tEventTimeSet) {
  if (!outermost_) return;
  tEventTime = readClock();
  tEventTimeSet = true;
}

EventTimeScope::~EventTimeScope() {
  if (outermost_) tEventTimeSet = false;
}

}  // namespace outrigger::io
