// Reads `upstreams:` and `defaults:`.

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "proxy/common/units.h"
#include "proxy/config/fields.h"
#include "proxy/config/keys.h"
#include "proxy/config/policies.h"
#include "proxy/config/sections.h"

namespace outrigger::config {
namespace {

constexpr std::string_view kLoadBalancingNames[] = {"round_robin", "least_request"};
constexpr std::array kLoadBalancingValues = {LoadBalancing::kRoundRobin,
                                             LoadBalancing::kLeastRequest};
constexpr int64_t kMaxU32 = std::numeric_limits<uint32_t>::max();
constexpr Duration kPositive = Duration(1);

// The upstream being read, for checks that combine two values. Empty for the `defaults:`
// block read on its own, which skips those checks: an upstream may still override either
// value.
struct UpstreamScope {
  std::string path;
  std::string name;
  bool crossChecks() const { return !path.empty(); }
  // Names the upstream when a message is reported at a value merged in from `defaults:`,
  // since that line is shared by every upstream.
  std::string note(const ConfigNode& node) const {
    if (node.path.rfind(path, 0) == 0) return "";
    return " (in upstream '" + name + "')";
  }
};

bool sameAddress(const HostPort& a, const HostPort& b) {
  if (a.port != b.port || a.host.size() != b.host.size()) return false;
  return std::equal(a.host.begin(), a.host.end(), b.host.begin(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

void readEndpoints(const ConfigNode& node, UpstreamConfig& out, Diagnostics& diag) {
  if (!checkList(node, diag)) return;
  if (node.children.empty()) {
    diag.error(node, "at least one endpoint is required");
    return;
  }
  for (const ConfigNode& item : node.children) {
    std::optional<HostPort> hp = readHostPort(item, diag, PortRule::kNonZero);
    if (!hp) continue;
    const auto dup = std::find_if(out.endpoints.begin(), out.endpoints.end(),
                                  [&](const HostPort& e) { return sameAddress(e, *hp); });
    if (dup != out.endpoints.end()) {
      diag.error(item, "endpoint '" + hp->text + "' is listed twice");
      continue;
    }
    out.endpoints.push_back(std::move(*hp));
  }
}

void readPool(const ConfigNode& node, PoolConfig& out, const UpstreamScope& scope,
              Diagnostics& diag) {
  if (!checkMap(node, keysAt("upstreams.<name>.pool"), diag)) return;
  const ConfigNode* max_conn_node = node.find("max_connections");
  const auto max_conn =
      max_conn_node ? readInteger(*max_conn_node, diag, 1, kMaxU32) : std::nullopt;
  assignIf(max_conn, out.max_connections);
  const ConfigNode* max_idle_node = node.find("max_idle");
  if (max_idle_node == nullptr) {
    // The default of 32 must not turn a small max_connections into an error.
    out.max_idle = std::min(out.max_idle, out.max_connections);
  } else if (auto max_idle = readInteger(*max_idle_node, diag, 0, kMaxU32)) {
    out.max_idle = static_cast<uint32_t>(*max_idle);
    if (scope.crossChecks() && (max_conn || max_conn_node == nullptr) &&
        out.max_idle > out.max_connections) {
      diag.error(*max_idle_node, "must not be greater than max_connections (" +
                                     std::to_string(out.max_connections) + "), got " +
                                     max_idle_node->describe() + scope.note(*max_idle_node));
    }
  }
  if (auto* n = node.find("idle_timeout"))
    assignIf(readDuration(*n, diag, kPositive), out.idle_timeout);
  if (auto* n = node.find("max_requests_per_connection")) {
    assignIf(readInteger(*n, diag, 0, kMaxU32), out.max_requests_per_connection);
  }
}

void readLimits(const ConfigNode& node, UpstreamLimits& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("upstreams.<name>.limits"), diag)) return;
  constexpr uint64_t kKiB = 1024;
  if (auto* n = node.find("max_response_head"))
    assignIf(readSize(*n, diag, kKiB, 16 * kKiB * kKiB), out.max_response_head);
  if (auto* n = node.find("response_buffer"))
    assignIf(readSize(*n, diag, 0, 64 * kKiB * kKiB), out.response_buffer);
}

void readTimeouts(const ConfigNode& node, TimeoutsConfig& out, const UpstreamScope& scope,
                  Diagnostics& diag) {
  if (!checkMap(node, keysAt("upstreams.<name>.timeouts"), diag)) return;
  const std::pair<std::string_view, Duration*> fields[] = {
      {"connect", &out.connect}, {"write", &out.write}, {"read", &out.read}, {"pool", &out.pool},
      {"tunnel_idle", &out.tunnel_idle}};
  for (const auto& [key, target] : fields) {
    if (auto* n = node.find(key)) assignIf(readDuration(*n, diag, kPositive), *target);
  }
  const ConfigNode* request_node = node.find("request");
  const auto request = request_node ? readRequestTimeout(*request_node, diag) : std::nullopt;
  assignIf(request, out.request);
  const ConfigNode* per_try_node = node.find("per_try");
  if (per_try_node == nullptr) return;
  const auto per_try = readDuration(*per_try_node, diag, kPositive);
  if (!per_try) return;
  out.per_try = *per_try;
  const bool request_known = request || request_node == nullptr;
  if (scope.crossChecks() && request_known && out.request != kNoRequestTimeout &&
      out.per_try > out.request) {
    diag.error(*per_try_node, "must not be longer than request (" + formatDuration(out.request) +
                                  "), got " + per_try_node->describe() + scope.note(*per_try_node));
  }
}

constexpr std::string_view kProtocolNames[] = {"http1", "http2", "auto"};
constexpr std::array kProtocolValues = {UpstreamProtocol::kHttp1, UpstreamProtocol::kHttp2,
                                        UpstreamProtocol::kAuto};

void readHttp2(const ConfigNode& node, UpstreamHttp2& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("upstreams.<name>.http2"), diag)) return;
  if (auto* n = node.find("max_concurrent_streams"))
    assignIf(readInteger(*n, diag, 1, kMaxU32), out.max_concurrent_streams);
  const ConfigNode* keepalive = node.find("keepalive");
  if (keepalive == nullptr || !checkMap(*keepalive, keysAt("upstreams.<name>.http2.keepalive"), diag))
    return;
  if (auto* n = keepalive->find("interval"))
    assignIf(readDuration(*n, diag, kPositive), out.keepalive_interval);
  if (auto* n = keepalive->find("timeout"))
    assignIf(readDuration(*n, diag, kPositive), out.keepalive_timeout);
}

constexpr std::string_view kTlsVersionNames[] = {"1.2", "1.3"};
constexpr std::array kTlsVersionValues = {TlsVersion::k1_2, TlsVersion::k1_3};

// A file name: any non-empty string. Whether it can be read is checked when the TLS
// context is built (start, reload, --check), with the file's own error.
void readPath(const ConfigNode& node, std::string& out, Diagnostics& diag) {
  auto text = readString(node, diag);
  if (!text) return;
  if (text->empty()) {
    diag.error(node, "must name a file; leave the key out instead");
    return;
  }
  out = std::move(*text);
}

void readTls(const ConfigNode& node, std::optional<TlsConfig>& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("upstreams.<name>.tls"), diag)) return;
  TlsConfig tls;
  if (auto* n = node.find("sni")) {
    if (auto sni = readString(*n, diag)) {
      if (sni->empty() || sni->find_first_of(" \t/:") != std::string::npos) {
        diag.error(*n, "must be a host name, got " + n->describe());
      } else {
        tls.sni = std::move(*sni);
      }
    }
  }
  if (auto* n = node.find("verify")) assignIf(readBool(*n, diag), tls.verify);
  if (auto* n = node.find("ca_file")) readPath(*n, tls.ca_file, diag);
  const ConfigNode* cert = node.find("cert_file");
  const ConfigNode* key = node.find("key_file");
  if (cert) readPath(*cert, tls.cert_file, diag);
  if (key) readPath(*key, tls.key_file, diag);
  if ((cert == nullptr) != (key == nullptr)) {
    diag.error(node, std::string("a client certificate needs both cert_file and key_file; ") +
                         (cert ? "key_file" : "cert_file") + " is missing");
  }
  if (auto* n = node.find("min_version")) {
    if (auto i = readChoice(*n, diag, kTlsVersionNames)) tls.min_version = kTlsVersionValues[*i];
  }
  if (!tls.verify && !tls.ca_file.empty()) {
    diag.error(*node.find("ca_file"), "ca_file is unused with verify: false; remove one of them");
  }
  out = std::move(tls);
}

