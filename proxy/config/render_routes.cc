// Renders one route for /config and --print-config, in a form that loads back the same.

#include "proxy/config/render_sections.h"

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
  } else {
    out.scalar("upstream", r.upstream);
  }
  out.scalar("preserve_host", r.preserve_host ? "true" : "false");
  const RouteRewrite& rw = r.rewrite;
  if (rw.prefix_rewrite) out.scalar("prefix_rewrite", *rw.prefix_rewrite);
  if (!rw.host_rewrite.empty()) out.scalar("host_rewrite", rw.host_rewrite);
  renderHeaderRewrite(out, "request_headers", rw.request);
  renderHeaderRewrite(out, "response_headers", rw.response);
  out.endMap();
}

}  // namespace outrigger::config
