#include "proxy/http/head_checks.h"

#include <algorithm>
#include <array>

namespace outrigger::http {
namespace {

bool isOws(char c) { return c == ' ' || c == '\t'; }

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && isOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && isOws(s.back())) s.remove_suffix(1);
  return s;
}

bool startsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && equalsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

// We decode chunked and nothing else, so Transfer-Encoding must be one field line that
// says exactly "chunked". Every other coding is refused rather than passed on: the
// serializer re-frames bodies and drops Transfer-Encoding, so "gzip" would reach the other
// side undeclared (RFC 9112 §6.1 lets a server refuse codings it does not understand).
// Obfuscations ("xchunked", "chunked;q=1", "chunked, identity", ", chunked", chunked over
// two lines) are refused too, although RFC 9110 §5.6.1 would ignore empty list elements:
// a neighbour that reads any of them differently would frame the body differently.
std::string_view checkTransferEncoding(const Headers& headers, int version_minor) {
  int lines = 0;
  bool chunked = false;
  for (const HeaderView& h : headers) {
    if (!equalsIgnoreCase(h.name, "Transfer-Encoding")) continue;
    ++lines;
    chunked = equalsIgnoreCase(trimOws(h.value), "chunked");
  }
  if (lines == 0) return {};
  // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
  if (version_minor == 0) return "Transfer-Encoding in an HTTP/1.0 message";
  // RFC 9112 §6.1: a server may reject Content-Length with Transfer-Encoding; we always do
  // (llhttp misses it when Transfer-Encoding is empty).
  if (headers.has("Content-Length")) return "Content-Length with Transfer-Encoding";
  if (lines != 1 || !chunked) return kUnsupportedTransferEncoding;
  return {};
}

constexpr std::array<bool, 256> makeHostTable() {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (char c : std::string_view("-._~!$&'()*+,;=%:[]"))
    table[static_cast<unsigned char>(c)] = true;
  return table;
}
constexpr std::array<bool, 256> kHostChars = makeHostTable();

// uri-host [ ":" port ] (RFC 9110 §7.2): reg-name or IP-literal characters, and ":". A
// table lookup: it runs on every byte of every Host.
bool isHostChar(char c) { return kHostChars[static_cast<unsigned char>(c)]; }

// RFC 9112 §3.2: more than one Host, or an invalid one, gets a 400. Two Hosts let the
// router and the upstream pick different ones.
std::string_view checkHost(const Headers& headers, const std::string_view** host) {
  *host = nullptr;
  for (const HeaderView& h : headers) {
    if (!equalsIgnoreCase(h.name, "Host")) continue;
    if (*host != nullptr) return "more than one Host header";
    *host = &h.value;
  }
  if (*host != nullptr && !std::all_of((*host)->begin(), (*host)->end(), isHostChar)) {
    return "invalid Host header";
  }
  return {};
}

// The request-target forms of RFC 9112 §3.2.
std::string_view checkRequestTarget(const RequestHead& head, const std::string_view* host) {
  const std::string_view target = head.target;
  if (target.empty()) return "empty request-target";
  for (const char c : target) {
    // Visible ASCII only (RFC 3986 §2: anything else is percent-encoded). A fragment is
    // not part of a request-target, and our router and the upstream might cut it apart
    // differently.
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return "request-target has a byte that must be percent-encoded";
    if (c == '#') return "fragment in the request-target";
  }
  if (target.front() == '/') return {};  // origin-form
  if (target == "*") {
    return head.method == "OPTIONS" ? std::string_view() : "asterisk-form is only for OPTIONS";
  }
  if (head.method == "CONNECT") return {};  // authority-form; llhttp checked its shape
  std::string_view rest = target;
  bool absolute = false;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (startsWithIgnoreCase(rest, scheme)) {
      rest.remove_prefix(scheme.size());
      absolute = true;
      break;
    }
  }
  if (!absolute) return "unsupported request-target form";
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.empty()) return "absolute-form without a host";
  // RFC 9112 §3.2: the client sends a Host identical to the target's authority. Routing
  // reads Host and the upstream would read the target, so they must agree.
  if (host == nullptr || !equalsIgnoreCase(*host, authority)) {
    return "Host does not match the absolute-form request-target";
  }
  return {};
}

}  // namespace

std::string_view checkRequestHead(const RequestHead& head) {
  if (std::string_view problem = checkTransferEncoding(head.headers, head.version_minor);
      !problem.empty()) {
    return problem;
  }
  const std::string_view* host = nullptr;
  if (std::string_view problem = checkHost(head.headers, &host); !problem.empty()) return problem;
  return checkRequestTarget(head, host);
}

std::string_view checkResponseHead(const ResponseHead& head) {
  // RFC 9110 §15: status codes outside 100..599 are invalid.
  if (head.status < 100 || head.status > 599) return "status code outside 100..599";
  for (const char c : head.reason) {
    // RFC 9112 §4: reason-phrase = *( HTAB / SP / VCHAR / obs-text ).
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return "control character in the reason phrase";
  }
  return checkTransferEncoding(head.headers, head.version_minor);
}

}  // namespace outrigger::http
