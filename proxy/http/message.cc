#include "proxy/http/message.h"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <utility>

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

Headers::Headers(const Headers& other) { *this = other; }

Headers& Headers::operator=(const Headers& other) {
  if (this == &other) return *this;
  store_ = other.store_;
  list_ = other.list_;
  read_end_ = 0;  // the copy's bytes were not read into it
  has_borrowed_ = other.has_borrowed_;
  rebase(other.store_.data(), other.store_.size());
  own();
  return *this;
}

Headers::Headers(Headers&& other) noexcept { *this = std::move(other); }

Headers& Headers::operator=(Headers&& other) noexcept {
  if (this == &other) return *this;
  other.own();  // borrowed views never leave the list that borrowed them
  const char* old_base = other.store_.data();
  store_ = std::move(other.store_);
  list_ = std::move(other.list_);
  read_end_ = other.read_end_;
  rebase(old_base, store_.size());
  other.read_end_ = 0;
  other.clear();
  return *this;
}

void Headers::swap(Headers& other) noexcept {
  own();
  other.own();
  const char* mine = store_.data();
  const char* theirs = other.store_.data();
  store_.swap(other.store_);
  list_.swap(other.list_);
  std::swap(read_end_, other.read_end_);
  rebase(theirs, store_.size());
  other.rebase(mine, other.store_.size());
}

void Headers::rebase(const char* old_base, size_t old_size) {
  const char* base = store_.data();
  if (base == old_base) return;  // the common case: the buffer moved with the list
  const auto from = reinterpret_cast<uintptr_t>(old_base);
  const auto moved = [&](std::string_view v) {
    const auto at = reinterpret_cast<uintptr_t>(v.data());
    if (at < from || at > from + old_size) return v;  // borrowed
    return std::string_view(base + (at - from), v.size());
  };
  for (HeaderView& h : list_) {
    h.name = moved(h.name);
    h.value = moved(h.value);
  }
}

void Headers::ownBorrowed() {
  // Room for every name and value first (more than the borrowed ones need), so the store
  // moves at most once and each copy below is a plain append.
  size_t bytes = 0;
  for (const HeaderView& h : list_) bytes += h.name.size() + h.value.size();
  const char* old_base = store_.data();
  const size_t old_size = store_.size();
  store_.reserve(old_size + bytes);
  rebase(old_base, old_size);
  const auto own = [&](std::string_view& v) {
    if (store_.holds(v)) return;
    const size_t at = store_.size();
    store_.append(v);
    v = std::string_view(store_.data() + at, v.size());
  };
  for (HeaderView& h : list_) {
    own(h.name);
    own(h.value);
  }
  has_borrowed_ = false;
}

void Headers::extendByCopy(std::string_view& part, std::string_view piece) {
  const size_t at = store_.size();
  const size_t size = part.size() + piece.size();
  if (part.data() + part.size() == store_.data() + at) {
    append(piece);  // rebases `part` if the store moves
    part = std::string_view(part.data(), size);
    return;
  }
  append(part);
  append(piece);
  part = std::string_view(store_.data() + at, size);
}

void Headers::release() {
  store_.release();
  std::vector<HeaderView>().swap(list_);
}

void Headers::add(std::string_view name, std::string_view value) {
  // Either may be a view into this store (set("X-Forwarded-Host", *get("Host"))): make room
  // for both first, so the store moves at most once, and follow that move.
  const char* old_base = store_.data();
  const auto inStore = [&](std::string_view bytes) {
    const auto at = reinterpret_cast<uintptr_t>(bytes.data());
    const auto base = reinterpret_cast<uintptr_t>(old_base);
    return at >= base && at < base + store_.size();
  };
  const bool name_in_store = inStore(name);
  const bool value_in_store = inStore(value);
  const size_t old_size = store_.size();
  store_.reserve(old_size + name.size() + value.size());
  if (store_.data() != old_base) {
    rebase(old_base, old_size);
    if (name_in_store)
      name = std::string_view(store_.data() + (name.data() - old_base), name.size());
    if (value_in_store)
      value = std::string_view(store_.data() + (value.data() - old_base), value.size());
  }
  const size_t name_at = store_.size();
  store_.append(name);
  store_.append(value);
  const char* base = store_.data();
  list_.push_back(HeaderView{std::string_view(base + name_at, name.size()),
                             std::string_view(base + name_at + name.size(), value.size())});
}

void Headers::prepend(std::string_view name, std::string_view value) {
  add(name, value);
  std::rotate(list_.begin(), list_.end() - 1, list_.end());
}

void Headers::set(std::string_view name, std::string_view value) {
  auto first = std::find_if(list_.begin(), list_.end(),
                            [&](const HeaderView& h) { return equalsIgnoreCase(h.name, name); });
  if (first == list_.end()) {
    add(name, value);
    return;
  }
  // Keep the position of the first occurrence so the head reads naturally.
  const size_t index = static_cast<size_t>(first - list_.begin());
  const std::string_view kept = keep(value);
  list_[index].value = kept;
  const std::string_view kept_name = list_[index].name;
  auto rest = std::remove_if(list_.begin() + index + 1, list_.end(), [&](const HeaderView& h) {
    return equalsIgnoreCase(h.name, kept_name);
  });
  list_.erase(rest, list_.end());
}

size_t Headers::remove(std::string_view name) {
  return std::erase_if(list_, [&](const HeaderView& h) { return equalsIgnoreCase(h.name, name); });
}

const std::string_view* Headers::get(std::string_view name) const {
  for (const HeaderView& h : list_) {
    if (equalsIgnoreCase(h.name, name)) return &h.value;
  }
  return nullptr;
}

void RequestHead::swap(RequestHead& other) noexcept {
  method.swap(other.method);
  target.swap(other.target);
  std::swap(version_minor, other.version_minor);
  headers.swap(other.headers);
  std::swap(framing, other.framing);
  std::swap(content_length, other.content_length);
  std::swap(keep_alive, other.keep_alive);
  std::swap(expect_continue, other.expect_continue);
  upgrade.swap(other.upgrade);
}

std::string_view RequestHead::path() const {
  std::string_view rest = target;
  // Absolute-form ("http://host/p?q") arrives when the app treats us as a forward proxy;
  // origin-form ("/p?q", nearly every request) cannot be it.
  if (!rest.starts_with('/')) {
    for (std::string_view scheme : {"http://", "https://"}) {
      if (!startsWithIgnoreCase(rest, scheme)) continue;
      rest.remove_prefix(scheme.size());
      size_t slash = rest.find('/');
      if (slash == std::string_view::npos) return "/";
      rest.remove_prefix(slash);
      break;
    }
  }
  size_t end = 0;  // a plain loop: find_first_of calls memchr once per character
  while (end < rest.size() && rest[end] != '?' && rest[end] != '#') ++end;
  return rest.substr(0, end);
}

std::string_view reasonPhrase(int status) {
  auto it = std::lower_bound(std::begin(kReasons), std::end(kReasons), status,
                             [](const StatusReason& e, int s) { return e.status < s; });
  if (it == std::end(kReasons) || it->status != status) return "Unknown";
  return it->reason;
}

}  // namespace outrigger::http
