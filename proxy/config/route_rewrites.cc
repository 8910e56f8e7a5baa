// Reads what a route changes on the way through (prefix_rewrite, host_rewrite, request_headers,
// response_headers) and direct_response. Header values are split into literal text and
// variables here, once, so the request path only appends.

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "proxy/config/fields.h"
#include "proxy/config/keys.h"
#include "proxy/config/route_readers.h"

namespace outrigger::config {
namespace {

struct Variable {
  std::string_view name;
  HeaderVariable variable;
};
constexpr std::array<Variable, 4> kVariables = {{{"REQUEST_ID", HeaderVariable::kRequestId},
                                                 {"UPSTREAM", HeaderVariable::kUpstream},
                                                 {"ROUTE", HeaderVariable::kRoute},
                                                 {"CLIENT_IP", HeaderVariable::kClientIp}}};

enum class Side { kRequest, kResponse };

// Why `name` may not be changed with `verb` on `side`, or "" when it may.
std::string forbiddenReason(const std::string& name, std::string_view verb, Side side) {
  const std::string head = "cannot " + std::string(verb) + " '" + name + "': ";
  if (name == "content-length" || name == "transfer-encoding") {
    return head +
           "outrigger writes the framing headers (content-length, transfer-encoding) to "
           "match how the body is sent";
  }
  static constexpr std::array<std::string_view, 6> kHopByHop = {
      "connection", "te", "upgrade", "keep-alive", "proxy-connection", "trailer"};
  if (std::find(kHopByHop.begin(), kHopByHop.end(), name) != kHopByHop.end()) {
    return head +
           "it is a hop-by-hop header, which applies to one connection and is never "
           "forwarded";
  }
  if (name == "host" && side == Side::kRequest) return head + "use host_rewrite to change it";
  return "";
}

// "x %ROUTE% y" -> ["x ", ROUTE, " y"]; "%%" is a literal '%'.
std::optional<HeaderValue> parseValue(const ConfigNode& node, Diagnostics& diag) {
  std::optional<std::string> text = readString(node, diag);
  if (!text) return std::nullopt;
  if (text->find_first_of("\r\n") != std::string::npos || text->find('\0') != std::string::npos) {
    diag.error(node, "a header value cannot contain a line break");
    return std::nullopt;
  }
  HeaderValue value{*text, {}};
  std::string literal;
  for (size_t i = 0; i < text->size(); ++i) {
    if ((*text)[i] != '%') {
      literal += (*text)[i];
      continue;
    }
    if (text->compare(i, 2, "%%") == 0) {
      literal += '%';
      ++i;
      continue;
    }
    const size_t end = text->find('%', i + 1);
    const std::string_view name = end == std::string::npos
                                      ? std::string_view()
                                      : std::string_view(*text).substr(i + 1, end - i - 1);
    auto known = std::find_if(kVariables.begin(), kVariables.end(),
                              [&](const Variable& v) { return v.name == name; });
    if (known == kVariables.end()) {
      diag.error(node, "unknown variable in '" + *text +
                           "' (known: %REQUEST_ID%, %UPSTREAM%, %ROUTE%, %CLIENT_IP%; write %% "
                           "for a literal '%')");
      return std::nullopt;
    }
    if (!literal.empty()) value.pieces.push_back({std::move(literal), HeaderVariable::kNone});
    literal.clear();
    value.pieces.push_back({"", known->variable});
    i = end;
  }
  if (!literal.empty()) value.pieces.push_back({std::move(literal), HeaderVariable::kNone});
  return value;
}

bool checkHeaderName(const ConfigNode& at, const std::string& name, std::string_view verb,
                     Side side, Diagnostics& diag) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), isTokenChar)) {
    diag.error(at, "invalid header name '" + name + "'");
    return false;
  }
  const std::string reason = forbiddenReason(lowerAscii(name), verb, side);
  if (!reason.empty()) diag.error(at, reason);
  return reason.empty();
}

void readEntries(const ConfigNode& n, std::string_view verb, Side side,
                 std::vector<HeaderEntry>& out, Diagnostics& diag) {
  if (!n.isMap()) {
    diag.error(n, "expected a map of header name to value, got " + n.describe());
    return;
  }
  for (const ConfigNode& entry : n.children) {
    if (entry.key.empty() || !std::all_of(entry.key.begin(), entry.key.end(), isTokenChar)) {
      diag.errorAtKey(entry, n.path, "invalid header name '" + entry.key + "'");
      continue;
    }
    const std::string reason = forbiddenReason(lowerAscii(entry.key), verb, side);
    if (!reason.empty()) {
      diag.errorAtKey(entry, entry.path, reason);
      continue;
    }
    if (std::optional<HeaderValue> value = parseValue(entry, diag))
      out.push_back({entry.key, std::move(*value)});
  }
}

