#pragma once
// The effective configuration after substitution, `defaults:` merging and validation.
// Plain data: the loader fills it, everything else only reads it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proxy/common/clock.h"
#include "proxy/config/policy_schema.h"
#include "proxy/config/provenance.h"
#include "proxy/config/route_schema.h"

namespace outrigger::config {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// "host:port"; host may be a name, an IPv4 literal or a bracketed IPv6 literal ("[::1]:80").
struct HostPort {
  std::string host;  // without brackets
  uint16_t port = 0;
  std::string text;  // as written, for logs and metric labels

  friend bool operator==(const HostPort&, const HostPort&) = default;
};

struct AdminConfig {
  HostPort listen{"127.0.0.1", 9901, "127.0.0.1:9901"};
  // Lets callers that are not on loopback use the mutating endpoints (POST /reload, /drain)
  // with "Authorization: Bearer <token>". "" = none: only loopback callers may mutate.
  std::string token;

  friend bool operator==(const AdminConfig&, const AdminConfig&) = default;
};

struct AccessLogConfig {
  bool enabled = true;
  std::string path = "stdout";  // "stdout", "stderr" or a file path

  friend bool operator==(const AccessLogConfig&, const AccessLogConfig&) = default;
};

// `tracing:` (issue 20, item 7). Without the block, trace headers pass through untouched and
// nothing starts a trace.
enum class TracePropagation { kNone, kW3c, kB3 };
struct TracingConfig {
  TracePropagation propagate = TracePropagation::kNone;
  double sample_rate = 1.0;  // the share of started traces that are sampled

  friend bool operator==(const TracingConfig&, const TracingConfig&) = default;
};

struct DrainConfig {
  Duration grace = seconds(5);
  Duration timeout = seconds(30);

  friend bool operator==(const DrainConfig&, const DrainConfig&) = default;
};

// `redis:` (the fleet's shared state). address is "host:port" or "unix:/path".
struct RedisConfig {
  std::optional<HostPort> tcp;  // set for host:port
  std::string unix_path;        // set for unix:/path
  std::string address;          // as written, for logs and /upstreams
  std::string username;         // "" = none (AUTH with the password alone)
  std::string password;         // "" = no AUTH
  uint32_t database = 0;
  std::string key_prefix = "outrigger:";
  Duration connect_timeout = milliseconds(500);
  Duration command_timeout = milliseconds(50);

  friend bool operator==(const RedisConfig&, const RedisConfig&) = default;
};

struct RouteConfig {
  std::string host = "*";  // Host header without port, compared case-insensitively; "*" = any
  std::string path_prefix = "/";
  std::string upstream;  // "" when the route has a split or a direct_response
  // `split:` instead of `upstream:`: one upstream per request, picked by weight. Each keeps
  // its own policies and metrics, and a retry stays on the one picked.
  std::vector<SplitTarget> split{};
  bool preserve_host = false;  // send the app's Host instead of the endpoint's authority
  // Further match conditions (`match:`); see routing/router.h for how routes are ranked.
  std::string path_exact{};            // "" = not set; when set, path_prefix is not used
  std::vector<std::string> methods{};  // any of them, compared exactly; empty = any method
  std::vector<HeaderMatch> headers{};  // every one must hold
  // `name:`, or "routes[<index>]": what %ROUTE% and the route label say.
  std::string name{};
  RouteRewrite rewrite{};
  std::optional<StaticResponseConfig> direct_response{};  // answered with no upstream
  // Per-route policy (route_policy.h): merged key by key over the upstream's.
  RouteTimeouts timeouts{};
  std::optional<RetryOverrides> retry{};
  RouteFallback fallback{};
  // Upgrade tokens (compared case-insensitively, stored lowercase) whose handshake is
  // forwarded and tunnelled on 101; empty = Upgrade is stripped as hop-by-hop.
  std::vector<std::string> upgrades{"websocket"};
  // `connect: true`: the route serves only CONNECT requests whose authority's host it
  // matches (headers conditions apply too), tunnelling them to its upstream's endpoints,
  // never to the authority itself. Ordinary requests never match such a route.
  bool connect = false;

