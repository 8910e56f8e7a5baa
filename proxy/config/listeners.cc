// Reads `listeners:` and their routes.

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "proxy/config/fields.h"
#include "proxy/config/keys.h"
#include "proxy/config/route_policy.h"
#include "proxy/config/route_readers.h"
#include "proxy/config/sections.h"
#include "proxy/config/suggest.h"

namespace outrigger::config {
namespace {

constexpr uint64_t kKiB = 1024;
constexpr std::string_view kUnderscoreNames[] = {"allow", "drop", "reject"};
constexpr std::array kUnderscoreValues = {UnderscoreHeaders::kAllow, UnderscoreHeaders::kDrop,
                                          UnderscoreHeaders::kReject};
constexpr Duration kPositive = Duration(1);

// What earlier listeners used, to report clashes at the later one.
struct ListenerContext {
  const std::vector<std::string>& upstream_names;
  const std::vector<UpstreamConfig>& upstreams;  // those that read without errors
  const HostPort& admin;
  std::vector<std::pair<std::string, std::string>> names;   // name -> listeners[i]
  std::vector<std::pair<HostPort, std::string>> addresses;  // address -> description
};

// `upgrades: [ websocket ]`: the Upgrade tokens forwarded; h2c never is (h2c smuggling).
void readUpgrades(const ConfigNode& node, RouteConfig& out, Diagnostics& diag) {
  if (!checkList(node, diag)) return;
  out.upgrades.clear();
  for (const ConfigNode& item : node.children) {
    std::optional<std::string> token = readString(item, diag);
    if (!token) continue;
    const std::string lower = lowerAscii(*token);
    if (lower.empty() || !std::all_of(lower.begin(), lower.end(), isTokenChar)) {
      diag.error(item, "expected an Upgrade token such as websocket, got " + item.describe());
    } else if (lower == "h2c") {
      diag.error(item, "h2c is never forwarded: an h2c upgrade through a proxy lets a client "
                       "slip past its routes (h2c smuggling)");
    } else if (std::find(out.upgrades.begin(), out.upgrades.end(), lower) == out.upgrades.end()) {
      out.upgrades.push_back(lower);
    }
  }
}

// `connect: true`: a CONNECT route matches by host (and headers) and tunnels to an upstream.
void readConnect(const ConfigNode& node, RouteConfig& out, Diagnostics& diag) {
  assignIf(readBool(node, diag), out.connect);
  if (!out.connect) return;
  if (out.direct_response)
    diag.error(node, "a connect: true route tunnels to an upstream; it cannot have a "
                     "direct_response");
  if (!out.path_exact.empty() || out.path_prefix != "/" || !out.methods.empty())
    diag.error(node, "a connect: true route matches a CONNECT's host (and headers) only: "
                     "it takes no path_prefix, path_exact or methods");
}

// Returns false when the match is unusable, so duplicates are not checked.
bool readRoute(const ConfigNode& node, const ListenerContext& ctx, RouteConfig& out,
               Diagnostics& diag) {
  if (!checkMap(node, keysAt("listeners[].routes[]"), diag)) return false;
  const bool ok = readRouteMatch(node, out, diag);
  if (const ConfigNode* n = node.find("name")) assignIf(readString(*n, diag), out.name);
  readRouteRewrites(node, out, diag);
  readRouteUpstreams(node, ctx.upstream_names, out, diag);
  if (const ConfigNode* n = node.find("preserve_host"))
    assignIf(readBool(*n, diag), out.preserve_host);
  std::vector<const UpstreamConfig*> targets;  // those known, for the merged-policy checks
  for (const UpstreamConfig& u : ctx.upstreams) {
    if (u.name == out.upstream) targets.push_back(&u);
    for (const SplitTarget& t : out.split)
      if (u.name == t.upstream) targets.push_back(&u);
  }
  readRoutePolicy(node, targets, out, diag);
  if (const ConfigNode* n = node.find("upgrades")) readUpgrades(*n, out, diag);
  if (const ConfigNode* n = node.find("connect")) readConnect(*n, out, diag);
  RouteRewrite& rw = out.rewrite;
  rw.replaced_path = out.path_exact.empty() ? out.path_prefix : out.path_exact;
  rw.changes_request = rw.prefix_rewrite || !rw.host_rewrite.empty() || !rw.request.empty();
  rw.changes_response = !rw.response.empty();
  rw.request_literals.views = makeLiteralHeaderViews(rw.request);
  return ok;
}

// Names are what %ROUTE% and the route label say, so two routes of a listener never share one.
void checkRouteName(const ConfigNode& item, size_t index, std::vector<RouteConfig>& routes,
                    Diagnostics& diag) {
  RouteConfig& route = routes[index];
  const ConfigNode* n = item.isMap() ? item.find("name") : nullptr;
  if (n == nullptr || route.name.empty()) {
    route.name = "routes[" + std::to_string(index) + "]";
    return;
  }
  if (!isValidName(route.name)) {
    diag.error(*n, "invalid route name '" + route.name + "': " + std::string(kNameRule));
    return;
  }
  for (size_t j = 0; j < index; ++j) {
    if (routes[j].name == route.name) {
      diag.error(*n, "route name '" + route.name + "' is already used by routes[" +
                         std::to_string(j) + "]");
      return;
    }
  }
}

void readRoutes(const ConfigNode& node, const ListenerContext& ctx, ListenerConfig& out,
                Diagnostics& diag) {
  if (!checkList(node, diag)) return;
  if (node.children.empty()) {
    diag.error(node, "at least one route is required");
    return;
  }
  std::vector<bool> comparable;
  for (size_t i = 0; i < node.children.size(); ++i) {
    const ConfigNode& item = node.children[i];
    RouteConfig route;
    comparable.push_back(readRoute(item, ctx, route, diag));
    out.routes.push_back(std::move(route));
    checkRouteName(item, i, out.routes, diag);
    if (!comparable[i]) continue;
    for (size_t j = 0; j < i; ++j) {
      const std::string clash = comparable[j] ? sameMatch(out.routes[j], out.routes[i]) : "";
      if (!clash.empty()) {
        diag.error(item, "duplicate route: " + clash + " is already routed by routes[" +
                             std::to_string(j) + "]");
        break;
      }
    }
  }
}

void readLimits(const ConfigNode& node, ListenerLimits& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("listeners[].limits"), diag)) return;
  if (const ConfigNode* n = node.find("max_request_head")) {
    assignIf(readSize(*n, diag, kKiB, kKiB * kKiB), out.max_request_head);
  }
  if (const ConfigNode* n = node.find("header_timeout"))
    assignIf(readDuration(*n, diag, kPositive), out.header_timeout);
  if (const ConfigNode* n = node.find("idle_timeout"))
    assignIf(readDuration(*n, diag, kPositive), out.idle_timeout);
  if (const ConfigNode* n = node.find("max_headers")) {
    if (auto v = readInteger(*n, diag, 1, 1000)) out.max_headers = static_cast<uint32_t>(*v);
  }
  if (const ConfigNode* n = node.find("max_connections")) {
    if (auto v = readInteger(*n, diag, 1, 1000000)) out.max_connections = static_cast<uint32_t>(*v);
  }
  if (const ConfigNode* n = node.find("max_request_body")) {
    assignIf(readSize(*n, diag, 0, uint64_t{1} << 40), out.max_request_body);
  }
  if (const ConfigNode* n = node.find("request_buffer")) {
    assignIf(readSize(*n, diag, 0, kKiB * kKiB * 64), out.request_buffer);
  }
  if (const ConfigNode* n = node.find("headers_with_underscores")) {
    if (auto i = readChoice(*n, diag, kUnderscoreNames))
      out.headers_with_underscores = kUnderscoreValues[*i];
  }
}

