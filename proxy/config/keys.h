#pragma once
// Every key the loader accepts, per map, under the map's full key path. The readers take
// their key lists from here by path (keysAt), and the reference-docs test walks kKeySets, so
// no key can be accepted without config/README.md having to document it.

#include <span>
#include <string_view>

namespace outrigger::config {

// The lists themselves; read them through kKeySets / keysAt, which name their paths.
namespace key_lists {

inline constexpr std::string_view kTopLevel[] = {
    "workers", "log_level", "admin",    "access_log", "drain",
    "redis",   "listeners", "defaults", "upstreams",  "tracing",
};
inline constexpr std::string_view kTracing[] = {"propagate", "sample_rate"};
inline constexpr std::string_view kAdmin[] = {"listen", "token"};
inline constexpr std::string_view kAccessLog[] = {"path"};
inline constexpr std::string_view kDrain[] = {"grace", "timeout"};
inline constexpr std::string_view kRedis[] = {"address",  "username",   "password",
                                              "database", "key_prefix", "timeouts"};
inline constexpr std::string_view kRedisTimeouts[] = {"connect", "command"};

inline constexpr std::string_view kListener[] = {"name",   "listen", "socket_mode", "protocol",
                                                 "upstream", "routes", "limits", "http2"};
inline constexpr std::string_view kListenerLimits[] = {
    "max_request_head", "header_timeout", "idle_timeout", "max_headers", "max_connections",
    "max_request_body", "headers_with_underscores", "request_buffer"};
inline constexpr std::string_view kListenerHttp2[] = {"max_concurrent_streams", "initial_window"};
// clang-format off
inline constexpr std::string_view kRoute[] = {
    "host",            "path_prefix",    "upstream",     "preserve_host",   "name",
    "match",           "prefix_rewrite", "host_rewrite", "request_headers", "response_headers",
    "direct_response", "timeouts",       "retry",        "split",           "fallback",
    "upgrades",        "connect"};
// clang-format on
inline constexpr std::string_view kRouteFallback[] = {"stale_if_error", "response"};
inline constexpr std::string_view kSplitTarget[] = {"upstream", "weight"};
inline constexpr std::string_view kRouteTimeouts[] = {"request", "per_try", "read", "write"};
inline constexpr std::string_view kRouteRetry[] = {
    "max_attempts", "backoff", "retry_on", "methods", "max_body_bytes", "respect_retry_after"};
inline constexpr std::string_view kRouteMatch[] = {"host", "path_prefix", "path_exact", "methods",
                                                   "headers"};
inline constexpr std::string_view kHeaderPresence[] = {"present"};
inline constexpr std::string_view kHeaderRewrite[] = {"set", "add", "remove"};

inline constexpr std::string_view kUpstream[] = {
    "endpoints", "load_balancing",  "pool",     "timeouts",   "dns_refresh",       "profile",
    "retry",     "circuit_breaker", "bulkhead", "rate_limit", "outlier_detection", "health_check",
    "fallback",  "shadow",          "tls",      "limits",     "protocol",          "http2",
};
inline constexpr std::string_view kUpstreamHttp2[] = {"max_concurrent_streams", "keepalive"};
inline constexpr std::string_view kKeepalive[] = {"interval", "timeout"};
inline constexpr std::string_view kUpstreamLimits[] = {"max_response_head", "response_buffer"};
inline constexpr std::string_view kTls[] = {"sni",       "verify",   "ca_file",
                                            "cert_file", "key_file", "min_version"};
inline constexpr std::string_view kPool[] = {"max_connections", "max_idle", "idle_timeout",
                                             "max_requests_per_connection"};
inline constexpr std::string_view kTimeouts[] = {"connect", "write",   "read",       "pool",
                                                 "per_try", "request", "tunnel_idle"};

inline constexpr std::string_view kRetry[] = {
    "max_attempts",   "backoff", "retry_on",           "methods",
    "max_body_bytes", "budget",  "respect_retry_after"};
inline constexpr std::string_view kBackoff[] = {"initial", "max", "multiplier", "jitter"};
inline constexpr std::string_view kBudget[] = {"ratio", "min_per_second", "window"};
inline constexpr std::string_view kBreaker[] = {"failure_threshold", "failure_rate", "window",
                                                "minimum_requests",  "slow_call",    "open_for",
                                                "half_open_probes"};
inline constexpr std::string_view kSlowCall[] = {"duration", "rate"};
inline constexpr std::string_view kBulkhead[] = {"max_concurrent", "max_queue", "queue_timeout"};
inline constexpr std::string_view kRateLimit[] = {"requests_per_second", "burst", "scope",
                                                  "on_store_error"};
inline constexpr std::string_view kOutlier[] = {"consecutive_failures", "base_ejection",
                                                "max_ejection", "max_ejected_percent"};
inline constexpr std::string_view kHealthCheck[] = {
    "type", "path", "service", "interval", "timeout", "healthy_threshold", "unhealthy_threshold"};
inline constexpr std::string_view kFallback[] = {"stale_if_error", "response"};
inline constexpr std::string_view kStaleIfError[] = {"ttl", "max_entries", "max_body_bytes",
                                                     "store"};
inline constexpr std::string_view kStaticResponse[] = {"status", "content_type", "body"};
inline constexpr std::string_view kFallbackResponse[] = {"status", "content_type", "body",
                                                         "grpc_status", "grpc_message"};

}  // namespace key_lists

// One map of the file. In paths, "[]" stands for any list item and "<name>" for any
// upstream name: "listeners[].routes[]", "upstreams.<name>.retry.backoff".
struct KeySet {
  std::string_view path;  // "" for the top level
  std::span<const std::string_view> keys;
};

inline constexpr std::string_view kUpstreamPath = "upstreams.<name>";

// `defaults:` accepts the keys of "upstreams.<name>" except endpoints, so it has no entry.
inline constexpr KeySet kKeySets[] = {
    {"", key_lists::kTopLevel},
    {"admin", key_lists::kAdmin},
    {"access_log", key_lists::kAccessLog},
    {"drain", key_lists::kDrain},
    {"tracing", key_lists::kTracing},
    {"redis", key_lists::kRedis},
    {"redis.timeouts", key_lists::kRedisTimeouts},
    {"listeners[]", key_lists::kListener},
    {"listeners[].limits", key_lists::kListenerLimits},
    {"listeners[].http2", key_lists::kListenerHttp2},
    {"listeners[].routes[]", key_lists::kRoute},
    {"listeners[].routes[].match", key_lists::kRouteMatch},
    {"listeners[].routes[].match.headers.<name>", key_lists::kHeaderPresence},
    {"listeners[].routes[].request_headers", key_lists::kHeaderRewrite},
    {"listeners[].routes[].response_headers", key_lists::kHeaderRewrite},
    {"listeners[].routes[].direct_response", key_lists::kStaticResponse},
    {"listeners[].routes[].split[]", key_lists::kSplitTarget},
    {"listeners[].routes[].timeouts", key_lists::kRouteTimeouts},
    {"listeners[].routes[].fallback", key_lists::kRouteFallback},
    {"listeners[].routes[].fallback.response", key_lists::kFallbackResponse},
    {"listeners[].routes[].retry", key_lists::kRouteRetry},
    {"listeners[].routes[].retry.backoff", key_lists::kBackoff},
    {"upstreams.<name>", key_lists::kUpstream},
    {"upstreams.<name>.pool", key_lists::kPool},
    {"upstreams.<name>.tls", key_lists::kTls},
    {"upstreams.<name>.timeouts", key_lists::kTimeouts},
    {"upstreams.<name>.limits", key_lists::kUpstreamLimits},
    {"upstreams.<name>.http2", key_lists::kUpstreamHttp2},
    {"upstreams.<name>.http2.keepalive", key_lists::kKeepalive},
    {"upstreams.<name>.retry", key_lists::kRetry},
    {"upstreams.<name>.retry.backoff", key_lists::kBackoff},
    {"upstreams.<name>.retry.budget", key_lists::kBudget},
    {"upstreams.<name>.circuit_breaker", key_lists::kBreaker},
    {"upstreams.<name>.circuit_breaker.slow_call", key_lists::kSlowCall},
    {"upstreams.<name>.bulkhead", key_lists::kBulkhead},
    {"upstreams.<name>.rate_limit", key_lists::kRateLimit},
    {"upstreams.<name>.outlier_detection", key_lists::kOutlier},
    {"upstreams.<name>.health_check", key_lists::kHealthCheck},
    {"upstreams.<name>.fallback", key_lists::kFallback},
    {"upstreams.<name>.fallback.stale_if_error", key_lists::kStaleIfError},
    {"upstreams.<name>.fallback.response", key_lists::kFallbackResponse},
};

// The keys of the map at `path`. A path with no entry in kKeySets does not compile, so a
// reader cannot check a map against a list the docs test does not see.
consteval std::span<const std::string_view> keysAt(std::string_view path) {
  for (const KeySet& set : kKeySets) {
    if (set.path == path) return set.keys;
  }
  throw "keysAt: no entry in kKeySets has this path";
}

}  // namespace outrigger::config
