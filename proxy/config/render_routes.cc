// Renders one route for /config and --print-config, in a form that loads back the same.

#include "proxy/common/units.h"
#include "proxy/config/render_sections.h"
#include "proxy/http/grpc_status.h"

namespace outrigger::config {
namespace {

void renderMatch(ConfigWriter& out, const RouteConfig& r) {
  out.beginMap("match");
  out.scalar("host", r.host);
  if (r.path_exact.empty()) {
    out.scalar("path_prefix", r.path_prefix);
  } else {
    out.scalar("path_exact", r.path_exact);
  }
  if (!r.methods.empty()) out.scalarList("methods", r.methods);
  if (!r.headers.empty()) {
    out.beginMap("headers");
    for (const HeaderMatch& h : r.headers) {
      if (h.kind == HeaderMatch::Kind::kExact) {
        out.scalar(h.name, h.value);
        continue;
      }
      out.beginMap(h.name);
      out.scalar("present", h.kind == HeaderMatch::Kind::kPresent ? "true" : "false");
      out.endMap();
    }
    out.endMap();
  }
  out.endMap();
}

void renderEntries(ConfigWriter& out, std::string_view key, const std::vector<HeaderEntry>& list) {
  if (list.empty()) return;
  out.beginMap(key);
  for (const HeaderEntry& e : list) out.scalar(e.name, e.value.text);
  out.endMap();
}

void renderHeaderRewrite(ConfigWriter& out, std::string_view key, const HeaderRewrite& rw) {
  if (rw.empty()) return;
  out.beginMap(key);
  renderEntries(out, "set", rw.set);
  renderEntries(out, "add", rw.add);
  if (!rw.remove.empty()) out.scalarList("remove", rw.remove);
  out.endMap();
}

void renderRouteFallback(ConfigWriter& out, const RouteFallback& f) {
  if (f.empty()) return;
  out.beginMap("fallback");
  if (f.stale_off) out.scalar("stale_if_error", "off");
  if (f.response_off) {
    out.scalar("response", "off");
  } else if (f.response_keys()) {
    out.beginMap("response");
    if (f.status) out.scalar("status", std::to_string(*f.status));
    if (f.content_type) out.scalar("content_type", *f.content_type);
    if (f.body) out.scalar("body", *f.body);
    if (f.grpc_status) out.scalar("grpc_status", std::string(http::grpcStatusName(*f.grpc_status)));
    if (f.grpc_message) out.scalar("grpc_message", *f.grpc_message);
    out.endMap();
  }
  out.endMap();
}

// Only the keys the route sets: the rest stays the upstream's, also after a reload.
void renderRoutePolicy(ConfigWriter& out, const RouteConfig& r) {
  const RouteTimeouts& t = r.timeouts;
  if (!t.empty()) {
    out.beginMap("timeouts");
    if (t.request)
      out.scalar("request", *t.request == kNoRequestTimeout ? std::string("none")
                                                            : formatDuration(*t.request));
    if (t.per_try) out.scalar("per_try", formatDuration(*t.per_try));
    if (t.read) out.scalar("read", formatDuration(*t.read));
    if (t.write) out.scalar("write", formatDuration(*t.write));
    out.endMap();
  }
  if (!r.retry) return;
  const RetryOverrides& p = *r.retry;
  out.beginMap("retry");
  if (p.max_attempts) out.scalar("max_attempts", std::to_string(*p.max_attempts));
  if (p.backoff_initial || p.backoff_max || p.backoff_multiplier || p.backoff_jitter) {
    out.beginMap("backoff");
    if (p.backoff_initial) out.scalar("initial", formatDuration(*p.backoff_initial));
    if (p.backoff_max) out.scalar("max", formatDuration(*p.backoff_max));
    if (p.backoff_multiplier) out.scalar("multiplier", formatNumber(*p.backoff_multiplier));
    if (p.backoff_jitter)
      out.scalar("jitter", *p.backoff_jitter == policy::Jitter::kFull ? "full" : "none");
    out.endMap();
  }
  if (p.retry_on) out.normalisedList("retry_on", retryOnNames(*p.retry_on));
  if (p.methods)
    out.scalar("methods", *p.methods == policy::RetryMethods::kAll ? "all" : "idempotent");
  if (p.max_body_bytes) out.scalar("max_body_bytes", formatSize(*p.max_body_bytes));
  if (p.respect_retry_after)
    out.scalar("respect_retry_after", *p.respect_retry_after ? "true" : "false");
  out.endMap();
}

}  // namespace

void renderRoute(ConfigWriter& out, const RouteConfig& r, size_t index) {
  out.beginItemMap();
  if (r.name != "routes[" + std::to_string(index) + "]") out.scalar("name", r.name);
  if (r.path_exact.empty() && r.methods.empty() && r.headers.empty()) {
    out.scalar("host", r.host);
    out.scalar("path_prefix", r.path_prefix);
  } else {
    renderMatch(out, r);
  }
  if (r.direct_response) {
    out.beginMap("direct_response");
    out.scalar("status", std::to_string(r.direct_response->status));
    out.scalar("content_type", r.direct_response->content_type);
    out.scalar("body", r.direct_response->body);
    out.endMap();
  } else if (!r.split.empty()) {
    out.beginList("split");
    for (const SplitTarget& t : r.split) {
      out.beginItemMap();
      out.scalar("upstream", t.upstream);
      out.scalar("weight", std::to_string(t.weight));
      out.endMap();
    }
    out.endList();
  } else {
    out.scalar("upstream", r.upstream);
  }
  out.scalar("preserve_host", r.preserve_host ? "true" : "false");
  out.scalarList("upgrades", r.upgrades);
  if (r.connect) out.scalar("connect", "true");
  const RouteRewrite& rw = r.rewrite;
  if (rw.prefix_rewrite) out.scalar("prefix_rewrite", *rw.prefix_rewrite);
  if (!rw.host_rewrite.empty()) out.scalar("host_rewrite", rw.host_rewrite);
  renderHeaderRewrite(out, "request_headers", rw.request);
  renderHeaderRewrite(out, "response_headers", rw.response);
  renderRoutePolicy(out, r);
  renderRouteFallback(out, r.fallback);
  out.endMap();
}

}  // namespace outrigger::config
