#pragma once
// Loads the YAML config file into a validated Config. Never throws: every problem in the
// file (syntax, types, unknown keys, bad values, cross-references) comes back as a
// positioned ConfigError, all of them at once.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/config_error.h"
#include "proxy/config/env_substitution.h"
#include "proxy/config/render.h"
#include "proxy/config/schema.h"

namespace outrigger::config {

struct LoadResult {
  std::optional<Config> config;  // set only when there are no errors
  std::vector<ConfigError> errors;

  bool ok() const { return config.has_value() && errors.empty(); }
  // One formatted error per line, each ending in '\n'.
  std::string formatErrors() const;
};

// Reads the real process environment.
EnvLookup processEnv();

LoadResult loadConfigFile(const std::string& path, const EnvLookup& env = processEnv());
// `file_name` is used in error messages ("<config>" when empty); Config::source_file stays "".
LoadResult loadConfigString(std::string_view yaml, const std::string& file_name,
                            const EnvLookup& env = processEnv());

}  // namespace outrigger::config