enum class BlockKind { kUpstream, kDefaults };

// A gRPC health check is an HTTP/2 call: an upstream spoken to in HTTP/1.1 cannot take it.
void checkGrpcHealthCheck(const ConfigNode& block, const UpstreamConfig& out, BlockKind kind,
                          Diagnostics& diag) {
  const auto& check = out.policies.health_check;
  if (kind == BlockKind::kDefaults || !check || check->type != HealthCheckType::kGrpc ||
      out.protocol != UpstreamProtocol::kHttp1)
    return;
  const ConfigNode* at = block.find("health_check");
  if (at != nullptr && at->find("type") != nullptr) at = at->find("type");
  if (at == nullptr) at = block.find("protocol");
  diag.error(at != nullptr ? *at : block,
             "type: grpc needs protocol: http2 or auto on upstream '" + out.name +
                 "': the gRPC health check is an HTTP/2 call");
}

void readUpstreamBlock(const ConfigNode& block, UpstreamConfig& out, BlockKind kind,
                       const UpstreamScope& scope, Diagnostics& diag) {
  if (!checkMap(block, keysAt(kUpstreamPath), diag)) return;
  // The profile first: every explicit key below overrides it.
  if (auto* n = block.find("profile")) applyProfile(*n, out, diag);
  if (kind == BlockKind::kDefaults) {
    if (const ConfigNode* n = block.find("endpoints")) {
      diag.errorAtKey(*n, n->path, "cannot be set in defaults: each upstream lists its own");
    }
  } else if (const ConfigNode* n = requireKey(block, "endpoints", diag)) {
    readEndpoints(*n, out, diag);
  }
  if (auto* n = block.find("load_balancing")) {
    if (auto i = readChoice(*n, diag, kLoadBalancingNames))
      out.load_balancing = kLoadBalancingValues[*i];
  }
  if (auto* n = block.find("pool")) readPool(*n, out.pool, scope, diag);
  if (auto* n = block.find("timeouts")) readTimeouts(*n, out.timeouts, scope, diag);
  if (auto* n = block.find("limits")) readLimits(*n, out.limits, diag);
  if (auto* n = block.find("tls")) readTls(*n, out.tls, diag);
  if (auto* n = block.find("protocol")) {
    if (auto i = readChoice(*n, diag, kProtocolNames)) out.protocol = kProtocolValues[*i];
    // The defaults block is checked once merged into each upstream, which has its tls.
    if (out.protocol == UpstreamProtocol::kAuto && !out.tls && kind != BlockKind::kDefaults)
      diag.error(*n, "auto needs tls, and upstream '" + out.name +
                         "' has none: the upstream picks h2 or http/1.1 through ALPN, which only "
                         "a TLS handshake carries; without TLS use http2 (h2c with prior "
                         "knowledge) or http1");
  }
  if (auto* n = block.find("http2")) readHttp2(*n, out.http2, diag);
  if (auto* n = block.find("dns_refresh"))
    assignIf(readDuration(*n, diag, seconds(1)), out.dns_refresh);
  readPolicies(block, out, diag);
  checkGrpcHealthCheck(block, out, kind, diag);
}

