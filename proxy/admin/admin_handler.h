#pragma once
// Answers requests on the admin port (DESIGN §7). Pure: the admin listener parses a request,
// calls handle() on the main thread and writes the response back.

#include <atomic>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "proxy/http/message.h"
#include "proxy/metrics/metrics.h"

namespace outrigger::admin {

struct AdminRequest {
  std::string method;
  std::string path;   // without the query
  std::string query;  // without the '?'
  std::string body;
  bool from_loopback = false;
  std::string authorization;  // the Authorization header, "" when absent
};

struct AdminResponse {
  // A constructor rather than an aggregate, so `{status, type, body}` stays valid (and free
  // of -Wmissing-field-initializers) now that there is a fourth field.
  AdminResponse() = default;
  AdminResponse(int status_code, std::string type, std::string text,
                std::vector<http::Header> extra_headers = {})
      : status(status_code),
        content_type(std::move(type)),
        body(std::move(text)),
        headers(std::move(extra_headers)) {}

  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<http::Header> headers;  // extra headers, e.g. Allow on a 405
};

// The content type of the Prometheus text exposition format.
inline constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr char kTextContentType[] = "text/plain; charset=utf-8";
inline constexpr char kHtmlContentType[] = "text/html; charset=utf-8";

AdminResponse textResponse(int status, std::string body);

struct RouteOptions {
  std::string description;     // one line on the index page; empty = not listed
  // Mutating endpoints: 403 unless the caller is on loopback, or an admin token is set and
  // the request carries "Authorization: Bearer <token>".
  bool loopback_only = false;
};

class AdminHandler {
 public:
  using Handler = std::function<AdminResponse(const AdminRequest&)>;

  explicit AdminHandler(metrics::Metrics& metrics);

  // Unknown paths get 404, known paths with another method 405 (with Allow).
  AdminResponse handle(const AdminRequest& request) const;

  // Adds an endpoint, or replaces the one with the same method and path. Call it before
  // the admin listener starts: routes are not guarded against concurrent handle().
  void addRoute(std::string method, std::string path, Handler handler, RouteOptions options = {});

  // Flipped by the app: true once listeners are bound and DNS resolved, false on drain.
  void setReady(bool ready) { ready_.store(ready, std::memory_order_relaxed); }
  bool ready() const { return ready_.load(std::memory_order_relaxed); }

  // The admin token ("" = none); set before the admin listener starts, and on reload from
  // the main thread, which is the only thread that calls handle().
  void setToken(std::string token) { token_ = std::move(token); }

 private:
  struct Route {
    std::string method;
    std::string path;
    Handler handler;
    RouteOptions options;
  };

  AdminResponse index() const;
  AdminResponse methodNotAllowed(const std::string& path) const;
  bool mayMutate(const AdminRequest& request) const;

  metrics::Metrics& metrics_;
  std::vector<Route> routes_;  // in the order added, which is the order of the index page
  std::atomic<bool> ready_{false};
  std::string token_;
};

}  // namespace outrigger::admin
