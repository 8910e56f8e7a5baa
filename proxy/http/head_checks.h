#pragma once
// Checks on an assembled head that llhttp 8.1 does not make, or makes only after it has
// reported the head: how Transfer-Encoding, Host and the request-target are written, and
// whether a status line is sane. Pure functions; each returns an empty view when the head
// is acceptable, else why it is refused.

#include <string_view>

#include "proxy/http/message.h"

namespace outrigger::http {

// tchar, RFC 9110 §5.6.2: the characters a field name (a token) may contain.
bool isTokenChar(char c);

std::string_view checkRequestHead(const RequestHead& head);
std::string_view checkResponseHead(const ResponseHead& head);

}  // namespace outrigger::http
