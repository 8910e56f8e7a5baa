#include "proxy/log/timestamp.h"

#include <gtest/gtest.h>

#include <string>

namespace outrigger::log {
namespace {

std::string format(int64_t unix_micros) {
  char out[kTimestampLength];
  formatTimestamp(unix_micros, out);
  return std::string(out, kTimestampLength);
}

TEST(TimestampTest, Epoch) { EXPECT_EQ(format(0), "1970-01-01T00:00:00.000Z"); }

TEST(TimestampTest, MillisecondsAreTruncated) {
  EXPECT_EQ(format(1795385400123999), "2026-11-22T22:10:00.123Z");
}

TEST(TimestampTest, LeapDay) { EXPECT_EQ(format(1709251199999000), "2024-02-29T23:59:59.999Z"); }

TEST(TimestampTest, CenturyBoundary) {
  EXPECT_EQ(format(946684800000000), "2000-01-01T00:00:00.000Z");
}

TEST(TimestampTest, BeforeTheEpochFloors) { EXPECT_EQ(format(-1), "1969-12-31T23:59:59.999Z"); }

}  // namespace
}  // namespace outrigger::log
