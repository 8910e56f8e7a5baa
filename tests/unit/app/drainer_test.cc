// The sidecar drain (DESIGN §7), stepped with a manual clock: grace 5s, timeout 30s.
#include "proxy/app/drainer.h"

#include <gtest/gtest.h>

namespace outrigger::app {
namespace {

using Kind = Drainer::Decision::Kind;

class DrainerTest : public ::testing::Test {
 protected:
  DrainerTest() {
    limits_.grace = seconds(5);
    limits_.timeout = seconds(30);
  }
  Drainer::Decision checkAfter(Duration d, DrainActivity activity) {
    clock_.advance(d);
    return drainer_.check(activity);
  }

  ManualClock clock_;
  Drainer drainer_{clock_};
  config::DrainConfig limits_;
};

TEST_F(DrainerTest, ServesUntilDrainBegins) {
  EXPECT_FALSE(drainer_.active());
  drainer_.begin(limits_, {0, 7});
  EXPECT_TRUE(drainer_.active());
  EXPECT_FALSE(drainer_.stopping());
}

TEST_F(DrainerTest, QuietAppStopsAfterGraceWithTheRestOfTheTimeoutToFinish) {
  drainer_.begin(limits_, {0, 7});
  Drainer::Decision first = drainer_.check({0, 7});
  EXPECT_EQ(first.kind, Kind::kKeepServing);
  EXPECT_EQ(first.wait, Drainer::kPoll);
  EXPECT_EQ(checkAfter(milliseconds(4950), {0, 7}).kind, Kind::kKeepServing);
  Drainer::Decision done = checkAfter(milliseconds(50), {0, 7});
  EXPECT_EQ(done.kind, Kind::kDrained);
  EXPECT_EQ(done.quiet_for, seconds(5));
  EXPECT_EQ(done.wait, seconds(25));  // the workers get what is left of the 30s
  EXPECT_TRUE(drainer_.stopping());
}

TEST_F(DrainerTest, OpenConnectionKeepsItServing) {
  drainer_.begin(limits_, {1, 7});
  EXPECT_EQ(checkAfter(seconds(6), {1, 7}).kind, Kind::kKeepServing);
  // Closed by the next check: the quiet counts from the last check that saw it open (6s),
  // not from the start of the drain.
  EXPECT_EQ(checkAfter(seconds(1), {0, 7}).kind, Kind::kKeepServing);
  EXPECT_EQ(checkAfter(milliseconds(3950), {0, 7}).kind, Kind::kKeepServing);
  Drainer::Decision done = checkAfter(milliseconds(50), {0, 7});
  EXPECT_EQ(done.kind, Kind::kDrained);
  EXPECT_EQ(done.quiet_for, seconds(5));
  EXPECT_EQ(done.wait, seconds(19));
}

TEST_F(DrainerTest, ConnectionThatCameAndWentBetweenChecksBreaksTheQuiet) {
  drainer_.begin(limits_, {0, 7});
  EXPECT_EQ(checkAfter(seconds(4), {0, 7}).kind, Kind::kKeepServing);
  EXPECT_EQ(checkAfter(seconds(1), {0, 8}).kind, Kind::kKeepServing);  // one more accepted
  EXPECT_EQ(checkAfter(seconds(4), {0, 8}).kind, Kind::kKeepServing);
  EXPECT_EQ(checkAfter(seconds(1), {0, 8}).kind, Kind::kDrained);
}

TEST_F(DrainerTest, BusyAppIsCutOffAtTheTimeout) {
  drainer_.begin(limits_, {2, 7});
  Drainer::Decision near_end = checkAfter(milliseconds(29980), {2, 9});
  EXPECT_EQ(near_end.kind, Kind::kKeepServing);
  EXPECT_EQ(near_end.wait, milliseconds(20));  // never polls past the timeout
  Drainer::Decision done = checkAfter(milliseconds(20), {2, 9});
  EXPECT_EQ(done.kind, Kind::kTimedOut);
  EXPECT_EQ(done.wait, Duration::zero());
  EXPECT_TRUE(drainer_.stopping());
}

TEST_F(DrainerTest, ZeroGraceStopsAtTheFirstQuietCheck) {
  limits_.grace = Duration::zero();
  drainer_.begin(limits_, {0, 0});
  EXPECT_EQ(drainer_.check({0, 0}).kind, Kind::kDrained);
}

TEST_F(DrainerTest, FirstSignalDrainsAndSecondExits) {
  EXPECT_EQ(drainer_.onSignal(), Drainer::SignalAction::kBeginDrain);
  drainer_.begin(limits_, {0, 0});
  EXPECT_EQ(drainer_.onSignal(), Drainer::SignalAction::kExitNow);
}

TEST_F(DrainerTest, SignalAfterPostDrainJoinsThatDrainAndAThirdExits) {
  drainer_.begin(limits_, {0, 0});  // POST /drain
  EXPECT_EQ(drainer_.onSignal(), Drainer::SignalAction::kAlreadyDraining);
  EXPECT_EQ(drainer_.onSignal(), Drainer::SignalAction::kExitNow);
}

}  // namespace
}  // namespace outrigger::app
