// forwardedRequest() hands a route's rewrite to the head writer, which applies it as it writes
// (issue 20): what the upstream gets must be exactly what writing a rewritten copy of the
// app's head (rewriteRequest) gave, in both wire forms, and the app's head must stay as it was.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "proxy/exchange/route_rewrite.h"
#include "proxy/exchange/upstream_attempt.h"
#include "proxy/http/upstream_request.h"
#include "tests/unit/exchange/rewrite_reference.h"

namespace outrigger::exchange {
namespace {

using testing::loadRoute;
using testing::rewriteRequest;
using testing::rewriteTarget;

http::RequestHead appHead(const std::string& target, const std::vector<http::Header>& headers) {
  http::RequestHead head;
  head.method = "POST";
  head.target = target;
  head.framing = http::BodyFraming::kContentLength;
  head.content_length = 2;
  for (const http::Header& h : headers) head.headers.add(h.name, h.value);
  return head;
}

std::string fields(const http::RequestHead& head) {
  std::string out = head.method + " " + head.target + "\n";
  for (const http::HeaderView& h : head.headers) {
    out.append(h.name).append(": ").append(h.value).append("\n");
  }
  return out;
}

// The head as the copy-then-write path wrote it: the rewritten copy, with host_rewrite as the
// authority.
http::ForwardContext copyContext(const config::RouteRewrite& rewrite, const AttemptRequest& r) {
  http::ForwardContext ctx;
  ctx.client_address = r.client_ip;
  ctx.upstream_authority = rewrite.host_rewrite.empty() ? std::string_view("10.0.0.1:80")
                                                        : std::string_view(rewrite.host_rewrite);
  ctx.preserve_host = rewrite.host_rewrite.empty() && r.preserve_host;
  ctx.request_id = r.request_id;
  return ctx;
}

TEST(ForwardedRequestTest, WritesWhatARewrittenCopyWouldHave) {
  const std::vector<std::string> routes = {
      "{ upstream: u }",
      "{ path_prefix: /v1, upstream: u, prefix_rewrite: /v2 }",
      "{ path_prefix: /v1/, upstream: u, prefix_rewrite: /, host_rewrite: in.example }",
      "{ upstream: u, preserve_host: true, host_rewrite: in.example }",
      "{ upstream: u, request_headers: { remove: [ cookie, X-Gone ], set: { X-Team: billing, "
      "x-set: \"%ROUTE%-%REQUEST_ID%\" }, add: { x-via: \"outrigger %ROUTE% %CLIENT_IP%\", "
      "X-Set: again, x-empty: \"\" } } }",
      "{ upstream: u, request_headers: { set: { X-A: one, x-a: two, x-b: \"%UPSTREAM%\" } } }",
      "{ upstream: u, request_headers: { set: { x-forwarded-for: 1.2.3.4, x-request-id: mine, "
      "x-forwarded-host: fh, expect: nothing } } }",
      "{ upstream: u, request_headers: { remove: [ x-forwarded-for, x-request-id ], add: { "
      "x-forwarded-for: 5.6.7.8, X-Forwarded-Proto: ftp } } }",
      "{ path_prefix: /v1, upstream: u, prefix_rewrite: /z/, request_headers: { remove: [ a ], "
      "set: { a: \"%%lit\" }, add: { a: b } } }",
      // Literal values (views made at load), with names the forwarding rules leave alone and
      // names they act on.
      "{ upstream: u, request_headers: { remove: [ cookie ], set: { X-Team: billing, x-b: bee, "
      "x-a: one }, add: { x-via: outrigger, X-Team: extra } } }",
      "{ upstream: u, request_headers: { set: { x-a: one, expect: no }, add: { x-forwarded-for: "
      "5.6.7.8, x-request-id: mine } } }",
  };
  const std::vector<std::vector<http::Header>> heads = {
      {},
      {{"Host", "app.example"}, {"Cookie", "c=1"}, {"x-set", "old"}, {"X-SET", "old2"}},
      {{"host", "h:81"},
       {"X-Forwarded-For", "9.9.9.9"},
       {"x-gone", "1"},
       {"A", "1"},
       {"x-a", "app"},
       {"Connection", "x-team"},
       {"X-Team", "hidden"},
       {"TE", "trailers"},
       {"x-request-id", "app-id"}},
      {{"x-b", "1"}, {"Expect", "100-continue"}, {"x-forwarded-host", "spoof"}},
  };
  for (const std::string& spec : routes) {
    const config::RouteConfig route = loadRoute(spec);
    for (const std::string target :
         {"/v1/pay?x=1", "/v1", "/other", "http://app.example/v1/x?q", "/v1/", "HTTP://a?b/v1/x",
          "http://a.example", "/v1#frag", "*"}) {
      for (const auto& headers : heads) {
        const http::RequestHead app = appHead(target, headers);
        const std::string before = fields(app);
        AttemptRequest request;
        request.head = &app;
        request.request_id = "rid-1";
        request.client_ip = "10.1.2.3";
        request.preserve_host = route.preserve_host;
        request.rewrite = &route.rewrite;
        request.variables = RewriteVariables{"rid-1", "u", "api", "10.1.2.3"};

        http::RequestHead copy;
        rewriteRequest(route.rewrite, request.variables, app, copy);
        const http::ForwardContext copy_ctx = copyContext(route.rewrite, request);
        std::string want;
        http::appendUpstreamRequestHead(copy, copy_ctx, want);
        http::RequestHead want_fields;
        http::makeUpstreamRequestHead(copy, copy_ctx, want_fields);

        for (int attempt = 0; attempt < 2; ++attempt) {  // a retry sends the same head
          const ForwardedRequest forwarded = forwardedRequest(request, "10.0.0.1:80");
          EXPECT_EQ(forwarded.head, &app);
          std::string got;
          http::appendUpstreamRequestHead(*forwarded.head, forwarded.forward, got);
          EXPECT_EQ(got, want) << spec << " " << target << " " << headers.size();
          http::RequestHead got_fields;
          http::makeUpstreamRequestHead(*forwarded.head, forwarded.forward, got_fields);
          EXPECT_EQ(fields(got_fields), fields(want_fields)) << spec << " " << target;
        }
        EXPECT_EQ(fields(app), before);  // the app's head, untouched
      }
    }
  }
}

TEST(ForwardedRequestTest, ARouteWithoutRewriteSendsTheAppsHead) {
  const http::RequestHead app = appHead("/p", {{"Host", "a"}, {"Cookie", "c"}});
  AttemptRequest request;
  request.head = &app;
  request.preserve_host = true;
  const ForwardedRequest forwarded = forwardedRequest(request, "10.0.0.1:80");
  EXPECT_EQ(forwarded.head, &app);
  EXPECT_EQ(forwarded.forward.edits, nullptr);
  EXPECT_EQ(forwarded.forward.upstream_authority, "10.0.0.1:80");
  EXPECT_TRUE(forwarded.forward.preserve_host);
}

}  // namespace
}  // namespace outrigger::exchange
