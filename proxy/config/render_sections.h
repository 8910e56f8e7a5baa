#pragma once
// The parts of renderConfigYaml, one per section of the file.

#include "proxy/config/config_writer.h"
#include "proxy/config/schema.h"

namespace outrigger::config {

void renderListener(ConfigWriter& out, const ListenerConfig& listener);
// retry_on's values as written: connect_failed, reset, timeout, then the statuses.
std::vector<std::string> retryOnNames(const policy::RetryOn& on);
// One item of listeners[].routes, as the short form when it has only host and path_prefix.
void renderRoute(ConfigWriter& out, const RouteConfig& route, size_t index);
void renderUpstream(ConfigWriter& out, const UpstreamConfig& upstream);
// The blocks of PolicyConfig that are on, under the upstream's map.
void renderPolicies(ConfigWriter& out, const PolicyConfig& policies);

// "127.0.0.1:80", "[::1]:80": as written when known.
std::string hostPortText(const HostPort& hp);

}  // namespace outrigger::config
