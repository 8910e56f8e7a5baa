// Reads the `redis:` block (the fleet's shared store) and checks that every upstream that
// needs it (rate_limit.scope: global, fallback.stale_if_error.store: redis) has one.

#include <sys/un.h>

#include "proxy/config/fields.h"
#include "proxy/config/keys.h"
#include "proxy/config/sections.h"

namespace outrigger::config {
namespace {

constexpr std::string_view kUnixScheme = "unix:";
constexpr Duration kPositive = Duration(1);

void readRedisAddress(const ConfigNode& node, RedisConfig& out, Diagnostics& diag) {
  if (!node.isScalar()) {
    diag.error(node, "expected host:port or unix:/path, got " + node.describe());
    return;
  }
  const std::string& text = node.scalar;
  if (text.starts_with(kUnixScheme)) {
    const std::string path = text.substr(kUnixScheme.size());
    if (!path.starts_with('/')) {
      diag.error(node, "a Unix socket path must be absolute (unix:/path), got " + node.describe());
      return;
    }
    if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
      diag.error(node, "the Unix socket path is longer than " +
                           std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes");
      return;
    }
    out.unix_path = path;
    out.address = text;
    return;
  }
  Result<HostPort> hp = parseHostPort(text, PortRule::kNonZero);
  if (!hp) {
    diag.error(node, hp.error().message + " (or use unix:/path for a Unix socket)");
    return;
  }
  out.tcp = std::move(*hp);
  out.address = text;
}

void readRedisTimeouts(const ConfigNode& node, RedisConfig& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("redis.timeouts"), diag)) return;
  if (auto* n = node.find("connect"))
    assignIf(readDuration(*n, diag, kPositive), out.connect_timeout);
  if (auto* n = node.find("command"))
    assignIf(readDuration(*n, diag, kPositive), out.command_timeout);
}

// The upstream's setting that needs a `redis:` block, or nullptr.
const ConfigNode* needsRedis(const ConfigNode& upstream, std::string_view* what) {
  if (const ConfigNode* rl = upstream.find("rate_limit")) {
    const ConfigNode* scope = rl->find("scope");
    if (scope != nullptr && scope->isScalar() && scope->scalar == "global") {
      *what = "scope: global";
      return scope;
    }
  }
  const ConfigNode* fallback = upstream.find("fallback");
  const ConfigNode* stale = fallback ? fallback->find("stale_if_error") : nullptr;
  const ConfigNode* store = stale ? stale->find("store") : nullptr;
  if (store != nullptr && store->isScalar() && store->scalar == "redis") {
    *what = "store: redis";
    return store;
  }
  return nullptr;
}

}  // namespace

std::optional<RedisConfig> readRedis(const ConfigNode& node, Diagnostics& diag) {
  if (!checkMap(node, keysAt("redis"), diag)) return std::nullopt;
  RedisConfig out;
  if (const ConfigNode* n = requireKey(node, "address", diag)) readRedisAddress(*n, out, diag);
  if (auto* n = node.find("username")) assignIf(readString(*n, diag), out.username);
  if (auto* n = node.find("password")) assignIf(readString(*n, diag), out.password);
  if (auto* n = node.find("database")) assignIf(readInteger(*n, diag, 0, 1 << 30), out.database);
  if (auto* n = node.find("key_prefix")) assignIf(readString(*n, diag), out.key_prefix);
  if (auto* n = node.find("timeouts")) readRedisTimeouts(*n, out, diag);
  return out;
}

void checkRedisUsers(const ConfigNode* upstreams, const ConfigNode* defaults, bool has_redis,
                     Diagnostics& diag) {
  if (has_redis || upstreams == nullptr || !upstreams->isMap()) return;
  for (const ConfigNode& entry : upstreams->children) {
    if (!entry.isMap()) continue;
    const ConfigNode merged =
        defaults && defaults->isMap() ? mergeDefaults(*defaults, entry) : entry;
    std::string_view what;
    if (const ConfigNode* n = needsRedis(merged, &what)) {
      // Diagnostics drops the duplicates of a key set in `defaults:`.
      diag.error(*n, std::string(what) +
                         " needs a top-level redis: block (the fleet's shared "
                         "store), and there is none");
    }
  }
}

}  // namespace outrigger::config
