// GlobalRateLease: lease sizing, renewal timing, each on_store_error mode, and a simulated
// fleet of three against a model of the Redis script (accuracy and commands per 1,000).

#include "proxy/policy/global_rate_lease.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace outrigger::policy {
namespace {

constexpr MonoTime kStart = std::chrono::seconds(1000);

GlobalRateLeaseConfig limitOf(double rps, double burst,
                              StoreFallback mode = StoreFallback::kLocal) {
  return GlobalRateLeaseConfig{rps, burst, mode};
}

// Takes at `rate` per second for `how_long`, stepping the clock; returns the admitted count.
// The leasing side is asked every 10ms, as the driver's timer does, and `grant` answers.
template <typename Grant>
int drive(GlobalRateLease& lease, MonoTime& now, double rate, Duration how_long, Grant grant) {
  int admitted = 0;
  const Duration step = milliseconds(1);
  double owed = 0;
  for (Duration t{}; t < how_long; t += step) {
    now += step;
    owed += rate * 0.001;
    for (; owed >= 1; owed -= 1) admitted += lease.tryTake(now).allowed ? 1 : 0;
    if ((now.count() / 1000000) % 10 == 0) {
      if (auto want = lease.leaseToRequest(now)) grant(*want, now);
    }
  }
  return admitted;
}

TEST(GlobalRateLeaseTest, FirstLeaseAsksForTheWholeFleetBucket) {
  GlobalRateLease lease(limitOf(100, 10), kStart);
  // Nothing is known yet, so the replica assumes it may need the whole limit: a lease
  // period at 100/s, capped at what the fleet's bucket can hold (one second's worth).
  EXPECT_EQ(lease.fleetCapacity(), 100);
  EXPECT_EQ(lease.leaseToRequest(kStart), 100u);
  // One request at a time.
  EXPECT_EQ(lease.leaseToRequest(kStart), std::nullopt);
}

TEST(GlobalRateLeaseTest, BeforeTheFirstLeaseTheFallbackApplies) {
  GlobalRateLease lease(limitOf(100, 10, StoreFallback::kLocal), kStart);
  EXPECT_FALSE(lease.status().store_ok);
  // A local bucket for a fleet of one: the burst of 10 passes, the 11th does not.
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(lease.tryTake(kStart).allowed) << i;
  EXPECT_FALSE(lease.tryTake(kStart).allowed);
  GlobalRateLease denying(limitOf(100, 10, StoreFallback::kDeny), kStart);
  EXPECT_FALSE(denying.tryTake(kStart).allowed);
}

TEST(GlobalRateLeaseTest, SpendsExactlyTheGrantedTokensThenRejects) {
  GlobalRateLease lease(limitOf(100, 10), kStart);
  ASSERT_TRUE(lease.leaseToRequest(kStart));
  lease.onLeaseGranted(3, 1, kStart);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(lease.tryTake(kStart).allowed) << i;
  const GlobalRateLease::Decision d = lease.tryTake(kStart);
  EXPECT_FALSE(d.allowed);
  EXPECT_GT(d.retry_after, Duration::zero());
  EXPECT_EQ(lease.status().tokens_left, 0);
}

TEST(GlobalRateLeaseTest, LeaseSizeFollowsTheReplicasOwnRate) {
  GlobalRateLease lease(limitOf(1000, 1000), kStart);
  MonoTime now = kStart;
  std::vector<uint64_t> asked;
  // The estimate starts at the limit and forgets it within a few seconds.
  drive(lease, now, 50, seconds(10), [&](uint64_t want, MonoTime at) {
    asked.push_back(want);
    lease.onLeaseGranted(want, 1, at);
  });
  ASSERT_GE(asked.size(), 2u);
  // 50/s over a 2s lease period: about 100 tokens, not the 2,000 of the limit.
  EXPECT_NEAR(static_cast<double>(asked.back()), 100, 15);
  EXPECT_NEAR(lease.status().rate_per_second, 50, 5);
}

TEST(GlobalRateLeaseTest, IdleReplicaHoldsNothingAndOnlyAnnouncesItself) {
  GlobalRateLease lease(limitOf(1000, 1000), kStart);
  MonoTime now = kStart;
  const auto grant = [&](uint64_t want, MonoTime at) { lease.onLeaseGranted(want, 1, at); };
  drive(lease, now, 100, seconds(3), grant);
  EXPECT_GT(lease.status().tokens_left, 0);
  std::vector<std::pair<MonoTime, uint64_t>> asked;
  drive(lease, now, 0, seconds(20), [&](uint64_t want, MonoTime at) {
    asked.emplace_back(at, want);
    lease.onLeaseGranted(want, 1, at);
  });
  // Unspent tokens expired, the rate estimate fell to nothing, and the last requests are
  // heartbeats asking for no tokens, kHeartbeat apart.
  EXPECT_EQ(lease.status().tokens_left, 0);
  EXPECT_LT(lease.status().rate_per_second, 0.01);
  ASSERT_GE(asked.size(), 4u);
  const auto& last = asked.back();
  const auto& before = asked[asked.size() - 2];
  EXPECT_EQ(last.second, 0u);
  EXPECT_EQ(before.second, 0u);
  EXPECT_GE(last.first - before.first, GlobalRateLease::kHeartbeat);
  EXPECT_LT(last.first - before.first, GlobalRateLease::kHeartbeat + milliseconds(20));
}

TEST(GlobalRateLeaseTest, RenewsOnlyWhenTheTokensLeftRunLow) {
  GlobalRateLease lease(limitOf(100, 100), kStart);
  MonoTime now = kStart;
  ASSERT_TRUE(lease.leaseToRequest(now));
  lease.onLeaseGranted(200, 1, now);
  // Spend at 100/s: 200 tokens last 2s; renewal is due once under 0.5s (50 tokens) are left.
  MonoTime renewed_at{};
  for (int ms = 1; ms <= 3000 && renewed_at == MonoTime{}; ++ms) {
    now += milliseconds(1);
    if (ms % 10 != 0) continue;
    EXPECT_TRUE(lease.tryTake(now).allowed) << ms;
    if (lease.leaseToRequest(now)) renewed_at = now;
  }
  ASSERT_NE(renewed_at, MonoTime{});
  // 100 requests per second from the first: 150 spent after 1.5s.
  EXPECT_GE(renewed_at - kStart, milliseconds(1400));
  EXPECT_LE(renewed_at - kStart, milliseconds(1600));
}

TEST(GlobalRateLeaseTest, AfterAShortGrantWaitsTheStarvedInterval) {
  GlobalRateLease lease(limitOf(100, 100), kStart);
  MonoTime now = kStart;
  const uint64_t want = *lease.leaseToRequest(now);
  lease.onLeaseGranted(want / 10, 3, now);  // the fleet's bucket is nearly empty
  for (int i = 0; i < 100; ++i) lease.tryTake(now);
  now += GlobalRateLease::kStarvedInterval - milliseconds(10);
  EXPECT_EQ(lease.leaseToRequest(now), std::nullopt);
  now += milliseconds(10);
  EXPECT_TRUE(lease.leaseToRequest(now).has_value());
}

TEST(GlobalRateLeaseTest, LocalFallbackIsTheLimitDividedByTheLastFleetSize) {
  GlobalRateLease lease(limitOf(300, 30, StoreFallback::kLocal), kStart);
  MonoTime now = kStart;
  ASSERT_TRUE(lease.leaseToRequest(now));
  lease.onLeaseGranted(0, 3, now);
  ASSERT_TRUE(lease.status().store_ok);
  now += seconds(3);
  ASSERT_TRUE(lease.leaseToRequest(now));
  lease.onStoreError(now);
  EXPECT_FALSE(lease.status().store_ok);
  // A bucket of 100/s holding 10: over 2s at 500/s offered, 10 + 200 are admitted.
  int admitted = 0;
  for (int ms = 0; ms < 2000; ++ms) {
    now += milliseconds(1);
    for (int i = 0; i < 5; ++i) admitted += lease.tryTake(now).allowed ? 1 : 0;
  }
  EXPECT_NEAR(admitted, 210, 2);
}

TEST(GlobalRateLeaseTest, AllowFallbackAdmitsEverything) {
  GlobalRateLease lease(limitOf(10, 1, StoreFallback::kAllow), kStart);
  ASSERT_TRUE(lease.leaseToRequest(kStart));
  lease.onStoreError(kStart);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(lease.tryTake(kStart).allowed) << i;
}

TEST(GlobalRateLeaseTest, DenyFallbackRejectsOnceTheLeaseIsSpent) {
  GlobalRateLease lease(limitOf(10, 1, StoreFallback::kDeny), kStart);
  ASSERT_TRUE(lease.leaseToRequest(kStart));
  lease.onLeaseGranted(2, 1, kStart);
  MonoTime now = kStart + GlobalRateLease::kHeartbeat;  // the next request: a heartbeat
  ASSERT_TRUE(lease.leaseToRequest(now));
  lease.onStoreError(now);
  // The two leased tokens were granted by the fleet's bucket: they are still spent.
  EXPECT_TRUE(lease.tryTake(now).allowed);
  EXPECT_TRUE(lease.tryTake(now).allowed);
  const GlobalRateLease::Decision d = lease.tryTake(now);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, seconds(1));
}

