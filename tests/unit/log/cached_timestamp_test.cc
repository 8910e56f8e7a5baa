#include "proxy/log/cached_timestamp.h"

#include <gtest/gtest.h>

#include <string>

#include "proxy/common/clock.h"

namespace outrigger::log {
namespace {

// A manual clock read as wall time: its nanoseconds since an epoch taken as the Unix epoch.
int64_t unixMicros(const ManualClock& clock) { return clock.now().count() / 1000; }

std::string cached(CachedTimestamp& cache, int64_t unix_micros) {
  char out[kTimestampLength];
  cache.format(unix_micros, out);
  return std::string(out, kTimestampLength);
}

std::string uncached(int64_t unix_micros) {
  char out[kTimestampLength];
  formatTimestamp(unix_micros, out);
  return std::string(out, kTimestampLength);
}

TEST(CachedTimestampTest, SameSecondOnlyTheMillisecondsChange) {
  ManualClock clock(std::chrono::microseconds(1795385400123456));  // 2026-11-22T22:10:00.123456Z
  CachedTimestamp cache;
  EXPECT_EQ(cached(cache, unixMicros(clock)), "2026-11-22T22:10:00.123Z");
  clock.advance(milliseconds(500));
  EXPECT_EQ(cached(cache, unixMicros(clock)), "2026-11-22T22:10:00.623Z");
  clock.advance(std::chrono::microseconds(376543));  // to the last microsecond of that second
  EXPECT_EQ(cached(cache, unixMicros(clock)), "2026-11-22T22:10:00.999Z");
}

TEST(CachedTimestampTest, NextSecondIsFormattedAfresh) {
  ManualClock clock(std::chrono::microseconds(1795385400999999));
  CachedTimestamp cache;
  EXPECT_EQ(cached(cache, unixMicros(clock)), "2026-11-22T22:10:00.999Z");
  clock.advance(std::chrono::microseconds(1));
  EXPECT_EQ(cached(cache, unixMicros(clock)), "2026-11-22T22:10:01.000Z");
}

TEST(CachedTimestampTest, DayAndYearBoundaries) {
  ManualClock clock(std::chrono::microseconds(1798761599999000));  // 2026-12-31T23:59:59.999Z
  CachedTimestamp cache;
  EXPECT_EQ(cached(cache, unixMicros(clock)), "2026-12-31T23:59:59.999Z");
  clock.advance(milliseconds(1));
  EXPECT_EQ(cached(cache, unixMicros(clock)), "2027-01-01T00:00:00.000Z");
}

TEST(CachedTimestampTest, ClockGoingBackIsFormattedAfresh) {
  // Wall time may step back (NTP); a line must never show the newer second's date.
  ManualClock clock(std::chrono::microseconds(1795385401500000));
  CachedTimestamp cache;
  EXPECT_EQ(cached(cache, unixMicros(clock)), "2026-11-22T22:10:01.500Z");
  clock.set(std::chrono::microseconds(1795385400250000));
  EXPECT_EQ(cached(cache, unixMicros(clock)), "2026-11-22T22:10:00.250Z");
}

TEST(CachedTimestampTest, BeforeTheEpochFloorsLikeFormatTimestamp) {
  CachedTimestamp cache;
  EXPECT_EQ(cached(cache, -1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(cached(cache, -1000000), "1969-12-31T23:59:59.000Z");
  EXPECT_EQ(cached(cache, -1000001), "1969-12-31T23:59:58.999Z");
  EXPECT_EQ(cached(cache, 0), "1970-01-01T00:00:00.000Z");
}

TEST(CachedTimestampTest, AgreesWithFormatTimestampStepByStep) {
  // Steps of 0.7 ms to 7 s from just before midnight, checked against the uncached form.
  ManualClock clock(std::chrono::microseconds(1795391999000000));  // 2026-11-22T23:59:59Z
  CachedTimestamp cache;
  for (int i = 0; i < 2000; ++i) {
    const int64_t micros = unixMicros(clock);
    ASSERT_EQ(cached(cache, micros), uncached(micros)) << "at " << micros;
    clock.advance(std::chrono::microseconds(700 + (i % 7) * 1000000 * (i % 3 == 0)));
  }
}

}  // namespace
}  // namespace outrigger::log
