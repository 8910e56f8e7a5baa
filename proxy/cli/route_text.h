#pragma once
// How explain describes a route: its match conditions on one line, and what it changes.

#include <string>
#include <utility>
#include <vector>

#include "proxy/config/schema.h"

namespace outrigger::cli {

// "host *, path_prefix /users, methods GET|POST, header x-tenant: gold".
std::string routeConditions(const config::RouteConfig& route);

// (label, text) rows for what the route changes or answers itself; empty when nothing.
std::vector<std::pair<std::string, std::string>> routeChangeRows(const config::RouteConfig& route);

}  // namespace outrigger::cli
