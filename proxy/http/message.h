#pragma once
// The HTTP/1.x message model shared by the parser, the header rules and the serializer.
// Framing is kept apart from the header list: the parser fills it from Content-Length and
// Transfer-Encoding, the header rules delete those headers, and the serializer writes the
// framing header that matches how the body is actually sent.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace outrigger::http {

struct Header {
  std::string name;
  std::string value;
};

inline char lowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Inline: header lookups call it for every header they pass.
inline bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lowerAscii(a[i]) != lowerAscii(b[i])) return false;
  }
  return true;
}

// An ordered header list. Lookups are case-insensitive; order and duplicates are kept.
class Headers {
 public:
  void add(std::string_view name, std::string_view value);
  // Replaces every header of that name with one.
  void set(std::string_view name, std::string_view value);
  // Removes every header of that name; returns how many were removed.
  size_t remove(std::string_view name);
  // The first value of that name, or nullptr.
  const std::string* get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name) != nullptr; }
  size_t size() const { return list_.size(); }
  bool empty() const { return list_.empty(); }
  void clear() { list_.clear(); }
  std::vector<Header>& list() { return list_; }
  const std::vector<Header>& list() const { return list_; }
  std::vector<Header>::const_iterator begin() const { return list_.begin(); }
  std::vector<Header>::const_iterator end() const { return list_.end(); }

 private:
  std::vector<Header> list_;
};

enum class BodyFraming {
  kNone,           // no body
  kContentLength,  // exactly content_length bytes
  kChunked,        // Transfer-Encoding: chunked
  kUntilClose,     // responses only: the body ends when the connection closes
};

struct RequestHead {
  std::string method;     // "GET", as sent
  std::string target;     // request-target, e.g. "/get?x=1"
  int version_minor = 1;  // HTTP/1.<minor>
  Headers headers;
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;   // meaningful when framing == kContentLength
  bool keep_alive = true;        // from the version and Connection header
  bool expect_continue = false;  // "Expect: 100-continue" was present

  // The path part of target, without the query.
  std::string_view path() const;
};

struct ResponseHead {
  int status = 200;
  std::string reason;  // reason phrase; the serializer fills a standard one when empty
  int version_minor = 1;
  Headers headers;
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;
  bool keep_alive = true;
};

// The standard reason phrase for a status code ("OK" for 200), or "Unknown".
std::string_view reasonPhrase(int status);

}  // namespace outrigger::http
