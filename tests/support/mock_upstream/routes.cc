#include "routes.h"

#include <charconv>

namespace mock_upstream {
namespace {

constexpr uint64_t kMaxBytes = uint64_t{1} << 40;
constexpr uint64_t kMaxStreamChunks = 10'000'000;
constexpr uint64_t kMaxHugeHeaderKib = 16 * 1024;
constexpr uint64_t kMaxDripBytes = 10 * 1024 * 1024;

Route to(Endpoint endpoint, uint64_t amount = 0) {
  Route route;
  route.endpoint = endpoint;
  route.amount = amount;
  return route;
}

Route bad(std::string_view problem) {
  Route route = to(Endpoint::kBadRequest);
  route.problem = problem;
  return route;
}

Route only(Endpoint endpoint, bool allowed, std::string_view allow) {
  if (allowed) return to(endpoint);
  Route route = to(Endpoint::kMethodNotAllowed);
  route.allow = allow;
  return route;
}

// The number after `prefix` in the path, bounded by [low, high].
Route numbered(Endpoint endpoint, std::string_view rest, uint64_t low, uint64_t high,
               std::string_view problem) {
  std::optional<uint64_t> value = parseNumber(rest);
  if (!value || *value < low || *value > high) return bad(problem);
  return to(endpoint, *value);
}

// A query number with a default, bounded by `high`.
std::optional<uint64_t> queryNumber(std::string_view query, std::string_view name,
                                    uint64_t fallback, uint64_t high) {
  std::optional<std::string_view> text = queryParam(query, name);
  if (!text) return fallback;
  std::optional<uint64_t> value = parseNumber(*text);
  if (!value || *value > high) return std::nullopt;
  return value;
}

Route matchParameterized(std::string_view path, std::string_view query) {
  if (path.starts_with("/status/")) {
    return numbered(Endpoint::kStatus, path.substr(8), 100, 599, "status must be 100..599\n");
  }
  if (path.starts_with("/delay/")) {
    return numbered(Endpoint::kDelay, path.substr(7), 0, kMaxDelayMs,
                    "delay must be 0..60000 ms\n");
  }
  if (path.starts_with("/bytes/")) {
    return numbered(Endpoint::kBytes, path.substr(7), 0, kMaxBytes, "bad byte count\n");
  }
  if (path.starts_with("/stream/")) {
    return numbered(Endpoint::kStream, path.substr(8), 0, kMaxStreamChunks, "bad chunk count\n");
  }
  if (path == "/drip") {
    std::optional<uint64_t> bytes = queryNumber(query, "bytes", 10, kMaxDripBytes);
    std::optional<uint64_t> interval = queryNumber(query, "interval_ms", 100, kMaxDelayMs);
    if (!bytes || !interval) return bad("drip needs bytes<=10485760 and interval_ms<=60000\n");
    Route route = to(Endpoint::kDrip, *bytes);
    route.intervalMs = *interval;
    return route;
  }
  if (path == "/chaos") {
    std::optional<uint64_t> fail = queryNumber(query, "fail", 20, 100);
    std::optional<uint64_t> reset = queryNumber(query, "reset", 5, 100);
    if (!fail || !reset || *fail + *reset > 100) return bad("chaos needs fail + reset <= 100\n");
    Route route = to(Endpoint::kChaos, *fail);
    route.resetPercent = *reset;
    return route;
  }
  if (path == "/huge-headers") {
    std::optional<uint64_t> kib = queryNumber(query, "kb", 16, kMaxHugeHeaderKib);
    if (!kib) return bad("kb must be 0..16384\n");
    return to(Endpoint::kHugeHeaders, *kib);
  }
  return to(Endpoint::kNotFound);
}

}  // namespace

Route matchRoute(llhttp_method_t method, std::string_view path, std::string_view query) {
  bool isGet = method == HTTP_GET || method == HTTP_HEAD;
  bool isPost = method == HTTP_POST;
  if (path == "/hello") return only(Endpoint::kHello, isGet, "GET, HEAD");
  if (path == "/get") return only(Endpoint::kGet, isGet, "GET, HEAD");
  if (path == "/echo") return to(Endpoint::kEcho);
  if (path == "/upload") return to(Endpoint::kUpload);
  if (path == "/health") return to(Endpoint::kHealth);
  if (path == "/intermittent") return to(Endpoint::kIntermittent);
  if (path == "/grpc") return to(Endpoint::kGrpc);
  if (path == "/reset") return to(Endpoint::kReset);
  if (path == "/partial") return to(Endpoint::kPartial);
  if (path == "/garbage") return to(Endpoint::kGarbage);
  // The demo's routes (config/demo.yaml), one per policy, so the demo needs no rewriting.
  if (path == "/flaky") return to(Endpoint::kFlaky);
  if (path == "/down" || path == "/limited") return only(Endpoint::kGet, isGet, "GET, HEAD");
  if (path == "/slow") {
    std::optional<uint64_t> ms = queryNumber(query, "ms", 1000, kMaxDelayMs);
    if (!ms) return bad("ms must be 0..60000\n");
    return to(Endpoint::kDelay, *ms);
  }
  if (path == "/__stats") return only(Endpoint::kStats, isGet, "GET, HEAD");
  if (path == "/__stats/reset") return only(Endpoint::kStatsReset, isPost, "POST");
  if (path == "/__health/fail") return only(Endpoint::kHealthFail, isPost, "POST");
  if (path == "/__health/ok") return only(Endpoint::kHealthOk, isPost, "POST");
  if (path == "/__fail/on") {
    Route r = only(Endpoint::kFailOn, isPost, "POST");
    std::optional<uint64_t> status = queryNumber(query, "status", 503, 599);
    if (r.endpoint == Endpoint::kFailOn && (!status || *status < 200)) {
      r.endpoint = Endpoint::kBadRequest;
      r.problem = "status must be 200-599\n";
    } else if (status) {
      r.amount = *status;
    }
    return r;
  }
  if (path == "/__fail/off") return only(Endpoint::kFailOff, isPost, "POST");
  return matchParameterized(path, query);
}

bool isStatsPath(std::string_view path) { return path.starts_with("/__stats"); }

std::optional<std::string_view> queryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
  }
  return std::nullopt;
}

std::optional<uint64_t> parseNumber(std::string_view text) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto result = std::from_chars(text.data(), end, value);
  if (text.empty() || result.ec != std::errc() || result.ptr != end) return std::nullopt;
  return value;
}

}  // namespace mock_upstream
