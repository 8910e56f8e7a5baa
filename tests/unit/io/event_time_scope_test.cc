// io::EventTimeScope: inside it LoopClock gives the one reading taken when it began.
#include <gtest/gtest.h>

#include <thread>

#include "proxy/io/loop.h"

namespace outrigger::io {
namespace {

TEST(EventTimeScopeTest, EveryReadingInsideIsTheOneTakenAtItsStart) {
  LoopClock clock;
  const MonoTime before = clock.now();
  MonoTime pinned{};
  {
    EventTimeScope scope;
    pinned = clock.now();
    EXPECT_GE(pinned, before);
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(clock.now(), pinned);
    {
      EventTimeScope inner;  // nested: keeps the outer reading
      EXPECT_EQ(clock.now(), pinned);
    }
    EXPECT_EQ(clock.now(), pinned);  // the inner scope did not unpin it
  }
  // Afterwards the clock reads afresh again: never before the pinned reading.
  MonoTime after = clock.now();
  EXPECT_GE(after, pinned);
  while (after == pinned) after = clock.now();  // it moves on (nanosecond clock)
  EXPECT_GT(after, pinned);
}

TEST(EventTimeScopeTest, PreciseNowIsNeverPinned) {
  LoopClock clock;
  EventTimeScope scope;
  const MonoTime pinned = clock.now();
  MonoTime precise = clock.preciseNow();
  EXPECT_GE(precise, pinned);
  while (precise == pinned) precise = clock.preciseNow();  // it moves on inside the scope
  EXPECT_GT(precise, pinned);
  EXPECT_EQ(clock.now(), pinned);
}

TEST(EventTimeScopeTest, AnotherThreadIsNotPinned) {
  LoopClock clock;
  EventTimeScope scope;
  const MonoTime pinned = clock.now();
  MonoTime seen{};
  std::thread other([&] {
    MonoTime t = clock.now();
    while (t == pinned) t = clock.now();
    seen = t;
  });
  other.join();
  EXPECT_GT(seen, pinned);
  EXPECT_EQ(clock.now(), pinned);
}

}  // namespace
}  // namespace outrigger::io
