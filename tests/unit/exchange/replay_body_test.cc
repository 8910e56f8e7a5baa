#include "proxy/exchange/replay_body.h"

#include <gtest/gtest.h>

namespace outrigger::exchange {
namespace {

std::string joined(const ReplayBody& body) {
  std::string all;
  for (const auto& p : body.pieces()) all += p;
  return all;
}

TEST(ReplayBodyTest, ABodilessRequestIsReplayable) {
  ReplayBody body;
  body.reset(false, false, 0);
  EXPECT_TRUE(body.replayable());
  EXPECT_TRUE(body.pieces().empty());
}

TEST(ReplayBodyTest, PiecesWaitForAConnectionAndGoOnceWithoutRetries) {
  ReplayBody body;
  body.reset(true, false, 0);
  EXPECT_FALSE(body.replayable());  // no retry will need it
  body.add("ab", false);
  body.add("cd", false);
  EXPECT_EQ(joined(body), "abcd");
  body.sentAll();
  EXPECT_TRUE(body.pieces().empty());
  body.add("ef", true);  // sent at once: nothing is held
  EXPECT_EQ(body.heldBytes(), 0u);
  EXPECT_EQ(body.totalBytes(), 6u);
}

TEST(ReplayBodyTest, AKeptBodyIsHeldAfterItWasSent) {
  ReplayBody body;
  body.reset(true, true, 10);
  body.add("abc", false);
  body.sentAll();
  body.add("def", true);
  EXPECT_TRUE(body.replayable());
  EXPECT_EQ(joined(body), "abcdef");
  EXPECT_EQ(body.heldBytes(), 6u);
}

TEST(ReplayBodyTest, PastTheLimitTheBodyIsSentOnceAndForgotten) {
  ReplayBody body;
  body.reset(true, true, 5);
  body.add("abc", false);
  body.sentAll();
  body.add("def", true);  // 6 bytes > 5: no longer replayable, and what was sent goes
  EXPECT_FALSE(body.replayable());
  EXPECT_TRUE(body.pieces().empty());
  EXPECT_EQ(body.heldBytes(), 0u);
}

TEST(ReplayBodyTest, PastTheLimitBeforeAConnectionThePiecesStillWaitToBeSent) {
  ReplayBody body;
  body.reset(true, true, 3);
  body.add("abc", false);
  body.add("de", false);
  EXPECT_FALSE(body.replayable());
  EXPECT_EQ(joined(body), "abcde");  // not sent yet: still needed once
  body.sentAll();
  EXPECT_TRUE(body.pieces().empty());
}

TEST(ReplayBodyTest, ResetStartsANewRequest) {
  ReplayBody body;
  body.reset(true, true, 3);
  body.add("abcdef", false);
  body.reset(true, true, 10);
  EXPECT_TRUE(body.replayable());
  EXPECT_EQ(body.totalBytes(), 0u);
  EXPECT_TRUE(body.pieces().empty());
}

}  // namespace
}  // namespace outrigger::exchange
