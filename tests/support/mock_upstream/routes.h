#pragma once

// Maps a request's method and path to an endpoint and validates the numbers in the path and
// query. Pure: no I/O, no state.

#include <llhttp.h>

#include <cstdint>
#include <optional>
#include <string_view>

namespace mock_upstream {

enum class Endpoint {
  kHello,
  kGet,
  kStatus,
  kDelay,
  kBytes,
  kStream,
  kEcho,
  kUpload,
  kIntermittent,
  kGrpc,
  kFlaky,
  kChaos,
  kReset,
  kPartial,
  kDrip,
  kGarbage,
  kHugeHeaders,
  kHealth,
  kHealthFail,
  kHealthOk,
  kFailOn,
  kFailOff,
  kStats,
  kStatsReset,
  kNotFound,
  kMethodNotAllowed,
  kBadRequest,
};

inline constexpr uint64_t kMaxDelayMs = 60000;

struct Route {
  Endpoint endpoint = Endpoint::kNotFound;
  uint64_t amount = 0;       // status code, delay ms, byte or chunk count, KiB of headers
  uint64_t intervalMs = 0;   // /drip only
  uint64_t resetPercent = 0; // /chaos only (amount is the failure percent)
  std::string_view problem;  // kBadRequest: what was wrong (static text)
  std::string_view allow;    // kMethodNotAllowed: the Allow header
};

Route matchRoute(llhttp_method_t method, std::string_view path, std::string_view query);

// /__stats and everything under it is left out of the request counters.
bool isStatsPath(std::string_view path);

// The raw (not percent-decoded) value of the first `name=` parameter; "" for a bare `name`.
std::optional<std::string_view> queryParam(std::string_view query, std::string_view name);

// A decimal number with no sign, spaces or suffix.
std::optional<uint64_t> parseNumber(std::string_view text);

}  // namespace mock_upstream
