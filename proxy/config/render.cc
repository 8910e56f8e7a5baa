#include "proxy/config/render.h"

#include <cstdio>

#include "proxy/common/units.h"
#include "proxy/config/config_writer.h"
#include "proxy/config/render_sections.h"

namespace outrigger::config {
namespace {

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

void renderRedis(ConfigWriter& out, const RedisConfig& r) {
  out.beginMap("redis");
  out.scalar("address", r.address);
  if (!r.username.empty()) out.scalar("username", r.username);
  // Left out when unset, as admin.token is.
  if (!r.password.empty()) out.secret("password", r.password);
  out.scalar("database", std::to_string(r.database));
  out.scalar("key_prefix", r.key_prefix);
  out.beginMap("timeouts");
  out.scalar("connect", formatDuration(r.connect_timeout));
  out.scalar("command", formatDuration(r.command_timeout));
  out.endMap();
  out.endMap();
}

void renderTopLevel(ConfigWriter& out, const Config& config) {
  out.scalar("workers", std::to_string(config.workers));
  out.scalar("log_level", logLevelName(config.log_level));
  out.beginMap("admin");
  out.scalar("listen", hostPortText(config.admin.listen));
  // Left out when unset: "<redacted>" would suggest there is a token.
  if (!config.admin.token.empty()) out.secret("token", config.admin.token);
  out.endMap();
  out.beginMap("access_log");
  out.scalar("path", config.access_log.enabled ? config.access_log.path : std::string("off"));
  out.endMap();
  out.beginMap("drain");
  out.scalar("grace", formatDuration(config.drain.grace));
  out.scalar("timeout", formatDuration(config.drain.timeout));
  out.endMap();
  if (config.tracing.propagate != TracePropagation::kNone) {
    out.beginMap("tracing");
    out.scalar("propagate", config.tracing.propagate == TracePropagation::kB3 ? "b3" : "w3c");
    out.scalar("sample_rate", formatRatio(config.tracing.sample_rate));
    out.endMap();
  }
  if (config.redis) renderRedis(out, *config.redis);
}

}  // namespace

std::string hostPortText(const HostPort& hp) {
  if (!hp.text.empty()) return hp.text;
  const bool v6 = hp.host.find(':') != std::string::npos;
  return (v6 ? "[" + hp.host + "]" : hp.host) + ":" + std::to_string(hp.port);
}

void renderListener(ConfigWriter& out, const ListenerConfig& l) {
  out.beginItemMap();
  out.scalar("name", l.name);
  out.scalar("listen", hostPortText(l.listen));
  if (l.socket_mode >= 0) {
    char mode[16];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(l.socket_mode));
    out.scalar("socket_mode", mode);
  }
  if (l.protocol == ListenerProtocol::kTcp) {
    out.scalar("protocol", "tcp");
    out.scalar("upstream", l.upstream);
    out.endMap();
    return;
  }
  out.scalar("protocol", "http");
  out.beginMap("limits");
  out.scalar("max_request_head", formatSize(l.limits.max_request_head));
  out.scalar("header_timeout", formatDuration(l.limits.header_timeout));
  out.scalar("idle_timeout", formatDuration(l.limits.idle_timeout));
  out.scalar("max_headers", std::to_string(l.limits.max_headers));
  out.scalar("max_connections", std::to_string(l.limits.max_connections));
  out.scalar("max_request_body", formatSize(l.limits.max_request_body));
  out.scalar("request_buffer", formatSize(l.limits.request_buffer));
  constexpr const char* kUnderscores[] = {"allow", "drop", "reject"};
  out.scalar("headers_with_underscores",
             kUnderscores[static_cast<int>(l.limits.headers_with_underscores)]);
  out.endMap();
  out.beginMap("http2");
  out.scalar("max_concurrent_streams", std::to_string(l.http2.max_concurrent_streams));
  out.scalar("initial_window", formatSize(l.http2.initial_window));
  out.endMap();
  out.beginList("routes");
  for (size_t i = 0; i < l.routes.size(); ++i) renderRoute(out, l.routes[i], i);
  out.endList();
  out.endMap();
}

