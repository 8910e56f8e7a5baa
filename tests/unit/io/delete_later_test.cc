// io::Loop::deleteLater: the object outlives the callback stack that gave it up, is destroyed
// on the next loop turn, and is destroyed at the latest when the loop itself goes away.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "proxy/io/loop.h"
#include "proxy/io/timer.h"

namespace outrigger::io {
namespace {

using Log = std::vector<std::string>;

// Writes its name to the log when destroyed.
class Tracked {
 public:
  Tracked(Log& log, std::string name) : log_(log), name_(std::move(name)) {}
  ~Tracked() { log_.push_back(name_ + " destroyed"); }
  const std::string& name() const { return name_; }

 private:
  Log& log_;
  std::string name_;
};

TEST(DeleteLaterTest, DestroyedOnTheNextTurnNotInsideTheCall) {
  Loop loop;
  Log log;
  loop.defer([&] {
    auto owned = std::make_unique<Tracked>(log, "a");
    Tracked* a = owned.get();
    loop.deleteLater(std::move(owned));
    log.push_back("handed over, still " + a->name());  // valgrind/ASan would object if freed
  });
  loop.defer([&] { log.push_back("rest of the turn"); });
  loop.run();
  EXPECT_EQ(log, (Log{"handed over, still a", "rest of the turn", "a destroyed"}));
}

// The case the rule exists for: an object gives itself up from inside its own method.
class SelfDestructing {
 public:
  SelfDestructing(Loop& loop, Log& log) : loop_(loop), log_(log) {}
  ~SelfDestructing() { log_.push_back("destroyed"); }
  void finish() {
    loop_.deleteLater(std::unique_ptr<SelfDestructing>(this));
    log_.push_back("finished " + std::to_string(answer_));  // members are still there
  }

 private:
  Loop& loop_;
  Log& log_;
  int answer_ = 42;
};

TEST(DeleteLaterTest, AnObjectMayHandItselfOverFromItsOwnMethod) {
  Loop loop;
  Log log;
  auto* object = new SelfDestructing(loop, log);
  loop.defer([object] { object->finish(); });
  loop.run();
  EXPECT_EQ(log, (Log{"finished 42", "destroyed"}));
}

// Hands another object over from its destructor.
class HandsOverWhenDestroyed {
 public:
  HandsOverWhenDestroyed(Loop& loop, Log& log) : loop_(loop), log_(log) {}
  ~HandsOverWhenDestroyed() {
    log_.push_back("outer destroyed");
    loop_.deleteLater(std::make_unique<Tracked>(log_, "inner"));
    loop_.defer([this_log = &log_] { this_log->push_back("turn after"); });
  }

 private:
  Loop& loop_;
  Log& log_;
};

TEST(DeleteLaterTest, WhatADestructorHandsOverWaitsForTheTurnAfter) {
  Loop loop;
  Log log;
  loop.defer([&] { loop.deleteLater(std::make_unique<HandsOverWhenDestroyed>(loop, log)); });
  loop.run();
  EXPECT_EQ(log, (Log{"outer destroyed", "turn after", "inner destroyed"}));
}

TEST(DeleteLaterTest, NothingHandedOverIsLeftWhenTheLoopGoesAway) {
  Log log;
  auto loop = std::make_unique<Loop>();
  loop->deleteLater(std::make_unique<Tracked>(log, "never run"));
  loop->deleteLater(std::unique_ptr<Tracked>());  // null: nothing to do
  loop->deleteLater(std::make_unique<HandsOverWhenDestroyed>(*loop, log));
  EXPECT_TRUE(log.empty());
  loop.reset();
  EXPECT_EQ(log, (Log{"never run destroyed", "outer destroyed", "turn after", "inner destroyed"}));
}

// Holds a running libuv timer: it must be destroyed before the loop runs to completion, or
// the run would never end, and its handle closed before uv_loop_close.
class WithTimer {
 public:
  WithTimer(Loop& loop, Log& log) : log_(log), timer_(loop, [] {}) {
    timer_.start(std::chrono::hours(1));
  }
  ~WithTimer() { log_.push_back("timer owner destroyed"); }

 private:
  Log& log_;
  Timer timer_;
};

TEST(DeleteLaterTest, HandedOverAfterShutdownItIsDestroyedAndItsHandleClosed) {
  Log log;
  auto loop = std::make_unique<Loop>();
  loop->defer([&] { loop->shutdown(); });  // from inside the turn, as a worker's stop does
  loop->run();
  loop->deleteLater(std::make_unique<WithTimer>(*loop, log));
  EXPECT_TRUE(log.empty());
  loop.reset();  // would run for an hour if it were kept, and aborts if its handle leaked
  EXPECT_EQ(log, (Log{"timer owner destroyed"}));
}

}  // namespace
}  // namespace outrigger::io
