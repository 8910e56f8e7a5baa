#include "proxy/http/header_rules.h"

#include <algorithm>
#include <array>
#include <vector>

namespace outrigger::http {
namespace {

constexpr size_t kMaxRequestIdLength = 200;

bool isOws(char c) { return c == ' ' || c == '\t'; }

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && isOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && isOws(s.back())) s.remove_suffix(1);
  return s;
}

bool isHopByHop(std::string_view name, const std::vector<std::string_view>& tokens) {
  if (isHopByHopName(name)) return true;
  for (std::string_view token : tokens) {
    if (equalsIgnoreCase(name, token)) return true;
  }
  return false;
}

bool isSaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

// The two hex digits of every byte value, so an id takes 16 lookups rather than 32.
constexpr std::array<char, 512> makeHexPairs() {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::array<char, 512> pairs{};
  for (int b = 0; b < 256; ++b) {
    pairs[2 * b] = kDigits[b >> 4];
    pairs[2 * b + 1] = kDigits[b & 0xf];
  }
  return pairs;
}
constexpr std::array<char, 512> kHexPairs = makeHexPairs();

void appendHex64(uint64_t value, std::string& out) {
  char text[16];
  for (int i = 14; i >= 0; i -= 2, value >>= 8) {
    const size_t byte = value & 0xff;
    text[i] = kHexPairs[2 * byte];
    text[i + 1] = kHexPairs[2 * byte + 1];
  }
  out.append(text, sizeof text);
}

}  // namespace

bool isHopByHopName(std::string_view name) {
  // By length first: most names are none of these, and are told so in one comparison.
  switch (name.size()) {
    case 2:
      return equalsIgnoreCase(name, "TE");
    case 7:
      return equalsIgnoreCase(name, "Trailer") || equalsIgnoreCase(name, "Upgrade");
    case 10:
      return equalsIgnoreCase(name, "Connection") || equalsIgnoreCase(name, "Keep-Alive");
    case 14:
      return equalsIgnoreCase(name, "Content-Length");
    case 16:
      return equalsIgnoreCase(name, "Proxy-Connection");
    case 17:
      return equalsIgnoreCase(name, "Transfer-Encoding");
    default:
      return false;
  }
}

size_t foldRepeatedNames(std::span<HeaderView> views) {
  size_t n = views.size();
  for (size_t i = 1; i < n; ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (!equalsIgnoreCase(views[j].name, views[i].name)) continue;
      views[j].value = views[i].value;
      std::copy(views.begin() + static_cast<std::ptrdiff_t>(i + 1),
                views.begin() + static_cast<std::ptrdiff_t>(n),
                views.begin() + static_cast<std::ptrdiff_t>(i));
      --n;
      --i;
      break;
    }
  }
  return n;
}

void connectionTokens(const Headers& headers, std::vector<std::string_view>& tokens) {
  tokens.clear();
  for (const HeaderView& h : headers) {
    if (!equalsIgnoreCase(h.name, "Connection")) continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view token = trimOws(rest.substr(0, comma));
      if (!token.empty()) tokens.push_back(token);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
}

void appendOriginForm(std::string_view target, std::string& out) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() < scheme.size() || !equalsIgnoreCase(target.substr(0, scheme.size()), scheme))
      continue;
    const std::string_view rest = target.substr(scheme.size());
    const size_t end = rest.find_first_of("/?");
    if (end == std::string_view::npos || rest[end] == '?') out.push_back('/');
    if (end != std::string_view::npos) out.append(rest.substr(end));
    return;
  }
  out.append(target);
}

void removeHopByHop(Headers& headers) {
  // Views into the Connection headers, which stay valid: removing never moves the store.
  thread_local std::vector<std::string_view> tokens;
  connectionTokens(headers, tokens);
  headers.removeIf([&](const HeaderView& h) { return isHopByHop(h.name, tokens); });
}

void removeFieldsNotAllowedInTrailers(Headers& trailers) {
  trailers.removeIf([](const HeaderView& h) {
    return isHopByHopName(h.name) || equalsIgnoreCase(h.name, "Host") ||
           equalsIgnoreCase(h.name, "Content-Type") ||
           equalsIgnoreCase(h.name, "Content-Encoding") ||
           equalsIgnoreCase(h.name, "Authorization") || equalsIgnoreCase(h.name, "Cache-Control") ||
           equalsIgnoreCase(h.name, "Set-Cookie") || equalsIgnoreCase(h.name, "Cookie");
  });
}

void prepareDownstreamResponse(ResponseHead& head, std::string_view request_id) {
  removeHopByHop(head.headers);
  // Appended to the head's store, which keeps its capacity from one response to the next.
  if (!request_id.empty()) head.headers.set("X-Request-ID", request_id);
}

std::string requestIdFor(const RequestHead& head, Random& random) {
  std::string id;
  assignRequestId(head, random, id);
  return id;
}

void assignRequestId(const RequestHead& head, Random& random, std::string& id) {
  const std::string_view* incoming = head.headers.get("X-Request-ID");
  if (incoming != nullptr && isSaneRequestId(*incoming)) {
    id.assign(*incoming);
    return;
  }
  id.clear();
  id.reserve(32);
  appendHex64(random.next(), id);
  appendHex64(random.next(), id);
}

std::string hostWithoutPort(const RequestHead& head) {
  std::string host;
  assignHostWithoutPort(head, host);
  return host;
}

void assignHostWithoutPort(const RequestHead& head, std::string& out) {
  out.clear();
  const std::string_view* host = head.headers.get("Host");
  if (host == nullptr) return;
  std::string_view h = trimOws(*host);
  if (!h.empty() && h.front() == '[') {
    const size_t close = h.find(']');
    if (close != std::string_view::npos) h = h.substr(0, close + 1);
  } else if (const size_t colon = h.find(':');
             colon != std::string_view::npos && h.find(':', colon + 1) == std::string_view::npos) {
    // One colon separates the port; several mean a bare IPv6 address, kept whole.
    h = h.substr(0, colon);
  }
  out.resize(h.size());
  for (size_t i = 0; i < h.size(); ++i) out[i] = lowerAscii(h[i]);
}

std::string_view connectAuthorityHost(std::string_view target) {
  size_t colon = std::string_view::npos;
  if (!target.empty() && target.front() == '[') {
    const size_t close = target.find(']');
    if (close == std::string_view::npos) return {};
    colon = close + 1;
    if (colon >= target.size() || target[colon] != ':') return {};
  } else {
    colon = target.rfind(':');
    if (colon == std::string_view::npos || target.find(':') != colon) return {};
  }
  const std::string_view host = target.substr(0, colon);
  const std::string_view port = target.substr(colon + 1);
  if (host.empty() || port.empty() || host.find_first_of("/@?#") != std::string_view::npos)
    return {};
  for (const char c : port)
    if (c < '0' || c > '9') return {};
  return host;
}

}  // namespace outrigger::http
