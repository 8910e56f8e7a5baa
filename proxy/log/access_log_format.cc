// The access log line: formatAccessLogLine and appendJsonString (declared in access_log.h).
// Every request formats one, so the line is written through a pointer into room reserved
// once for its longest possible form, rather than by a string append per piece.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

#include "proxy/log/access_log.h"
#include "proxy/log/cached_timestamp.h"

namespace outrigger::log {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not one. Rejects
// overlong forms, surrogates and code points above U+10FFFF (RFC 3629).
size_t utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  auto cont = [&](size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < s.size() && byte(k) >= lo && byte(k) <= hi;
  };
  const unsigned char c = byte(i);
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = c == 0xED ? 0x9F : 0xBF;
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    const unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

// The most bytes one input byte can become inside a JSON string: \u00XX.
constexpr size_t kMaxEscapedBytes = 6;

char* putLiteral(char* p, std::string_view text) {
  std::memcpy(p, text.data(), text.size());
  return p + text.size();
}

char* putEscapedByte(char* p, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  char short_form = 0;
  switch (c) {
    case '"':
      short_form = '"';
      break;
    case '\\':
      short_form = '\\';
      break;
    case '\n':
      short_form = 'n';
      break;
    case '\r':
      short_form = 'r';
      break;
    case '\t':
      short_form = 't';
      break;
    case '\b':
      short_form = 'b';
      break;
    case '\f':
      short_form = 'f';
      break;
    default:
      break;
  }
  *p++ = '\\';
  if (short_form != 0) {
    *p++ = short_form;
    return p;
  }
  const char escaped[] = {'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
  return putLiteral(p, std::string_view(escaped, sizeof(escaped)));
}

// Bytes copied into a JSON string as they are: printable ASCII but the quote and the
// backslash. A table, since every byte of every logged value is looked up.
constexpr std::array<bool, 256> kPlainAscii = [] {
  std::array<bool, 256> table{};
  for (int c = 0x20; c < 0x7F; ++c) table[static_cast<size_t>(c)] = c != '"' && c != '\\';
  return table;
}();

// Whether all 8 bytes of `x` are plain (kPlainAscii), by word arithmetic: no high bit, no
// byte below 0x20, none equal to '"', '\\' or 0x7F.
bool allPlain(uint64_t x) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  const uint64_t below_space = (x - kOnes * 0x20) & ~x & kHigh;
  return ((x & kHigh) | below_space | has_zero(x ^ (kOnes * '"')) | has_zero(x ^ (kOnes * '\\')) |
          has_zero(x ^ (kOnes * 0x7F))) == 0;
}

// Writes the escaped form of `value` (no quotes) at p, byte by byte after a plain run.
char* putEscapedJson(char* p, std::string_view value) {
  const char* s = value.data();
  const char* const end = s + value.size();
  while (s < end) {
    // Plain runs eight bytes at a time, and then byte by byte.
    while (end - s >= 8) {
      uint64_t word;
      std::memcpy(&word, s, 8);
      if (!allPlain(word)) break;
      std::memcpy(p, &word, 8);
      p += 8;
      s += 8;
    }
    while (s < end && kPlainAscii[static_cast<unsigned char>(*s)]) *p++ = *s++;
    if (s == end) break;
    const auto c = static_cast<unsigned char>(*s);
    if (c >= 0x80) {
      const size_t offset = static_cast<size_t>(s - value.data());
      if (size_t len = utf8SequenceLength(value, offset); len > 0) {
        p = putLiteral(p, std::string_view(s, len));
        s += len;
        continue;
      }
    }
    p = putEscapedByte(p, c);
    ++s;
  }
  return p;
}

// Copies `value` to p when every byte of it is plain, the usual case, and says whether it
// did. Whole words where it can: the last word overlaps the one before it rather than
// falling back to single bytes, and 4 to 7 bytes are read as two overlapping halves.
bool putIfAllPlain(char* p, std::string_view value) {
  const char* s = value.data();
  const size_t n = value.size();
  if (n >= 8) {
    uint64_t word;
    for (size_t i = 0; i + 8 < n; i += 8) {
      std::memcpy(&word, s + i, 8);
      if (!allPlain(word)) return false;
      std::memcpy(p + i, &word, 8);
    }
    std::memcpy(&word, s + n - 8, 8);
    if (!allPlain(word)) return false;
    std::memcpy(p + n - 8, &word, 8);
    return true;
  }
  if (n >= 4) {
    uint32_t head, tail;
    std::memcpy(&head, s, 4);
    std::memcpy(&tail, s + n - 4, 4);
    if (!allPlain(uint64_t{head} | (uint64_t{tail} << 32))) return false;
    std::memcpy(p, &head, 4);
    std::memcpy(p + n - 4, &tail, 4);
    return true;
  }
  for (size_t i = 0; i < n; ++i) {
    if (!kPlainAscii[static_cast<unsigned char>(s[i])]) return false;
    p[i] = s[i];
  }
  return true;
}

// Writes `value` as a quoted JSON string at p; room for kMaxEscapedBytes per byte plus the
// quotes must be there.
inline char* putJsonString(char* p, std::string_view value) {
  *p++ = '"';
  p = putIfAllPlain(p, value) ? p + value.size() : putEscapedJson(p, value);
  *p++ = '"';
  return p;
}

size_t maxJsonStringLength(std::string_view value) { return 2 + kMaxEscapedBytes * value.size(); }

template <typename Int>
char* putInt(char* p, Int value) {
  // The caller reserved room for the longest value of the type.
  return std::to_chars(p, p + 24, value).ptr;
}

// Milliseconds with exactly three decimals, by integer arithmetic so that the C locale can't
// change the decimal point. Negative and NaN print as 0.
char* putMillis(char* p, double ms) {
  constexpr double kMaxMicros = 9.0e18;  // keeps llround in range
  const double micros_exact = ms * 1000.0;
  const int64_t micros =
      micros_exact > 0 ? std::llround(std::min(micros_exact, kMaxMicros)) : int64_t{0};
  p = putInt(p, micros / 1000);
  const int64_t fraction = micros % 1000;
  *p++ = '.';
  *p++ = static_cast<char>('0' + fraction / 100);
  *p++ = static_cast<char>('0' + fraction / 10 % 10);
  *p++ = static_cast<char>('0' + fraction % 10);
  return p;
}

// Each field's separator and key, written as one literal.
constexpr std::string_view kTimeKey = R"({"time":")";
constexpr std::string_view kRequestIdKey = R"(","request_id":)";
constexpr std::string_view kListenerKey = R"(,"listener":)";
constexpr std::string_view kMethodKey = R"(,"method":)";
constexpr std::string_view kPathKey = R"(,"path":)";
constexpr std::string_view kUpstreamKey = R"(,"upstream":)";
constexpr std::string_view kEndpointKey = R"(,"endpoint":)";
constexpr std::string_view kStatusKey = R"(,"status":)";
constexpr std::string_view kReasonKey = R"(,"reason":)";
constexpr std::string_view kErrorKey = R"(,"error":)";
constexpr std::string_view kAttemptsKey = R"(,"attempts":)";
constexpr std::string_view kDurationKey = R"(,"duration_ms":)";
constexpr std::string_view kBytesInKey = R"(,"bytes_in":)";
constexpr std::string_view kBytesOutKey = R"(,"bytes_out":)";
constexpr std::string_view kProtocolKey = R"(,"protocol":)";
constexpr std::string_view kGrpcStatusKey = R"(,"grpc_status":)";
constexpr std::string_view kTraceIdKey = R"(,"trace_id":)";
constexpr std::string_view kSpanIdKey = R"(,"span_id":)";
constexpr std::string_view kNull = "null";
constexpr std::string_view kEnd = "}\n";

