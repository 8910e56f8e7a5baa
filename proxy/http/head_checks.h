#pragma once
// Checks on an assembled head that llhttp 8.1 does not make, or makes only after it has
// reported the head: how Transfer-Encoding, Host and the request-target are written, and
// whether a status line is sane. Pure functions; each returns an empty view when the head
// is acceptable, else why it is refused.

#include <array>
#include <string_view>

#include "proxy/http/message.h"

namespace outrigger::http {

namespace detail {
constexpr std::array<bool, 256> makeTokenTable() {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<unsigned char>(c)] = true;
  return table;
}
inline constexpr std::array<bool, 256> kTokenChars = makeTokenTable();
}  // namespace detail

// tchar, RFC 9110 §5.6.2: the characters a field name (a token) may contain. A table
// lookup: it runs on every byte of every field name.
inline bool isTokenChar(char c) { return detail::kTokenChars[static_cast<unsigned char>(c)]; }

// The problem checkRequestHead and checkResponseHead report for a Transfer-Encoding other
// than one line saying "chunked": a coding we do not decode rather than a malformed head.
inline constexpr std::string_view kUnsupportedTransferEncoding =
    "Transfer-Encoding other than a single chunked";

std::string_view checkRequestHead(const RequestHead& head);
std::string_view checkResponseHead(const ResponseHead& head);

}  // namespace outrigger::http
