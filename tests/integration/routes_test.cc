// Routes through the real binary (issue 20): match conditions pick the upstream request, the
// upstream sees the rewritten path, Host and headers, the app sees the response changes, and
// a direct response is answered with no upstream.

#include <gtest/gtest.h>

#include <string>

#include "tests/integration/proxy_fixture.h"

namespace outrigger::testing {
namespace {

class RoutesTest : public ::testing::Test {
 protected:
  // `routes` are YAML list items, indented for the listener's routes.
  void start(const std::string& routes) {
    mock_ = std::make_unique<MockUpstream>(dir_);
    ASSERT_TRUE(mock_->ok()) << "mock-upstream did not start";
    const std::string yaml =
        "admin: { listen: 127.0.0.1:0 }\n"
        "access_log: { path: off }\n"
        "listeners:\n"
        "  - name: main\n"
        "    listen: 127.0.0.1:0\n"
        "    routes:\n" +
        routes +
        "upstreams:\n"
        "  mock:\n"
        "    endpoints: [ \"" +
        mock_->address() + "\" ]\n";
    proxy_ = std::make_unique<OutriggerProcess>(dir_, yaml);
    ASSERT_TRUE(proxy_->ok()) << "outrigger did not start:\n" << proxy_->log();
    port_ = proxy_->port("main");
  }

  std::optional<HttpResponse> send(const std::string& method, const std::string& target,
                                   const std::vector<std::string>& headers = {}) {
    return httpRequest(port_, method, target, "", headers);
  }

  TempDir dir_;
  std::unique_ptr<MockUpstream> mock_;
  std::unique_ptr<OutriggerProcess> proxy_;
  uint16_t port_ = 0;
};

TEST_F(RoutesTest, MatchConditionsPickTheRoute) {
  start(
      "      - match: { path_prefix: /echo, methods: [ POST ], headers: { x-tenant: gold } }\n"
      "        upstream: mock\n"
      "        request_headers: { set: { x-picked: gold } }\n"
      "      - match: { path_exact: /echo, headers: { x-debug: { present: true } } }\n"
      "        upstream: mock\n"
      "        request_headers: { set: { x-picked: debug } }\n"
      "      - match: { host: \"*.local\", path_prefix: /echo, headers: { x-wild: { present: true "
      "} } }\n"
      "        upstream: mock\n"
      "        request_headers: { set: { x-picked: wildcard } }\n"
      "      - match: { host: \"*.example.com\" }\n"
      "        upstream: mock\n"
      "        request_headers: { set: { x-picked: other-domain } }\n"
      "      - { path_prefix: /echo, upstream: mock }\n");
  auto gold = send("POST", "/echo", {"X-Tenant: gold"});
  ASSERT_TRUE(gold);
  EXPECT_EQ(gold->header("X-Echo-Header-x-picked"), "gold");
  // Exact path beats the prefix of the gold route, whose method does not match anyway.
  auto debug = send("GET", "/echo", {"X-Debug: 1"});
  ASSERT_TRUE(debug);
  EXPECT_EQ(debug->header("X-Echo-Header-x-picked"), "debug");
  // The test client's Host is test.local.
  auto wildcard = send("GET", "/echo", {"X-Debug: 1", "X-Wild: 1"});
  ASSERT_TRUE(wildcard);
  EXPECT_EQ(wildcard->header("X-Echo-Header-x-picked"), "wildcard");
  auto plain = send("POST", "/echo", {"X-Tenant: silver"});
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 200);
  EXPECT_FALSE(plain->hasHeader("X-Echo-Header-x-picked"));
  auto none = send("GET", "/other");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 404);
  EXPECT_EQ(none->header("x-outrigger-reason"), "no_route");
}

