#include "proxy/http/message.h"

#include <algorithm>
#include <iterator>

namespace outrigger::http {
namespace {

bool startsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && equalsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

struct StatusReason {
  int status;
  std::string_view reason;
};

// Sorted by status for the binary search in reasonPhrase().
constexpr StatusReason kReasons[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {102, "Processing"},
    {103, "Early Hints"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {207, "Multi-Status"},
    {208, "Already Reported"},
    {226, "IM Used"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {305, "Use Proxy"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {418, "I'm a teapot"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Content"},
    {423, "Locked"},
    {424, "Failed Dependency"},
    {425, "Too Early"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {451, "Unavailable For Legal Reasons"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {506, "Variant Also Negotiates"},
    {507, "Insufficient Storage"},
    {508, "Loop Detected"},
    {510, "Not Extended"},
    {511, "Network Authentication Required"},
};

}  // namespace

void Headers::add(std::string_view name, std::string_view value) {
  list_.push_back(Header{std::string(name), std::string(value)});
}

void Headers::set(std::string_view name, std::string_view value) {
  auto first = std::find_if(list_.begin(), list_.end(),
                            [&](const Header& h) { return equalsIgnoreCase(h.name, name); });
  if (first == list_.end()) {
    add(name, value);
    return;
  }
  // Keep the position of the first occurrence so the head reads naturally.
  first->value.assign(value);
  auto rest = std::remove_if(first + 1, list_.end(),
                             [&](const Header& h) { return equalsIgnoreCase(h.name, name); });
  list_.erase(rest, list_.end());
}

size_t Headers::remove(std::string_view name) {
  return std::erase_if(list_, [&](const Header& h) { return equalsIgnoreCase(h.name, name); });
}

const std::string* Headers::get(std::string_view name) const {
  for (const Header& h : list_) {
    if (equalsIgnoreCase(h.name, name)) return &h.value;
  }
  return nullptr;
}

std::string_view RequestHead::path() const {
  std::string_view rest = target;
  // Absolute-form ("http://host/p?q") arrives when the app treats us as a forward proxy.
  for (std::string_view scheme : {"http://", "https://"}) {
    if (startsWithIgnoreCase(rest, scheme)) {
      rest.remove_prefix(scheme.size());
      size_t slash = rest.find('/');
      if (slash == std::string_view::npos) return "/";
      rest.remove_prefix(slash);
      break;
    }
  }
  return rest.substr(0, rest.find_first_of("?#"));
}

std::string_view reasonPhrase(int status) {
  auto it = std::lower_bound(std::begin(kReasons), std::end(kReasons), status,
                             [](const StatusReason& e, int s) { return e.status < s; });
  if (it == std::end(kReasons) || it->status != status) return "Unknown";
  return it->reason;
}

}  // namespace outrigger::http
