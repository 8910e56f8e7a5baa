#include "proxy/common/units.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace outrigger {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;

struct DurationCase {
  std::string text;
  Duration expected;
};

TEST(ParseDurationTest, AcceptsEveryUnitAndDecimals) {
  const DurationCase cases[] = {
      {"0", Duration::zero()},
      {"0s", Duration::zero()},
      {"0.0ms", Duration::zero()},
      {"1ns", nanoseconds(1)},
      {"500us", microseconds(500)},
      {"250ms", milliseconds(250)},
      {"2s", seconds(2)},
      {"1.5s", milliseconds(1500)},
      {"0.25s", milliseconds(250)},
      {"1m", minutes(1)},
      {"1.5m", seconds(90)},
      {"1h", hours(1)},
      {"0.001ms", microseconds(1)},
      {"1.0000000019s", nanoseconds(1'000'000'001)},  // beyond 9 decimals is dropped
      {"2562047h", hours(2562047)},                   // close to the int64 nanosecond limit
  };
  for (const auto& c : cases) {
    const Result<Duration> r = parseDuration(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.error().message;
    EXPECT_EQ(*r, c.expected) << c.text;
  }
}

struct InvalidCase {
  std::string text;
  std::string message;
};

TEST(ParseDurationTest, RejectsInvalidValuesWithAReadableMessage) {
  const InvalidCase cases[] = {
      {"abc", "expected a duration like 250ms, 2s or 1m, got 'abc'"},
      {"", "expected a duration like 250ms, 2s or 1m, got ''"},
      {"-1s", "a duration cannot be negative, got '-1s'"},
      {"5", "missing unit in '5' (write e.g. 5s or 5ms; units are ns, us, ms, s, m and h)"},
      {"5sec", "unknown unit 'sec' in '5sec' (use ns, us, ms, s, m or h)"},
      {"5 s", "expected a duration like 250ms, 2s or 1m, got '5 s'"},
      {"1.s", "expected a duration like 250ms, 2s or 1m, got '1.s'"},
      {".5s", "expected a duration like 250ms, 2s or 1m, got '.5s'"},
      {"1m30s", "expected a duration like 250ms, 2s or 1m, got '1m30s'"},
      {"2562048h", "duration '2562048h' is too large"},
      {"99999999999999999999s", "duration '99999999999999999999s' is too large"},
  };
  for (const auto& c : cases) {
    const Result<Duration> r = parseDuration(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().message, c.message) << c.text;
    EXPECT_EQ(r.error().source, ErrorSource::kConfig);
  }
}

struct SizeCase {
  std::string text;
  uint64_t expected;
};

TEST(ParseSizeTest, AcceptsBinaryAndDecimalUnits) {
  const SizeCase cases[] = {
      {"0", 0},
      {"512", 512},
      {"512B", 512},
      {"64KiB", 64 * 1024},
      {"1MiB", 1024 * 1024},
      {"1GiB", 1024ull * 1024 * 1024},
      {"2TiB", 2ull << 40},
      {"1.5KiB", 1536},
      {"64KB", 64'000},
      {"64kB", 64'000},
      {"1MB", 1'000'000},
      {"1GB", 1'000'000'000},
      {"18446744073709551615", UINT64_MAX},
  };
  for (const auto& c : cases) {
    const Result<uint64_t> r = parseSize(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.error().message;
    EXPECT_EQ(*r, c.expected) << c.text;
  }
}

TEST(ParseSizeTest, RejectsInvalidValuesWithAReadableMessage) {
  const InvalidCase cases[] = {
      {"lots", "expected a size like 512B, 64KiB or 1MiB, got 'lots'"},
      {"-1KiB", "a size cannot be negative, got '-1KiB'"},
      {"64K",
       "unknown unit 'K' in '64K' (use B, KiB, MiB, GiB, TiB, or KB, MB, GB, TB for "
       "powers of 1000)"},
      {"64 KiB", "expected a size like 512B, 64KiB or 1MiB, got '64 KiB'"},
      {"1.3B", "'1.3B' is not a whole number of bytes"},
      {"18446744073709551616", "size '18446744073709551616' is too large"},
      {"17179869184GiB", "size '17179869184GiB' is too large"},
  };
  for (const auto& c : cases) {
    const Result<uint64_t> r = parseSize(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().message, c.message) << c.text;
  }
}

TEST(ParseRatioTest, AcceptsPercentagesFromZeroToHundred) {
  const std::pair<std::string, double> cases[] = {
      {"0%", 0.0}, {"50%", 0.5}, {"12.5%", 0.125}, {"100%", 1.0}, {"100.0%", 1.0}, {"7%", 0.07},
  };
  for (const auto& [text, expected] : cases) {
    const Result<double> r = parseRatio(text);
    ASSERT_TRUE(r.ok()) << text << ": " << r.error().message;
    EXPECT_DOUBLE_EQ(*r, expected) << text;
  }
}

TEST(ParseRatioTest, RejectsInvalidValuesWithAReadableMessage) {
  const InvalidCase cases[] = {
      {"0.5", "expected a percentage like 50% or 12.5%, got '0.5'"},
      {"50", "expected a percentage like 50% or 12.5%, got '50'"},
      {"%", "expected a percentage like 50% or 12.5%, got '%'"},
      {"half%", "expected a percentage like 50% or 12.5%, got 'half%'"},
      {"50 %", "expected a percentage like 50% or 12.5%, got '50 %'"},
      {"150%", "a percentage must be between 0% and 100%, got '150%'"},
      {"-5%", "a percentage must be between 0% and 100%, got '-5%'"},
  };
  for (const auto& c : cases) {
    const Result<double> r = parseRatio(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().message, c.message) << c.text;
  }
}

TEST(FormatUnitsTest, PrintsTheLargestExactUnit) {
  EXPECT_EQ(formatDuration(Duration::zero()), "0s");
  EXPECT_EQ(formatDuration(milliseconds(250)), "250ms");
  EXPECT_EQ(formatDuration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(formatDuration(seconds(2)), "2s");
  EXPECT_EQ(formatDuration(seconds(90)), "90s");
  EXPECT_EQ(formatDuration(seconds(120)), "2m");
  EXPECT_EQ(formatDuration(hours(3)), "3h");
  EXPECT_EQ(formatDuration(nanoseconds(1001)), "1001ns");
  EXPECT_EQ(formatSize(0), "0B");
  EXPECT_EQ(formatSize(512), "512B");
  EXPECT_EQ(formatSize(64 * 1024), "64KiB");
  EXPECT_EQ(formatSize(1024 * 1024), "1MiB");
  EXPECT_EQ(formatSize(64'000), "64KB");
  EXPECT_EQ(formatSize(1500), "1500B");
  EXPECT_EQ(formatRatio(0.5), "50%");
  EXPECT_EQ(formatRatio(0.125), "12.5%");
  EXPECT_EQ(formatRatio(0.07), "7%");
}

TEST(FormatUnitsTest, FormattedValuesParseBack) {
  for (int64_t ns : {int64_t{1}, int64_t{999}, int64_t{1'000'001}, int64_t{90'000'000'000},
                     int64_t{7'200'000'000'000}}) {
    const Result<Duration> r = parseDuration(formatDuration(Duration(ns)));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->count(), ns);
  }
  for (uint64_t bytes : {uint64_t{1}, uint64_t{1023}, uint64_t{65536}, uint64_t{3'000'000}}) {
    const Result<uint64_t> r = parseSize(formatSize(bytes));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, bytes);
  }
  for (double ratio : {0.0, 0.07, 0.125, 0.333, 1.0}) {
    const Result<double> r = parseRatio(formatRatio(ratio));
    ASSERT_TRUE(r.ok());
    EXPECT_DOUBLE_EQ(*r, ratio);
  }
}

}  // namespace
}  // namespace outrigger
