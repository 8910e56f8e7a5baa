// io::DeferredTask: runs once per schedule() on a later loop turn, never from inside
// schedule(), and not at all once destroyed.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "proxy/io/loop.h"

namespace outrigger::io {
namespace {

TEST(DeferredTaskTest, RunsOnceOnTheNextTurnHoweverOftenScheduled) {
  Loop loop;
  int runs = 0;
  DeferredTask task(loop, [&] { ++runs; });
  task.schedule();
  task.schedule();
  EXPECT_TRUE(task.pending());
  EXPECT_EQ(runs, 0);  // never from inside schedule()
  loop.run();
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(task.pending());
  task.schedule();  // and again after it ran
  loop.run();
  EXPECT_EQ(runs, 2);
}

TEST(DeferredTaskTest, DestroyedBeforeItsTurnItNeverRuns) {
  Loop loop;
  int runs = 0;
  auto task = std::make_unique<DeferredTask>(loop, [&] { ++runs; });
  DeferredTask other(loop, [&] { runs += 10; });
  task->schedule();
  other.schedule();
  task.reset();
  loop.run();
  EXPECT_EQ(runs, 10);
}

TEST(DeferredTaskTest, RunsInOrderAndAfterTheDeferredFunctionsOfTheSameTurn) {
  Loop loop;
  std::vector<std::string> order;
  DeferredTask a(loop, [&] { order.push_back("a"); });
  DeferredTask b(loop, [&] { order.push_back("b"); });
  b.schedule();
  loop.defer([&] { order.push_back("fn"); });
  a.schedule();
  loop.run();
  EXPECT_EQ(order, (std::vector<std::string>{"fn", "b", "a"}));
}

TEST(DeferredTaskTest, ATaskMayDestroyAnotherOfItsTurnOrRescheduleItself) {
  Loop loop;
  int second_runs = 0;
  int first_runs = 0;
  auto second = std::make_unique<DeferredTask>(loop, [&] { ++second_runs; });
  std::unique_ptr<DeferredTask> first;
  first = std::make_unique<DeferredTask>(loop, [&] {
    ++first_runs;
    second.reset();                         // scheduled in this same turn: cancelled
    if (first_runs < 3) first->schedule();  // runs again on a later turn
  });
  first->schedule();
  second->schedule();
  loop.run();
  EXPECT_EQ(first_runs, 3);
  EXPECT_EQ(second_runs, 0);
}

TEST(DeferredTaskTest, ATaskMayDestroyItselfWhileRunning) {
  Loop loop;
  int runs = 0;
  std::unique_ptr<DeferredTask> task;
  task = std::make_unique<DeferredTask>(loop, [&] {
    ++runs;
    task.reset();  // its last act: nothing of the task is touched after this
  });
  task->schedule();
  loop.run();
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(task, nullptr);
}

TEST(DeferredTaskTest, PendingAtShutdownItRunsThenAndMayOutliveTheLoop) {
  int runs = 0;
  auto loop = std::make_unique<Loop>();
  DeferredTask task(*loop, [&] { ++runs; });
  task.schedule();
  loop->shutdown();  // runs what is still deferred
  EXPECT_EQ(runs, 1);
  task.schedule();  // after shutdown: never runs
  loop.reset();
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(task.pending());
}

}  // namespace
}  // namespace outrigger::io
