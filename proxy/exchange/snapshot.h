#pragma once
// An immutable configuration generation (DESIGN §3): the config, one router per listener
// and the process-wide upstream runtimes. A request keeps the snapshot it started with.

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/config/schema.h"
#include "proxy/routing/router.h"
#include "proxy/upstream/upstream.h"

namespace outrigger::exchange {

struct Snapshot {
  std::shared_ptr<const config::Config> config;
  std::vector<std::unique_ptr<routing::Router>> routers;  // by listener index
  std::unordered_map<std::string, std::shared_ptr<upstream::Upstream>> upstreams;
};

}  // namespace outrigger::exchange
