#pragma once
// A route's match conditions and rewrites (issue 20). Plain data, like the rest of the schema:
// the loader fills it, the router and the request path only read it.

#include <optional>
#include <string>
#include <vector>

#include "proxy/common/clock.h"
#include "proxy/config/literal_headers.h"
#include "proxy/config/policy_schema.h"

namespace outrigger::config {

// One `match.headers` entry.
struct HeaderMatch {
  enum class Kind { kExact, kPresent, kAbsent };
  std::string name;   // lower-case
  std::string value;  // kExact only: compared byte for byte
  Kind kind = Kind::kExact;

  friend bool operator==(const HeaderMatch&, const HeaderMatch&) = default;
};

// The variables a rewritten header value may use.
enum class HeaderVariable { kNone, kRequestId, kUpstream, kRoute, kClientIp };

// A piece of a header value: literal text, or one variable. Split at load time, so the request
// path only appends.
struct ValuePiece {
  std::string literal;
  HeaderVariable variable = HeaderVariable::kNone;

  friend bool operator==(const ValuePiece&, const ValuePiece&) = default;
};

struct HeaderValue {
  std::string text;  // as written, for /config and explain
  std::vector<ValuePiece> pieces;

  friend bool operator==(const HeaderValue&, const HeaderValue&) = default;
};

struct HeaderEntry {
  std::string name;  // as written (its case is what the upstream or the app sees)
  HeaderValue value;

  friend bool operator==(const HeaderEntry&, const HeaderEntry&) = default;
};

// `request_headers` / `response_headers`: remove, then set, then add.
struct HeaderRewrite {
  std::vector<HeaderEntry> set;
  std::vector<HeaderEntry> add;
  std::vector<std::string> remove;  // lower-case

  bool empty() const { return set.empty() && add.empty() && remove.empty(); }
  friend bool operator==(const HeaderRewrite&, const HeaderRewrite&) = default;
};

// Everything a route changes on the way through. A route that changes nothing costs the
// request path one flag test per side.
struct RouteRewrite {
  std::optional<std::string> prefix_rewrite;  // replaces replaced_path at the start of the path
  std::string replaced_path;                  // the route's path_prefix, or its path_exact
  std::string host_rewrite;                   // "" = not set
  HeaderRewrite request;
  HeaderRewrite response;
  // Set by the loader from the fields above, so the request path tests one flag per side.
  bool changes_request = false;            // prefix_rewrite, host_rewrite or request headers
  bool changes_response = false;           // response headers
  DerivedLiteralHeaders request_literals;  // request.set and .add as views; null with a variable

  friend bool operator==(const RouteRewrite&, const RouteRewrite&) = default;
};

// One item of a route's `split:` (issue 20, item 4): the upstream and its share of the
// route's requests, weight / (sum of the route's weights).
struct SplitTarget {
  std::string upstream;
  uint32_t weight = 0;

  friend bool operator==(const SplitTarget&, const SplitTarget&) = default;
};

// A route's `timeouts:` (issue 20, item 2): each key set replaces the upstream's value for
// the requests of this route; an unset key keeps the upstream's. connect and pool belong to
// the upstream's shared connections, so a route cannot change them.
struct RouteTimeouts {
  std::optional<Duration> request;  // kNoRequestTimeout for `none`
  std::optional<Duration> per_try;
  std::optional<Duration> read;
  std::optional<Duration> write;

  bool empty() const { return !request && !per_try && !read && !write; }
  friend bool operator==(const RouteTimeouts&, const RouteTimeouts&) = default;
};

// A route's `retry:`, key by key over the upstream's retry block (or the block's defaults when
// the upstream has none). The budget is not here: it protects the upstream, so it stays the
// upstream's.
struct RetryOverrides {
  std::optional<uint32_t> max_attempts;
  std::optional<Duration> backoff_initial;
  std::optional<Duration> backoff_max;
  std::optional<double> backoff_multiplier;
  std::optional<policy::Jitter> backoff_jitter;
  std::optional<policy::RetryOn> retry_on;
  std::optional<policy::RetryMethods> methods;
  std::optional<uint64_t> max_body_bytes;
  std::optional<bool> respect_retry_after;

  friend bool operator==(const RetryOverrides&, const RetryOverrides&) = default;
};

// A route's `fallback:` (issue 20, item 2), key by key over the upstream's. Stale copies are
// kept per upstream, so a route can only turn them off for its requests; `response` keys go
// over the upstream's static response (or the built-in one), and `response: off` removes it.
struct RouteFallback {
  bool stale_off = false;     // `stale_if_error: off`: neither served nor stored
  bool response_off = false;  // `response: off`
  std::optional<int> status;
  std::optional<std::string> content_type;
  std::optional<std::string> body;
  // grpc_status makes the route's response the gRPC form, whole (nothing of the upstream's).
  std::optional<http::GrpcStatus> grpc_status;
  std::optional<std::string> grpc_message;

  bool response_keys() const {
    return status || content_type || body || grpc_status || grpc_message;
  }
  bool empty() const { return !stale_off && !response_off && !response_keys(); }
  friend bool operator==(const RouteFallback&, const RouteFallback&) = default;
};

}  // namespace outrigger::config
