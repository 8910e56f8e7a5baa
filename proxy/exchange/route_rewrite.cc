#include "proxy/exchange/route_rewrite.h"

#include <cstdint>

namespace outrigger::exchange {

namespace {

std::string_view pieceValue(const config::ValuePiece& piece, const RewriteVariables& vars) {
  switch (piece.variable) {
    case config::HeaderVariable::kNone:
      return piece.literal;
    case config::HeaderVariable::kRequestId:
      return vars.request_id;
    case config::HeaderVariable::kUpstream:
      return vars.upstream;
    case config::HeaderVariable::kRoute:
      return vars.route;
    case config::HeaderVariable::kClientIp:
      return vars.client_ip;
  }
  return {};
}

}  // namespace

void expandHeaderValue(const config::HeaderValue& value, const RewriteVariables& vars,
                       std::string& out) {
  for (const config::ValuePiece& piece : value.pieces) out += pieceValue(piece, vars);
}

std::string_view headerValue(const config::HeaderValue& value, const RewriteVariables& vars,
                             std::string& scratch) {
  if (value.pieces.size() == 1) return pieceValue(value.pieces[0], vars);
  if (value.pieces.empty()) return {};
  scratch.clear();  // keeps its capacity
  expandHeaderValue(value, vars, scratch);
  return scratch;
}

void applyHeaderRewrite(const config::HeaderRewrite& rewrite, const RewriteVariables& vars,
                        http::Headers& headers) {
  for (const std::string& name : rewrite.remove) headers.remove(name);
  // Scratch whose capacity survives from one request to the next, so a long expanded value
  // costs no allocation per request; set() and add() copy it into the headers' own store.
  thread_local std::string scratch;
  for (const config::HeaderEntry& entry : rewrite.set)
    headers.set(entry.name, headerValue(entry.value, vars, scratch));
  for (const config::HeaderEntry& entry : rewrite.add)
    headers.add(entry.name, headerValue(entry.value, vars, scratch));
}

std::optional<std::string_view> rewrittenTargetRest(std::string_view target, std::string_view path,
                                                    std::string_view replaced,
                                                    std::string_view replacement) {
  // `path` is a view into `target`; absolute-form targets keep their scheme and authority.
  const auto begin = reinterpret_cast<uintptr_t>(target.data());
  const auto at = reinterpret_cast<uintptr_t>(path.data());
  if (at < begin || at > begin + target.size() || !path.starts_with(replaced)) return std::nullopt;
  std::string_view rest = target.substr(at - begin + replaced.size());
  if (replacement.ends_with('/') && rest.starts_with('/')) rest.remove_prefix(1);
  return rest;
}

void rewriteTargetInto(std::string_view target, std::string_view path, std::string_view replaced,
                       std::string_view replacement, std::string& out) {
  const std::optional<std::string_view> rest =
      rewrittenTargetRest(target, path, replaced, replacement);
  if (!rest) {
    out.assign(target);
    return;
  }
  const size_t path_at = static_cast<size_t>(path.data() - target.data());
  out.assign(target.data(), path_at);  // keeps its capacity
  out.append(replacement).append(*rest);
}

}  // namespace outrigger::exchange
