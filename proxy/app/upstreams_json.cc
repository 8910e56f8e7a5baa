#include "proxy/app/upstreams_json.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "proxy/log/access_log.h"
#include "proxy/metrics/metrics.h"
#include "proxy/policy/circuit_breaker.h"

namespace outrigger::app {
namespace {

void key(std::string& out, const char* name) {
  out += '"';
  out += name;
  out += "\":";
}

void number(std::string& out, const char* name, double value) {
  key(out, name);
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.6g", value);
  out += buffer;
  out += ',';
}

void integer(std::string& out, const char* name, int64_t value) {
  key(out, name);
  out += std::to_string(value);
  out += ',';
}

void boolean(std::string& out, const char* name, bool value) {
  key(out, name);
  out += value ? "true," : "false,";
}

void text(std::string& out, const char* name, std::string_view value) {
  key(out, name);
  log::appendJsonString(value, out);
  out += ',';
}

// Objects are written with a trailing comma after every member; this closes one.
void close(std::string& out, char bracket) {
  if (out.back() == ',') out.pop_back();
  out += bracket;
  out += ',';
}

void appendBreaker(std::string& out, const upstream::UpstreamPolicies::Status& status) {
  key(out, "circuit_breaker");
  if (!status.breaker) {
    out += "null,";
    return;
  }
  const auto& b = *status.breaker;
  out += '{';
  text(out, "state", policy::breakerStateName(b.state));
  integer(out, "open_remaining_ms", toMillis(b.open_remaining));
  integer(out, "window_calls", static_cast<int64_t>(b.window.calls));
  integer(out, "window_failures", static_cast<int64_t>(b.window.failures));
  integer(out, "window_slow", static_cast<int64_t>(b.window.slow));
  close(out, '}');
}

void appendBulkhead(std::string& out, const upstream::UpstreamPolicies::Status& status) {
  key(out, "bulkhead");
  if (!status.bulkhead) {
    out += "null,";
    return;
  }
  const auto& b = *status.bulkhead;
  out += '{';
  integer(out, "active", b.active);
  integer(out, "queued", b.queued);
  integer(out, "max_concurrent", b.max_concurrent);
  integer(out, "max_queue", b.max_queue);
  close(out, '}');
}

void appendRateLimit(std::string& out, const upstream::UpstreamPolicies::Status& status) {
  key(out, "rate_limit");
  if (!status.rate_limit) {
    out += "null,";
    return;
  }
  const auto& r = *status.rate_limit;
  out += '{';
  number(out, "tokens", r.tokens);
  number(out, "requests_per_second", r.requests_per_second);
  number(out, "burst", r.burst);
  text(out, "scope", r.global ? "global" : "local");
  if (r.global) {
    integer(out, "fleet_size", r.global->fleet_size);
    integer(out, "lease", static_cast<int64_t>(r.global->lease));
    integer(out, "tokens_left", r.global->tokens_left);
    boolean(out, "store_ok", r.global->store_ok);
    number(out, "rate_per_second", r.global->rate_per_second);
  }
  close(out, '}');
}

void appendTls(std::string& out, const upstream::Upstream& u) {
  key(out, "tls");
  const upstream::UpstreamTls* tls = u.tls();
  if (tls == nullptr) {
    out += "null,";
    return;
  }
  out += '{';
  boolean(out, "verify", tls->config().verify);
  text(out, "sni", tls->config().sni);  // "" = each endpoint's host
  text(out, "client_certificate", tls->clientCertificate());
  integer(out, "rotations", static_cast<int64_t>(tls->generation() - 1));
  close(out, '}');
}

// Tunnels open now, by kind (outrigger_tunnels_active): each holds a connection to the
// upstream and, with a bulkhead, one of its slots.
void appendTunnels(std::string& out, const upstream::Upstream& u) {
  key(out, "tunnels");
  out += '{';
  for (const metrics::TunnelKind kind :
       {metrics::TunnelKind::kWebSocket, metrics::TunnelKind::kConnect,
        metrics::TunnelKind::kTcp}) {
    const std::string name(metrics::tunnelKindName(kind));
    integer(out, name.c_str(), u.metrics().tunnelsOpen(kind));
  }
  close(out, '}');
}

void appendEndpoints(std::string& out, const upstream::Upstream& u,
                     const upstream::UpstreamPolicies::Status& status) {
  key(out, "endpoints");
  out += '[';
  for (size_t i = 0; i < u.endpointCount(); ++i) {
    const auto& pool = u.connections(i);
    const Duration ejected =
        i < status.ejected_remaining.size() ? status.ejected_remaining[i] : Duration::zero();
    out += '{';
    text(out, "address", u.endpoint(i).text);
    boolean(out, "resolved", u.resolved(i));
    boolean(out, "healthy", u.healthy(i));
    boolean(out, "ejected", ejected > Duration::zero());
    integer(out, "ejected_remaining_ms", toMillis(ejected));
    key(out, "pool");
    out += '{';
    integer(out, "active", pool.active.load(std::memory_order_relaxed));
    integer(out, "idle", pool.idle.load(std::memory_order_relaxed));
    integer(out, "connecting", pool.connecting.load(std::memory_order_relaxed));
    if (u.config().protocol != config::UpstreamProtocol::kHttp1)
      integer(out, "http2_streams", pool.streams.load(std::memory_order_relaxed));
    close(out, '}');
    close(out, '}');
  }
  close(out, ']');
}

void appendUpstream(std::string& out, const upstream::Upstream& u, MonoTime now) {
  const upstream::UpstreamPolicies::Status status = u.policies().status(now);
  out += '{';
  text(out, "name", u.name());
  appendBreaker(out, status);
  appendBulkhead(out, status);
  appendRateLimit(out, status);
  appendTls(out, u);
  appendTunnels(out, u);
  integer(out, "stale_entries", static_cast<int64_t>(status.stale_entries));
  // Where stale copies are kept (memory, or redis shared by the fleet); null without
  // fallback.stale_if_error.
  const auto& stale = u.config().policies.fallback.stale_if_error;
  if (stale) {
    text(out, "stale_store", config::staleStoreName(stale->store));
  } else {
    key(out, "stale_store");
    out += "null,";
  }
  boolean(out, "panic", u.panic());
  appendEndpoints(out, u, status);
  close(out, '}');
}

}  // namespace

std::string upstreamsJson(const exchange::Snapshot& snapshot, MonoTime now,
                          const StoreStatus* store) {
  // In config order, so the output is stable between calls.
  std::string out = "{";
  integer(out, "generation", static_cast<int64_t>(snapshot.generation));
  key(out, "store");
  if (store != nullptr) {
    out += '{';
    text(out, "address", store->address);
    boolean(out, "connected", store->connected);
    text(out, "last_error", store->last_error);
    close(out, '}');
  } else {
    out += "null,";
  }
  key(out, "upstreams");
  out += '[';
  for (const auto& u : snapshot.config->upstreams) {
    auto found = snapshot.upstreams.find(u.name);
    if (found != snapshot.upstreams.end()) appendUpstream(out, *found->second, now);
  }
  close(out, ']');
  close(out, '}');
  out.pop_back();  // the top-level object has no trailing comma
  out += '\n';
  return out;
}

}  // namespace outrigger::app
