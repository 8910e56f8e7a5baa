#include "proxy/http/header_rules.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proxy/http/upstream_request.h"
#include "tests/support/http/upstream_request_check.h"

namespace outrigger::http {
namespace {

// The head the upstream receives: what appendUpstreamRequestHead wrote, parsed back.
RequestHead sentUpstream(const RequestHead& head, const ForwardContext& ctx) {
  std::string wire;
  appendUpstreamRequestHead(head, ctx, wire);
  testing::ParsedBack back = testing::parseBack(wire);
  EXPECT_EQ(back.problem, "") << wire;
  return std::move(back.head);
}

std::vector<std::string> names(const Headers& headers) {
  std::vector<std::string> out;
  for (const HeaderView& h : headers) out.emplace_back(h.name);
  return out;
}

TEST(HeaderRulesTest, RemoveHopByHopRemovesTheFixedSet) {
  Headers headers;
  headers.add("Host", "a");
  headers.add("Keep-Alive", "timeout=5");
  headers.add("proxy-connection", "keep-alive");
  headers.add("TE", "trailers");
  headers.add("Trailer", "X-Checksum");
  headers.add("Upgrade", "websocket");
  headers.add("Transfer-Encoding", "chunked");
  headers.add("Content-Length", "10");
  headers.add("Accept", "*/*");
  removeHopByHop(headers);
  EXPECT_EQ(names(headers), (std::vector<std::string>{"Host", "Accept"}));
}

TEST(HeaderRulesTest, TrailersKeepOnlyFieldsATrailerMayCarry) {
  Headers trailers;
  trailers.add("grpc-status", "0");
  trailers.add("Content-Length", "5");
  trailers.add("Transfer-Encoding", "chunked");
  trailers.add("Host", "evil");
  trailers.add("Connection", "close");
  trailers.add("X-Checksum", "abc");
  removeFieldsNotAllowedInTrailers(trailers);
  EXPECT_EQ(names(trailers), (std::vector<std::string>{"grpc-status", "X-Checksum"}));
}

TEST(HeaderRulesTest, RemoveHopByHopRemovesHeadersNamedByConnection) {
  Headers headers;
  headers.add("Connection", "X-Session-Hint, close");
  headers.add("x-session-hint", "1");
  headers.add("X-Keep", "yes");
  headers.add("connection", " X-Other ,,x-third");
  headers.add("X-Other", "2");
  headers.add("X-THIRD", "3");
  removeHopByHop(headers);
  EXPECT_EQ(names(headers), (std::vector<std::string>{"X-Keep"}));
}

TEST(HeaderRulesTest, RemoveHopByHopLeavesHeadFramingAlone) {
  RequestHead head;
  head.framing = BodyFraming::kChunked;
  head.headers.add("Transfer-Encoding", "chunked");
  removeHopByHop(head.headers);
  EXPECT_TRUE(head.headers.empty());
  EXPECT_EQ(head.framing, BodyFraming::kChunked);
}

RequestHead appRequest() {
  RequestHead head;
  head.method = "POST";
  head.target = "/pay";
  head.version_minor = 0;
  head.keep_alive = false;
  head.framing = BodyFraming::kContentLength;
  head.content_length = 3;
  head.headers.add("Host", "payments");
  head.headers.add("Connection", "close");
  head.headers.add("Content-Length", "3");
  head.headers.add("Expect", "100-continue");
  head.headers.add("X-Request-ID", "old");
  return head;
}

TEST(HeaderRulesTest, UpstreamRequest) {
  const RequestHead app = appRequest();
  ForwardContext ctx;
  ctx.client_address = "127.0.0.1";
  ctx.upstream_authority = "10.0.0.7:8443";
  ctx.request_id = "req-1";
  const RequestHead head = sentUpstream(app, ctx);

  EXPECT_EQ(*head.headers.get("Host"), "10.0.0.7:8443");
  EXPECT_EQ(*head.headers.get("X-Forwarded-For"), "127.0.0.1");
  EXPECT_EQ(*head.headers.get("X-Forwarded-Proto"), "http");
  EXPECT_EQ(*head.headers.get("X-Forwarded-Host"), "payments");
  EXPECT_EQ(*head.headers.get("X-Request-ID"), "req-1");
  EXPECT_FALSE(head.headers.has("Connection"));
  EXPECT_FALSE(head.headers.has("Expect"));
  // The app's headers in their order, then the ones the proxy adds; the framing header last.
  EXPECT_EQ(names(head.headers),
            (std::vector<std::string>{"Host", "X-Request-ID", "X-Forwarded-For",
                                      "X-Forwarded-Proto", "X-Forwarded-Host", "Content-Length"}));
  EXPECT_EQ(*head.headers.get("Content-Length"), "3");
  EXPECT_TRUE(head.keep_alive);
  EXPECT_EQ(head.version_minor, 1);
  EXPECT_EQ(head.framing, BodyFraming::kContentLength);
  EXPECT_EQ(head.content_length, 3u);
}

TEST(HeaderRulesTest, ForwardedForIsAppendedToTheExistingList) {
  RequestHead app = appRequest();
  app.headers.add("X-Forwarded-For", "203.0.113.9");
  app.headers.add("X-Forwarded-For", "198.51.100.2");
  app.headers.add("X-Forwarded-Proto", "https");
  ForwardContext ctx;
  ctx.client_address = "10.1.2.3";
  ctx.proto = "http";
  ctx.upstream_authority = "up:80";
  RequestHead head = sentUpstream(app, ctx);
  std::vector<std::string> xff;
  for (const HeaderView& h : head.headers) {
    if (equalsIgnoreCase(h.name, "X-Forwarded-For")) xff.emplace_back(h.value);
  }
  EXPECT_EQ(xff, (std::vector<std::string>{"203.0.113.9", "198.51.100.2, 10.1.2.3"}));
  EXPECT_EQ(*head.headers.get("X-Forwarded-Proto"), "http");
  EXPECT_EQ(head.headers.remove("X-Forwarded-Proto"), 1u);
}

TEST(HeaderRulesTest, PreserveHostKeepsTheAppsHost) {
  ForwardContext ctx;
  ctx.upstream_authority = "10.0.0.7:8443";
  ctx.preserve_host = true;
  RequestHead head = sentUpstream(appRequest(), ctx);
  EXPECT_EQ(*head.headers.get("Host"), "payments");
  EXPECT_EQ(*head.headers.get("X-Forwarded-Host"), "payments");
  EXPECT_EQ(head.headers.remove("Host"), 1u);
}

TEST(HeaderRulesTest, PreserveHostWithoutHostUsesTheAuthority) {
  RequestHead app;
  app.method = "GET";
  app.target = "/";
  app.version_minor = 0;
  ForwardContext ctx;
  ctx.upstream_authority = "users:80";
  ctx.preserve_host = true;
  const RequestHead head = sentUpstream(app, ctx);
  EXPECT_EQ(*head.headers.get("Host"), "users:80");
  EXPECT_FALSE(head.headers.has("X-Forwarded-Host"));
}

TEST(HeaderRulesTest, AbsoluteFormTargetIsSentInOriginForm) {
  // The upstream is an origin server (RFC 9112 §3.2.1); it must not read an authority from
  // the target that routing never looked at.
  for (const auto& [target, expected] : std::vector<std::pair<std::string, std::string>>{
           {"http://payments/v1/charge?x=1", "/v1/charge?x=1"},
           {"HTTPS://payments:8443", "/"},
           {"http://payments?x=1", "/?x=1"},
           {"/already/origin?q", "/already/origin?q"},
           {"*", "*"}}) {
    RequestHead app;
    app.method = target == "*" ? "OPTIONS" : "GET";
    app.target = target;
    ForwardContext ctx;
    ctx.upstream_authority = "payments:80";
    EXPECT_EQ(sentUpstream(app, ctx).target, expected) << target;
  }
}

TEST(HeaderRulesTest, PrepareDownstreamResponse) {
  ResponseHead head;
  head.headers.add("Content-Type", "text/plain");
  head.headers.add("Connection", "keep-alive, X-Internal");
  head.headers.add("X-Internal", "secret");
  head.headers.add("Transfer-Encoding", "chunked");
  head.headers.add("x-request-id", "upstream-made-this");
  prepareDownstreamResponse(head, "req-9");
  EXPECT_EQ(names(head.headers), (std::vector<std::string>{"Content-Type", "x-request-id"}));
  EXPECT_EQ(*head.headers.get("X-Request-ID"), "req-9");
}

TEST(HeaderRulesTest, DownstreamResponseGetsTheRequestIdAfterItsOwnHeaders) {
  for (bool with_framing : {true, false}) {
    ResponseHead head;
    head.headers.add("Connection", "x-hint");
    head.headers.add("Content-Type", "text/plain");
    if (with_framing) head.headers.add("Content-Length", "6");
    head.headers.add("X-Hint", "1");
    head.headers.add("X-Kept", "yes");
    prepareDownstreamResponse(head, "0123456789abcdef0123456789abcdef");
    EXPECT_EQ(names(head.headers),
              (std::vector<std::string>{"Content-Type", "X-Kept", "X-Request-ID"}));
    EXPECT_EQ(*head.headers.get("X-Request-ID"), "0123456789abcdef0123456789abcdef");
    EXPECT_EQ(*head.headers.get("X-Kept"), "yes");
  }
  ResponseHead plain;  // nothing hop-by-hop to make room
  plain.headers.add("Content-Type", "text/plain");
  prepareDownstreamResponse(plain, "req-1");
  EXPECT_EQ(names(plain.headers), (std::vector<std::string>{"Content-Type", "X-Request-ID"}));
  prepareDownstreamResponse(plain, "");
  EXPECT_EQ(*plain.headers.get("X-Request-ID"), "req-1");  // no id: left alone
}

TEST(HeaderRulesTest, RequestIdFromTheAppIsKeptWhenSane) {
  SequenceRandom random({1, 2});
  RequestHead head;
  head.headers.add("X-Request-ID", "abc-123_XYZ");
  EXPECT_EQ(requestIdFor(head, random), "abc-123_XYZ");
  head.headers.set("X-Request-ID", std::string(200, 'a'));
  EXPECT_EQ(requestIdFor(head, random), std::string(200, 'a'));
}

TEST(HeaderRulesTest, RequestIdIsGeneratedWhenMissingOrInsane) {
  SequenceRandom random({0x0123456789abcdefULL, 0xfedcba9876543210ULL});
  const std::string expected = "0123456789abcdeffedcba9876543210";
  RequestHead head;
  EXPECT_EQ(requestIdFor(head, random), expected);
  for (const std::string& bad : {std::string(), std::string(201, 'a'), std::string("has space"),
                                 std::string("tab\there"), std::string("caf\xc3\xa9")}) {
    head.headers.set("X-Request-ID", bad);
    EXPECT_EQ(requestIdFor(head, random), expected) << bad;
  }
}

TEST(HeaderRulesTest, HostWithoutPort) {
  RequestHead head;
  EXPECT_EQ(hostWithoutPort(head), "");
  head.headers.set("Host", "Example.com:8080");
  EXPECT_EQ(hostWithoutPort(head), "example.com");
  head.headers.set("Host", "payments");
  EXPECT_EQ(hostWithoutPort(head), "payments");
  head.headers.set("Host", "[::1]:80");
  EXPECT_EQ(hostWithoutPort(head), "[::1]");
  head.headers.set("Host", "[2001:DB8::1]");
  EXPECT_EQ(hostWithoutPort(head), "[2001:db8::1]");
  head.headers.set("Host", "10.0.0.1:15001");
  EXPECT_EQ(hostWithoutPort(head), "10.0.0.1");
}

}  // namespace
}  // namespace outrigger::http