  friend bool operator==(const RouteConfig&, const RouteConfig&) = default;
};

// What a listener does with a request header whose name contains '_'. Such names are
// legal tokens, but CGI-style apps (PHP, WSGI, Rack, Django) read "X_User" and "X-User" as
// one variable, so a client could slip past a header rule meant for the other spelling
// (nginx's underscores_in_headers and Envoy's headers_with_underscores_action likewise).
enum class UnderscoreHeaders { kAllow, kDrop, kReject };

struct ListenerLimits {
  uint64_t max_request_head = 64 * 1024;  // request line + headers; over it: 431
  Duration header_timeout = seconds(10);  // a request head must arrive within this
  Duration idle_timeout = seconds(60);    // keep-alive connection with no request in progress
  uint32_t max_headers = 100;             // header lines in a request head; over it: 431
  // Open connections from the app, over all workers; past it the listener stops accepting
  // (new connections wait in the kernel's backlog) until one closes.
  uint32_t max_connections = 10000;
  uint64_t max_request_body = 0;  // bytes; a larger request body gets 413. 0 = no limit
  UnderscoreHeaders headers_with_underscores = UnderscoreHeaders::kDrop;
  // Request body bytes read before the request asks for an upstream connection, so a slow
  // upload holds no pooled connection; a body that fits is sent in one go. 0 = stream at once.
  uint64_t request_buffer = 64 * 1024;

  friend bool operator==(const ListenerLimits&, const ListenerLimits&) = default;
};

// HTTP/2 from the app (h2c with prior knowledge on the same port): limits per connection.
struct ListenerHttp2 {
  uint32_t max_concurrent_streams = 100;  // SETTINGS_MAX_CONCURRENT_STREAMS we advertise
  uint64_t initial_window = 1024 * 1024;  // bytes of a request body the app may send ahead

  friend bool operator==(const ListenerHttp2&, const ListenerHttp2&) = default;
};

enum class ListenerProtocol { kHttp, kTcp };

struct ListenerConfig {
  std::string name;
  // host:port; for a Unix socket listener (`listen: unix:/path`) host and port are empty,
  // text is as written and unix_path holds the path.
  HostPort listen;
  std::string unix_path;  // "" for a TCP listener
  int socket_mode = -1;   // `socket_mode: "0660"`, Unix sockets only; -1 = as umask leaves it
  // http: routes; tcp (L4): every connection is piped to `upstream`, with no routes.
  ListenerProtocol protocol = ListenerProtocol::kHttp;
  std::string upstream;  // tcp only
  std::vector<RouteConfig> routes;
  ListenerLimits limits;
  ListenerHttp2 http2;

  bool isUnix() const { return !unix_path.empty(); }

  friend bool operator==(const ListenerConfig&, const ListenerConfig&) = default;
};

enum class LoadBalancing { kRoundRobin, kLeastRequest };

// Connection pool limits. Pools are per worker, so these are per worker.
struct PoolConfig {
  uint32_t max_connections = 100;
  uint32_t max_idle = 32;
  Duration idle_timeout = seconds(60);
  uint32_t max_requests_per_connection = 0;  // 0 = unlimited

  friend bool operator==(const PoolConfig&, const PoolConfig&) = default;
};

// A zero duration means "not set" for per_try, and "none" (no deadline for the whole
// exchange; read still bounds each wait) for request; every other timeout is always > 0.
inline constexpr Duration kNoRequestTimeout = Duration::zero();  // `request: none`

struct TimeoutsConfig {
  Duration connect = seconds(2);
  Duration write = seconds(10);
  Duration read = seconds(10);
  Duration pool = seconds(2);
  Duration per_try = Duration::zero();
  Duration request = seconds(15);
  // A tunnel (WebSocket after 101, CONNECT, an L4 listener's connection) with no bytes
  // either way for this long is closed; its only timer.
  Duration tunnel_idle = seconds(3600);

