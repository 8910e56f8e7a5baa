#include "proxy/http2/field_rules.h"

#include <charconv>
#include <string>
#include <vector>

#include "proxy/http/head_checks.h"
#include "proxy/http/header_rules.h"
#include "proxy/http2/field_block.h"

namespace outrigger::http2 {
namespace {

using http::equalsIgnoreCase;

bool isLowercaseToken(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!http::isTokenChar(c) || (c >= 'A' && c <= 'Z')) return false;
  }
  return true;
}

bool isValidValue(std::string_view value) {
  // One pass (find_first_of would search the three bytes for every byte of the value).
  for (const char c : value) {
    if (c == '\0' || c == '\r' || c == '\n') return false;
  }
  return true;
}

bool parseLength(std::string_view text, uint64_t& value) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

// Whether a comma-separated list holds `token` (case-insensitive, spaces around ignored).
bool listHasToken(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (equalsIgnoreCase(item, token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

bool dropsFromHttp2(std::string_view name, bool trailers,
                    const std::vector<std::string_view>& nominated) {
  if (isConnectionSpecific(name) || name == "host" || name == "content-length" || name == "te") {
    return true;
  }
  if (trailers && name == "trailer") return true;
  for (std::string_view token : nominated) {
    if (equalsIgnoreCase(name, token)) return true;
  }
  return false;
}

}  // namespace

bool isConnectionSpecific(std::string_view name) {
  return name == "connection" || name == "keep-alive" || name == "proxy-connection" ||
         name == "transfer-encoding" || name == "upgrade";
}

std::string_view FieldScan::next(const http::HeaderView& field) {
  const std::string_view name = field.name;
  if (!isValidValue(field.value)) return "invalid field value";
  if (!name.empty() && name.front() == ':') {
    if (seen_regular_) return "pseudo-header after a regular field";
    if (!isLowercaseToken(name.substr(1))) return "invalid pseudo-header name";
    return {};
  }
  seen_regular_ = true;
  if (!isLowercaseToken(name)) return "invalid or uppercase field name";
  if (isConnectionSpecific(name)) return "connection-specific field";
  if (name == "te" && !equalsIgnoreCase(field.value, "trailers")) return "te other than trailers";
  if (name == "content-length") {
    uint64_t value = 0;
    if (!parseLength(field.value, value)) return "invalid content-length";
    if (length.present && length.value != value) return "conflicting content-length";
    length = ContentLength{true, value};
  }
  return {};
}

template <typename Sink>
void appendRegularFields(const http::Headers& headers, bool is_request, Sink& out,
                         bool trailers) {
  // Reused: a name of more than 15 bytes would otherwise allocate for every field.
  thread_local std::vector<std::string_view> nominated;
  thread_local std::string name;
  nominated.clear();
  http::connectionTokens(headers, nominated);
  bool te_trailers = false;
  for (const http::HeaderView& h : headers) {
    if (h.name.empty() || h.name.front() == ':') continue;
    name.assign(h.name);
    for (char& c : name) c = http::lowerAscii(c);
    if (name == "te") te_trailers = te_trailers || listHasToken(h.value, "trailers");
    if (dropsFromHttp2(name, trailers, nominated)) continue;
    out.add(name, h.value);
  }
  // gRPC needs "te: trailers" to reach the server; any other TE is hop-by-hop.
  if (is_request && te_trailers) out.add("te", "trailers");
}

template void appendRegularFields(const http::Headers&, bool, http::Headers&, bool);
template void appendRegularFields(const http::Headers&, bool, FieldBlock&, bool);

}  // namespace outrigger::http2
