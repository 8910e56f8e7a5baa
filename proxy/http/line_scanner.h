#pragma once
// Checks the line structure of a head or a trailer section, byte by byte, before llhttp
// parses those bytes. llhttp 8.1 as Debian ships it (built without LLHTTP_STRICT_MODE)
// takes a bare LF as the end of a head, skips the byte after a bare CR, accepts obs-fold
// and extra spaces in the request line: each lets a neighbour that reads the framing
// differently smuggle a request past us (RFC 9112 §11.2).

#include <cstddef>
#include <string_view>

namespace outrigger::http {

class LineScanner {
 public:
  enum class Section {
    kRequestHead,   // [empty lines] request-line, field lines, empty line
    kResponseHead,  // [empty lines] status-line, field lines, empty line
    kTrailers,      // field lines, empty line (after the last chunk)
  };

  explicit LineScanner(Section section) { reset(section); }
  void reset(Section section);

  // Scans bytes of the section, in order, over as many calls as it takes; stops after the
  // empty line that ends the section and ignores what follows. Returns an empty view while
  // the bytes are well-formed, else what is wrong with them.
  std::string_view scan(const char* data, size_t len);
  bool done() const { return done_; }

 private:
  std::string_view endLine();
  bool inRequestLine() const { return section_ == Section::kRequestHead && !started_; }

  Section section_ = Section::kRequestHead;
  bool done_ = false;
  bool after_cr_ = false;  // the previous byte was CR: only LF may follow
  bool started_ = false;   // the start line is behind us (always true for trailers)
  size_t line_len_ = 0;    // bytes of the current line, without CR and LF
  int spaces_ = 0;         // SP bytes in the request line
};

}  // namespace outrigger::http
