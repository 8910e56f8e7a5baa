#pragma once
// Shared helpers for the config loader tests: a fake environment and short ways to load a
// YAML snippet and look at its formatted errors.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/loader.h"

namespace outrigger::config::testing {

inline EnvLookup fakeEnv(std::map<std::string, std::string> vars = {}) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

inline LoadResult load(std::string_view yaml, const EnvLookup& env = fakeEnv()) {
  return loadConfigString(yaml, "test.yaml", env);
}

// Every error of `yaml`, formatted.
inline std::vector<std::string> errorsOf(std::string_view yaml, const EnvLookup& env = fakeEnv()) {
  std::vector<std::string> out;
  for (const ConfigError& e : load(yaml, env).errors) out.push_back(e.format());
  return out;
}

// Lines 1-4: one listener routing everything to upstream "u". Upstreams appended after it
// start on line 5.
inline constexpr std::string_view kListener =
    "listeners:\n"
    "  - name: l\n"
    "    listen: 127.0.0.1:0\n"
    "    routes: [ { upstream: u } ]\n";

// kListener plus a valid upstream "u" (lines 5-7); append top-level keys from line 8 on.
inline constexpr std::string_view kMinimal =
    "listeners:\n"
    "  - name: l\n"
    "    listen: 127.0.0.1:0\n"
    "    routes: [ { upstream: u } ]\n"
    "upstreams:\n"
    "  u:\n"
    "    endpoints: [ \"10.0.0.1:8080\" ]\n";

inline std::string withListener(std::string_view rest) {
  return std::string(kListener) + std::string(rest);
}
inline std::string withMinimal(std::string_view rest) {
  return std::string(kMinimal) + std::string(rest);
}

}  // namespace outrigger::config::testing
