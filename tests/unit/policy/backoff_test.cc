#include "proxy/policy/backoff.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace outrigger::policy {
namespace {

using std::chrono::hours;
using std::chrono::nanoseconds;

Backoff mustCreate(BackoffConfig config) {
  Result<Backoff> backoff = Backoff::create(config);
  EXPECT_TRUE(backoff.ok()) << (backoff.ok() ? "" : backoff.error().message);
  return *backoff;
}

TEST(BackoffTest, RejectsInvalidParametersWithTheirName) {
  struct Case {
    BackoffConfig config;
    std::string message;
  };
  const Case cases[] = {
      {{-milliseconds(5), seconds(1), 2, Jitter::kNone}, "backoff.initial must not be negative"},
      {{Duration::zero(), Duration::zero(), 2, Jitter::kNone},
       "backoff.max must be greater than 0"},
      {{seconds(2), seconds(1), 2, Jitter::kNone}, "backoff.max must be at least backoff.initial"},
      {{milliseconds(25), seconds(1), 0.5, Jitter::kNone},
       "backoff.multiplier must be a finite number >= 1"},
      {{milliseconds(25), seconds(1), std::nan(""), Jitter::kNone},
       "backoff.multiplier must be a finite number >= 1"},
      {{milliseconds(25), seconds(1), std::numeric_limits<double>::infinity(), Jitter::kNone},
       "backoff.multiplier must be a finite number >= 1"},
  };
  for (const Case& c : cases) {
    const Result<Backoff> backoff = Backoff::create(c.config);
    ASSERT_FALSE(backoff.ok()) << c.message;
    EXPECT_EQ(backoff.error().kind, "invalid_backoff");
    EXPECT_EQ(backoff.error().source, ErrorSource::kConfig);
    EXPECT_EQ(backoff.error().message, c.message);
  }
}

TEST(BackoffTest, DefaultConfigIsValid) { EXPECT_TRUE(Backoff::create(BackoffConfig{}).ok()); }

TEST(BackoffTest, ZeroInitialMeansEveryRetryGoesAtOnce) {
  // Whatever the jitter draws and however far the index grows, 0 * multiplier^n stays 0.
  for (Jitter jitter : {Jitter::kFull, Jitter::kNone}) {
    const Backoff backoff = mustCreate({Duration::zero(), seconds(1), 2, jitter});
    SequenceRandom random({UINT64_MAX, 7, 0});
    for (uint32_t i : {0u, 1u, 5u, 1000u}) {
      EXPECT_EQ(backoff.ceiling(i), Duration::zero()) << "retry " << i;
      EXPECT_EQ(backoff.delay(i, random), Duration::zero()) << "retry " << i;
    }
  }
}

TEST(BackoffTest, GrowsExponentiallyUpToMax) {
  const Backoff backoff = mustCreate({milliseconds(25), seconds(1), 2, Jitter::kNone});
  SequenceRandom random({12345});
  const Duration expected[] = {milliseconds(25),  milliseconds(50),  milliseconds(100),
                               milliseconds(200), milliseconds(400), milliseconds(800),
                               seconds(1),        seconds(1)};
  for (uint32_t i = 0; i < std::size(expected); ++i) {
    EXPECT_EQ(backoff.delay(i, random), expected[i]) << "retry " << i;
  }
}

TEST(BackoffTest, FractionalMultiplierAndMultiplierOne) {
  const Backoff batch = mustCreate({seconds(5), seconds(600), 1.5, Jitter::kNone});
  SequenceRandom random({0});
  EXPECT_EQ(batch.delay(0, random), seconds(5));
  EXPECT_EQ(batch.delay(1, random), milliseconds(7500));
  EXPECT_EQ(batch.delay(2, random), milliseconds(11250));

  const Backoff constant = mustCreate({milliseconds(300), seconds(1), 1, Jitter::kNone});
  EXPECT_EQ(constant.delay(0, random), milliseconds(300));
  EXPECT_EQ(constant.delay(1000000, random), milliseconds(300));
}

TEST(BackoffTest, HugeRetryIndexSaturatesAtMaxWithoutOverflow) {
  const Backoff backoff = mustCreate({nanoseconds(1), hours(1000000), 10, Jitter::kNone});
  SequenceRandom random({0});
  EXPECT_EQ(backoff.delay(10, random), seconds(10));
  EXPECT_EQ(backoff.delay(19, random), hours(1000000));
  EXPECT_EQ(backoff.delay(UINT32_MAX, random), hours(1000000));

  const Duration longest = Duration::max();
  const Backoff unbounded = mustCreate({seconds(1), longest, 2, Jitter::kNone});
  EXPECT_EQ(unbounded.delay(UINT32_MAX, random), longest);
  SequenceRandom top({UINT64_MAX});
  const Backoff jittered = mustCreate({seconds(1), longest, 2, Jitter::kFull});
  const Duration d = jittered.delay(UINT32_MAX, top);
  EXPECT_GE(d, Duration::zero());
  EXPECT_LE(d, longest);
}

TEST(BackoffTest, FullJitterDrawsFromTheInjectedRandomInclusiveOfTheCeiling) {
  const Backoff backoff = mustCreate({milliseconds(100), seconds(1), 2, Jitter::kFull});
  // below(n) is next() % n; the ceiling at retry 0 is 100ms, so n = 100'000'001.
  SequenceRandom random({0, 12'345'678, 100'000'000, 100'000'001, UINT64_MAX});
  EXPECT_EQ(backoff.delay(0, random), Duration::zero());
  EXPECT_EQ(backoff.delay(0, random), nanoseconds(12'345'678));
  EXPECT_EQ(backoff.delay(0, random), milliseconds(100));  // the ceiling itself
  EXPECT_EQ(backoff.delay(0, random), Duration::zero());
  EXPECT_EQ(backoff.delay(0, random), nanoseconds(UINT64_MAX % 100'000'001));
}

TEST(BackoffTest, FullJitterStaysWithinBoundsAndSpreadsEvenly) {
  const Backoff backoff = mustCreate({milliseconds(10), seconds(1), 3, Jitter::kFull});
  FastRandom random(7);
  for (uint32_t retry = 0; retry < 8; ++retry) {
    const Duration ceiling = backoff.ceiling(retry);
    double sum = 0;
    constexpr int kDraws = 20000;
    for (int i = 0; i < kDraws; ++i) {
      const Duration d = backoff.delay(retry, random);
      ASSERT_GE(d, Duration::zero());
      ASSERT_LE(d, ceiling);
      sum += toSeconds(d);
    }
    EXPECT_NEAR(sum / kDraws, toSeconds(ceiling) / 2, toSeconds(ceiling) * 0.02) << retry;
  }
}

}  // namespace
}  // namespace outrigger::policy