  friend bool operator==(const TimeoutsConfig&, const TimeoutsConfig&) = default;
};

struct UpstreamLimits {
  // Status line plus headers of a response; over it the request gets 502
  // upstream_response_too_large.
  uint64_t max_response_head = 64 * 1024;
  // Response bytes queued for a slow app before the upstream's reads pause: a response that
  // fits frees its upstream connection while the app still reads.
  uint64_t response_buffer = 256 * 1024;

  friend bool operator==(const UpstreamLimits&, const UpstreamLimits&) = default;
};

// What the upstream speaks. kAuto: HTTP/2 when TLS's ALPN agrees on h2, else HTTP/1.1.
enum class UpstreamProtocol { kHttp1, kHttp2, kAuto };

// HTTP/2 to the upstream (protocol: http2 or auto): per connection.
struct UpstreamHttp2 {
  // Streams we open at once on one connection; the peer's SETTINGS may lower it.
  uint32_t max_concurrent_streams = 100;
  Duration keepalive_interval = seconds(30);  // a PING after this long without a frame
  Duration keepalive_timeout = seconds(5);    // its answer is late: the connection is closed

  friend bool operator==(const UpstreamHttp2&, const UpstreamHttp2&) = default;
};

enum class TlsVersion { k1_2, k1_3 };

// `tls:` (DESIGN §6): present = the upstream speaks TLS. Paths are as written; a relative
// one is read from the config file's directory.
struct TlsConfig {
  std::string sni;        // "" = each endpoint's host name
  bool verify = true;     // check the chain and the name; false only with a loud warning
  std::string ca_file;    // "" = the system's trusted certificates
  std::string cert_file;  // client certificate for mTLS (with key_file), "" = none
  std::string key_file;
  TlsVersion min_version = TlsVersion::k1_2;

  friend bool operator==(const TlsConfig&, const TlsConfig&) = default;
};

struct UpstreamConfig {
  std::string name;
  std::vector<HostPort> endpoints;
  LoadBalancing load_balancing = LoadBalancing::kRoundRobin;
  PoolConfig pool;
  TimeoutsConfig timeouts;
  UpstreamLimits limits;
  UpstreamProtocol protocol = UpstreamProtocol::kHttp1;
  UpstreamHttp2 http2;
  std::optional<TlsConfig> tls;  // nullopt = plain HTTP
  Duration dns_refresh = seconds(30);
  PolicyConfig policies;  // retry, breaker, bulkhead, rate limit... (all off by default)

  friend bool operator==(const UpstreamConfig&, const UpstreamConfig&) = default;
};

struct Config {
  std::string source_file;  // "" when loaded from a string
  int workers = 1;          // "auto" is resolved to the number of cores by the loader
  LogLevel log_level = LogLevel::kInfo;
  AdminConfig admin;
  AccessLogConfig access_log;
  DrainConfig drain;
  TracingConfig tracing;
  std::optional<RedisConfig> redis;  // nullopt: nothing connects, every limit is local
  std::vector<ListenerConfig> listeners;
  std::vector<UpstreamConfig> upstreams;  // in file order
  // Where the values came from: secret values to redact, and each upstream's value sources
  // for `explain`. Never part of ==, so it cannot make a reload see a change.
  ConfigProvenance provenance;

  const ListenerConfig* findListener(const std::string& name, size_t* index = nullptr) const {
    for (size_t i = 0; i < listeners.size(); ++i) {
      if (listeners[i].name != name) continue;
      if (index != nullptr) *index = i;
      return &listeners[i];
    }
    return nullptr;
  }

  const UpstreamConfig* findUpstream(const std::string& name) const {
    for (const auto& u : upstreams)
      if (u.name == name) return &u;
    return nullptr;
  }

  friend bool operator==(const Config&, const Config&) = default;
};

}  // namespace outrigger::config
