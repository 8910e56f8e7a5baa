#include "proxy/cli/explain.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "proxy/cli/effective_policy.h"
#include "proxy/cli/request_url.h"
#include "proxy/cli/route_text.h"
#include "proxy/cli/text_table.h"
#include "proxy/config/config_writer.h"
#include "proxy/config/route_policy.h"
#include "proxy/http/head_checks.h"
#include "proxy/routing/router.h"

namespace outrigger::cli {
namespace {

std::optional<Error> checkMethod(const std::string& method) {
  const auto bad = [](std::string message) {
    return Error{"bad_method", ErrorSource::kDownstream, false, std::move(message)};
  };
  if (method.empty() || !std::all_of(method.begin(), method.end(), http::isTokenChar)) {
    return bad("invalid method '" + method + "'");
  }
  if (std::any_of(method.begin(), method.end(),
                  [](char c) { return std::islower(static_cast<unsigned char>(c)); })) {
    std::string upper = method;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return bad("methods are case-sensitive: write '" + upper + "', not '" + method + "'");
  }
  return std::nullopt;
}

// The listener whose port is the URL's. Several listeners may share a port on different
// addresses: the one on the URL's host wins, else the first.
const config::ListenerConfig* findListener(const config::Config& config, const RequestUrl& url) {
  const config::ListenerConfig* first = nullptr;
  for (const config::ListenerConfig& l : config.listeners) {
    if (l.isUnix() || l.listen.port != url.port) continue;
    if (l.listen.host == withoutBrackets(url.host)) return &l;
    if (first == nullptr) first = &l;
  }
  return first;
}

std::string listenerList(const config::Config& config) {
  std::string out;
  for (const config::ListenerConfig& l : config.listeners) {
    out += (out.empty() ? "" : ", ") + l.name + " on " + l.listen.text;
    if (l.listen.port == 0 && !l.isUnix()) out += " (any free port)";
  }
  return out;
}

// The router's routes are copies of the listener's, told apart by their unique names.
size_t routeIndex(const config::ListenerConfig& listener, const config::RouteConfig& route) {
  for (size_t i = 0; i < listener.routes.size(); ++i) {
    if (listener.routes[i].name == route.name) return i;
  }
  return 0;
}

std::string routeText(const config::Config& config, const config::ListenerConfig& listener,
                      const config::RouteConfig& route) {
  const size_t listener_index = static_cast<size_t>(&listener - config.listeners.data());
  const std::string index = "routes[" + std::to_string(routeIndex(listener, route)) + "]";
  const std::string named = route.name == index ? "" : " (" + route.name + ")";
  return "listeners[" + std::to_string(listener_index) + "]." + index + named + ": " +
         routeConditions(route);
}

// The request's headers, for routes that match on them.
http::Headers requestHeaders(const ExplainRequest& request) {
  http::Headers headers;
  for (const std::string& line : request.headers) {
    const size_t colon = line.find(':');
    const size_t value = line.find_first_not_of(" \t", colon + 1);
    headers.add(line.substr(0, colon), value == std::string::npos ? "" : line.substr(value));
  }
  return headers;
}

bool isOffRow(const PolicyRow& row) { return row.value == "off" || row.value.starts_with("off "); }

// The policy the route's requests get: `upstream` is already merged with the route's keys
// (config::effectiveUpstream), and the rows of those keys say they came from the route.
std::string policyTable(const config::UpstreamConfig& upstream,
                        const config::ConfigProvenance& provenance,
                        const config::RouteConfig& route) {
  std::vector<PolicyRow> rows = effectivePolicyRows(upstream, provenance);
  const std::vector<std::string> overridden = config::routeOverrideKeys(route);
  for (PolicyRow& row : rows) {
    if (std::find(overridden.begin(), overridden.end(), row.key) != overridden.end())
      row.source = "route " + route.name;
  }
  TextTable table;
  // A header instead of parentheses: "profile batch (upstream)" is already parenthesised.
  table.addRow({"key", "value", "from"});
  for (size_t i = 0; i < rows.size(); ++i) {
    const PolicyRow& row = rows[i];
    if (!row.key.empty()) {
      table.addRow({row.key, row.value, row.source});
      continue;
    }
    // Blocks that are off take one line each; a blank line between two of them only
    // spreads the output.
    const bool between_offs =
        i > 0 && i + 1 < rows.size() && isOffRow(rows[i - 1]) && isOffRow(rows[i + 1]);
    if (!between_offs) table.addRow({});
  }
  return table.render("  ");
}

std::string routeList(const config::ListenerConfig& listener) {
  std::string out;
  for (const config::RouteConfig& r : listener.routes) {
    out +=
        (out.empty() ? "" : "; ") + std::string("host ") + r.host + " path_prefix " + r.path_prefix;
  }
  return out;
}

// A split target's share of the requests: "95%", "33.33%".
std::string formatShare(uint64_t weight, uint64_t total) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g%%",
                100.0 * static_cast<double>(weight) / static_cast<double>(total));
  return text;
}

