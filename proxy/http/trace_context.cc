#include "proxy/http/trace_context.h"

namespace outrigger::http {
namespace {

constexpr char kHex[] = "0123456789abcdef";

int hexValue(char c, bool allow_upper) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (allow_upper && c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Copies `text` into `out` lower-cased; false when it is not hex of that length or all zero.
template <size_t N>
bool readId(std::string_view text, std::array<char, N>& out, bool allow_upper) {
  if (text.size() != N) return false;
  bool zero = true;
  for (size_t i = 0; i < N; ++i) {
    const int v = hexValue(text[i], allow_upper);
    if (v < 0) return false;
    zero = zero && v == 0;
    out[i] = kHex[v];
  }
  return !zero;
}

template <size_t N>
void randomId(std::array<char, N>& out, Random& random) {
  static_assert(N % 16 == 0);
  do {
    bool zero = true;
    for (size_t word = 0; word < N / 16; ++word) {
      uint64_t bits = random.next();
      zero = zero && bits == 0;
      for (size_t i = 0; i < 16; ++i, bits >>= 4) out[word * 16 + i] = kHex[bits & 0xf];
    }
    if (!zero) return;
  } while (true);
}

}  // namespace

std::optional<TraceContext> parseTraceparent(std::string_view value) {
  if (value.size() < kTraceparentSize) return std::nullopt;
  const int v0 = hexValue(value[0], false);
  const int v1 = hexValue(value[1], false);
  if (v0 < 0 || v1 < 0 || (v0 == 0xf && v1 == 0xf)) return std::nullopt;
  // Version 00 is exactly 55 characters; a later version may append fields after a '-'.
  const bool version00 = v0 == 0 && v1 == 0;
  if (version00 ? value.size() != kTraceparentSize
                : value.size() > kTraceparentSize && value[kTraceparentSize] != '-')
    return std::nullopt;
  if (value[2] != '-' || value[35] != '-' || value[52] != '-') return std::nullopt;
  TraceContext trace;
  if (!readId(value.substr(3, 32), trace.trace_id, false)) return std::nullopt;
  if (!readId(value.substr(36, 16), trace.parent_id, false)) return std::nullopt;
  const int f0 = hexValue(value[53], false);
  const int f1 = hexValue(value[54], false);
  if (f0 < 0 || f1 < 0) return std::nullopt;
  // We speak version 00: only its one flag is passed on.
  trace.flags = static_cast<uint8_t>(((f0 << 4) | f1) & 1);
  trace.has_parent = true;
  return trace;
}

std::optional<TraceContext> parseB3(const std::string_view* trace_id,
                                    const std::string_view* span_id,
                                    const std::string_view* sampled) {
  if (trace_id == nullptr || span_id == nullptr) return std::nullopt;
  TraceContext trace;
  std::string_view id = *trace_id;
  if (id.size() == 16) {
    std::array<char, 16> low{};
    if (!readId(id, low, true)) return std::nullopt;
    trace.trace_id.fill('0');
    std::copy(low.begin(), low.end(), trace.trace_id.begin() + 16);
  } else if (!readId(id, trace.trace_id, true)) {
    return std::nullopt;
  }
  if (!readId(*span_id, trace.parent_id, true)) return std::nullopt;
  trace.has_parent = true;
  if (sampled != nullptr && (*sampled == "1" || *sampled == "true")) trace.flags = 1;
  return trace;
}

TraceContext startTrace(Random& random, bool sampled) {
  TraceContext trace;
  randomId(trace.trace_id, random);
  trace.parent_id.fill('0');
  trace.flags = sampled ? 1 : 0;
  return trace;
}

void newSpan(TraceContext& trace, Random& random) { randomId(trace.span_id, random); }

std::array<char, kTraceparentSize> formatTraceparent(const TraceContext& trace) {
  std::array<char, kTraceparentSize> out{};
  char* p = out.data();
  *p++ = '0';
  *p++ = '0';
  *p++ = '-';
  p = std::copy(trace.trace_id.begin(), trace.trace_id.end(), p);
  *p++ = '-';
  p = std::copy(trace.span_id.begin(), trace.span_id.end(), p);
  *p++ = '-';
  *p++ = '0';
  *p = kHex[trace.flags & 1];
  return out;
}

}  // namespace outrigger::http
