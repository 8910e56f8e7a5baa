#include "proxy/config/loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <system_error>
#include <thread>

#include "proxy/common/units.h"
#include "proxy/config/diagnostics.h"
#include "proxy/config/fields.h"
#include "proxy/config/keys.h"
#include "proxy/config/provenance.h"
#include "proxy/config/sections.h"
#include "proxy/config/yaml_tree.h"

namespace outrigger::config {
namespace {

constexpr std::string_view kLogLevelNames[] = {"debug", "info", "warn", "error"};
constexpr std::array kLogLevels = {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn,
                                   LogLevel::kError};
constexpr int64_t kMaxWorkers = 64;
constexpr size_t kMaxFileBytes = 16 * 1024 * 1024;

int autoWorkers() {
  const int64_t cores = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp<int64_t>(cores, 1, kMaxWorkers));
}

void readWorkers(const ConfigNode& node, Config& out, Diagnostics& diag) {
  if (node.isScalar() && node.scalar == "auto") {
    out.workers = autoWorkers();
    return;
  }
  const std::string& s = node.scalar;
  const bool numeric = !s.empty() && std::all_of(s.begin() + (s[0] == '-' ? 1 : 0), s.end(),
                                                 [](char c) { return c >= '0' && c <= '9'; });
  if (!node.isScalar() || !numeric) {
    diag.error(node, "expected a whole number or 'auto', got " + node.describe());
    return;
  }
  assignIf(readInteger(node, diag, 1, kMaxWorkers), out.workers);
}

// The token travels as "Authorization: Bearer <token>". A token with spaces, control
// characters or non-ASCII bytes could not be sent reliably, so it would never match; refuse
// it at load time rather than lock the operator out.
void readAdminToken(const ConfigNode& node, AdminConfig& out, Diagnostics& diag) {
  const std::optional<std::string> token = readString(node, diag);
  if (!token) return;
  const auto unusable = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= ' ' || u >= 0x7f;
  };
  if (std::any_of(token->begin(), token->end(), unusable)) {
    // The value is not quoted back: it is a secret.
    diag.error(node, "must use only printable ASCII characters, without spaces");
    return;
  }
  out.token = *token;
}

void readAdmin(const ConfigNode& node, AdminConfig& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("admin"), diag)) return;
  if (const ConfigNode* n = node.find("listen")) {
    assignIf(readHostPort(*n, diag, PortRule::kAllowZero), out.listen);
  }
  if (const ConfigNode* n = node.find("token")) readAdminToken(*n, out, diag);
}

void readAccessLog(const ConfigNode& node, AccessLogConfig& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("access_log"), diag)) return;
  const ConfigNode* n = node.find("path");
  if (n == nullptr) return;
  const std::optional<std::string> path = readString(*n, diag);
  if (!path) return;
  if (path->empty()) {
    diag.error(*n, "must not be empty (use stdout, stderr, off or a file path)");
    return;
  }
  out.path = *path;
  out.enabled = *path != "off";
}

void readDrain(const ConfigNode& node, DrainConfig& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("drain"), diag)) return;
  const ConfigNode* timeout_node = node.find("timeout");
  const auto timeout = timeout_node ? readDuration(*timeout_node, diag) : std::nullopt;
  assignIf(timeout, out.timeout);
  const ConfigNode* grace_node = node.find("grace");
  const auto grace = grace_node ? readDuration(*grace_node, diag) : std::nullopt;
  assignIf(grace, out.grace);
  // Compare whichever of the two is written with the other's effective value (maybe its
  // default), and report at the one written: `timeout: 1s` alone is as wrong as `grace: 31s`.
  if (out.grace <= out.timeout) return;
  if (grace) {
    if (timeout || timeout_node == nullptr) {
      diag.error(*grace_node, "must not be longer than timeout (" + formatDuration(out.timeout) +
                                  "), got " + grace_node->describe());
    }
  } else if (timeout && grace_node == nullptr) {
    diag.error(*timeout_node, "must not be shorter than grace (" + formatDuration(out.grace) +
                                  ", the default), got " + timeout_node->describe());
  }
}

void readTracing(const ConfigNode& node, TracingConfig& out, Diagnostics& diag) {
  if (!checkMap(node, keysAt("tracing"), diag)) return;
  out.propagate = TracePropagation::kW3c;  // the block turns tracing on
  if (const ConfigNode* n = node.find("propagate")) {
    constexpr std::string_view kNames[] = {"w3c", "b3", "none"};
    constexpr TracePropagation kValues[] = {TracePropagation::kW3c, TracePropagation::kB3,
                                            TracePropagation::kNone};
    if (auto i = readChoice(*n, diag, kNames)) out.propagate = kValues[*i];
  }
  if (const ConfigNode* n = node.find("sample_rate")) {
    if (!n->isScalar()) {
      diag.error(*n, "expected a percentage like 10%, got " + n->describe());
    } else if (auto ratio = parseRatio(n->scalar); !ratio.ok()) {
      diag.error(*n, ratio.error().message);
    } else {
      out.sample_rate = *ratio;
    }
  }
}

std::vector<std::string> upstreamNames(const ConfigNode* upstreams) {
  std::vector<std::string> names;
  if (upstreams == nullptr || !upstreams->isMap()) return names;
  for (const ConfigNode& entry : upstreams->children) names.push_back(entry.key);
  return names;
}