void readHttp2(const ConfigNode& node, ListenerHttp2& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("listeners[].http2"), diag)) return;
  if (const ConfigNode* n = node.find("max_concurrent_streams")) {
    if (auto v = readInteger(*n, diag, 1, 10000))
      out.max_concurrent_streams = static_cast<uint32_t>(*v);
  }
  // RFC 9113 §6.9.2: a window is at most 2^31-1 bytes; 1 GiB is the largest size below it.
  if (const ConfigNode* n = node.find("initial_window")) {
    assignIf(readSize(*n, diag, kKiB, kKiB * kKiB * kKiB), out.initial_window);
  }
}

void readName(const ConfigNode& node, ListenerContext& ctx, ListenerConfig& out,
              const std::string& item_path, Diagnostics& diag) {
  std::optional<std::string> name = readString(node, diag);
  if (!name) return;
  out.name = *name;
  if (!isValidName(*name)) {
    diag.error(node, "invalid listener name '" + *name + "': " + std::string(kNameRule));
    return;
  }
  for (const auto& [other, where] : ctx.names) {
    if (other == *name) {
      diag.error(node, "listener name '" + *name + "' is already used by " + where);
      return;
    }
  }
  ctx.names.emplace_back(*name, item_path);
}

constexpr std::string_view kUnixPrefix = "unix:";
// sockaddr_un's sun_path holds 108 bytes, the terminating NUL included.
constexpr size_t kMaxUnixPath = 107;

