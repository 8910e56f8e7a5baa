#pragma once
// One event loop (one per worker thread, one on the main thread). The rest of the code
// sees only this wrapper, never uv_* types (CONVENTIONS: protocol code never sees uv).

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "proxy/common/clock.h"

typedef struct uv_loop_s uv_loop_t;

namespace outrigger::io {

class DeferredTask;
class TurnEndTask;

class Loop {
 public:
  Loop();
  ~Loop();  // runs the loop until every handle closed; aborts if uv_loop_close fails
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  void run();   // until stop() or no more active handles
  void stop();  // from the loop's own thread

  // Runs fn on the next loop turn, never from inside this call (CONVENTIONS: a callback
  // is never invoked from inside the call that started the work).
  void defer(std::function<void()> fn);
  // Thread-safe: runs fn on this loop's thread soon. Used to hand work to workers.
  void post(std::function<void()> fn);

  // The process's one lifetime rule. An object above io/ that a callback may still
  // reference (one of its own, or one further up the stack) is not destroyed where it is
  // given up: it is handed here, and destroyed on the next loop turn, once the current
  // callback stack has unwound. Long-lived owners cancel their pending work instead, by
  // holding it in a DeferredTask member, whose destruction cancels it. io/ handles are
  // freed in their libuv close callback. Objects handed over during or after shutdown() are
  // destroyed before ~Loop returns: nothing handed here leaks.
  template <typename T>
  void deleteLater(std::unique_ptr<T> object) {
    if (object) deleteLater(object.release(), [](void* doomed) { delete static_cast<T*>(doomed); });
  }
  // The type-erased core: destroy(object) runs on the next turn. Nothing is allocated per
  // call once the loop's list has grown to the turn's peak.
  void deleteLater(void* object, void (*destroy)(void* object));

  // Closes every internal handle so the loop can finish; call before the last run().
  void shutdown();

  uv_loop_t* raw() { return loop_; }

  struct Internals;  // defined in loop.cc

  // Node of an intrusive list of scheduled DeferredTasks or TurnEndTasks (circular, with a
  // sentinel).
  struct TaskLink {
    TaskLink* prev = this;
    TaskLink* next = this;
    void* task = nullptr;  // the DeferredTask or TurnEndTask; null in a list's own sentinel
  };

 private:
  friend class DeferredTask;
  friend class TurnEndTask;
  void schedule(TaskLink& link);
  void scheduleAtTurnEnd(TaskLink& link);
  static void runTask(TaskLink& link);
  static void runTurnEndTask(TaskLink& link);

  uv_loop_t* loop_;
  std::unique_ptr<Internals> internals_;
  bool running_ = false;  // inside run()
};

// Work that a long-lived owner runs on the next loop turn (see Loop::defer), as often as it
// likes, with nothing allocated per run. Destroying the task cancels a pending run, so the
// callback may capture its owner without a liveness check.
class DeferredTask {
 public:
  DeferredTask(Loop& loop, std::function<void()> run);
  ~DeferredTask();
  DeferredTask(const DeferredTask&) = delete;
  DeferredTask& operator=(const DeferredTask&) = delete;

  // Runs it on the next turn; nothing more if it is pending already.
  void schedule();
  bool pending() const { return link_.next != &link_; }

 private:
  friend class Loop;
  Loop::TaskLink link_;
  Loop& loop_;
  std::function<void()> run_;
};

// Work held back until the loop has handled every event of the current turn, and run
// before it next waits for events. Writes use it: the replies that one wake-up produces
// leave together, after the reads, instead of one system call between each read. Each
// write wakes its reader, and on a shared CPU a woken reader often preempts the writer
// mid-batch; batching the writes cuts those switches. Nothing is allocated per run.
class TurnEndTask {
 public:
  // Runs run(owner).
  TurnEndTask(Loop& loop, void* owner, void (*run)(void* owner));
  ~TurnEndTask();
  TurnEndTask(const TurnEndTask&) = delete;
  TurnEndTask& operator=(const TurnEndTask&) = delete;

  // Runs it at the end of this turn; nothing more if it is pending already. False, and
  // nothing scheduled, when the loop is not running: the caller does the work now.
  bool schedule();
  void cancel();
  bool pending() const { return link_.next != &link_; }

 private:
  friend class Loop;
  Loop::TaskLink link_;
  Loop& loop_;
  void* owner_;
  void (*run_)(void* owner);
};

// The loop's monotonic clock, in nanoseconds (uv_hrtime); inside an EventTimeScope, the
// reading taken when the scope began.
class LoopClock final : public Clock {
 public:
  MonoTime now() const override;
  MonoTime preciseNow() const override;  // never pinned
};

// Pins LoopClock::now() on this thread, for its scope, to one reading taken when it began.
// Each read callback holds one: the work a read sets off (parse, route, admit, pick an
// endpoint, send; or settle, record and release) takes microseconds, and one clock reading
// for all of it costs a tenth of a dozen. Deadlines set in it count from its start, and a
// timer's own callback, which checks them, reads the clock afresh. Scopes nest: an inner
// one keeps the outer reading.
class EventTimeScope {
 public:
  EventTimeScope();
  ~EventTimeScope();
  EventTimeScope(const EventTimeScope&) = delete;
  EventTimeScope& operator=(const EventTimeScope&) = delete;

 private:
  bool outermost_;
};

}  // namespace outrigger::io
