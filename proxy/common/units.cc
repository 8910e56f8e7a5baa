#include "proxy/common/units.h"

#include <array>
#include <charconv>
#include <cstdio>
#include <limits>
#include <optional>

namespace outrigger {
namespace {

struct Unit {
  std::string_view suffix;
  uint64_t scale;
};

constexpr uint64_t kNanosPerSecond = 1'000'000'000;
constexpr std::array<Unit, 6> kDurationUnits{{
    {"ns", 1},
    {"us", 1'000},
    {"ms", 1'000'000},
    {"s", kNanosPerSecond},
    {"m", 60 * kNanosPerSecond},
    {"h", 3600 * kNanosPerSecond},
}};

constexpr uint64_t kKiB = 1024;
constexpr std::array<Unit, 11> kSizeUnits{{
    {"B", 1},
    {"KiB", kKiB},
    {"MiB", kKiB* kKiB},
    {"GiB", kKiB* kKiB* kKiB},
    {"TiB", kKiB* kKiB* kKiB* kKiB},
    {"KB", 1'000},
    {"kB", 1'000},
    {"MB", 1'000'000},
    {"GB", 1'000'000'000},
    {"TB", 1'000'000'000'000},
    {"", 1},
}};

constexpr int kMaxDecimals = 9;

// "12.345" split into exact integer parts: 12 + 345/1000.
struct Decimal {
  uint64_t whole = 0;
  uint64_t frac = 0;
  uint64_t frac_den = 1;  // 10^(number of decimals kept)
  std::string_view rest;  // what follows the number: the unit
};

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Digits, optionally followed by '.' and more digits. nullopt on junk or overflow of the
// whole part (reported as "too large" by the caller through `overflow`).
std::optional<Decimal> parseDecimal(std::string_view text, bool& overflow) {
  overflow = false;
  Decimal d;
  size_t i = 0;
  if (i >= text.size() || !isDigit(text[i])) return std::nullopt;
  for (; i < text.size() && isDigit(text[i]); ++i) {
    if (__builtin_mul_overflow(d.whole, 10, &d.whole) ||
        __builtin_add_overflow(d.whole, static_cast<uint64_t>(text[i] - '0'), &d.whole)) {
      overflow = true;
      return std::nullopt;
    }
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (i >= text.size() || !isDigit(text[i])) return std::nullopt;
    for (int kept = 0; i < text.size() && isDigit(text[i]); ++i) {
      if (kept++ >= kMaxDecimals) continue;  // finer than we can represent: dropped
      d.frac = d.frac * 10 + static_cast<uint64_t>(text[i] - '0');
      d.frac_den *= 10;
    }
  }
  d.rest = text.substr(i);
  return d;
}

// whole * scale + frac * scale / frac_den, or nullopt on overflow. Exact: frac_den <= 10^9
// and the split below keeps every product under 2^64.
std::optional<uint64_t> scaleDecimal(const Decimal& d, uint64_t scale, uint64_t* remainder) {
  uint64_t result = 0;
  if (__builtin_mul_overflow(d.whole, scale, &result)) return std::nullopt;
  const uint64_t q = scale / d.frac_den;
  const uint64_t r = scale % d.frac_den;
  const uint64_t frac_part = d.frac * q + (d.frac * r) / d.frac_den;
  if (remainder != nullptr) *remainder = (d.frac * r) % d.frac_den;
  if (__builtin_add_overflow(result, frac_part, &result)) return std::nullopt;
  return result;
}

// Letters only, and short: worth naming as a wrong unit rather than as junk.
bool looksLikeUnit(std::string_view text) {
  if (text.empty() || text.size() > 8) return false;
  for (char c : text)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  return true;
}

template <size_t N>
const Unit* findUnit(const std::array<Unit, N>& units, std::string_view suffix) {
  for (const Unit& u : units)
    if (u.suffix == suffix) return &u;
  return nullptr;
}

Error unitError(std::string message) {
  return Error{"invalid_value", ErrorSource::kConfig, false, std::move(message)};
}

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

}  // namespace

Result<Duration> parseDuration(std::string_view text) {
  const std::string expected = "expected a duration like 250ms, 2s or 1m, got " + quoted(text);
  if (!text.empty() && text[0] == '-') {
    return unitError("a duration cannot be negative, got " + quoted(text));
  }
  bool overflow = false;
  const std::optional<Decimal> d = parseDecimal(text, overflow);
  if (overflow) return unitError("duration " + quoted(text) + " is too large");
  if (!d) return unitError(expected);
  if (d->rest.empty()) {
    if (d->whole == 0 && d->frac == 0) return Duration::zero();
    return unitError("missing unit in " + quoted(text) + " (write e.g. " + std::string(text) +
                     "s or " + std::string(text) + "ms; units are ns, us, ms, s, m and h)");
  }
  const Unit* unit = findUnit(kDurationUnits, d->rest);
  if (unit == nullptr) {
    if (looksLikeUnit(d->rest)) {
      return unitError("unknown unit " + quoted(d->rest) + " in " + quoted(text) +
                       " (use ns, us, ms, s, m or h)");
    }
    return unitError(expected);
  }
  const std::optional<uint64_t> ns = scaleDecimal(*d, unit->scale, nullptr);
  if (!ns || *ns > static_cast<uint64_t>(std::numeric_limits<Duration::rep>::max())) {
    return unitError("duration " + quoted(text) + " is too large");
  }
  return Duration(static_cast<Duration::rep>(*ns));
}

Result<uint64_t> parseSize(std::string_view text) {
  const std::string expected = "expected a size like 512B, 64KiB or 1MiB, got " + quoted(text);
  if (!text.empty() && text[0] == '-') {
    return unitError("a size cannot be negative, got " + quoted(text));
  }
  bool overflow = false;
  const std::optional<Decimal> d = parseDecimal(text, overflow);
  if (overflow) return unitError("size " + quoted(text) + " is too large");
  if (!d) return unitError(expected);
  const Unit* unit = findUnit(kSizeUnits, d->rest);
  if (unit == nullptr) {
    if (looksLikeUnit(d->rest)) {
      return unitError("unknown unit " + quoted(d->rest) + " in " + quoted(text) +
                       " (use B, KiB, MiB, GiB, TiB, or KB, MB, GB, TB for powers of 1000)");
    }
    return unitError(expected);
  }
  uint64_t remainder = 0;
  const std::optional<uint64_t> bytes = scaleDecimal(*d, unit->scale, &remainder);
  if (!bytes) return unitError("size " + quoted(text) + " is too large");
  if (remainder != 0) return unitError(quoted(text) + " is not a whole number of bytes");
  return *bytes;
}

Result<double> parseRatio(std::string_view text) {
  const std::string expected = "expected a percentage like 50% or 12.5%, got " + quoted(text);
  const bool negative = !text.empty() && text[0] == '-';
  std::string_view number = negative ? text.substr(1) : text;
  if (number.empty() || number.back() != '%') return unitError(expected);
  number.remove_suffix(1);
  bool overflow = false;
  const std::optional<Decimal> d = parseDecimal(number, overflow);
  if ((!d && !overflow) || (d && !d->rest.empty())) return unitError(expected);
  double percent = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), percent);
  if (ec != std::errc() || end != number.data() + number.size()) return unitError(expected);
  if (negative || overflow || percent > 100) {
    return unitError("a percentage must be between 0% and 100%, got " + quoted(text));
  }
  return percent / 100.0;
}

std::string formatDuration(Duration d) {
  if (d.count() == 0) return "0s";
  std::string sign;
  uint64_t ns = static_cast<uint64_t>(d.count());
  if (d.count() < 0) {
    sign = "-";
    ns = 0 - ns;
  }
  for (auto it = kDurationUnits.rbegin(); it != kDurationUnits.rend(); ++it) {
    if (ns % it->scale == 0) return sign + std::to_string(ns / it->scale) + std::string(it->suffix);
  }
  return sign + std::to_string(ns) + "ns";  // unreachable: ns divides everything
}

std::string formatSize(uint64_t bytes) {
  if (bytes == 0) return "0B";
  // Binary units first (TiB down to KiB), then decimal ones (TB down to KB).
  static constexpr std::array<Unit, 8> kPreferred{{
      {"TiB", kKiB * kKiB * kKiB * kKiB},
      {"GiB", kKiB * kKiB * kKiB},
      {"MiB", kKiB * kKiB},
      {"KiB", kKiB},
      {"TB", 1'000'000'000'000},
      {"GB", 1'000'000'000},
      {"MB", 1'000'000},
      {"KB", 1'000},
  }};
  for (const Unit& u : kPreferred) {
    if (bytes % u.scale == 0) return std::to_string(bytes / u.scale) + std::string(u.suffix);
  }
  return std::to_string(bytes) + "B";
}

std::string formatRatio(double ratio) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g%%", ratio * 100.0);
  return buf;
}

}  // namespace outrigger
