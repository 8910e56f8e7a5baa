#include "proxy/cli/route_text.h"

namespace outrigger::cli {
namespace {

std::string headerList(const std::vector<config::HeaderEntry>& entries) {
  std::string out;
  for (const config::HeaderEntry& e : entries)
    out += (out.empty() ? "" : ", ") + e.name + ": " + e.value.text;
  return out;
}

std::string nameList(const std::vector<std::string>& names, std::string_view separator) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : std::string(separator)) + n;
  return out;
}

void addHeaderRows(std::vector<std::pair<std::string, std::string>>& rows, const std::string& side,
                   const config::HeaderRewrite& rewrite) {
  if (!rewrite.remove.empty()) rows.emplace_back(side + ".remove", nameList(rewrite.remove, ", "));
  if (!rewrite.set.empty()) rows.emplace_back(side + ".set", headerList(rewrite.set));
  if (!rewrite.add.empty()) rows.emplace_back(side + ".add", headerList(rewrite.add));
}

}  // namespace

std::string routeConditions(const config::RouteConfig& route) {
  std::string out = "host " + route.host;
  out += route.path_exact.empty() ? ", path_prefix " + route.path_prefix
                                  : ", path_exact " + route.path_exact;
  if (!route.methods.empty()) out += ", methods " + nameList(route.methods, "|");
  for (const config::HeaderMatch& h : route.headers) {
    switch (h.kind) {
      case config::HeaderMatch::Kind::kExact:
        out += ", header " + h.name + ": " + h.value;
        break;
      case config::HeaderMatch::Kind::kPresent:
        out += ", header " + h.name + " present";
        break;
      case config::HeaderMatch::Kind::kAbsent:
        out += ", header " + h.name + " absent";
        break;
    }
  }
  if (route.preserve_host) out += ", preserve_host";
  return out;
}

std::vector<std::pair<std::string, std::string>> routeChangeRows(const config::RouteConfig& route) {
  std::vector<std::pair<std::string, std::string>> rows;
  if (route.direct_response) {
    const config::StaticResponseConfig& r = *route.direct_response;
    rows.emplace_back("answer", "direct_response " + std::to_string(r.status) + " (" +
                                    r.content_type + ", " + std::to_string(r.body.size()) +
                                    " bytes), no upstream");
  }
  const config::RouteRewrite& rw = route.rewrite;
  if (rw.prefix_rewrite)
    rows.emplace_back("prefix_rewrite", rw.replaced_path + " -> " + *rw.prefix_rewrite);
  if (!rw.host_rewrite.empty()) rows.emplace_back("host_rewrite", rw.host_rewrite);
  addHeaderRows(rows, "request_headers", rw.request);
  addHeaderRows(rows, "response_headers", rw.response);
  return rows;
}

}  // namespace outrigger::cli
