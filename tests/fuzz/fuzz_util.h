#pragma once
// Small helpers shared by the fuzz targets: a property check that aborts with a message
// (libFuzzer then saves the input), and a deterministic random source seeded from the input,
// so every choice a target makes (split points, modes) is reproducible from the crash file.

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace outrigger::fuzz {

[[noreturn]] inline void violation(const char* file, int line, const char* what, const char* fmt,
                                   ...) {
  std::fprintf(stderr, "\n== fuzz property violated at %s:%d: %s\n   ", file, line, what);
  va_list args;
  va_start(args, fmt);
  std::vfprintf(stderr, fmt, args);
  va_end(args);
  std::fprintf(stderr, "\n");
  std::abort();
}

// FUZZ_CHECK(cond, "printf format", args...): abort with the message when cond is false.
#define FUZZ_CHECK(cond, ...)                                                          \
  do {                                                                                 \
    if (!(cond)) ::outrigger::fuzz::violation(__FILE__, __LINE__, #cond, __VA_ARGS__); \
  } while (0)

// Bugs these targets found that are not fixed yet are tolerated where they would otherwise
// stop every run at the same place (each such place names its bug and its reproducer under
// tests/fuzz/regressions/). OUTRIGGER_FUZZ_STRICT=1 tolerates nothing: run.sh sets it when it
// replays the regressions, so those fail until the bug is fixed.
inline bool tolerateKnownBugs() {
  static const bool tolerate = std::getenv("OUTRIGGER_FUZZ_STRICT") == nullptr;
  return tolerate;
}

inline uint64_t fnv1a(const uint8_t* data, size_t size) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 0x100000001b3ull;
  return h;
}

// splitmix64: enough to pick split points.
class InputRandom {
 public:
  explicit InputRandom(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }

 private:
  uint64_t state_;
};

// Printable form of bytes for violation messages (at most `max` bytes shown).
inline std::string escape(std::string_view s, size_t max = 400) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

}  // namespace outrigger::fuzz
