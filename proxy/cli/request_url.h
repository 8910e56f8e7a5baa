#pragma once
// The URL an application would call, taken apart the way the proxy sees the request:
// the port picks the listener, the host and path pick the route.

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/common/result.h"

namespace outrigger::cli {

struct RequestUrl {
  std::string host;  // as written, IPv6 literals keep their brackets ("[::1]")
  uint16_t port = 80;
  std::string path;  // without query or fragment; "/" when the URL has none
};

// "http://host[:port][/path][?query]" or the same without "http://". Listeners speak plain
// HTTP, so other schemes are refused with a message for people (Error kind "bad_url").
Result<RequestUrl> parseRequestUrl(std::string_view url);

// "host:8080" -> "host", "[::1]:80" -> "[::1]", "host" -> "host": the Host header as
// routes compare it.
std::string_view hostWithoutPort(std::string_view host);

// An address without IPv6 brackets, for comparing with a listener's listen host.
std::string_view withoutBrackets(std::string_view host);

}  // namespace outrigger::cli
