#include "proxy/config/fields.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>
#include <vector>

#include "proxy/common/units.h"
#include "proxy/config/keys.h"
#include "proxy/config/suggest.h"

namespace outrigger::config {
namespace {

std::string joinChoices(std::span<const std::string_view> choices, std::string_view last_sep) {
  std::string out;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i > 0) out += i + 1 == choices.size() ? last_sep : ", ";
    out += choices[i];
  }
  return out;
}

void reportKey(const ConfigNode& map, const ConfigNode& entry,
               std::span<const std::string_view> allowed, Diagnostics& diag) {
  const std::vector<std::string_view> candidates(allowed.begin(), allowed.end());
  std::string hint = didYouMean(entry.key, candidates);
  if (hint.empty()) hint = " (expected one of: " + joinChoices(allowed, ", ") + ")";
  diag.errorAtKey(entry, map.path, "unknown key '" + entry.key + "'" + hint);
}

bool isHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

bool isV6Char(char c) {
  return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') || c == ':' ||
         c == '.';
}

Error hostPortError(std::string message) {
  return Error{"invalid_value", ErrorSource::kConfig, false, std::move(message)};
}

Result<uint16_t> parsePort(std::string_view port, std::string_view text, PortRule rule) {
  const int min = rule == PortRule::kAllowZero ? 0 : 1;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || end != port.data() + port.size() ||
      (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    return hostPortError("invalid port '" + std::string(port) + "' in '" + std::string(text) +
                         "' (expected host:port, e.g. 127.0.0.1:8080)");
  }
  if (ec == std::errc::result_out_of_range || value > 65535 || static_cast<int>(value) < min) {
    return hostPortError("port must be between " + std::to_string(min) + " and 65535, got '" +
                         std::string(port) + "'");
  }
  return static_cast<uint16_t>(value);
}

}  // namespace

bool checkMap(const ConfigNode& node, std::span<const std::string_view> allowed,
              Diagnostics& diag) {
  if (node.isNull()) return true;
  if (!node.isMap()) {
    diag.error(node, "expected a map, got " + node.describe());
    return false;
  }
  for (size_t i = 0; i < node.children.size(); ++i) {
    const ConfigNode& entry = node.children[i];
    const ConfigNode* first = node.find(entry.key);
    if (first != &entry) {
      const std::string where =
          first->key_mark.known()
              ? " (already set on line " + std::to_string(first->key_mark.line + 1) + ")"
              : "";
      diag.errorAtKey(entry, node.path, "duplicate key '" + entry.key + "'" + where);
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), entry.key) == allowed.end()) {
      reportKey(node, entry, allowed, diag);
    }
  }
  return true;
}

bool checkList(const ConfigNode& node, Diagnostics& diag) {
  if (node.isList()) return true;
  diag.error(node, "expected a list, got " + node.describe());
  return false;
}

const ConfigNode* requireKey(const ConfigNode& map, std::string_view key, Diagnostics& diag) {
  const ConfigNode* entry = map.find(key);
  if (entry == nullptr && (map.isMap() || map.isNull())) {
    diag.error(map, "missing required key '" + std::string(key) + "'");
  }
  return entry;
}

std::optional<std::string> readString(const ConfigNode& node, Diagnostics& diag) {
  if (node.isScalar()) return node.scalar;
  diag.error(node, "expected a string, got " + node.describe());
  return std::nullopt;
}

std::optional<bool> readBool(const ConfigNode& node, Diagnostics& diag) {
  if (node.isScalar()) {
    std::string v = node.scalar;
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
    if (v == "true") return true;
    if (v == "false") return false;
  }
  diag.error(node, "expected true or false, got " + node.describe());
  return std::nullopt;
}