TEST(GlobalRateLeaseTest, RecoversWhenALeaseIsGrantedAgain) {
  GlobalRateLease lease(limitOf(10, 1, StoreFallback::kAllow), kStart);
  ASSERT_TRUE(lease.leaseToRequest(kStart));
  lease.onStoreError(kStart);
  EXPECT_TRUE(lease.tryTake(kStart).allowed);
  MonoTime now = kStart + seconds(3);
  ASSERT_TRUE(lease.leaseToRequest(now));
  lease.onLeaseGranted(1, 1, now);
  EXPECT_TRUE(lease.status().store_ok);
  EXPECT_TRUE(lease.tryTake(now).allowed);   // the leased token
  EXPECT_FALSE(lease.tryTake(now).allowed);  // and the limit applies again
}

// The Lua script's arithmetic (redis_lease_script), over Redis's own clock.
struct FleetBucketModel {
  double rate, capacity, tokens;
  MonoTime updated;
  uint64_t commands = 0;
  uint64_t take(uint64_t want, MonoTime now) {
    ++commands;
    tokens =
        std::min(capacity, tokens + rate * std::chrono::duration<double>(now - updated).count());
    updated = now;
    const auto grant = std::min<uint64_t>(want, static_cast<uint64_t>(std::floor(tokens)));
    tokens -= static_cast<double>(grant);
    return grant;
  }
};