// `listen: unix:/path`. Returns false when the value is not a Unix socket address.
bool readUnixListen(const ConfigNode& node, ListenerContext& ctx, ListenerConfig& out,
                    Diagnostics& diag) {
  if (!node.isScalar() || node.scalar.rfind(kUnixPrefix, 0) != 0) return false;
  const std::string path = node.scalar.substr(kUnixPrefix.size());
  if (path.empty() || path.front() != '/') {
    diag.error(node, "a Unix socket needs an absolute path after 'unix:', got " + node.describe());
    return true;
  }
  if (path.size() > kMaxUnixPath) {
    diag.error(node, "a Unix socket path must be at most " + std::to_string(kMaxUnixPath) +
                         " bytes, got " + std::to_string(path.size()));
    return true;
  }
  out.unix_path = path;
  out.listen = HostPort{"", 0, node.scalar};
  for (const auto& [other, owner] : ctx.addresses) {
    if (other.text == node.scalar) {
      diag.error(node, "address " + node.scalar + " is already used by " + owner);
      return true;
    }
  }
  ctx.addresses.emplace_back(out.listen, out.name.empty() ? std::string("another listener")
                                                          : "listener '" + out.name + "'");
  return true;
}

// socket_mode: "0660", an octal file mode for the socket file. Read after listen.
void readSocketMode(const ConfigNode& node, ListenerConfig& out, Diagnostics& diag) {
  std::optional<std::string> text = readString(node, diag);
  if (!text) return;
  const bool octal = text->size() >= 3 && text->size() <= 4 &&
                     text->find_first_not_of("01234567") == std::string::npos;
  if (!octal) {
    diag.error(node, "expected an octal file mode like \"0660\", got " + node.describe());
    return;
  }
  if (!out.isUnix()) {
    diag.error(node, "applies only to Unix socket listeners (listen: unix:/path)");
    return;
  }
  out.socket_mode = std::stoi(*text, nullptr, 8);
}

void readListen(const ConfigNode& node, ListenerContext& ctx, ListenerConfig& out,
                Diagnostics& diag) {
  if (readUnixListen(node, ctx, out, diag)) return;
  std::optional<HostPort> listen = readHostPort(node, diag, PortRule::kAllowZero);
  if (!listen) return;
  out.listen = *listen;
  if (listen->port == 0) return;  // the kernel picks a free port each time
  const auto same = [&](const HostPort& other) {
    return other.port == listen->port && lowerAscii(other.host) == lowerAscii(listen->host);
  };
  if (same(ctx.admin)) {
    diag.error(node, "address " + listen->text + " is already used by the admin listener");
    return;
  }
  for (const auto& [other, owner] : ctx.addresses) {
    if (other.port != 0 && same(other)) {
      diag.error(node, "address " + listen->text + " is already used by " + owner);
      return;
    }
  }
  ctx.addresses.emplace_back(
      *listen, out.name.empty() ? std::string("another listener") : "listener '" + out.name + "'");
}

