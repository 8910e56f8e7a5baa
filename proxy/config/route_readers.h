#pragma once
// Readers for one route's parts (listeners[].routes[]); listeners.cc reads the list itself.

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/config_node.h"
#include "proxy/config/diagnostics.h"
#include "proxy/config/schema.h"

namespace outrigger::config {

// The short form's `host`/`path_prefix` and the `match:` block. False when the match is
// unusable, so it is not compared with other routes for duplicates.
bool readRouteMatch(const ConfigNode& route, RouteConfig& out, Diagnostics& diag);

// prefix_rewrite, host_rewrite, request_headers, response_headers and direct_response.
void readRouteRewrites(const ConfigNode& route, RouteConfig& out, Diagnostics& diag);

// Reports `name` at `node` when no upstream has it, with a hint; true when it is known.
bool checkUpstreamName(const ConfigNode& node, const std::string& name,
                       const std::vector<std::string>& names, Diagnostics& diag);

// `upstream:` or `split:` (exclusive, and neither with direct_response); each name must be
// one of `upstream_names`. Read after readRouteRewrites, which reads direct_response.
void readRouteUpstreams(const ConfigNode& route, const std::vector<std::string>& upstream_names,
                        RouteConfig& out, Diagnostics& diag);

// ASCII lower case, for host names and header names.
inline std::string lowerAscii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A character of an HTTP token (RFC 9110 §5.6.2): header names, methods.
inline bool isTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Two routes that match exactly the same requests; "" when they differ, else how to name the
// clash in a message ("host 'a' with path_prefix '/x'").
std::string sameMatch(const RouteConfig& a, const RouteConfig& b);

}  // namespace outrigger::config
