#include "proxy/http/upgrade.h"

#include <algorithm>

#include "proxy/http/header_rules.h"
#include "proxy/http/serializer.h"

namespace outrigger::http {
namespace {

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lowered(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

void appendLine(std::string_view name, std::string_view value, std::string& out) {
  out.append(name).append(": ").append(value).append("\r\n");
}

}  // namespace

std::string requestedUpgrade(const RequestHead& head) {
  const std::string_view* upgrade = head.headers.get("Upgrade");
  if (upgrade == nullptr || head.version_minor < 1) return "";
  thread_local std::vector<std::string_view> tokens;
  connectionTokens(head.headers, tokens);
  const bool asked = std::any_of(tokens.begin(), tokens.end(),
                                 [](std::string_view t) { return equalsIgnoreCase(t, "upgrade"); });
  if (!asked) return "";
  // "websocket" of "websocket, foo/2"; a protocol version ("foo/2") is part of the token.
  std::string_view first = *upgrade;
  first = trimmed(first.substr(0, first.find(',')));
  return lowered(first);
}

bool upgradeAllowed(std::string_view token, const std::vector<std::string>& allowed) {
  if (token.empty() || token == "h2c") return false;
  return std::find(allowed.begin(), allowed.end(), token) != allowed.end();
}

void appendUpgradeFields(const RequestHead& head, std::string& out) {
  const std::string_view* upgrade = head.headers.get("Upgrade");
  if (upgrade == nullptr || head.upgrade.empty()) return;
  appendLine("Connection", "upgrade", out);
  appendLine("Upgrade", *upgrade, out);
}

void appendSwitchingHead(const ResponseHead& head, std::string& out) {
  out.append("HTTP/1.1 101 ");
  out.append(head.reason.empty() ? reasonPhrase(101) : std::string_view(head.reason));
  out.append("\r\n");
  thread_local std::vector<std::string_view> tokens;
  connectionTokens(head.headers, tokens);
  for (const HeaderView& h : head.headers) {
    if (isHopByHopName(h.name)) continue;
    const bool listed = std::any_of(tokens.begin(), tokens.end(), [&](std::string_view t) {
      return equalsIgnoreCase(t, h.name);
    });
    if (!listed) appendLine(h.name, h.value, out);
  }
  appendLine("Connection", "Upgrade", out);
  if (const std::string_view* upgrade = head.headers.get("Upgrade"))
    appendLine("Upgrade", *upgrade, out);
  out.append("\r\n");
}

}  // namespace outrigger::http