constexpr std::string_view kProtocolNames[] = {"http", "tcp"};
constexpr std::array kProtocolValues = {ListenerProtocol::kHttp, ListenerProtocol::kTcp};

// `protocol: tcp` pipes every connection to `upstream:` and has no routes; `http` (the
// default) has routes and no `upstream:`. Returns false for a tcp listener.
bool readProtocol(const ConfigNode& node, const ListenerContext& ctx, ListenerConfig& out,
                  Diagnostics& diag) {
  if (const ConfigNode* n = node.find("protocol")) {
    if (auto i = readChoice(*n, diag, kProtocolNames)) out.protocol = kProtocolValues[*i];
  }
  const ConfigNode* upstream = node.find("upstream");
  if (out.protocol == ListenerProtocol::kHttp) {
    if (upstream != nullptr)
      diag.error(*upstream, "only a listener with protocol: tcp names an upstream; an http "
                            "listener routes with routes[].upstream");
    return true;
  }
  if (const ConfigNode* routes = node.find("routes"))
    diag.error(*routes, "a listener with protocol: tcp has no routes: every connection goes to "
                        "its upstream");
  for (const char* key : {"limits", "http2"}) {
    if (const ConfigNode* n = node.find(key))
      diag.error(*n, "applies only to protocol: http listeners");
  }
  if (const ConfigNode* n = requireKey(node, "upstream", diag)) {
    if (std::optional<std::string> name = readString(*n, diag)) {
      checkUpstreamName(*n, *name, ctx.upstream_names, diag);
      out.upstream = std::move(*name);
    }
  }
  return false;
}

ListenerConfig readListener(const ConfigNode& node, ListenerContext& ctx, Diagnostics& diag) {
  ListenerConfig out;
  if (!node.isMap()) {
    diag.error(node, "expected a map with name, listen and routes, got " + node.describe());
    return out;
  }
  checkMap(node, keysAt("listeners[]"), diag);
  if (const ConfigNode* n = requireKey(node, "name", diag)) readName(*n, ctx, out, node.path, diag);
  if (const ConfigNode* n = requireKey(node, "listen", diag)) readListen(*n, ctx, out, diag);
  if (const ConfigNode* n = node.find("socket_mode")) readSocketMode(*n, out, diag);
  if (!readProtocol(node, ctx, out, diag)) return out;
  if (const ConfigNode* n = requireKey(node, "routes", diag)) readRoutes(*n, ctx, out, diag);
  if (const ConfigNode* n = node.find("limits")) readLimits(*n, out.limits, diag);
  if (const ConfigNode* n = node.find("http2")) readHttp2(*n, out.http2, diag);
  return out;
}

}  // namespace

std::vector<ListenerConfig> readListeners(const ConfigNode* listeners,
                                          const std::vector<std::string>& upstream_names,
                                          const std::vector<UpstreamConfig>& upstreams,
                                          const HostPort& admin, Diagnostics& diag) {
  std::vector<ListenerConfig> out;
  if (listeners == nullptr) {
    diag.error(SourceMark{}, "listeners", "at least one listener is required");
    return out;
  }
  if (listeners->isNull() || (listeners->isList() && listeners->children.empty())) {
    diag.error(*listeners, "at least one listener is required");
    return out;
  }
  if (!checkList(*listeners, diag)) return out;
  ListenerContext ctx{upstream_names, upstreams, admin, {}, {}};
  for (const ConfigNode& item : listeners->children) out.push_back(readListener(item, ctx, diag));
  return out;
}

}  // namespace outrigger::config
