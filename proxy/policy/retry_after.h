#pragma once
// Parses a response's Retry-After header (RFC 9110 §10.2.3) into a delay, so that a retry
// after a 429 or 503 waits as long as the upstream asked.

#include <cstdint>
#include <optional>
#include <string_view>

#include "proxy/common/clock.h"

namespace outrigger::policy {

// Longer requests are capped to this rather than rejected: the upstream did ask for a long
// wait, and a capped value still exceeds any request deadline, so the retry is refused
// (kRetryAfterTooLong) instead of going out early on the ordinary backoff.
inline constexpr Duration kMaxRetryAfter = seconds(24 * 60 * 60);

// Accepts delay-seconds ("120") or an HTTP-date in any of the three forms a recipient must
// accept: IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), RFC 850 ("Sunday, 06-Nov-94
// 08:49:37 GMT") and asctime ("Sun Nov  6 08:49:37 1994"). Surrounding spaces and tabs are
// ignored. A date is relative to now_unix_seconds; one in the past gives zero.
// nullopt when the value is empty, negative, fractional or not one of these forms.
std::optional<Duration> parseRetryAfter(std::string_view value, int64_t now_unix_seconds);

}  // namespace outrigger::policy
