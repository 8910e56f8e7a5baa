#pragma once
// Converts a parsed yaml-cpp document into a ConfigNode tree, substituting ${VAR} in every
// scalar value on the way (map keys are taken literally).

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

#include "proxy/config/config_node.h"
#include "proxy/config/diagnostics.h"
#include "proxy/config/env_substitution.h"

namespace outrigger::config {

// Parses the one YAML document of a config file: a null node when the file holds none.
// Reports a second document to `diag`, and returns nullopt for input that yaml-cpp cannot
// make sense of without throwing. Syntax errors throw YAML::Exception (with a position).
std::optional<YAML::Node> parseSingleDocument(const std::string& yaml, Diagnostics& diag);

// Can throw YAML::Exception (the caller turns it into a positioned error).
ConfigNode buildConfigTree(const YAML::Node& root, const EnvLookup& env, Diagnostics& diag);

}  // namespace outrigger::config
