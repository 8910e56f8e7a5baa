// io::TurnEndTask: runs once the loop has handled every event of its turn, before the loop
// waits again; never outside run(), and not at all once cancelled or destroyed.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "proxy/io/loop.h"

namespace outrigger::io {
namespace {

struct Recorder {
  std::vector<std::string>* order;
  std::string name;
  static void run(void* self) {
    auto* r = static_cast<Recorder*>(self);
    r->order->push_back(r->name);
  }
};

TEST(TurnEndTaskTest, OutsideRunNothingIsScheduledAndTheCallerIsTold) {
  Loop loop;
  std::vector<std::string> order;
  Recorder rec{&order, "task"};
  TurnEndTask task(loop, &rec, Recorder::run);
  EXPECT_FALSE(task.schedule());
  EXPECT_FALSE(task.pending());
  loop.run();
  EXPECT_TRUE(order.empty());
}

TEST(TurnEndTaskTest, RunsOnceAfterEveryCallbackOfItsTurn) {
  Loop loop;
  std::vector<std::string> order;
  Recorder rec{&order, "task"};
  TurnEndTask task(loop, &rec, Recorder::run);
  loop.defer([&] {
    order.push_back("first");
    EXPECT_TRUE(task.schedule());
    EXPECT_TRUE(task.schedule());  // once, however often scheduled
    EXPECT_TRUE(task.pending());
  });
  loop.defer([&] { order.push_back("second"); });
  loop.run();
  EXPECT_EQ(order, (std::vector<std::string>{"first", "second", "task"}));
  EXPECT_FALSE(task.pending());
}

TEST(TurnEndTaskTest, TasksRunInOrderAndOneScheduledWhileTheyRunJoinsThem) {
  Loop loop;
  std::vector<std::string> order;
  Recorder rec_b{&order, "b"};
  TurnEndTask b(loop, &rec_b, Recorder::run);
  struct Chain {
    std::vector<std::string>* order;
    TurnEndTask* next;
  } chain{&order, &b};
  TurnEndTask a(loop, &chain, [](void* self) {
    auto* c = static_cast<Chain*>(self);
    c->order->push_back("a");
    c->next->schedule();
  });
  Recorder rec_c{&order, "c"};
  TurnEndTask c(loop, &rec_c, Recorder::run);
  loop.defer([&] {
    a.schedule();
    c.schedule();
  });
  loop.defer([&] { order.push_back("fn"); });
  loop.run();
  EXPECT_EQ(order, (std::vector<std::string>{"fn", "a", "c", "b"}));
}

TEST(TurnEndTaskTest, CancelledOrDestroyedBeforeTheTurnEndsItNeverRuns) {
  Loop loop;
  std::vector<std::string> order;
  Recorder rec_a{&order, "a"};
  Recorder rec_b{&order, "b"};
  Recorder rec_c{&order, "c"};
  TurnEndTask a(loop, &rec_a, Recorder::run);
  auto b = std::make_unique<TurnEndTask>(loop, &rec_b, Recorder::run);
  TurnEndTask c(loop, &rec_c, Recorder::run);
  loop.defer([&] {
    a.schedule();
    b->schedule();
    c.schedule();
    a.cancel();
    b.reset();
  });
  loop.run();
  EXPECT_EQ(order, (std::vector<std::string>{"c"}));
}

TEST(TurnEndTaskTest, PendingAtShutdownItRunsThen) {
  auto loop = std::make_unique<Loop>();
  std::vector<std::string> order;
  Recorder rec{&order, "task"};
  TurnEndTask task(*loop, &rec, Recorder::run);
  loop->defer([&] {
    task.schedule();
    loop->shutdown();  // from inside the turn, as a worker's stop does
  });
  loop->run();
  EXPECT_EQ(order, (std::vector<std::string>{"task"}));
  EXPECT_FALSE(task.schedule());  // shut down: the caller does the work itself
  loop.reset();
  EXPECT_FALSE(task.pending());
}

}  // namespace
}  // namespace outrigger::io