void readTopLevel(const ConfigNode& root, Config& out, Diagnostics& diag) {
  if (!root.isMap()) {
    diag.error(root, "expected a map of settings at the top level, got " + root.describe());
    return;
  }
  checkMap(root, keysAt(""), diag);
  if (const ConfigNode* n = root.find("workers")) readWorkers(*n, out, diag);
  if (const ConfigNode* n = root.find("log_level")) {
    if (auto i = readChoice(*n, diag, kLogLevelNames)) out.log_level = kLogLevels[*i];
  }
  if (const ConfigNode* n = root.find("admin")) readAdmin(*n, out.admin, diag);
  if (const ConfigNode* n = root.find("access_log")) readAccessLog(*n, out.access_log, diag);
  if (const ConfigNode* n = root.find("drain")) readDrain(*n, out.drain, diag);
  if (const ConfigNode* n = root.find("tracing")) readTracing(*n, out.tracing, diag);
  const ConfigNode* redis = root.find("redis");
  if (redis != nullptr) out.redis = readRedis(*redis, diag);
  const ConfigNode* upstreams = root.find("upstreams");
  out.upstreams = readUpstreams(upstreams, root.find("defaults"), diag);
  checkRedisUsers(upstreams, root.find("defaults"), redis != nullptr, diag);
  out.listeners = readListeners(root.find("listeners"), upstreamNames(upstreams), out.upstreams,
                                out.admin.listen, diag);
  pickHealthCheckTypes(out);
  out.provenance = traceProvenance(root);
}

SourceMark markOf(const YAML::Mark& m) {
  if (m.is_null()) return {};
  return SourceMark{m.line, m.column};
}

// Offset of the first byte that is not part of well-formed UTF-8 (RFC 3629: no overlong
// forms, surrogates or code points above U+10FFFF), or npos.
size_t firstInvalidUtf8(std::string_view s) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const auto cont = [&](size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < s.size() && byte(k) >= lo && byte(k) <= hi;
  };
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = byte(i);
    size_t n = 0;
    if (c < 0x80) {
      n = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = cont(i + 1) ? 2 : 0;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = cont(i + 1, c == 0xE0 ? 0xA0 : 0x80, c == 0xED ? 0x9F : 0xBF) && cont(i + 2) ? 3 : 0;
    } else if (c >= 0xF0 && c <= 0xF4) {
      const bool ok = cont(i + 1, c == 0xF0 ? 0x90 : 0x80, c == 0xF4 ? 0x8F : 0xBF) &&
                      cont(i + 2) && cont(i + 3);
      n = ok ? 4 : 0;
    }
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

void parseAndRead(std::string_view yaml, const EnvLookup& env, Config& out, Diagnostics& diag) {
  // yaml-cpp keeps such bytes in strings but its emitter writes U+FFFD for them, so the
  // config that --print-config and GET /config show would load into different values.
  if (const size_t bad = firstInvalidUtf8(yaml); bad != std::string_view::npos) {
    const size_t line_start = yaml.rfind('\n', bad) + 1;  // npos + 1 == 0
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(yaml[bad]));
    diag.error(SourceMark{static_cast<int>(std::count(yaml.begin(), yaml.begin() + bad, '\n')),
                          static_cast<int>(bad - line_start)},
               "", std::string("the file is not valid UTF-8 (byte ") + hex + ")");
    return;
  }
  const std::optional<YAML::Node> doc = parseSingleDocument(std::string(yaml), diag);
  if (!doc) return;
  if (doc->IsNull()) {
    if (diag.empty()) diag.error(SourceMark{}, "", "the file is empty");
    return;
  }
  const ConfigNode root = buildConfigTree(*doc, env, diag);
  readTopLevel(root, out, diag);
}

// The whole file, or an error message for people.
std::optional<std::string> readWholeFile(const std::string& path, std::string& content) {
  const auto sys_error = [](int err) { return std::generic_category().message(err); };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sys_error(errno);
  std::optional<std::string> error;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    error = sys_error(errno);
  } else if (S_ISDIR(st.st_mode)) {
    error = sys_error(EISDIR);
  } else {
    char buf[64 * 1024];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) error = sys_error(errno);
      if (n <= 0) break;
      content.append(buf, static_cast<size_t>(n));
      if (content.size() > kMaxFileBytes) {
        error = "the file is larger than 16MiB";
        break;
      }
    }
  }
  ::close(fd);
  return error;
}

}  // namespace

std::string LoadResult::formatErrors() const {
  std::string out;
  for (const ConfigError& e : errors) out += e.format() + "\n";
  return out;
}

EnvLookup processEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

LoadResult loadConfigString(std::string_view yaml, const std::string& file_name,
                            const EnvLookup& env) {
  Diagnostics diag(file_name.empty() ? "<config>" : file_name);
  Config config;
  try {
    parseAndRead(yaml, env, config, diag);
  } catch (const YAML::Exception& e) {
    diag.error(markOf(e.mark), "", "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    diag.error(SourceMark{}, "", std::string("cannot load the config: ") + e.what());
  }
  LoadResult result;
  result.errors = diag.take();
  if (result.errors.empty()) result.config = std::move(config);
  return result;
}

LoadResult loadConfigFile(const std::string& path, const EnvLookup& env) {
  std::string content;
  if (std::optional<std::string> error = readWholeFile(path, content)) {
    LoadResult result;
    result.errors.push_back(ConfigError{path, 0, 0, "", "cannot read file: " + *error});
    return result;
  }
  LoadResult result = loadConfigString(content, path, env);
  if (result.config) result.config->source_file = path;
  return result;
}

}  // namespace outrigger::config
