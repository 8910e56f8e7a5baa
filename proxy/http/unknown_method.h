#pragma once
// Tells a request method llhttp does not know (501 not_implemented, RFC 9110 §9.1) from a
// broken request line (400), where llhttp refused the method.

namespace outrigger::http::detail {

// Whether llhttp stopped (at `at`, within [begin, end)) inside a well-formed method name:
// a token at the start of a line, followed by a space.
bool isUnknownMethod(const char* begin, const char* end, const char* at);

}  // namespace outrigger::http::detail
