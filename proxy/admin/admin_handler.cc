#include "proxy/admin/admin_handler.h"

#include "proxy/admin/status_page.h"

#include <algorithm>
#include <utility>

namespace outrigger::admin {

AdminResponse textResponse(int status, std::string body) {
  return AdminResponse(status, kTextContentType, std::move(body));
}

AdminHandler::AdminHandler(metrics::Metrics& metrics) : metrics_(metrics) {
  addRoute("GET", "/",
           [](const AdminRequest&) {
             return AdminResponse(200, kHtmlContentType, std::string(statusPageHtml()));
           },
           {"status page for people (HTML)", false});
  addRoute("GET", "/help", [this](const AdminRequest&) { return index(); },
           {"this list", false});
  addRoute("GET", "/metrics",
           [this](const AdminRequest&) {
             return AdminResponse(200, kPrometheusContentType, metrics_.serialize());
           },
           {"Prometheus metrics", false});
  addRoute("GET", "/healthz", [](const AdminRequest&) { return textResponse(200, "ok\n"); },
           {"liveness: 200 while the process runs", false});
  addRoute("GET", "/ready",
           [this](const AdminRequest&) {
             return ready() ? textResponse(200, "ready\n") : textResponse(503, "not ready\n");
           },
           {"readiness: 200 when serving, 503 while starting or draining", false});
}

void AdminHandler::addRoute(std::string method, std::string path, Handler handler,
                            RouteOptions options) {
  for (Route& route : routes_) {
    if (route.method == method && route.path == path) {
      route.handler = std::move(handler);
      route.options = std::move(options);
      return;
    }
  }
  routes_.push_back(
      Route{std::move(method), std::move(path), std::move(handler), std::move(options)});
}

AdminResponse AdminHandler::handle(const AdminRequest& request) const {
  bool path_known = false;
  for (const Route& route : routes_) {
    if (route.path != request.path) continue;
    path_known = true;
    if (route.method != request.method) continue;
    if (route.options.loopback_only && !mayMutate(request)) {
      return textResponse(403, token_.empty()
                                   ? "forbidden: only from loopback\n"
                                   : "forbidden: only from loopback or with the admin token\n");
    }
    return route.handler(request);
  }
  if (path_known) return methodNotAllowed(request.path);
  return textResponse(404, "not found; see / for the endpoints\n");
}

bool AdminHandler::mayMutate(const AdminRequest& request) const {
  if (request.from_loopback) return true;
  if (token_.empty()) return false;
  const std::string expected = "Bearer " + token_;
  const std::string& got = request.authorization;
  // Compared in constant time, so the answer's timing does not leak the token.
  unsigned char diff = got.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    diff |= static_cast<unsigned char>(expected[i] ^ (i < got.size() ? got[i] : 0));
  }
  return diff == 0;
}

AdminResponse AdminHandler::methodNotAllowed(const std::string& path) const {
  std::string allow;
  for (const Route& route : routes_) {
    if (route.path != path) continue;
    if (!allow.empty()) allow += ", ";
    allow += route.method;
  }
  AdminResponse response = textResponse(405, "method not allowed; allowed: " + allow + "\n");
  response.headers.push_back(http::Header{"Allow", allow});
  return response;
}

AdminResponse AdminHandler::index() const {
  std::string body = "outrigger admin\n\n";
  for (const Route& route : routes_) {
    if (route.options.description.empty()) continue;
    std::string line = route.method + " " + route.path;
    line.resize(std::max<size_t>(line.size() + 1, 20), ' ');
    body += line + route.options.description + "\n";
  }
  return textResponse(200, std::move(body));
}

}  // namespace outrigger::admin
