#pragma once
// HTTP/1.1 Upgrade (RFC 9110 §7.8) as a proxy forwards it: which protocol a request asks to
// switch to, and the heads that carry the switch on each hop. Pure functions.

#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/message.h"

namespace outrigger::http {

// The protocol an HTTP/1.1 request asks to switch to, lowercased ("websocket"): its first
// Upgrade token, when Connection lists "upgrade"; "" otherwise. h2c is reported like any
// token: the caller refuses it (h2c smuggling).
std::string requestedUpgrade(const RequestHead& head);
// Whether `token` is one of `allowed` (lowercase); h2c never is.
bool upgradeAllowed(std::string_view token, const std::vector<std::string>& allowed);
// The fields that ask the upstream to switch, for a request whose head.upgrade is set:
// "Connection: upgrade" and the app's Upgrade header.
void appendUpgradeFields(const RequestHead& head, std::string& out);
// The 101 head for the app: the upstream's fields minus hop-by-hop ones, then
// "Connection: Upgrade" and the upstream's Upgrade value.
void appendSwitchingHead(const ResponseHead& head, std::string& out);

}  // namespace outrigger::http
