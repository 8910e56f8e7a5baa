#pragma once
// Typed readers for config values. Each reports a positioned error through Diagnostics and
// returns nullopt when the value is unusable, so the caller keeps its default and goes on
// to find the next problem.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "proxy/common/clock.h"
#include "proxy/common/result.h"
#include "proxy/config/config_node.h"
#include "proxy/config/diagnostics.h"
#include "proxy/config/schema.h"

namespace outrigger::config {

// True when `node` is a map; null counts as an empty map. Reports unknown keys (with a
// "did you mean") and duplicate keys.
bool checkMap(const ConfigNode& node, std::span<const std::string_view> allowed,
              Diagnostics& diag);
// True when `node` is a list; otherwise reports "expected a list".
bool checkList(const ConfigNode& node, Diagnostics& diag);
// Reports "missing required key" at `map` when `key` is absent; returns the entry.
const ConfigNode* requireKey(const ConfigNode& map, std::string_view key, Diagnostics& diag);

std::optional<std::string> readString(const ConfigNode& node, Diagnostics& diag);
std::optional<bool> readBool(const ConfigNode& node, Diagnostics& diag);
std::optional<int64_t> readInteger(const ConfigNode& node, Diagnostics& diag, int64_t min,
                                   int64_t max);
// `min` of zero accepts "0"; use Duration(1) for "must be greater than 0".
std::optional<Duration> readDuration(const ConfigNode& node, Diagnostics& diag,
                                     Duration min = Duration::zero());
std::optional<uint64_t> readSize(const ConfigNode& node, Diagnostics& diag, uint64_t min,
                                 uint64_t max);
// Index into `choices` of the value, which must be one of them exactly.
std::optional<size_t> readChoice(const ConfigNode& node, Diagnostics& diag,
                                 std::span<const std::string_view> choices);

enum class PortRule { kAllowZero, kNonZero };
std::optional<HostPort> readHostPort(const ConfigNode& node, Diagnostics& diag, PortRule rule);
// "host:port" or "[v6]:port". Pure; the error message is for people.
Result<HostPort> parseHostPort(std::string_view text, PortRule rule);

// Listener and upstream names: [A-Za-z0-9_.-]+.
bool isValidName(std::string_view name);
inline constexpr std::string_view kNameRule = "use only letters, digits, '_', '.' and '-'";

// Assigns a reader's result when there is one.
template <typename T, typename U>
void assignIf(const std::optional<U>& value, T& out) {
  if (value) out = static_cast<T>(*value);
}

}  // namespace outrigger::config
