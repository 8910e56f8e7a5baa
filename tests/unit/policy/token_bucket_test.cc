#include "proxy/policy/token_bucket.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace outrigger::policy {
namespace {

using std::chrono::hours;
using std::chrono::nanoseconds;

TEST(TokenBucketTest, StartsFullAndRejectsOnceTheBurstIsSpent) {
  ManualClock clock;
  TokenBucket bucket(10, 5, clock.now());
  EXPECT_DOUBLE_EQ(bucket.available(clock.now()), 5);
  for (int i = 0; i < 5; ++i) {
    const TokenBucket::Decision d = bucket.tryTake(clock.now());
    EXPECT_TRUE(d.allowed) << "take " << i;
    EXPECT_EQ(d.retry_after, Duration::zero());
  }
  const TokenBucket::Decision rejected = bucket.tryTake(clock.now());
  EXPECT_FALSE(rejected.allowed);
  EXPECT_EQ(rejected.retry_after, milliseconds(100));  // one token at 10/s
  EXPECT_DOUBLE_EQ(bucket.available(clock.now()), 0);
}

TEST(TokenBucketTest, RefillsExactlyAtTheRate) {
  ManualClock clock;
  TokenBucket bucket(10, 1, clock.now());
  ASSERT_TRUE(bucket.tryTake(clock.now()).allowed);

  clock.advance(milliseconds(100) - nanoseconds(1));
  const TokenBucket::Decision early = bucket.tryTake(clock.now());
  EXPECT_FALSE(early.allowed);
  EXPECT_EQ(early.retry_after, nanoseconds(1));

  clock.advance(nanoseconds(1));
  EXPECT_TRUE(bucket.tryTake(clock.now()).allowed);
  EXPECT_FALSE(bucket.tryTake(clock.now()).allowed);

  // Half a token's time refills half a token.
  clock.advance(milliseconds(50));
  EXPECT_DOUBLE_EQ(bucket.available(clock.now()), 0.5);
}

TEST(TokenBucketTest, RetryAfterIsTheTimeUntilOneTokenIsAvailable) {
  ManualClock clock;
  TokenBucket bucket(4, 2, clock.now());  // one token per 250ms
  ASSERT_TRUE(bucket.tryTake(clock.now()).allowed);
  ASSERT_TRUE(bucket.tryTake(clock.now()).allowed);

  clock.advance(milliseconds(100));
  const TokenBucket::Decision d = bucket.tryTake(clock.now());
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, milliseconds(150));
  // A rejection takes nothing: the wait it announced is enough.
  clock.advance(d.retry_after);
  EXPECT_TRUE(bucket.tryTake(clock.now()).allowed);
}

TEST(TokenBucketTest, WaitingRetryAfterAlwaysFindsATokenWithAnUnevenInterval) {
  ManualClock clock;
  TokenBucket bucket(3, 1, clock.now());  // 333333333.3ns per token
  int allowed = 0;
  for (int i = 0; i < 30; ++i) {
    TokenBucket::Decision d = bucket.tryTake(clock.now());
    if (!d.allowed) {
      ASSERT_GT(d.retry_after, Duration::zero());
      clock.advance(d.retry_after);
      d = bucket.tryTake(clock.now());
      ASSERT_TRUE(d.allowed) << "after waiting retry_after, attempt " << i;
    }
    ++allowed;
  }
  EXPECT_EQ(allowed, 30);
  // 30 tokens, the first from the initial burst: 29 refills of 1/3 s each.
  EXPECT_NEAR(toSeconds(clock.now() - seconds(1000)), 29.0 / 3, 1e-6);
}

TEST(TokenBucketTest, LongIdleDoesNotBankMoreThanTheBurst) {
  ManualClock clock;
  TokenBucket bucket(1000, 3, clock.now());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(bucket.tryTake(clock.now()).allowed);

  clock.advance(hours(24 * 365));
  EXPECT_DOUBLE_EQ(bucket.available(clock.now()), 3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(bucket.tryTake(clock.now()).allowed);
  EXPECT_FALSE(bucket.tryTake(clock.now()).allowed);
}

TEST(TokenBucketTest, FractionalRateRefillsOneTokenEveryTwoSeconds) {
  ManualClock clock;
  TokenBucket bucket(0.5, 1, clock.now());
  ASSERT_TRUE(bucket.tryTake(clock.now()).allowed);

  TokenBucket::Decision d = bucket.tryTake(clock.now());
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, seconds(2));

  clock.advance(seconds(1));
  EXPECT_DOUBLE_EQ(bucket.available(clock.now()), 0.5);
  d = bucket.tryTake(clock.now());
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, seconds(1));

  clock.advance(seconds(1));
  EXPECT_TRUE(bucket.tryTake(clock.now()).allowed);
  EXPECT_FALSE(bucket.tryTake(clock.now()).allowed);
}

TEST(TokenBucketTest, FractionalBurstHoldsThePartialToken) {
  ManualClock clock;
  TokenBucket bucket(1, 1.5, clock.now());
  ASSERT_TRUE(bucket.tryTake(clock.now()).allowed);
  // 0.5 left: half a second more gives the next token.
  const TokenBucket::Decision d = bucket.tryTake(clock.now());
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, milliseconds(500));
}

TEST(TokenBucketTest, AnOlderNowFromAnotherThreadGrantsNothingExtra) {
  ManualClock clock;
  TokenBucket bucket(10, 1, clock.now());
  const MonoTime earlier = clock.now();
  clock.advance(milliseconds(5));
  ASSERT_TRUE(bucket.tryTake(clock.now()).allowed);
  const TokenBucket::Decision d = bucket.tryTake(earlier);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, milliseconds(105));
  EXPECT_TRUE(bucket.tryTake(clock.now() + milliseconds(100)).allowed);
}

TEST(TokenBucketTest, ConcurrentTakersShareTheBurstExactly) {
  // Without a lock, takers on several threads racing on one instant get exactly the burst
  // between them: no token is handed out twice, none is lost.
  ManualClock clock;
  TokenBucket bucket(1, 1000, clock.now());  // at 1/s, nothing refills meanwhile
  std::atomic<int> granted{0};
  std::vector<std::thread> takers;
  for (int t = 0; t < 4; ++t) {
    takers.emplace_back([&] {
      for (int i = 0; i < 500; ++i)
        if (bucket.tryTake(clock.now()).allowed) granted.fetch_add(1);
    });
  }
  for (auto& taker : takers) taker.join();
  EXPECT_EQ(granted.load(), 1000);
  EXPECT_FALSE(bucket.tryTake(clock.now()).allowed);
}

TEST(TokenBucketDeathTest, InvalidParametersAbort) {
  EXPECT_DEATH(TokenBucket(0, 1, MonoTime{}), "TokenBucket: invalid rate");
  EXPECT_DEATH(TokenBucket(10, 0.5, MonoTime{}), "TokenBucket: invalid rate");
}

}  // namespace
}  // namespace outrigger::policy
