#pragma once
// Every key the loader accepts, per block, in one place. To enable a reserved key, move it
// from kReservedUpstreamKeys into kUpstreamKeys and write its reader.

#include <string_view>

namespace outrigger::config {

inline constexpr std::string_view kTopLevelKeys[] = {
    "workers", "log_level", "admin", "access_log", "drain", "listeners", "defaults", "upstreams",
};
inline constexpr std::string_view kAdminKeys[] = {"listen"};
inline constexpr std::string_view kAccessLogKeys[] = {"path"};
inline constexpr std::string_view kDrainKeys[] = {"grace", "timeout"};

inline constexpr std::string_view kListenerKeys[] = {"name", "listen", "routes", "limits"};
inline constexpr std::string_view kListenerLimitsKeys[] = {"max_request_head", "header_timeout",
                                                           "idle_timeout"};
inline constexpr std::string_view kRouteKeys[] = {"host", "path_prefix", "upstream",
                                                  "preserve_host"};

// `defaults:` accepts the same keys except endpoints.
inline constexpr std::string_view kUpstreamKeys[] = {
    "endpoints",       "load_balancing", "pool",       "timeouts",          "dns_refresh",
    "profile",         "retry",          "circuit_breaker", "bulkhead",     "rate_limit",
    "outlier_detection", "health_check", "fallback",     "shadow",
};
inline constexpr std::string_view kPoolKeys[] = {"max_connections", "max_idle", "idle_timeout",
                                                 "max_requests_per_connection"};
inline constexpr std::string_view kTimeoutKeys[] = {"connect", "write",   "read",
                                                    "pool",    "per_try", "request"};

// Upstream keys that DESIGN §6 defines but this version does not implement yet. They are
// rejected with "not supported yet", never ignored: an operator who writes `retry:` must not
// believe requests are being retried.
inline constexpr std::string_view kReservedUpstreamKeys[] = {"tls"};

inline constexpr std::string_view kRetryKeys[] = {
    "max_attempts", "backoff", "retry_on", "methods", "max_body_bytes", "budget",
    "respect_retry_after"};
inline constexpr std::string_view kBackoffKeys[] = {"initial", "max", "multiplier", "jitter"};
inline constexpr std::string_view kBudgetKeys[] = {"ratio", "min_per_second", "window"};
inline constexpr std::string_view kBreakerKeys[] = {
    "failure_threshold", "failure_rate", "window", "minimum_requests", "slow_call", "open_for",
    "half_open_probes"};
inline constexpr std::string_view kSlowCallKeys[] = {"duration", "rate"};
inline constexpr std::string_view kBulkheadKeys[] = {"max_concurrent", "max_queue",
                                                     "queue_timeout"};
inline constexpr std::string_view kRateLimitKeys[] = {"requests_per_second", "burst"};
inline constexpr std::string_view kOutlierKeys[] = {"consecutive_failures", "base_ejection",
                                                    "max_ejection", "max_ejected_percent"};
inline constexpr std::string_view kHealthCheckKeys[] = {"path", "interval", "timeout",
                                                        "healthy_threshold", "unhealthy_threshold"};
inline constexpr std::string_view kFallbackKeys[] = {"stale_if_error", "response"};
inline constexpr std::string_view kStaleIfErrorKeys[] = {"ttl", "max_entries", "max_body_bytes"};
inline constexpr std::string_view kStaticResponseKeys[] = {"status", "content_type", "body"};

inline constexpr std::string_view kNotSupportedYet =
    "not supported yet in this version of outrigger (see config/README.md)";

}  // namespace outrigger::config
