#include "proxy/tunnel/tunnel_ledger.h"

#include <gtest/gtest.h>

namespace outrigger::tunnel {
namespace {

TEST(TunnelLedgerTest, CountsBytesEachWayAndReportsThemAtTheEnd) {
  ManualClock clock;
  TunnelLedger ledger(clock.now(), seconds(60));
  ledger.addBytes(Direction::kUp, 5, clock.now());
  ledger.addBytes(Direction::kDown, 7, clock.now());
  ledger.addBytes(Direction::kUp, 10, clock.now());
  clock.advance(seconds(3));
  const auto report = ledger.end(TunnelEndReason::kClosed, clock.now());
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->bytes_up, 15u);
  EXPECT_EQ(report->bytes_down, 7u);
  EXPECT_EQ(report->duration, seconds(3));
  EXPECT_EQ(tunnelEndName(report->reason), "closed");
}

TEST(TunnelLedgerTest, ReportsItsEndOnlyOnce) {
  ManualClock clock;
  TunnelLedger ledger(clock.now(), seconds(60));
  EXPECT_TRUE(ledger.end(TunnelEndReason::kAppReset, clock.now()).has_value());
  EXPECT_TRUE(ledger.ended());
  EXPECT_FALSE(ledger.end(TunnelEndReason::kClosed, clock.now()).has_value());
}

TEST(TunnelLedgerTest, IsDoneOnlyOnceBothSidesFinishedSending) {
  ManualClock clock;
  TunnelLedger ledger(clock.now(), seconds(60));
  EXPECT_FALSE(ledger.finishSending(Direction::kUp));  // half-closed: the other way still runs
  EXPECT_TRUE(ledger.finished(Direction::kUp));
  EXPECT_FALSE(ledger.finished(Direction::kDown));
  EXPECT_TRUE(ledger.finishSending(Direction::kDown));
}

TEST(TunnelLedgerTest, IdleDeadlineMovesWithEveryByte) {
  ManualClock clock;
  TunnelLedger ledger(clock.now(), seconds(10));
  clock.advance(seconds(9));
  EXPECT_FALSE(ledger.idleExpired(clock.now()));
  ledger.addBytes(Direction::kDown, 1, clock.now());
  clock.advance(seconds(9));
  EXPECT_FALSE(ledger.idleExpired(clock.now()));  // 18s since start, 9s since the byte
  clock.advance(seconds(1));
  EXPECT_TRUE(ledger.idleExpired(clock.now()));
}

TEST(TunnelLedgerTest, NamesEveryEnd) {
  EXPECT_EQ(tunnelEndName(TunnelEndReason::kIdleTimeout), "idle_timeout");
  EXPECT_EQ(tunnelEndName(TunnelEndReason::kAppReset), "app_reset");
  EXPECT_EQ(tunnelEndName(TunnelEndReason::kUpstreamReset), "upstream_reset");
  EXPECT_EQ(tunnelEndName(TunnelEndReason::kDrained), "drained");
}

}  // namespace
}  // namespace outrigger::tunnel