TEST_F(RoutesTest, UpstreamSeesRewrittenPathHostAndHeaders) {
  start(
      "      - name: api\n"
      "        match: { path_prefix: /api }\n"
      "        upstream: mock\n"
      "        prefix_rewrite: /echo\n"
      "        host_rewrite: internal.example:8443\n"
      "        request_headers:\n"
      "          set: { x-team: billing, x-request-id-copy: \"%REQUEST_ID%\" }\n"
      "          add: { x-via: \"outrigger %ROUTE% to %UPSTREAM% for %CLIENT_IP% at 100%%\" }\n"
      "          remove: [ cookie ]\n");
  auto r = send("GET", "/api?x=1",
                {"Cookie: secret=1", "X-Team: sales", "X-Team: ops", "X-Request-ID: req-7"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("X-Echo-Target"), "/echo?x=1");
  EXPECT_EQ(r->header("X-Echo-Header-Host"), "internal.example:8443");
  EXPECT_EQ(r->header("X-Echo-Header-X-Forwarded-Host"), "test.local");
  EXPECT_FALSE(r->hasHeader("X-Echo-Header-Cookie"));
  EXPECT_EQ(r->header("X-Echo-Header-x-team"), "billing");  // set replaced both of the app's
  EXPECT_EQ(r->header("X-Echo-Header-x-request-id-copy"), "req-7");
  EXPECT_EQ(r->header("X-Echo-Header-x-via"), "outrigger api to mock for 127.0.0.1 at 100%");
}

TEST_F(RoutesTest, AppSeesResponseHeaderChanges) {
  start(
      "      - match: { path_prefix: /echo }\n"
      "        upstream: mock\n"
      "        response_headers:\n"
      "          set: { cache-control: no-store, x-echo-method: hidden }\n"
      "          add: { x-route: \"%ROUTE%\", x-upstream: \"%UPSTREAM%\" }\n"
      "          remove: [ x-echo-version ]\n");
  auto r = send("GET", "/echo");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("Cache-Control"), "no-store");
  EXPECT_EQ(r->header("X-Echo-Method"), "hidden");
  EXPECT_EQ(r->header("x-route"), "routes[0]");  // the default name
  EXPECT_EQ(r->header("x-upstream"), "mock");
  EXPECT_FALSE(r->hasHeader("X-Echo-Version"));
}

TEST_F(RoutesTest, DirectResponseAnswersWithoutTheUpstream) {
  start(
      "      - match: { path_exact: /healthz }\n"
      "        direct_response: { status: 200, body: ok }\n"
      "        response_headers: { add: { x-answered-by: \"%ROUTE%\" } }\n"
      "      - match: { path_prefix: /down }\n"
      "        direct_response: { status: 503, body: \"{\\\"down\\\":true}\", content_type: "
      "application/json }\n"
      "      - { path_prefix: /, upstream: mock }\n");
  auto ok = send("GET", "/healthz");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "ok");
  EXPECT_EQ(ok->header("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(ok->header("x-answered-by"), "routes[0]");
  EXPECT_FALSE(ok->hasHeader("x-outrigger-reason"));
  EXPECT_FALSE(ok->header("X-Request-ID").empty());
  auto down = send("POST", "/down/now");
  ASSERT_TRUE(down);
  EXPECT_EQ(down->status, 503);
  EXPECT_EQ(down->body, "{\"down\":true}");
  EXPECT_EQ(down->header("Content-Type"), "application/json");
  // Nothing reached the upstream; both count with no upstream.
  auto stats = send("GET", "/__stats");
  ASSERT_TRUE(stats);
  EXPECT_NE(stats->body.find("\"requests_total\":0"), std::string::npos) << stats->body;
  EXPECT_EQ(proxy_->metric("outrigger_requests_total", {{"upstream", ""}, {"code", "200"}}), 1);
  EXPECT_EQ(proxy_->metric("outrigger_requests_total", {{"upstream", ""}, {"code", "503"}}), 1);
}

TEST(RoutesCheckTest, ForbiddenHeadersAreRejectedWithTheirPosition) {
  TempDir dir;
  dir.write("bad.yaml",
            "listeners:\n"
            "  - name: main\n"
            "    listen: 127.0.0.1:0\n"
            "    routes:\n"
            "      - upstream: u\n"
            "        request_headers: { set: { Content-Length: \"5\", host: x }, add: { te: "
            "trailers } }\n"
            "        response_headers: { remove: [ transfer-encoding ] }\n"
            "upstreams:\n"
            "  u: { endpoints: [ \"10.0.0.1:80\" ] }\n");
  std::string out;
  EXPECT_EQ(runOutrigger("--check -c " + dir.file("bad.yaml"), &out), 2);
  const std::string f = dir.file("bad.yaml");
  for (const std::string& expected :
       {f + ":6:35: listeners[0].routes[0].request_headers.set.Content-Length: cannot set "
            "'content-length': outrigger writes the framing headers (content-length, "
            "transfer-encoding) to match how the body is sent",
        f + ":6:56: listeners[0].routes[0].request_headers.set.host: cannot set 'host': use "
            "host_rewrite to change it",
        f + ":6:74: listeners[0].routes[0].request_headers.add.te: cannot add 'te': it is a "
            "hop-by-hop header, which applies to one connection and is never forwarded",
        f + ":7:39: listeners[0].routes[0].response_headers.remove[0]: cannot remove "
            "'transfer-encoding': outrigger writes the framing headers (content-length, "
            "transfer-encoding) to match how the body is sent"}) {
    EXPECT_NE(out.find(expected), std::string::npos) << expected << "\n---\n" << out;
  }
}

}  // namespace
}  // namespace outrigger::testing
