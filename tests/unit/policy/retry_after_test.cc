#include "proxy/policy/retry_after.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace outrigger::policy {
namespace {

constexpr int64_t kOct21_2015_072800 = 1445412480;  // Wed, 21 Oct 2015 07:28:00 GMT
constexpr int64_t kNov6_1994_084937 = 784111777;    // Sun, 06 Nov 1994 08:49:37 GMT
constexpr int64_t kNov22_2026 = 1795305600;         // Sun, 22 Nov 2026 00:00:00 GMT

TEST(ParseRetryAfterTest, DelaySeconds) {
  EXPECT_EQ(parseRetryAfter("120", 0), seconds(120));
  EXPECT_EQ(parseRetryAfter("0", 0), seconds(0));
  EXPECT_EQ(parseRetryAfter("007", 0), seconds(7));
  EXPECT_EQ(parseRetryAfter("86400", 0), seconds(86400));
}

TEST(ParseRetryAfterTest, SurroundingWhitespaceIsIgnored) {
  EXPECT_EQ(parseRetryAfter("  120 ", 0), seconds(120));
  EXPECT_EQ(parseRetryAfter("\t5\t", 0), seconds(5));
  EXPECT_EQ(parseRetryAfter(" Wed, 21 Oct 2015 07:28:00 GMT  ", kOct21_2015_072800 - 30),
            seconds(30));
}

TEST(ParseRetryAfterTest, AbsurdValuesAreCappedAtOneDay) {
  EXPECT_EQ(parseRetryAfter("86401", 0), kMaxRetryAfter);
  EXPECT_EQ(parseRetryAfter("99999999999999999999999999999", 0), kMaxRetryAfter);
  EXPECT_EQ(parseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT", kOct21_2015_072800), kMaxRetryAfter);
}

TEST(ParseRetryAfterTest, ImfFixdate) {
  EXPECT_EQ(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", kOct21_2015_072800 - 90), seconds(90));
  EXPECT_EQ(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", kNov6_1994_084937 - 1), seconds(1));
  // A leap day, and the leap second HTTP-date allows.
  EXPECT_EQ(parseRetryAfter("Mon, 29 Feb 2016 00:00:00 GMT", 1456704000 - 10), seconds(10));
  EXPECT_EQ(parseRetryAfter("Wed, 21 Oct 2015 07:28:60 GMT", kOct21_2015_072800), seconds(60));
}

TEST(ParseRetryAfterTest, ObsoleteDateForms) {
  EXPECT_EQ(parseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", kNov6_1994_084937 - 5), seconds(5));
  EXPECT_EQ(parseRetryAfter("Sun Nov  6 08:49:37 1994", kNov6_1994_084937 - 5), seconds(5));
  EXPECT_EQ(parseRetryAfter("Wed Oct 21 07:28:00 2015", kOct21_2015_072800 - 7), seconds(7));
}

TEST(ParseRetryAfterTest, TwoDigitYearsMoreThanFiftyYearsAheadMeanThePast) {
  // From 2026: "76" is 2076 (50 years ahead, so taken literally, and capped); "77" would be
  // 51 years ahead, so it is 1977 and already past.
  EXPECT_EQ(parseRetryAfter("Sunday, 22-Nov-76 00:00:00 GMT", kNov22_2026), kMaxRetryAfter);
  EXPECT_EQ(parseRetryAfter("Tuesday, 22-Nov-77 00:00:00 GMT", kNov22_2026), seconds(0));
  EXPECT_EQ(parseRetryAfter("Sunday, 22-Nov-26 00:00:10 GMT", kNov22_2026), seconds(10));
}

TEST(ParseRetryAfterTest, APastDateMeansNoWait) {
  EXPECT_EQ(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", kOct21_2015_072800), seconds(0));
  EXPECT_EQ(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", kOct21_2015_072800 + 3600),
            seconds(0));
  EXPECT_EQ(parseRetryAfter("Thu, 01 Jan 1970 00:00:00 GMT", kNov22_2026), seconds(0));
}

TEST(ParseRetryAfterTest, RejectsGarbage) {
  const std::string bad[] = {
      "",
      "   ",
      "abc",
      "-5",
      "+5",
      "1.5",
      "12a",
      "1 2",
      "0x10",
      "Wed, 21 Oct 2015 07:28:00",            // no GMT
      "Wed, 21 Oct 2015 07:28:00 UTC",        // only GMT is allowed
      "Wed, 21 Oct 2015 07:28:00 GMT x",      // trailing junk
      "wed, 21 Oct 2015 07:28:00 GMT",        // HTTP-date is case-sensitive
      "Wed, 21 oct 2015 07:28:00 GMT",        // ... month names too
      "Wed, 21 Foo 2015 07:28:00 GMT",        // no such month
      "Wed, 32 Oct 2015 07:28:00 GMT",        // no such day
      "Sun, 29 Feb 2015 00:00:00 GMT",        // not a leap year
      "Wed, 21 Oct 2015 24:00:00 GMT",        // no such hour
      "Wed, 21 Oct 2015 07:60:00 GMT",        // no such minute
      "Wed, 1 Oct 2015 07:28:00 GMT",         // IMF-fixdate pads the day with a zero
      "Wed,21 Oct 2015 07:28:00 GMT",         // missing space
      "Wednesday, 21 Oct 2015 07:28:00 GMT",  // long day name needs the RFC 850 form
      "Wed, 21-Oct-15 07:28:00 GMT",          // short day name needs IMF-fixdate
      "Wed Oct 21 07:28:00 15",               // asctime has a four-digit year
      "Wed Oct 21 07:28:00 2015 GMT",         // asctime has no zone
      "Wed, 21 Oct 2015 7:28:00 GMT",         // hours have two digits
  };
  for (const std::string& value : bad) {
    EXPECT_EQ(parseRetryAfter(value, kOct21_2015_072800), std::nullopt) << "'" << value << "'";
  }
}

}  // namespace
}  // namespace outrigger::policy
