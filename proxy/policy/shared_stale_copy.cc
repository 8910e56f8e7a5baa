#include "proxy/policy/shared_stale_copy.h"

#include <charconv>

namespace outrigger::policy {
namespace {

constexpr std::string_view kMagic = "outrigger-stale-1";
// A stored copy with more headers than this is not one of ours.
constexpr uint64_t kMaxHeaders = 1000;

uint64_t fnv1a64(std::string_view bytes) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

// A field is its length in decimal, ':', then its bytes (a netstring without the comma).
void putField(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

class FieldReader {
 public:
  explicit FieldReader(std::string_view bytes) : bytes_(bytes) {}
  std::optional<std::string_view> next() {
    const size_t colon = bytes_.find(':', pos_);
    if (colon == std::string_view::npos || colon == pos_ || colon - pos_ > 12) return std::nullopt;
    uint64_t length = 0;
    const auto [end, ec] = std::from_chars(bytes_.data() + pos_, bytes_.data() + colon, length);
    if (ec != std::errc() || end != bytes_.data() + colon) return std::nullopt;
    if (length > bytes_.size() - colon - 1) return std::nullopt;
    std::string_view field = bytes_.substr(colon + 1, length);
    pos_ = colon + 1 + length;
    return field;
  }
  std::optional<int64_t> number() {
    const auto field = next();
    int64_t value = 0;
    if (!field) return std::nullopt;
    const auto [end, ec] = std::from_chars(field->data(), field->data() + field->size(), value);
    if (ec != std::errc() || end != field->data() + field->size()) return std::nullopt;
    return value;
  }
  bool atEnd() const { return pos_ == bytes_.size(); }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

}  // namespace

std::string sharedStaleKey(std::string_view prefix, std::string_view upstream,
                           std::string_view request_key) {
  char hex[17];
  const uint64_t hash = fnv1a64(request_key);
  for (int i = 0; i < 16; ++i) hex[i] = "0123456789abcdef"[(hash >> (60 - 4 * i)) & 0xf];
  std::string key;
  key.reserve(prefix.size() + upstream.size() + 26);
  key += prefix;
  key += '{';
  key += upstream;
  key += "}:stale:";
  key.append(hex, 16);
  return key;
}

bool maySharedKeep(bool request_had_authorization, const http::Headers& response_headers) {
  if (cacheControlSays(response_headers, "no-store") ||
      cacheControlSays(response_headers, "private"))
    return false;
  if (cacheControlSays(response_headers, "public")) return true;
  return !request_had_authorization && !response_headers.has("set-cookie");
}

void encodeSharedCopy(std::string_view request_key, const StaleEntry& copy, int64_t stored_wall_ms,
                      std::string& out) {
  out.clear();
  out.reserve(copy.body.size() + 512);
  putField(out, kMagic);
  putField(out, request_key);
  putField(out, std::to_string(copy.status));
  putField(out, std::to_string(stored_wall_ms));
  putField(out, std::to_string(copy.headers.size()));
  for (const auto& h : copy.headers) {
    putField(out, h.name);
    putField(out, h.value);
  }
  putField(out, copy.body);
}

std::optional<SharedCopy> decodeSharedCopy(std::string_view bytes, std::string_view request_key) {
  FieldReader in(bytes);
  if (in.next() != kMagic || in.next() != request_key) return std::nullopt;
  const auto status = in.number();
  const auto stored = in.number();
  const auto count = in.number();
  if (!status || *status < 200 || *status > 599 || !stored || !count || *count < 0 ||
      static_cast<uint64_t>(*count) > kMaxHeaders)
    return std::nullopt;
  SharedCopy copy;
  copy.entry.status = static_cast<int>(*status);
  copy.stored_wall_ms = *stored;
  for (int64_t i = 0; i < *count; ++i) {
    const auto name = in.next();
    const auto value = in.next();
    if (!name || !value || name->empty()) return std::nullopt;
    copy.entry.headers.add(*name, *value);
  }
  const auto body = in.next();
  if (!body || !in.atEnd()) return std::nullopt;
  copy.entry.body.assign(*body);
  return copy;
}

RewriteThrottle::RewriteThrottle(Duration interval, size_t max_keys)
    : interval_(interval), max_keys_(max_keys == 0 ? 1 : max_keys) {}

bool RewriteThrottle::due(const std::string& key, MonoTime now) {
  auto found = last_.find(key);
  if (found != last_.end()) {
    if (now - found->second < interval_) return false;
    found->second = now;
    return true;
  }
  if (last_.size() >= max_keys_) {
    std::erase_if(last_, [&](const auto& item) { return now - item.second >= interval_; });
    if (last_.size() >= max_keys_) last_.clear();
  }
  last_.emplace(key, now);
  return true;
}

}  // namespace outrigger::policy
