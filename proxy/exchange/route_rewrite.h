#pragma once
// Applies a route's rewrites (issue 20): its path and header changes to the request that goes
// upstream, and its header changes to the response the app gets. Protocol-neutral: it edits
// the response head in place, and forwardedRequest() hands the request's changes to the head
// writer, which applies them as it writes.

#include <optional>
#include <string>
#include <string_view>

#include "proxy/config/route_schema.h"
#include "proxy/http/message.h"

namespace outrigger::exchange {

// What %REQUEST_ID%, %UPSTREAM%, %ROUTE% and %CLIENT_IP% stand for in one request.
struct RewriteVariables {
  std::string_view request_id;
  std::string_view upstream;  // "" for a direct response
  std::string_view route;
  std::string_view client_ip;
};

// `value` with its variables filled in, appended to `out`.
void expandHeaderValue(const config::HeaderValue& value, const RewriteVariables& vars,
                       std::string& out);

// `value` with its variables filled in: a view into the config or the variables when it is
// one piece (no copy), else into `scratch`, which is overwritten and keeps its capacity.
std::string_view headerValue(const config::HeaderValue& value, const RewriteVariables& vars,
                             std::string& scratch);

// remove, then set, then add.
void applyHeaderRewrite(const config::HeaderRewrite& rewrite, const RewriteVariables& vars,
                        http::Headers& headers);

// What follows the replacement in the rewritten target: the rest of `target` after
// `replaced`, less a slash `replacement` already ends with (as a view into `target`); the
// rewritten target in origin form is `replacement` then this. nullopt when `path` (a view into
// `target`) does not start with `replaced`: the target is sent as it is.
std::optional<std::string_view> rewrittenTargetRest(std::string_view target, std::string_view path,
                                                    std::string_view replaced,
                                                    std::string_view replacement);
// The target with `replaced` (a prefix of its path) swapped for `replacement`, into `out`
// (the query is kept; a replacement ending in '/' and a rest starting with one share that
// slash; `out` keeps its capacity: no allocation once it has grown). `target`
// must not be a view into `out`.
void rewriteTargetInto(std::string_view target, std::string_view path, std::string_view replaced,
                       std::string_view replacement, std::string& out);

}  // namespace outrigger::exchange
