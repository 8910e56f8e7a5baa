#pragma once
// Readers for the list and map sections of the file. Each fills the schema structs and
// reports every problem it finds to Diagnostics.

#include <optional>
#include <string>
#include <vector>

#include "proxy/config/config_node.h"
#include "proxy/config/diagnostics.h"
#include "proxy/config/schema.h"

namespace outrigger::config {

// `upstreams:` (name -> block), each block with `defaults:` merged under it. Either node
// may be null. The defaults block is also checked on its own, so a mistake in it is
// reported at its own line even when every upstream overrides that key.
std::vector<UpstreamConfig> readUpstreams(const ConfigNode* upstreams, const ConfigNode* defaults,
                                          Diagnostics& diag);

// `defaults:` merged under one upstream block, key by key; nested maps are merged
// recursively and the upstream's own keys win. Merged values keep their defaults path.
ConfigNode mergeDefaults(const ConfigNode& defaults, const ConfigNode& upstream);

// `listeners:`. Route upstreams are checked against `upstream_names` (the keys of
// `upstreams:`); a route's own policy is checked merged over its upstream in `upstreams`
// (those read); listen addresses must differ from each other and from `admin`.
std::vector<ListenerConfig> readListeners(const ConfigNode* listeners,
                                          const std::vector<std::string>& upstream_names,
                                          const std::vector<UpstreamConfig>& upstreams,
                                          const HostPort& admin, Diagnostics& diag);

// Gives each health_check whose type was not written its default: tcp for an upstream that
// only byte tunnels use (protocol: tcp listeners, connect: true routes), http otherwise.
// After the listeners are read.
void pickHealthCheckTypes(Config& config);

// `redis:`. nullopt when the block is unusable (its errors are reported).
std::optional<RedisConfig> readRedis(const ConfigNode& node, Diagnostics& diag);

// Without a `redis:` block, reports every upstream setting that needs one (rate_limit.scope:
// global, fallback.stale_if_error.store: redis), at the setting.
void checkRedisUsers(const ConfigNode* upstreams, const ConfigNode* defaults, bool has_redis,
                     Diagnostics& diag);

}  // namespace outrigger::config