std::optional<int64_t> readInteger(const ConfigNode& node, Diagnostics& diag, int64_t min,
                                   int64_t max) {
  int64_t value = 0;
  const std::string& s = node.scalar;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (!node.isScalar() || s.empty() || end != s.data() + s.size() ||
      (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    diag.error(node, "expected a whole number, got " + node.describe());
    return std::nullopt;
  }
  const bool out_of_range = ec == std::errc::result_out_of_range;
  if (out_of_range ? s[0] == '-' : value < min) {
    diag.error(node, "must be at least " + std::to_string(min) + ", got " + node.describe());
    return std::nullopt;
  }
  if (out_of_range || value > max) {
    diag.error(node, "must be at most " + std::to_string(max) + ", got " + node.describe());
    return std::nullopt;
  }
  return value;
}

std::optional<Duration> readDuration(const ConfigNode& node, Diagnostics& diag, Duration min) {
  if (!node.isScalar()) {
    diag.error(node, "expected a duration like 250ms, 2s or 1m, got " + node.describe());
    return std::nullopt;
  }
  const Result<Duration> d = parseDuration(node.scalar);
  if (!d) {
    diag.error(node, d.error().message);
    return std::nullopt;
  }
  if (*d < min) {
    diag.error(node, (min == Duration(1) ? std::string("must be greater than 0")
                                         : "must be at least " + formatDuration(min)) +
                         ", got " + node.describe());
    return std::nullopt;
  }
  return *d;
}

std::optional<uint64_t> readSize(const ConfigNode& node, Diagnostics& diag, uint64_t min,
                                 uint64_t max) {
  if (!node.isScalar()) {
    diag.error(node, "expected a size like 512B, 64KiB or 1MiB, got " + node.describe());
    return std::nullopt;
  }
  const Result<uint64_t> size = parseSize(node.scalar);
  if (!size) {
    diag.error(node, size.error().message);
    return std::nullopt;
  }
  if (*size < min || *size > max) {
    diag.error(node, "must be between " + formatSize(min) + " and " + formatSize(max) + ", got " +
                         node.describe());
    return std::nullopt;
  }
  return *size;
}

std::optional<size_t> readChoice(const ConfigNode& node, Diagnostics& diag,
                                 std::span<const std::string_view> choices) {
  if (node.isScalar()) {
    for (size_t i = 0; i < choices.size(); ++i)
      if (choices[i] == node.scalar) return i;
  }
  const std::string hint = node.isScalar() ? didYouMean(node.scalar, choices) : "";
  diag.error(node,
             "expected one of " + joinChoices(choices, " or ") + ", got " + node.describe() + hint);
  return std::nullopt;
}

std::optional<HostPort> readHostPort(const ConfigNode& node, Diagnostics& diag, PortRule rule) {
  if (!node.isScalar()) {
    diag.error(node, "expected host:port, got " + node.describe());
    return std::nullopt;
  }
  Result<HostPort> hp = parseHostPort(node.scalar, rule);
  if (!hp) {
    diag.error(node, hp.error().message);
    return std::nullopt;
  }
  return std::move(*hp);
}

Result<HostPort> parseHostPort(std::string_view text, PortRule rule) {
  const std::string quoted = "'" + std::string(text) + "'";
  if (text.find("://") != std::string_view::npos) {
    return hostPortError("expected host:port without a scheme, got " + quoted);
  }
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text[0] == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return hostPortError("expected [IPv6]:port, like [::1]:8080, got " + quoted);
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (host.empty() || host.find(':') == std::string_view::npos ||
        !std::all_of(host.begin(), host.end(), isV6Char)) {
      return hostPortError("invalid IPv6 address in " + quoted);
    }
  } else {
    const size_t colon = text.find(':');
    if (colon == std::string_view::npos) {
      return hostPortError("expected host:port, got " + quoted + " (the port is missing)");
    }
    if (text.find(':', colon + 1) != std::string_view::npos) {
      return hostPortError("expected host:port, got " + quoted +
                           " (write IPv6 addresses in brackets, like [::1]:8080)");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.empty())
      return hostPortError("expected host:port, got " + quoted + " (the host is missing)");
    const auto bad = std::find_if_not(host.begin(), host.end(), isHostChar);
    if (bad != host.end()) {
      return hostPortError("invalid character '" + std::string(1, *bad) + "' in host '" +
                           std::string(host) + "'");
    }
  }
  Result<uint16_t> p = parsePort(port, text, rule);
  if (!p) return p.error();
  return HostPort{std::string(host), *p, std::string(text)};
}

bool isValidName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

}  // namespace outrigger::config
