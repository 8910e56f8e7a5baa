#include "proxy/config/render.h"

#include <yaml-cpp/yaml.h>

#include "proxy/common/units.h"

namespace outrigger::config {
namespace {

// Text read back by the loader goes through ${VAR} substitution, so a literal '$' must be
// written as "$$".
std::string escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '$') out += '$';
  }
  return out;
}

std::string hostPort(const HostPort& hp) {
  if (!hp.text.empty()) return escaped(hp.text);
  const bool v6 = hp.host.find(':') != std::string::npos;
  return (v6 ? "[" + hp.host + "]" : hp.host) + ":" + std::to_string(hp.port);
}

const char* logLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void renderListener(YAML::Emitter& out, const ListenerConfig& l) {
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << escaped(l.name);
  out << YAML::Key << "listen" << YAML::Value << hostPort(l.listen);
  out << YAML::Key << "limits" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "max_request_head" << YAML::Value << formatSize(l.limits.max_request_head);
  out << YAML::Key << "header_timeout" << YAML::Value << formatDuration(l.limits.header_timeout);
  out << YAML::Key << "idle_timeout" << YAML::Value << formatDuration(l.limits.idle_timeout);
  out << YAML::EndMap;
  out << YAML::Key << "routes" << YAML::Value << YAML::BeginSeq;
  for (const RouteConfig& r : l.routes) {
    out << YAML::BeginMap;
    out << YAML::Key << "host" << YAML::Value << escaped(r.host);
    out << YAML::Key << "path_prefix" << YAML::Value << escaped(r.path_prefix);
    out << YAML::Key << "upstream" << YAML::Value << escaped(r.upstream);
    out << YAML::Key << "preserve_host" << YAML::Value << r.preserve_host;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
}

void renderUpstream(YAML::Emitter& out, const UpstreamConfig& u) {
  out << YAML::Key << escaped(u.name) << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "endpoints" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const HostPort& e : u.endpoints) out << hostPort(e);
  out << YAML::EndSeq;
  out << YAML::Key << "load_balancing" << YAML::Value
      << (u.load_balancing == LoadBalancing::kLeastRequest ? "least_request" : "round_robin");
  out << YAML::Key << "pool" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "max_connections" << YAML::Value << u.pool.max_connections;
  out << YAML::Key << "max_idle" << YAML::Value << u.pool.max_idle;
  out << YAML::Key << "idle_timeout" << YAML::Value << formatDuration(u.pool.idle_timeout);
  out << YAML::Key << "max_requests_per_connection" << YAML::Value
      << u.pool.max_requests_per_connection;
  out << YAML::EndMap;
  const TimeoutsConfig& t = u.timeouts;
  out << YAML::Key << "timeouts" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "connect" << YAML::Value << formatDuration(t.connect);
  out << YAML::Key << "write" << YAML::Value << formatDuration(t.write);
  out << YAML::Key << "read" << YAML::Value << formatDuration(t.read);
  out << YAML::Key << "pool" << YAML::Value << formatDuration(t.pool);
  if (t.per_try != Duration::zero()) {
    out << YAML::Key << "per_try" << YAML::Value << formatDuration(t.per_try);
  }
  out << YAML::Key << "request" << YAML::Value << formatDuration(t.request);
  out << YAML::EndMap;
  out << YAML::Key << "dns_refresh" << YAML::Value << formatDuration(u.dns_refresh);
  out << YAML::EndMap;
}

}  // namespace

std::string renderConfigYaml(const Config& config) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "workers" << YAML::Value << config.workers;
  out << YAML::Key << "log_level" << YAML::Value << logLevelName(config.log_level);
  out << YAML::Key << "admin" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "listen" << YAML::Value << hostPort(config.admin.listen);
  out << YAML::EndMap;
  out << YAML::Key << "access_log" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "path" << YAML::Value
      << (config.access_log.enabled ? escaped(config.access_log.path) : std::string("off"));
  out << YAML::EndMap;
  out << YAML::Key << "drain" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "grace" << YAML::Value << formatDuration(config.drain.grace);
  out << YAML::Key << "timeout" << YAML::Value << formatDuration(config.drain.timeout);
  out << YAML::EndMap;
  out << YAML::Key << "listeners" << YAML::Value << YAML::BeginSeq;
  for (const ListenerConfig& l : config.listeners) renderListener(out, l);
  out << YAML::EndSeq;
  out << YAML::Key << "upstreams" << YAML::Value << YAML::BeginMap;
  for (const UpstreamConfig& u : config.upstreams) renderUpstream(out, u);
  out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace outrigger::config