// Only the keys that are set: an absent sni or ca_file has a meaning of its own.
void renderTls(ConfigWriter& out, const TlsConfig& tls) {
  out.beginMap("tls");
  if (!tls.sni.empty()) out.scalar("sni", tls.sni);
  out.scalar("verify", tls.verify ? "true" : "false");
  if (!tls.ca_file.empty()) out.scalar("ca_file", tls.ca_file);
  if (!tls.cert_file.empty()) out.scalar("cert_file", tls.cert_file);
  if (!tls.key_file.empty()) out.scalar("key_file", tls.key_file);
  out.scalar("min_version", tls.min_version == TlsVersion::k1_3 ? "1.3" : "1.2");
  out.endMap();
}

void renderUpstream(ConfigWriter& out, const UpstreamConfig& u) {
  out.beginMap(u.name);
  std::vector<std::string> endpoints;
  for (const HostPort& e : u.endpoints) endpoints.push_back(hostPortText(e));
  out.scalarList("endpoints", endpoints);
  out.scalar("load_balancing",
             u.load_balancing == LoadBalancing::kLeastRequest ? "least_request" : "round_robin");
  out.beginMap("pool");
  out.scalar("max_connections", std::to_string(u.pool.max_connections));
  out.scalar("max_idle", std::to_string(u.pool.max_idle));
  out.scalar("idle_timeout", formatDuration(u.pool.idle_timeout));
  out.scalar("max_requests_per_connection", std::to_string(u.pool.max_requests_per_connection));
  out.endMap();
  const TimeoutsConfig& t = u.timeouts;
  out.beginMap("timeouts");
  out.scalar("connect", formatDuration(t.connect));
  out.scalar("write", formatDuration(t.write));
  out.scalar("read", formatDuration(t.read));
  out.scalar("pool", formatDuration(t.pool));
  if (t.per_try != Duration::zero()) out.scalar("per_try", formatDuration(t.per_try));
  out.scalar("request",
             t.request == kNoRequestTimeout ? std::string("none") : formatDuration(t.request));
  out.scalar("tunnel_idle", formatDuration(t.tunnel_idle));
  out.endMap();
  out.beginMap("limits");
  out.scalar("max_response_head", formatSize(u.limits.max_response_head));
  out.scalar("response_buffer", formatSize(u.limits.response_buffer));
  out.endMap();
  out.scalar("dns_refresh", formatDuration(u.dns_refresh));
  constexpr const char* kProtocols[] = {"http1", "http2", "auto"};
  out.scalar("protocol", kProtocols[static_cast<int>(u.protocol)]);
  if (u.protocol != UpstreamProtocol::kHttp1) {
    out.beginMap("http2");
    out.scalar("max_concurrent_streams", std::to_string(u.http2.max_concurrent_streams));
    out.beginMap("keepalive");
    out.scalar("interval", formatDuration(u.http2.keepalive_interval));
    out.scalar("timeout", formatDuration(u.http2.keepalive_timeout));
    out.endMap();
    out.endMap();
  }
  if (u.tls) renderTls(out, *u.tls);
  renderPolicies(out, u.policies);
  out.endMap();
}

std::string renderConfigYaml(const Config& config, const RenderOptions& options) {
  ConfigWriter out(config.provenance, options.redact_secrets);
  renderTopLevel(out, config);
  out.beginList("listeners");
  for (const ListenerConfig& l : config.listeners) renderListener(out, l);
  out.endList();
  out.beginMap("upstreams");
  for (const UpstreamConfig& u : config.upstreams) renderUpstream(out, u);
  out.endMap();
  return out.finish();
}

}  // namespace outrigger::config
