#pragma once
// Converts a parsed yaml-cpp document into a ConfigNode tree, substituting ${VAR} in every
// scalar value on the way (map keys are taken literally).

#include <yaml-cpp/yaml.h>

#include "proxy/config/config_node.h"
#include "proxy/config/diagnostics.h"
#include "proxy/config/env_substitution.h"

namespace outrigger::config {

// Can throw YAML::Exception (the caller turns it into a positioned error).
ConfigNode buildConfigTree(const YAML::Node& root, const EnvLookup& env, Diagnostics& diag);

}  // namespace outrigger::config
