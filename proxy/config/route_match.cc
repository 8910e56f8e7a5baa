// Reads a route's match conditions: the short form (host, path_prefix beside upstream) or a
// `match:` block with host, path_prefix, path_exact, methods and headers.

#include <algorithm>
#include <cctype>
#include <string>

#include "proxy/config/fields.h"
#include "proxy/config/keys.h"
#include "proxy/config/route_readers.h"

namespace outrigger::config {
namespace {

std::optional<std::string> checkHostChars(const std::string& host, std::string_view inner,
                                          bool bracketed) {
  for (char c : inner) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
                    c == '_' || (bracketed && c == ':');
    if (!ok) return "invalid character '" + std::string(1, c) + "' in host '" + host + "'";
  }
  return std::nullopt;
}

// Route hosts are compared with the Host header minus its port, so a port can never match.
std::optional<std::string> checkRouteHost(const std::string& host) {
  if (host.empty()) return "must not be empty (use '*' to match any host)";
  if (host == "*") return std::nullopt;
  if (host.find_first_of(" \t") != std::string::npos) {
    return "must not contain spaces, got '" + host + "'";
  }
  const bool bracketed = host.front() == '[' && host.back() == ']' && host.size() > 2;
  if (!bracketed && host.find(':') != std::string::npos) {
    return "must not include a port (routes match the Host header without its port), got '" + host +
           "'";
  }
  if (host.starts_with("*.") && host.size() > 2 && host.find('*', 1) == std::string::npos) {
    if (host[2] == '.') return "invalid character '.' in host '" + host + "'";
    return checkHostChars(host, std::string_view(host).substr(2), false);
  }
  if (host.find('*') != std::string::npos) {
    return "'*' is only allowed on its own, to match any host, or as '*.' before a domain "
           "('*.example.com'), got '" +
           host + "'";
  }
  const std::string_view inner =
      bracketed ? std::string_view(host).substr(1, host.size() - 2) : std::string_view(host);
  return checkHostChars(host, inner, bracketed);
}

bool readHost(const ConfigNode& n, RouteConfig& out, Diagnostics& diag) {
  std::optional<std::string> host = readString(n, diag);
  const auto problem = host ? checkRouteHost(lowerAscii(*host)) : std::nullopt;
  if (problem) diag.error(n, *problem);
  if (!host || problem) return false;
  out.host = lowerAscii(*host);
  return true;
}

std::optional<std::string> readPath(const ConfigNode& n, Diagnostics& diag) {
  std::optional<std::string> path = readString(n, diag);
  if (path && (path->empty() || path->front() != '/')) {
    diag.error(n, "must start with '/', got " + n.describe());
    return std::nullopt;
  }
  if (path && path->find_first_of(" \t") != std::string::npos) {
    diag.error(n, "must not contain spaces, got " + n.describe());
    return std::nullopt;
  }
  if (path && path->find_first_of("?#") != std::string::npos) {
    diag.error(n,
               "is compared with the path without its query, so it cannot contain '?' or '#', "
               "got " +
                   n.describe());
    return std::nullopt;
  }
  return path;
}

bool readMethods(const ConfigNode& n, RouteConfig& out, Diagnostics& diag) {
  if (!checkList(n, diag)) return false;
  if (n.children.empty()) {
    diag.error(n, "must list at least one method (leave methods out to match any method)");
    return false;
  }
  bool ok = true;
  for (const ConfigNode& item : n.children) {
    std::optional<std::string> method = readString(item, diag);
    if (!method) {
      ok = false;
      continue;
    }
    const bool upper = !method->empty() && std::all_of(method->begin(), method->end(), [](char c) {
      return (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
    });
    if (!upper) {
      std::string hint;
      for (char c : *method) hint += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      diag.error(item, "methods are compared exactly and written in capitals, got '" + *method +
                           "'" + (hint != *method ? " (did you mean '" + hint + "'?)" : ""));
      ok = false;
      continue;
    }
    if (std::find(out.methods.begin(), out.methods.end(), *method) == out.methods.end())
      out.methods.push_back(*method);
  }
  std::sort(out.methods.begin(), out.methods.end());
  return ok;
}

std::optional<HeaderMatch> readHeaderCondition(const ConfigNode& entry, Diagnostics& diag) {
  HeaderMatch match;
  match.name = lowerAscii(entry.key);
  if (entry.key.empty() || !std::all_of(entry.key.begin(), entry.key.end(), isTokenChar)) {
    diag.errorAtKey(entry, entry.path, "invalid header name '" + entry.key + "'");
    return std::nullopt;
  }
  if (entry.isMap()) {
    if (!checkMap(entry, keysAt("listeners[].routes[].match.headers.<name>"), diag))
      return std::nullopt;
    const ConfigNode* present = requireKey(entry, "present", diag);
    std::optional<bool> value = present ? readBool(*present, diag) : std::nullopt;
    if (!value) return std::nullopt;
    match.kind = *value ? HeaderMatch::Kind::kPresent : HeaderMatch::Kind::kAbsent;
    return match;
  }
  if (!entry.isScalar()) {
    diag.error(entry, "expected a value to compare, or { present: true }, got " + entry.describe());
    return std::nullopt;
  }
  match.value = entry.scalar;
  return match;
}

bool readHeaders(const ConfigNode& n, RouteConfig& out, Diagnostics& diag) {
  if (!n.isMap()) {
    diag.error(n,
               "expected a map of header name to value or { present: true }, got " + n.describe());
    return false;
  }
  bool ok = true;
  for (const ConfigNode& entry : n.children) {
    std::optional<HeaderMatch> match = readHeaderCondition(entry, diag);
    if (!match) {
      ok = false;
      continue;
    }
    const bool repeated = std::any_of(out.headers.begin(), out.headers.end(),
                                      [&](const HeaderMatch& m) { return m.name == match->name; });
    if (repeated) {
      diag.errorAtKey(entry, entry.path, "header '" + match->name + "' is already matched");
      ok = false;
      continue;
    }
    out.headers.push_back(std::move(*match));
  }
  std::sort(out.headers.begin(), out.headers.end(),
            [](const HeaderMatch& a, const HeaderMatch& b) { return a.name < b.name; });
  return ok;
}

// The conditions of `node` (a `match:` block, or the route itself for the short form).
bool readConditions(const ConfigNode& node, RouteConfig& out, Diagnostics& diag) {
  bool ok = true;
  if (const ConfigNode* n = node.find("host")) ok = readHost(*n, out, diag) && ok;
  if (const ConfigNode* n = node.find("path_prefix")) {
    std::optional<std::string> prefix = readPath(*n, diag);
    ok = ok && prefix;
    if (prefix) out.path_prefix = *prefix;
  }
  return ok;
}

bool readMatchBlock(const ConfigNode& match, RouteConfig& out, Diagnostics& diag) {
  if (!checkMap(match, keysAt("listeners[].routes[].match"), diag)) return false;
  bool ok = readConditions(match, out, diag);
  if (const ConfigNode* n = match.find("path_exact")) {
    std::optional<std::string> path = readPath(*n, diag);
    if (path && match.find("path_prefix")) {
      diag.error(*n, "use path_exact or path_prefix, not both");
      path.reset();
    }
    ok = ok && path;
    if (path) out.path_exact = *path;
  }
  if (const ConfigNode* n = match.find("methods")) ok = readMethods(*n, out, diag) && ok;
  if (const ConfigNode* n = match.find("headers")) ok = readHeaders(*n, out, diag) && ok;
  return ok;
}

std::string describeMatch(const RouteConfig& r) {
  std::string out = "host '" + r.host + "' with ";
  out += r.path_exact.empty() ? "path_prefix '" + r.path_prefix + "'"
                              : "path_exact '" + r.path_exact + "'";
  if (!r.methods.empty()) out += ", the same methods";
  if (!r.headers.empty()) out += ", the same headers";
  return out;
}

}  // namespace

bool readRouteMatch(const ConfigNode& route, RouteConfig& out, Diagnostics& diag) {
  const ConfigNode* match = route.find("match");
  if (match == nullptr) return readConditions(route, out, diag);
  bool ok = true;
  for (std::string_view key : {"host", "path_prefix"}) {
    if (const ConfigNode* n = route.find(key)) {
      diag.errorAtKey(*n, route.path,
                      "'" + std::string(key) + "' belongs inside match: when the route has one");
      ok = false;
    }
  }
  return readMatchBlock(*match, out, diag) && ok;
}

std::string sameMatch(const RouteConfig& a, const RouteConfig& b) {
  // A connect: true route serves only CONNECT: it never clashes with an ordinary one.
  const bool same = a.connect == b.connect && a.host == b.host && a.path_exact == b.path_exact &&
                    (!a.path_exact.empty() || a.path_prefix == b.path_prefix) &&
                    a.methods == b.methods && a.headers == b.headers;
  return same ? describeMatch(a) : "";
}

}  // namespace outrigger::config
