#include "handlers.h"

#include <cstdio>

#include "http_text.h"

namespace mock_upstream {
namespace {

constexpr std::string_view kJson = "application/json";

Reply text(int status, std::string_view body) {
  Reply reply;
  reply.status = status;
  reply.staticBody = body;
  return reply;
}

Reply getReply(const Request& request, uint64_t connectionId) {
  Reply reply;
  reply.contentType = kJson;
  std::string& json = reply.body;
  json.reserve(256 + request.headBytes * 2);
  json.append("{\"method\":");
  appendJsonString(json, request.methodName());
  json.append(",\"path\":");
  appendJsonString(json, request.path);
  json.append(",\"query\":");
  appendJsonString(json, request.query);
  json.append(",\"headers\":{");
  for (size_t i = 0; i < request.headerCount; ++i) {
    if (i > 0) json.push_back(',');
    appendJsonString(json, request.headers[i].name);
    json.push_back(':');
    appendJsonString(json, request.headers[i].value);
  }
  json.append("},\"connection\":");
  appendNumber(json, connectionId);
  json.append("}\n");
  return reply;
}

Reply statusReply(const Request& request, int status) {
  Reply reply;
  if (status < 200) {
    // A 1xx cannot end an exchange: send it as an interim response, then a 200.
    reply.interimStatus = status;
    reply.staticBody = "ok\n";
  } else if (status == 204 || status == 304) {
    reply.status = status;
    reply.bodyless = true;
  } else {
    reply.status = status;
    appendNumber(reply.body, static_cast<uint64_t>(status));
    reply.body.push_back(' ');
    reply.body.append(reasonPhrase(status));
    reply.body.push_back('\n');
  }
  if (std::optional<std::string_view> retry = queryParam(request.query, "retry_after")) {
    if (parseNumber(*retry)) {
      reply.headers.append("Retry-After: ").append(*retry).append(kCrlf);
    }
  }
  return reply;
}

Reply intermittentReply(const Request& request, MockState& state) {
  std::optional<uint64_t> failures = uint64_t{1};
  if (std::optional<std::string_view> text = queryParam(request.query, "fail")) {
    failures = parseNumber(*text);
  }
  std::optional<uint64_t> code = uint64_t{503};
  if (std::optional<std::string_view> text = queryParam(request.query, "code")) {
    code = parseNumber(*text);
  }
  if (!failures || !code || *code < 200 || *code > 599) {
    return text(400, "intermittent needs fail=N and code=200..599\n");
  }
  std::string_view key = queryParam(request.query, "key").value_or("default");
  uint64_t call = state.nextIntermittentCall(key.empty() ? "default" : key);
  const bool failing = call <= *failures;
  Reply reply = failing ? text(static_cast<int>(*code), "intermittent failure") : text(200, "ok");
  std::optional<std::string_view> retry = queryParam(request.query, "retry_after");
  if (failing && retry && parseNumber(*retry)) {
    reply.headers.append("Retry-After: ").append(*retry).append(kCrlf);
  }
  reply.headers.append("X-Mock-Attempt: ");
  appendNumber(reply.headers, call);
  reply.headers.append(kCrlf);
  return reply;
}

// A gRPC answer: the first N calls for the key get grpc-status C (default 14, UNAVAILABLE),
// later ones 0. A failure is trailers-only (grpc-status in the head, no body) unless
// trailers=1; a success, and a failure with trailers=1, is one message then the status in
// chunked trailers. A request field grpc-test-trailer (sent as a trailer) comes back as
// X-Seen-Trailer.
Reply grpcReply(const Request& request, MockState& state) {
  std::optional<uint64_t> failures = uint64_t{0};
  if (std::optional<std::string_view> text = queryParam(request.query, "fail")) {
    failures = parseNumber(*text);
  }
  std::optional<uint64_t> code = uint64_t{14};
  if (std::optional<std::string_view> text = queryParam(request.query, "code")) {
    code = parseNumber(*text);
  }
  if (!failures || !code || *code > 16) return text(400, "grpc needs fail=N and code=0..16\n");
  std::string_view key = queryParam(request.query, "key").value_or("grpc");
  const uint64_t call = state.nextIntermittentCall(key.empty() ? "grpc" : key);
  const uint64_t status = call <= *failures ? *code : 0;
  Reply reply;
  reply.contentType = "application/grpc";
  reply.headers.append("X-Mock-Attempt: ");
  appendNumber(reply.headers, call);
  reply.headers.append(kCrlf);
  std::string_view seen = request.header("grpc-test-trailer");
  if (!seen.empty()) reply.headers.append("X-Seen-Trailer: ").append(seen).append(kCrlf);
  std::string lines = "grpc-status: ";
  appendNumber(lines, status);
  lines.append(kCrlf).append("grpc-message: mock status ");
  appendNumber(lines, status);
  lines.append(kCrlf);
  if (status != 0 && !queryParam(request.query, "trailers")) {
    reply.headers.append(lines);  // trailers-only
    reply.staticBody = "";
    return reply;
  }
  reply.body.assign("\0\0\0\0\2ok", 7);  // one uncompressed message of 2 bytes
  reply.trailers = std::move(lines);
  return reply;
}

Reply hugeHeadersReply(uint64_t kib) {
  // Each line is exactly 1 KiB: "X-Huge-0000: " (13) + 1009 filler bytes + CRLF.
  constexpr size_t kLine = 1024;
  constexpr size_t kName = 13;
  Reply reply;
  reply.headers.reserve(kib * kLine);
  for (uint64_t i = 0; i < kib; ++i) {
    char name[16];
    snprintf(name, sizeof(name), "X-Huge-%04llu: ", static_cast<unsigned long long>(i % 10000));
    reply.headers.append(name, kName);
    reply.headers.append(kLine - kName - 2, 'h');
    reply.headers.append(kCrlf);
  }
  reply.staticBody = "ok\n";
  return reply;
}

Reply statsReply(MockState& state) {
  Reply reply;
  reply.contentType = kJson;
  reply.body = state.statsJson();
  return reply;
}

}  // namespace

Reply simpleReply(const Request& request, const Route& route, MockState& state,
                  uint64_t connectionId) {
  switch (route.endpoint) {
    case Endpoint::kHello:
      return text(200, "hello\n");
    case Endpoint::kGet:
      return getReply(request, connectionId);
    case Endpoint::kStatus:
      return statusReply(request, static_cast<int>(route.amount));
    case Endpoint::kGrpc:
      return grpcReply(request, state);
    case Endpoint::kIntermittent:
      return intermittentReply(request, state);
    case Endpoint::kFlaky:
      // Every other call fails: one retry always succeeds.
      return state.nextIntermittentCall("/flaky") % 2 == 1 ? text(503, "flaky failure\n")
                                                           : text(200, "flaky: ok\n");
    case Endpoint::kHugeHeaders:
      return hugeHeadersReply(route.amount);
    case Endpoint::kHealth:
      return state.healthy() ? text(200, "ok") : text(503, "unhealthy");
    case Endpoint::kHealthFail:
      state.setHealthy(false);
      return text(200, "health: failing\n");
    case Endpoint::kHealthOk:
      state.setHealthy(true);
      return text(200, "health: ok\n");
    case Endpoint::kFailOn:
      state.setFailStatus(static_cast<int>(route.amount));
      return text(200, "failing every request\n");
    case Endpoint::kFailOff:
      state.setFailStatus(0);
      return text(200, "serving normally\n");
    case Endpoint::kStats:
      return statsReply(state);
    case Endpoint::kStatsReset:
      state.reset();
      return text(200, "stats reset\n");
    case Endpoint::kMethodNotAllowed: {
      Reply reply = text(405, "method not allowed\n");
      reply.headers.append("Allow: ").append(route.allow).append(kCrlf);
      return reply;
    }
    case Endpoint::kBadRequest:
      return text(400, route.problem);
    default:
      return text(404, "not found\n");
  }
}

Reply uploadReply(uint64_t bytes, uint64_t checksum) {
  Reply reply;
  reply.contentType = kJson;
  reply.body.append("{\"bytes\":");
  appendNumber(reply.body, bytes);
  char hex[17];
  snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(checksum));
  reply.body.append(",\"checksum\":\"").append(hex, 16).append("\"}\n");
  return reply;
}

Reply chaosReply(bool failed) {
  return failed ? text(503, "chaos failure\n") : text(200, "hello\n");
}

Reply delayReply(uint64_t ms) {
  Reply reply;
  reply.contentType = kJson;
  reply.body.append("{\"delay_ms\":");
  appendNumber(reply.body, ms);
  reply.body.append("}\n");
  return reply;
}

std::string echoHeaders(const Request& request) {
  std::string lines;
  lines.reserve(128 + request.headBytes + request.headerCount * 20);
  lines.append("X-Echo-Method: ").append(request.methodName()).append(kCrlf);
  lines.append("X-Echo-Target: ").append(request.url).append(kCrlf);
  lines.append("X-Echo-Version: ").append(request.isHttp11() ? "1.1" : "1.0").append(kCrlf);
  lines.append("X-Echo-Header-Count: ");
  appendNumber(lines, request.headerCount);
  lines.append(kCrlf);
  for (size_t i = 0; i < request.headerCount; ++i) {
    const Header& h = request.headers[i];
    lines.append("X-Echo-Header-").append(h.name).append(": ").append(h.value).append(kCrlf);
  }
  return lines;
}

}  // namespace mock_upstream
