#pragma once
// An immutable configuration generation (DESIGN §3): the config, one router per listener
// and the process-wide upstream runtimes. A request keeps the snapshot it started with.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/config/schema.h"
#include "proxy/routing/router.h"
#include "proxy/upstream/upstream.h"

namespace outrigger::exchange {

struct Snapshot {
  uint64_t generation = 1;  // outrigger_config_generation: 1 at start, +1 per applied reload
  std::shared_ptr<const config::Config> config;
  std::vector<std::unique_ptr<routing::Router>> routers;  // by listener index
  std::unordered_map<std::string, std::shared_ptr<upstream::Upstream>> upstreams;

  // The listener named `name` and its index, or null when this generation has none.
  const config::ListenerConfig* findListener(const std::string& name,
                                             size_t* index = nullptr) const {
    return config->findListener(name, index);
  }
};

}  // namespace outrigger::exchange
