#include "proxy/http/unknown_method.h"

#include <string_view>

namespace outrigger::http::detail {
namespace {

bool isMethodChar(char c) {
  constexpr std::string_view kTokenPunctuation = "!#$%&'*+-.^_`|~";
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         kTokenPunctuation.find(c) != std::string_view::npos;
}

}  // namespace

// Whether llhttp stopped (at `at`, within [begin, end)) inside a well-formed method name:
// a token at the start of a line, followed by a space.
bool isUnknownMethod(const char* begin, const char* end, const char* at) {
  if (begin == nullptr || end == nullptr || at == nullptr || at < begin || at >= end) return false;
  const char* start = at;
  while (start > begin && isMethodChar(start[-1])) --start;
  const char* stop = at;
  while (stop < end && isMethodChar(*stop)) ++stop;
  const bool line_start = start == begin || start[-1] == '\n';
  return line_start && stop > start && stop < end && *stop == ' ';
}

}  // namespace outrigger::http::detail