// "policy of upstream 'x' (with the overrides of route r):" and its table.
std::string policySection(const config::Config& config, const config::UpstreamConfig& upstream,
                          const config::RouteConfig& route, const std::string& share) {
  const config::UpstreamConfig effective = config::effectiveUpstream(upstream, route);
  const std::vector<std::string> overridden = config::routeOverrideKeys(route);
  std::string title = "policy of upstream '" + upstream.name + "'" + share;
  if (!overridden.empty()) title += " with the overrides of route " + route.name;
  return title + ":\n" + policyTable(effective, config.provenance, route);
}

Error unknownUpstream(const std::string& name) {  // the loader checks every route's upstreams
  return Error{"internal", ErrorSource::kInternal, false,
               "route names unknown upstream '" + name + "'"};
}

// A split: each upstream's share, then each one's policy as the route's requests get it.
Result<Explanation> explainSplit(const config::Config& config, const ExplainRequest& request,
                                 const config::RouteConfig& route, TextTable& head,
                                 Explanation out) {
  uint64_t total = 0;
  for (const config::SplitTarget& t : route.split) total += t.weight;
  std::string shares;
  std::string sections;
  for (const config::SplitTarget& t : route.split) {
    const config::UpstreamConfig* upstream = config.findUpstream(t.upstream);
    if (upstream == nullptr) return unknownUpstream(t.upstream);
    const std::string share = formatShare(t.weight, total);
    shares += (shares.empty() ? "" : ", ") + t.upstream + " " + share;
    sections +=
        "\n" + policySection(config, *upstream, route, " (" + share + " of the requests)") +
        "  attempts: " + attemptsFor(config::effectiveUpstream(*upstream, route), request.method) +
        "\n";
  }
  head.addRow({"upstream", "split by weight: " + shares});
  out.routed = true;
  out.text += head.render() + sections;
  return out;
}

}  // namespace

Result<Explanation> explainRequest(const config::Config& config, const ExplainRequest& request) {
  if (std::optional<Error> error = checkMethod(request.method)) return *error;
  Result<RequestUrl> url = parseRequestUrl(request.url);
  if (!url) return url.error();
  const std::string host(hostWithoutPort(request.host.empty() ? url->host : request.host));

  Explanation out;
  out.text =
      request.method + " " + request.url + "  (Host: " + host + ", path " + url->path + ")\n\n";
  TextTable head;
  const config::ListenerConfig* listener = findListener(config, *url);
  if (listener == nullptr) {
    head.addRow({"listener", "none on port " + std::to_string(url->port) +
                                 " (listeners: " + listenerList(config) + ")"});
    out.text += head.render();
    return out;
  }
  head.addRow({"listener", listener->name + " (" + listener->listen.text + ")"});
  const routing::Router router(*listener);
  const http::Headers headers = requestHeaders(request);
  const config::RouteConfig* route =
      router.match(routing::RouteRequest{host, url->path, request.method, &headers});
  if (route == nullptr) {
    head.addRow(
        {"route", "none: the request gets 404 no_route (routes: " + routeList(*listener) + ")"});
    out.text += head.render();
    return out;
  }
  head.addRow({"route", routeText(config, *listener, *route)});
  for (const auto& [label, text] : routeChangeRows(*route)) head.addRow({label, text});
  if (route->direct_response) {
    out.routed = true;
    out.text += head.render();
    return out;
  }
  if (!route->split.empty()) return explainSplit(config, request, *route, head, std::move(out));
  const config::UpstreamConfig* upstream = config.findUpstream(route->upstream);
  if (upstream == nullptr) return unknownUpstream(route->upstream);
  const config::UpstreamConfig effective = config::effectiveUpstream(*upstream, *route);
  head.addRow({"upstream", upstream->name});
  head.addRow({"attempts", attemptsFor(effective, request.method)});
  out.routed = true;
  out.text += head.render() + "\n" + policySection(config, *upstream, *route, "");
  return out;
}

}  // namespace outrigger::cli
