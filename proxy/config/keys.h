#pragma once
// Every key the loader accepts, per block, in one place. To enable a reserved key, move it
// from kReservedUpstreamKeys into kUpstreamKeys and write its reader.

#include <array>
#include <string_view>

namespace outrigger::config {

using std::string_view_literals::operator""sv;

inline constexpr std::array kTopLevelKeys = {
    "workers"sv, "log_level"sv, "admin"sv,    "access_log"sv,
    "drain"sv,   "listeners"sv, "defaults"sv, "upstreams"sv,
};
inline constexpr std::array kAdminKeys = {"listen"sv};
inline constexpr std::array kAccessLogKeys = {"path"sv};
inline constexpr std::array kDrainKeys = {"grace"sv, "timeout"sv};

inline constexpr std::array kListenerKeys = {"name"sv, "listen"sv, "routes"sv, "limits"sv};
inline constexpr std::array kListenerLimitsKeys = {"max_request_head"sv, "header_timeout"sv,
                                                   "idle_timeout"sv};
inline constexpr std::array kRouteKeys = {"host"sv, "path_prefix"sv, "upstream"sv,
                                          "preserve_host"sv};

// `defaults:` accepts the same keys except endpoints.
inline constexpr std::array kUpstreamKeys = {"endpoints"sv, "load_balancing"sv, "pool"sv,
                                             "timeouts"sv, "dns_refresh"sv};
inline constexpr std::array kPoolKeys = {"max_connections"sv, "max_idle"sv, "idle_timeout"sv,
                                         "max_requests_per_connection"sv};
inline constexpr std::array kTimeoutKeys = {"connect"sv, "write"sv,   "read"sv,
                                            "pool"sv,    "per_try"sv, "request"sv};

// Upstream keys that DESIGN §6 defines but this version does not implement yet. They are
// rejected with "not supported yet", never ignored: an operator who writes `retry:` must not
// believe requests are being retried.
inline constexpr std::array kReservedUpstreamKeys = {
    "tls"sv,          "retry"sv,      "circuit_breaker"sv,
    "bulkhead"sv,     "rate_limit"sv, "outlier_detection"sv,
    "health_check"sv, "fallback"sv,   "shadow"sv,
    "profile"sv,
};

inline constexpr std::string_view kNotSupportedYet =
    "not supported yet in this version of outrigger (see config/README.md)";

}  // namespace outrigger::config
