#include "proxy/exchange/route_rewrite.h"

#include <cstdint>

namespace outrigger::exchange {

void expandHeaderValue(const config::HeaderValue& value, const RewriteVariables& vars,
                       std::string& out) {
  for (const config::ValuePiece& piece : value.pieces) {
    switch (piece.variable) {
      case config::HeaderVariable::kNone:
        out += piece.literal;
        break;
      case config::HeaderVariable::kRequestId:
        out += vars.request_id;
        break;
      case config::HeaderVariable::kUpstream:
        out += vars.upstream;
        break;
      case config::HeaderVariable::kRoute:
        out += vars.route;
        break;
      case config::HeaderVariable::kClientIp:
        out += vars.client_ip;
        break;
    }
  }
}

void applyHeaderRewrite(const config::HeaderRewrite& rewrite, const RewriteVariables& vars,
                        http::Headers& headers) {
  for (const std::string& name : rewrite.remove) headers.remove(name);
  // Scratch whose capacity survives from one request to the next, so a long expanded value
  // costs no allocation per request; set() and add() copy it into the headers' own store.
  thread_local std::string value;
  for (const config::HeaderEntry& entry : rewrite.set) {
    value.clear();
    expandHeaderValue(entry.value, vars, value);
    headers.set(entry.name, value);
  }
  for (const config::HeaderEntry& entry : rewrite.add) {
    value.clear();
    expandHeaderValue(entry.value, vars, value);
    headers.add(entry.name, value);
  }
}

std::string rewriteTarget(std::string_view target, std::string_view path, std::string_view replaced,
                          std::string_view replacement) {
  std::string out;
  rewriteTargetInto(target, path, replaced, replacement, out);
  return out;
}

void rewriteTargetInto(std::string_view target, std::string_view path, std::string_view replaced,
                       std::string_view replacement, std::string& out) {
  // `path` is a view into `target`; absolute-form targets keep their scheme and authority.
  const auto begin = reinterpret_cast<uintptr_t>(target.data());
  const auto at = reinterpret_cast<uintptr_t>(path.data());
  if (at < begin || at > begin + target.size() || !path.starts_with(replaced)) {
    out.assign(target);
    return;
  }
  const size_t path_at = at - begin;
  std::string_view rest = target.substr(path_at + replaced.size());
  if (replacement.ends_with('/') && rest.starts_with('/')) rest.remove_prefix(1);
  out.clear();  // keeps its capacity
  out.append(target.substr(0, path_at)).append(replacement).append(rest);
}

void rewriteRequest(const config::RouteRewrite& rewrite, const RewriteVariables& vars,
                    const http::RequestHead& in, http::RequestHead& out) {
  out = in;
  if (rewrite.prefix_rewrite) {
    rewriteTargetInto(in.target, in.path(), rewrite.replaced_path, *rewrite.prefix_rewrite,
                      out.target);
  }
  if (!rewrite.request.empty()) applyHeaderRewrite(rewrite.request, vars, out.headers);
}

}  // namespace outrigger::exchange