// Everything but the strings, at its longest: keys, timestamp and numbers of 24 digits.
constexpr size_t kFixedPartMax =
    kTimeKey.size() + kTimestampLength + kRequestIdKey.size() + kListenerKey.size() +
    kMethodKey.size() + kPathKey.size() + kUpstreamKey.size() + kEndpointKey.size() +
    kStatusKey.size() + kReasonKey.size() + kErrorKey.size() + kAttemptsKey.size() +
    kDurationKey.size() + kBytesInKey.size() + kBytesOutKey.size() + kProtocolKey.size() +
    kGrpcStatusKey.size() + kTraceIdKey.size() + kSpanIdKey.size() + kEnd.size() + 6 * 24 + 4;

}  // namespace

void appendJsonString(std::string_view value, std::string& out) {
  const size_t start = out.size();
  out.resize(start + maxJsonStringLength(value));
  char* end = putJsonString(out.data() + start, value);
  out.resize(static_cast<size_t>(end - out.data()));
}

size_t maxAccessLogLineLength(const AccessLogEntry& entry) {
  const std::string_view strings[] = {entry.request_id, entry.listener, entry.method,
                                      entry.path,       entry.upstream, entry.endpoint,
                                      entry.reason,     entry.error,    entry.protocol,
                                      entry.trace_id,   entry.span_id};
  size_t room = kFixedPartMax;
  for (std::string_view s : strings) room += maxJsonStringLength(s);
  return room;
}

void formatAccessLogLine(const AccessLogEntry& entry, std::string& out) {
  const size_t start = out.size();
  out.resize(start + maxAccessLogLineLength(entry));
  char* end = writeAccessLogLine(entry, out.data() + start);
  out.resize(static_cast<size_t>(end - out.data()));
}

char* writeAccessLogLine(const AccessLogEntry& entry, char* p) {
  // Lines of one thread mostly share their second: its date and time are formatted once.
  thread_local CachedTimestamp timestamp;
  p = putLiteral(p, kTimeKey);
  timestamp.format(entry.time_micros != 0 ? entry.time_micros : wallClockMicros(), p);
  p += kTimestampLength;
  p = putJsonString(putLiteral(p, kRequestIdKey), entry.request_id);
  p = putJsonString(putLiteral(p, kListenerKey), entry.listener);
  p = putJsonString(putLiteral(p, kMethodKey), entry.method);
  p = putJsonString(putLiteral(p, kPathKey), entry.path);
  p = putJsonString(putLiteral(p, kUpstreamKey), entry.upstream);
  p = putJsonString(putLiteral(p, kEndpointKey), entry.endpoint);
  p = putInt(putLiteral(p, kStatusKey), entry.status);
  p = putJsonString(putLiteral(p, kReasonKey), entry.reason);
  p = putJsonString(putLiteral(p, kErrorKey), entry.error);
  p = putInt(putLiteral(p, kAttemptsKey), entry.attempts);
  p = putMillis(putLiteral(p, kDurationKey), entry.duration_ms);
  p = putInt(putLiteral(p, kBytesInKey), entry.bytes_in);
  p = putInt(putLiteral(p, kBytesOutKey), entry.bytes_out);
  p = putJsonString(putLiteral(p, kProtocolKey), entry.protocol);
  p = putLiteral(p, kGrpcStatusKey);
  p = entry.grpc_status >= 0 ? putInt(p, entry.grpc_status) : putLiteral(p, kNull);
  p = putJsonString(putLiteral(p, kTraceIdKey), entry.trace_id);
  p = putJsonString(putLiteral(p, kSpanIdKey), entry.span_id);
  return putLiteral(p, kEnd);
}

}  // namespace outrigger::log
