#include "proxy/http2/preface.h"

#include <algorithm>

namespace outrigger::http2 {

PrefaceMatch matchClientPreface(std::string_view first_bytes) {
  const size_t n = std::min(first_bytes.size(), kClientPreface.size());
  if (first_bytes.substr(0, n) != kClientPreface.substr(0, n)) return PrefaceMatch::kNotHttp2;
  return n == kClientPreface.size() ? PrefaceMatch::kHttp2 : PrefaceMatch::kNeedMore;
}

}  // namespace outrigger::http2