struct FleetResult {
  int admitted;
  uint64_t commands;
};

// Three replicas sharing 300/s (burst 30), offered `shares` of 900/s for 10s.
FleetResult simulateFleet(const double (&shares)[3]) {
  std::vector<std::unique_ptr<GlobalRateLease>> fleet;
  for (int i = 0; i < 3; ++i)
    fleet.push_back(std::make_unique<GlobalRateLease>(limitOf(300, 30), kStart));
  GlobalRateLease& any = *fleet[0];
  FleetBucketModel redis{300, any.fleetCapacity(), 30, kStart};
  double owed[3] = {0, 0, 0};
  int admitted = 0;
  MonoTime now = kStart;
  for (int ms = 0; ms < 10000; ++ms) {
    now += milliseconds(1);
    for (int i = 0; i < 3; ++i) {
      owed[i] += 900 * shares[i] * 0.001;
      for (; owed[i] >= 1; owed[i] -= 1) admitted += fleet[i]->tryTake(now).allowed ? 1 : 0;
      // Replicas tick out of phase with each other.
      if ((ms + 3 * i) % 10 == 0) {
        if (auto want = fleet[i]->leaseToRequest(now))
          fleet[i]->onLeaseGranted(redis.take(*want, now), 3, now);
      }
    }
  }
  return {admitted, redis.commands};
}

TEST(GlobalRateLeaseTest, FleetOfThreeSplitEvenlyHoldsTheLimitWithFewCommands) {
  const FleetResult r = simulateFleet({1.0 / 3, 1.0 / 3, 1.0 / 3});
  EXPECT_NEAR(r.admitted / 10.0, 300, 30);
  EXPECT_LE(r.commands * 1000.0 / r.admitted, 20.0) << r.commands << " commands";
}

TEST(GlobalRateLeaseTest, FleetOfThreeSplitUnevenlyHoldsTheLimitWithFewCommands) {
  const FleetResult r = simulateFleet({0.6, 0.3, 0.1});
  EXPECT_NEAR(r.admitted / 10.0, 300, 30);
  EXPECT_LE(r.commands * 1000.0 / r.admitted, 20.0) << r.commands << " commands";
}

}  // namespace
}  // namespace outrigger::policy
