#include "proxy/exchange/route_rewrite.h"

#include <gtest/gtest.h>

#include "tests/unit/exchange/rewrite_reference.h"

namespace outrigger::exchange {
namespace {

using testing::loadRoute;
using testing::rewriteRequest;
using testing::rewriteTarget;

const RewriteVariables kVars{"req-1", "u", "api", "10.1.2.3"};

// rewriteTarget on an origin-form target, its path taken as the part before '?'.
std::string rewritten(const std::string& target, std::string_view replaced,
                      std::string_view replacement) {
  const std::string_view path = std::string_view(target).substr(0, target.find('?'));
  return rewriteTarget(target, path, replaced, replacement);
}

TEST(RouteRewriteTest, TargetKeepsItsQueryAndSharesOneSlash) {
  EXPECT_EQ(rewritten("/v1/charges/7?x=1", "/v1", "/v2"), "/v2/charges/7?x=1");
  EXPECT_EQ(rewritten("/v1/charges", "/v1", "/"), "/charges");
  EXPECT_EQ(rewritten("/v1", "/v1", "/"), "/");
  EXPECT_EQ(rewritten("/healthz", "/healthz", "/status/200"), "/status/200");
  EXPECT_EQ(rewritten("/other", "/v1", "/v2"), "/other");  // not under the prefix: unchanged
  const std::string absolute = "http://a.example/v1/x?q";
  EXPECT_EQ(rewriteTarget(absolute, std::string_view(absolute).substr(16, 5), "/v1", "/v9"),
            "http://a.example/v9/x?q");
}

TEST(RouteRewriteTest, VariablesAreFilledIn) {
  const config::RouteConfig route = loadRoute(
      "{ upstream: u, request_headers: { set: { x-a: \"%REQUEST_ID%/%UPSTREAM%/%ROUTE%/"
      "%CLIENT_IP%/%%\" } } }");
  std::string out;
  expandHeaderValue(route.rewrite.request.set[0].value, kVars, out);
  EXPECT_EQ(out, "req-1/u/api/10.1.2.3/%");
}

TEST(RouteRewriteTest, RemoveThenSetThenAdd) {
  const config::RouteConfig route = loadRoute(
      "{ upstream: u, request_headers: { remove: [ X-Gone, x-both ], set: { X-Set: new, x-both: "
      "s }, add: { x-both: a, x-add: \"%ROUTE%\" } } }");
  http::RequestHead in;
  in.method = "GET";
  in.target = "/p";
  in.headers.add("x-gone", "1");
  in.headers.add("X-Set", "old1");
  in.headers.add("x-set", "old2");
  in.headers.add("x-both", "app");
  in.headers.add("x-kept", "k");
  http::RequestHead out;
  rewriteRequest(route.rewrite, kVars, in, out);
  EXPECT_FALSE(out.headers.has("x-gone"));
  EXPECT_EQ(*out.headers.get("x-kept"), "k");
  size_t sets = 0;
  std::vector<std::string> both;
  for (const http::HeaderView& h : out.headers) {
    if (http::equalsIgnoreCase(h.name, "x-set")) ++sets;
    if (http::equalsIgnoreCase(h.name, "x-both")) both.emplace_back(h.value);
  }
  EXPECT_EQ(sets, 1u);
  EXPECT_EQ(*out.headers.get("x-set"), "new");
  EXPECT_EQ(both, (std::vector<std::string>{"s", "a"}));
  EXPECT_EQ(*out.headers.get("x-add"), "api");
  // The app's head stays as it was, for another attempt.
  EXPECT_EQ(in.headers.size(), 5u);
  EXPECT_EQ(*in.headers.get("x-set"), "old1");
}

TEST(RouteRewriteTest, PrefixRewriteReplacesTheMatchedPrefix) {
  const config::RouteConfig route =
      loadRoute("{ path_prefix: /v1/charges, upstream: u, prefix_rewrite: /charges }");
  http::RequestHead in;
  in.method = "GET";
  in.target = "/v1/charges/7?expand=1";
  http::RequestHead out;
  rewriteRequest(route.rewrite, kVars, in, out);
  EXPECT_EQ(out.target, "/charges/7?expand=1");
  EXPECT_EQ(in.target, "/v1/charges/7?expand=1");
  // The request path tests these flags instead of the rewrite's fields.
  EXPECT_TRUE(route.rewrite.changes_request);
  EXPECT_FALSE(route.rewrite.changes_response);
  EXPECT_FALSE(loadRoute("{ upstream: u }").rewrite.changes_request);
  EXPECT_TRUE(loadRoute("{ upstream: u, response_headers: { remove: [ server ] } }")
                  .rewrite.changes_response);
}

}  // namespace
}  // namespace outrigger::exchange