ConfigNode* findMutable(ConfigNode& map, std::string_view key) {
  for (ConfigNode& child : map.children)
    if (child.key == key) return &child;
  return nullptr;
}

ConfigNode mergeMaps(const ConfigNode& defaults, const ConfigNode& own, bool top) {
  ConfigNode merged = own;
  merged.kind = ConfigNode::Kind::kMap;  // an empty `pool:` is an empty map
  for (const ConfigNode& d : defaults.children) {
    if ((top && d.key == "endpoints") || defaults.find(d.key) != &d) continue;
    ConfigNode* mine = findMutable(merged, d.key);
    if (mine == nullptr) {
      merged.children.push_back(d);
    } else if (d.isMap() && (mine->isMap() || mine->isNull())) {
      *mine = mergeMaps(d, *mine, false);
    }
  }
  return merged;
}

}  // namespace

// `request: none` turns the whole-exchange deadline off, for long streams (server-sent
// events); `read` still bounds every wait for the upstream.
std::optional<Duration> readRequestTimeout(const ConfigNode& node, Diagnostics& diag) {
  if (node.isScalar() && node.scalar == "none") return kNoRequestTimeout;
  if (!node.isScalar() || !parseDuration(node.scalar)) {
    diag.error(node, "expected a duration like 250ms, 2s or 1m, or none, got " + node.describe());
    return std::nullopt;
  }
  return readDuration(node, diag, Duration(1));
}

ConfigNode mergeDefaults(const ConfigNode& defaults, const ConfigNode& upstream) {
  if (!defaults.isMap() || !(upstream.isMap() || upstream.isNull())) return upstream;
  return mergeMaps(defaults, upstream, true);
}

std::vector<UpstreamConfig> readUpstreams(const ConfigNode* upstreams, const ConfigNode* defaults,
                                          Diagnostics& diag) {
  if (defaults != nullptr) {
    UpstreamConfig scratch;
    readUpstreamBlock(*defaults, scratch, BlockKind::kDefaults, UpstreamScope{}, diag);
  }
  std::vector<UpstreamConfig> out;
  if (upstreams == nullptr || upstreams->isNull()) return out;
  if (!upstreams->isMap()) {
    diag.error(*upstreams,
               "expected a map of upstream names to their settings, got " + upstreams->describe());
    return out;
  }
  for (const ConfigNode& entry : upstreams->children) {
    const ConfigNode* first = upstreams->find(entry.key);
    if (first != &entry) {
      diag.errorAtKey(entry, entry.path,
                      "upstream '" + entry.key + "' is defined twice (first on line " +
                          std::to_string(first->key_mark.line + 1) + ")");
      continue;
    }
    if (!isValidName(entry.key)) {
      diag.errorAtKey(entry, entry.path,
                      "invalid upstream name '" + entry.key + "': " + std::string(kNameRule));
    }
    UpstreamConfig upstream;
    upstream.name = entry.key;
    const ConfigNode merged = defaults ? mergeDefaults(*defaults, entry) : entry;
    readUpstreamBlock(merged, upstream, BlockKind::kUpstream, UpstreamScope{entry.path, entry.key},
                      diag);
    out.push_back(std::move(upstream));
  }
  return out;
}

}  // namespace outrigger::config
