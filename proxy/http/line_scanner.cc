#include "proxy/http/line_scanner.h"

#include <cstring>

namespace outrigger::http {

void LineScanner::reset(Section section) {
  section_ = section;
  done_ = false;
  after_cr_ = false;
  started_ = section == Section::kTrailers;  // trailers have no start line
  line_len_ = 0;
  spaces_ = 0;
}

std::string_view LineScanner::scan(const char* data, size_t len) {
  size_t i = 0;
  while (i < len && !done_) {
    if (!after_cr_ && line_len_ > 0 && inRequestLine()) {
      // Inside the request line: the per-byte rules below, minus the ones that cannot apply
      // past its first byte, in a tight loop up to the next CR or LF.
      size_t j = i;
      int spaces = 0;
      for (; j < len; ++j) {
        const char c = data[j];
        if (c == '\r' || c == '\n') break;
        if (c == '\t') return "HTAB in the request line";
        spaces += c == ' ';
      }
      spaces_ += spaces;
      line_len_ += j - i;
      i = j;
      if (i == len) break;
    } else if (!after_cr_ && line_len_ > 0) {
      // Inside a status or field line only CR and LF matter: jump to the next CR with
      // memchr instead of looking at every byte.
      const char* from = data + i;
      const size_t rest = len - i;
      const auto* cr = static_cast<const char*>(std::memchr(from, '\r', rest));
      const size_t run = cr != nullptr ? static_cast<size_t>(cr - from) : rest;
      if (std::memchr(from, '\n', run) != nullptr) return "bare LF in a head or trailer line";
      line_len_ += run;
      i += run;
      if (i == len) break;
    }
    const char c = data[i++];
    if (after_cr_) {
      // RFC 9112 §2.2: a bare CR is invalid; llhttp would skip the byte after it.
      if (c != '\n') return "bare CR in a head or trailer line";
      after_cr_ = false;
      if (std::string_view problem = endLine(); !problem.empty()) return problem;
      continue;
    }
    if (c == '\r') {
      after_cr_ = true;
      continue;
    }
    // RFC 9112 §2.2 lets a recipient take a bare LF as a line end. We do not: a neighbour
    // that does not would see a different head.
    if (c == '\n') return "bare LF in a head or trailer line";
    if (line_len_ == 0 && (c == ' ' || c == '\t')) {
      // Obs-fold (RFC 9112 §5.2), whitespace before the first field line (§2.2) or before
      // the start line: each is refused rather than unfolded or skipped.
      return "line starts with whitespace (obs-fold)";
    }
    if (inRequestLine()) {
      if (c == '\t') return "HTAB in the request line";
      if (c == ' ') ++spaces_;
    }
    ++line_len_;
  }
  return {};
}

std::string_view LineScanner::endLine() {
  if (line_len_ == 0) {
    // Empty lines before the start line are ignored (RFC 9112 §2.2); any other ends it.
    if (started_) done_ = true;
    return {};
  }
  // RFC 9112 §3: request-line = method SP request-target SP HTTP-version, one SP each;
  // llhttp would take "GET  /" with two.
  if (inRequestLine() && spaces_ != 2) return "request line is not method SP target SP version";
  started_ = true;
  line_len_ = 0;
  return {};
}

}  // namespace outrigger::http
