#pragma once
// `outrigger explain`: which listener, route and upstream a request would take, and the
// complete policy that would apply to it, each value with where it came from. Pure: the
// config and the request in, text out.

#include <string>
#include <vector>

#include "proxy/common/result.h"
#include "proxy/config/schema.h"

namespace outrigger::cli {

struct ExplainRequest {
  std::string method;                // "GET"; case-sensitive, as in HTTP
  std::string url;                   // "http://127.0.0.1:15001/users/42"
  std::string host;                  // the Host header to route by; "" = the URL's host
  std::vector<std::string> headers;  // "name: value", for routes that match on headers
};

struct Explanation {
  // False when no listener has the URL's port or no route matches; `text` says which.
  bool routed = false;
  std::string text;
};

// An Error (kind "bad_url" or "bad_method") when the request itself can't be understood;
// its message is for people.
Result<Explanation> explainRequest(const config::Config& config, const ExplainRequest& request);

}  // namespace outrigger::cli