void readHeaderRewrite(const ConfigNode& n, Side side, HeaderRewrite& out, Diagnostics& diag) {
  static_assert(keysAt("listeners[].routes[].request_headers").size() ==
                keysAt("listeners[].routes[].response_headers").size());
  if (!checkMap(n, keysAt("listeners[].routes[].request_headers"), diag)) return;
  if (const ConfigNode* set = n.find("set")) readEntries(*set, "set", side, out.set, diag);
  if (const ConfigNode* add = n.find("add")) readEntries(*add, "add", side, out.add, diag);
  if (const ConfigNode* remove = n.find("remove")) {
    if (!checkList(*remove, diag)) return;
    for (const ConfigNode& item : remove->children) {
      std::optional<std::string> name = readString(item, diag);
      if (name && checkHeaderName(item, *name, "remove", side, diag))
        out.remove.push_back(lowerAscii(*name));
    }
  }
}

std::optional<std::string> readPrefixRewrite(const ConfigNode& n, Diagnostics& diag) {
  std::optional<std::string> path = readString(n, diag);
  if (path && (path->empty() || path->front() != '/')) {
    diag.error(n, "must start with '/', got " + n.describe());
    return std::nullopt;
  }
  if (path && path->find_first_of(" \t\r\n?#") != std::string::npos) {
    diag.error(n, "must not contain spaces, '?' or '#', got " + n.describe());
    return std::nullopt;
  }
  return path;
}

std::optional<std::string> readHostRewrite(const ConfigNode& n, Diagnostics& diag) {
  std::optional<std::string> host = readString(n, diag);
  if (!host) return std::nullopt;
  const bool ok = !host->empty() && std::all_of(host->begin(), host->end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
           c == ':' || c == '[' || c == ']';
  });
  if (!ok) {
    diag.error(n, "expected a host name, optionally with ':port', got " + n.describe());
    return std::nullopt;
  }
  return host;
}

void readDirectResponse(const ConfigNode& n, RouteConfig& out, Diagnostics& diag) {
  if (!checkMap(n, keysAt("listeners[].routes[].direct_response"), diag)) return;
  StaticResponseConfig r;
  r.content_type = "text/plain; charset=utf-8";
  if (const ConfigNode* s = requireKey(n, "status", diag)) {
    if (auto v = readInteger(*s, diag, 200, 599)) r.status = static_cast<int>(*v);
  }
  if (const ConfigNode* b = n.find("body")) assignIf(readString(*b, diag), r.body);
  if (const ConfigNode* c = n.find("content_type")) assignIf(readString(*c, diag), r.content_type);
  out.direct_response = r;
}

}  // namespace

void readRouteRewrites(const ConfigNode& route, RouteConfig& out, Diagnostics& diag) {
  RouteRewrite& rw = out.rewrite;
  if (const ConfigNode* n = route.find("prefix_rewrite"))
    rw.prefix_rewrite = readPrefixRewrite(*n, diag);
  if (const ConfigNode* n = route.find("host_rewrite")) {
    assignIf(readHostRewrite(*n, diag), rw.host_rewrite);
  }
  if (const ConfigNode* n = route.find("request_headers"))
    readHeaderRewrite(*n, Side::kRequest, rw.request, diag);
  if (const ConfigNode* n = route.find("response_headers"))
    readHeaderRewrite(*n, Side::kResponse, rw.response, diag);
  if (const ConfigNode* n = route.find("direct_response")) readDirectResponse(*n, out, diag);
  if (!out.direct_response) return;
  // A direct response never goes upstream, so what changes the request has nothing to change.
  for (std::string_view key : {"prefix_rewrite", "host_rewrite", "request_headers"}) {
    if (const ConfigNode* n = route.find(key)) {
      diag.errorAtKey(
          *n, route.path,
          "'" + std::string(key) +
              "' has no effect on a route with direct_response (nothing goes upstream)");
    }
  }
}

}  // namespace outrigger::config
