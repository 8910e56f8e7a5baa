#include "proxy/log/timestamp.h"

#include <chrono>

namespace outrigger::log {
namespace {

void putDigits(char* out, int64_t value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

void formatTimestamp(int64_t unix_micros, char* out) {
  using namespace std::chrono;
  // Floor, not truncate toward zero, so instants before 1970 still get a valid time of day.
  const sys_time<milliseconds> ms =
      floor<milliseconds>(sys_time<microseconds>(microseconds(unix_micros)));
  const sys_days day = floor<days>(ms);
  const year_month_day date(day);
  const hh_mm_ss<milliseconds> time(ms - day);
  putDigits(out, static_cast<int>(date.year()), 4);
  out[4] = '-';
  putDigits(out + 5, static_cast<unsigned>(date.month()), 2);
  out[7] = '-';
  putDigits(out + 8, static_cast<unsigned>(date.day()), 2);
  out[10] = 'T';
  putDigits(out + 11, time.hours().count(), 2);
  out[13] = ':';
  putDigits(out + 14, time.minutes().count(), 2);
  out[16] = ':';
  putDigits(out + 17, time.seconds().count(), 2);
  out[19] = '.';
  putDigits(out + 20, time.subseconds().count(), 3);
  out[23] = 'Z';
}

}  // namespace outrigger::log
