#include "proxy/cli/request_url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace outrigger::cli {
namespace {

Error badUrl(std::string message) {
  return Error{"bad_url", ErrorSource::kDownstream, false, std::move(message)};
}

bool startsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) ==
                  std::tolower(static_cast<unsigned char>(b));
         });
}

}  // namespace

std::string_view hostWithoutPort(std::string_view host) {
  if (host.starts_with('[')) {
    const size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  return host.substr(0, host.find(':'));
}

std::string_view withoutBrackets(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    return host.substr(1, host.size() - 2);
  }
  return host;
}

Result<RequestUrl> parseRequestUrl(std::string_view url) {
  const std::string quoted = "'" + std::string(url) + "'";
  std::string_view rest = url;
  if (startsWithIgnoreCase(rest, "http://")) {
    rest.remove_prefix(7);
  } else if (const size_t scheme = rest.find("://"); scheme != std::string_view::npos) {
    return badUrl("listeners speak plain HTTP: write http://, got " + quoted);
  }
  const size_t path_start = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, path_start);
  std::string_view target = path_start == std::string_view::npos ? "" : rest.substr(path_start);
  target = target.substr(0, target.find_first_of("?#"));

  RequestUrl out;
  out.host = std::string(hostWithoutPort(authority));
  if (out.host.empty() || out.host == "[]") return badUrl("no host in " + quoted);
  if (out.host.front() == '[' && out.host.back() != ']') {
    return badUrl("unterminated '[' in the host of " + quoted);
  }
  const std::string_view after_host = authority.substr(out.host.size());
  if (!after_host.empty()) {
    const std::string_view port = after_host.substr(1);
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (after_host[0] != ':' || port.empty() || ec != std::errc() ||
        end != port.data() + port.size() || value == 0 || value > 65535) {
      return badUrl("invalid port in " + quoted + " (expected 1 to 65535)");
    }
    out.port = static_cast<uint16_t>(value);
  }
  out.path = target.empty() ? "/" : std::string(target);
  return out;
}

}  // namespace outrigger::cli
