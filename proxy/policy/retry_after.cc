#include "proxy/policy/retry_after.h"

#include <algorithm>
#include <array>

namespace outrigger::policy {
namespace {

constexpr int64_t kMaxRetryAfterSeconds = 24 * 60 * 60;
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> kDays = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                   "Friday", "Saturday", "Sunday"};

struct CivilTime {
  int64_t year = 0;
  int month = 0;  // 1..12
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
};

// Reads an HTTP-date left to right. Every method consumes input only on success.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}
  bool done() const { return text_.empty(); }

  bool literal(std::string_view expected) {
    if (!text_.starts_with(expected)) return false;
    text_.remove_prefix(expected.size());
    return true;
  }

  bool digits(size_t count, int& out) {
    if (text_.size() < count) return false;
    int value = 0;
    for (size_t i = 0; i < count; ++i) {
      const char c = text_[i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    text_.remove_prefix(count);
    out = value;
    return true;
  }

  bool month(int& out) {
    for (size_t i = 0; i < kMonths.size(); ++i) {
      if (literal(kMonths[i])) {
        out = static_cast<int>(i) + 1;
        return true;
      }
    }
    return false;
  }

  // A day name; `long_form` tells whether it was spelled out ("Sunday") or not ("Sun").
  // The weekday is not checked against the date: it adds nothing to the delay.
  bool dayName(bool& long_form) {
    for (std::string_view name : kDays) {
      long_form = literal(name);
      if (long_form || literal(name.substr(0, 3))) return true;
    }
    return false;
  }

  // hour ":" minute ":" second, each two digits.
  bool timeOfDay(CivilTime& t) {
    return digits(2, t.hour) && literal(":") && digits(2, t.minute) && literal(":") &&
           digits(2, t.second);
  }

 private:
  std::string_view text_;
};

// Howard Hinnant's days_from_civil / civil_from_days: proleptic Gregorian, no tables.
int64_t daysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int64_t yearOfDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  return yoe + era * 400 + (mp >= 10 ? 1 : 0);  // months Jan and Feb belong to the next year
}

bool isLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool valid(const CivilTime& t) {
  constexpr std::array<int, 12> kMonthDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (t.month < 1 || t.month > 12 || t.day < 1) return false;
  const int month_days = kMonthDays[t.month - 1] + (t.month == 2 && isLeap(t.year) ? 1 : 0);
  // Second 60 is a leap second, which HTTP-date allows.
  return t.day <= month_days && t.hour <= 23 && t.minute <= 59 && t.second <= 60;
}

// RFC 9110 §5.6.7: a two-digit year more than 50 years in the future means the most recent
// past year with those digits.
int64_t expandTwoDigitYear(int yy, int64_t now_unix_seconds) {
  const int64_t now_year = yearOfDays(now_unix_seconds / 86400);
  int64_t year = now_year - now_year % 100 + yy;
  if (year > now_year + 50) year -= 100;
  if (year + 100 <= now_year + 50) year += 100;
  return year;
}

// IMF-fixdate after "Sun, ": "06 Nov 1994 08:49:37 GMT".
bool parseImfFixdate(Cursor& in, CivilTime& t) {
  int year = 0;
  if (!(in.digits(2, t.day) && in.literal(" ") && in.month(t.month) && in.literal(" ") &&
        in.digits(4, year) && in.literal(" ") && in.timeOfDay(t) && in.literal(" GMT"))) {
    return false;
  }
  t.year = year;
  return true;
}

// RFC 850 after "Sunday, ": "06-Nov-94 08:49:37 GMT".
bool parseRfc850(Cursor& in, int64_t now_unix_seconds, CivilTime& t) {
  int yy = 0;
  if (!(in.digits(2, t.day) && in.literal("-") && in.month(t.month) && in.literal("-") &&
        in.digits(2, yy) && in.literal(" ") && in.timeOfDay(t) && in.literal(" GMT"))) {
    return false;
  }
  t.year = expandTwoDigitYear(yy, now_unix_seconds);
  return true;
}

// asctime after "Sun ": "Nov  6 08:49:37 1994"; a one-digit day is padded with a space.
bool parseAsctime(Cursor& in, CivilTime& t) {
  int year = 0;
  if (!(in.month(t.month) && in.literal(" "))) return false;
  const bool day_ok = in.literal(" ") ? in.digits(1, t.day) : in.digits(2, t.day);
  if (!(day_ok && in.literal(" ") && in.timeOfDay(t) && in.literal(" ") && in.digits(4, year))) {
    return false;
  }
  t.year = year;
  return true;
}

// The day name picks the form: short name and comma = IMF-fixdate, long name and comma =
// RFC 850, short name and space = asctime.
bool parseHttpDate(std::string_view text, int64_t now_unix_seconds, CivilTime& t) {
  Cursor in(text);
  bool long_name = false;
  if (!in.dayName(long_name)) return false;
  bool parsed = false;
  if (in.literal(", ")) {
    parsed = long_name ? parseRfc850(in, now_unix_seconds, t) : parseImfFixdate(in, t);
  } else if (!long_name && in.literal(" ")) {
    parsed = parseAsctime(in, t);
  }
  return parsed && in.done() && valid(t);
}

std::optional<int64_t> parseDelaySeconds(std::string_view text) {
  int64_t total = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    // Stop accumulating past the cap instead of overflowing; the caller caps anyway.
    if (total <= kMaxRetryAfterSeconds) total = total * 10 + (c - '0');
  }
  return total;
}

std::string_view trimSpaces(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<Duration> parseRetryAfter(std::string_view value, int64_t now_unix_seconds) {
  value = trimSpaces(value);
  if (value.empty()) return std::nullopt;
  int64_t delay = 0;
  if (value.front() >= '0' && value.front() <= '9') {
    const std::optional<int64_t> parsed = parseDelaySeconds(value);
    if (!parsed) return std::nullopt;
    delay = *parsed;
  } else {
    CivilTime t;
    if (!parseHttpDate(value, now_unix_seconds, t)) return std::nullopt;
    const int64_t date =
        daysFromCivil(t.year, t.month, t.day) * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
    delay = date > now_unix_seconds ? date - now_unix_seconds : 0;
  }
  return seconds(std::min(delay, kMaxRetryAfterSeconds));
}

}  // namespace outrigger::policy
