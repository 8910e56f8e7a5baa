// `outrigger explain`: the listener, route, upstream and policy a request would get.

#include "proxy/cli/explain.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/cli/cli_test_util.h"

namespace outrigger::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kConfig = R"yaml(
listeners:
  - name: outbound
    listen: 127.0.0.1:15001
    routes:
      - { host: payments, upstream: payments }
      - { path_prefix: /users, upstream: users }
  - name: other-address
    listen: 10.0.0.9:15002
    routes: [ { upstream: users } ]
  - name: catalog
    listen: 127.0.0.1:15002
    routes: [ { path_prefix: /items, upstream: catalog } ]
defaults:
  timeouts: { connect: 1s }
upstreams:
  payments:
    endpoints: [ "10.0.0.1:443" ]
    profile: high-latency
    retry: { max_attempts: 4 }
  users:
    endpoints: [ "10.0.0.2:80" ]
  catalog:
    endpoints: [ "10.0.0.3:80" ]
)yaml";

Explanation explain(std::string method, std::string url, std::string host = "") {
  const config::Config config = testing::loadOrDie(kConfig);
  const Result<Explanation> r =
      explainRequest(config, {std::move(method), std::move(url), std::move(host), {}});
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Explanation{};
}

std::string errorOf(std::string method, std::string url) {
  const config::Config config = testing::loadOrDie(kConfig);
  const Result<Explanation> r = explainRequest(config, {std::move(method), std::move(url), "", {}});
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error().message;
}

// The column at which `word` starts on the line beginning with "  <key> ".
size_t columnOf(const std::string& text, const std::string& key, const std::string& word) {
  const size_t line = text.find("\n  " + key + " ");
  EXPECT_NE(line, std::string::npos) << key;
  const size_t end = text.find('\n', line + 1);
  const size_t at = text.find(" " + word, line + 3 + key.size() - 1);
  EXPECT_LT(at, end) << key << " " << word;
  return at - line;
}

TEST(ExplainTest, RoutesByPortThenHostAndPath) {
  const Explanation e = explain("GET", "http://127.0.0.1:15001/users/42?x=1");
  EXPECT_TRUE(e.routed);
  EXPECT_THAT(e.text, HasSubstr("GET http://127.0.0.1:15001/users/42?x=1  (Host: 127.0.0.1, "
                                "path /users/42)\n"));
  EXPECT_THAT(e.text, HasSubstr("listener  outbound (127.0.0.1:15001)\n"));
  EXPECT_THAT(e.text, HasSubstr("route     listeners[0].routes[1]: host *, path_prefix /users\n"));
  EXPECT_THAT(e.text, HasSubstr("upstream  users\n"));
}

TEST(ExplainTest, HostFlagOverridesTheUrlHostAndLosesItsPort) {
  const Explanation e = explain("POST", "http://127.0.0.1:15001/charge", "PAYMENTS:15001");
  EXPECT_TRUE(e.routed);
  EXPECT_THAT(e.text, HasSubstr("(Host: PAYMENTS, path /charge)"));
  EXPECT_THAT(e.text, HasSubstr("listeners[0].routes[0]: host payments, path_prefix /\n"));
  EXPECT_THAT(e.text, HasSubstr("upstream  payments\n"));
}

TEST(ExplainTest, ListenerOnTheUrlHostWinsWhenSeveralShareThePort) {
  EXPECT_THAT(explain("GET", "http://127.0.0.1:15002/items").text,
              HasSubstr("listener  catalog (127.0.0.1:15002)\n"));
  EXPECT_THAT(explain("GET", "http://10.0.0.9:15002/items").text,
              HasSubstr("listener  other-address (10.0.0.9:15002)\n"));
}

TEST(ExplainTest, NoListenerOnThePortSaysSoAndIsNotRouted) {
  const Explanation e = explain("GET", "http://127.0.0.1/x");  // no port: 80
  EXPECT_FALSE(e.routed);
  EXPECT_THAT(e.text, HasSubstr("listener  none on port 80 (listeners: outbound on "
                                "127.0.0.1:15001, other-address on 10.0.0.9:15002, catalog on "
                                "127.0.0.1:15002)\n"));
  EXPECT_THAT(e.text, Not(HasSubstr("route")));
}

TEST(ExplainTest, NoRouteSaysSoAndListsTheListenersRoutes) {
  const Explanation e = explain("GET", "http://127.0.0.1:15002/orders");
  EXPECT_FALSE(e.routed);
  EXPECT_THAT(e.text, HasSubstr("route     none: the request gets 404 no_route (routes: host * "
                                "path_prefix /items)\n"));
  EXPECT_THAT(e.text, Not(HasSubstr("upstream")));
}

TEST(ExplainTest, PolicyRowsAreAlignedWithTheirSources) {
  const std::string text = explain("GET", "http://127.0.0.1:15001/", "payments").text;
  EXPECT_THAT(text, HasSubstr("attempts  up to 4 (GET is idempotent)\n"));
  EXPECT_THAT(text, HasSubstr("policy of upstream 'payments':\n"));
  EXPECT_THAT(text, ::testing::ContainsRegex("\n  timeouts.connect +1s +defaults\n"));
  EXPECT_THAT(text, ::testing::ContainsRegex(
                        "\n  timeouts.read +2m +profile high-latency \\(upstream\\)\n"));
  EXPECT_THAT(text, ::testing::ContainsRegex("\n  retry.max_attempts +4 +upstream\n"));
  EXPECT_THAT(text, ::testing::ContainsRegex("\n  retry.backoff.jitter +full +default\n"));
  // Every value starts in the same column, and so does every source.
  EXPECT_EQ(columnOf(text, "timeouts.connect", "1s"), columnOf(text, "key", "value"));
  EXPECT_EQ(columnOf(text, "retry.max_attempts", "4"), columnOf(text, "key", "value"));
  EXPECT_EQ(columnOf(text, "timeouts.connect", "defaults"), columnOf(text, "key", "from"));
  EXPECT_EQ(columnOf(text, "retry.max_attempts", "upstream"), columnOf(text, "key", "from"));
}

TEST(ExplainTest, OffBlocksAreNotSpreadOverBlankLines) {
  const std::string text = explain("GET", "http://127.0.0.1:15001/users").text;
  EXPECT_THAT(text, ::testing::ContainsRegex("  bulkhead +off +default\n  rate_limit +off"));
}

TEST(ExplainTest, BadMethodOrUrlIsAnError) {
  EXPECT_EQ(errorOf("get", "http://127.0.0.1:15001/"),
            "methods are case-sensitive: write 'GET', not 'get'");
  EXPECT_EQ(errorOf("GE T", "http://127.0.0.1:15001/"), "invalid method 'GE T'");
  EXPECT_EQ(errorOf("GET", "ftp://x/"),
            "listeners speak plain HTTP: write http://, got 'ftp://x/'");
}

}  // namespace
}  // namespace outrigger::cli

namespace outrigger::cli {
namespace {

constexpr std::string_view kMatchConfig = R"yaml(
listeners:
  - name: outbound
    listen: 127.0.0.1:15001
    routes:
      - name: gold
        match: { path_prefix: /v1, methods: [ POST ], headers: { x-tenant: gold } }
        upstream: users
        prefix_rewrite: /v2
        request_headers: { set: { x-team: billing }, remove: [ cookie ] }
      - match: { path_exact: /healthz }
        direct_response: { status: 200, body: ok }
      - { path_prefix: /, upstream: users }
upstreams:
  users: { endpoints: [ "10.0.0.2:80" ] }
)yaml";

std::string explainMatch(std::string method, std::string url, std::vector<std::string> headers) {
  const config::Config config = testing::loadOrDie(kMatchConfig);
  const Result<Explanation> r = explainRequest(config, {method, url, "", headers});
  EXPECT_TRUE(r.ok());
  return r.ok() ? r->text : "";
}

TEST(ExplainTest, HeadersAndMethodChooseTheRouteAndItsRewritesAreShown) {
  const std::string gold = explainMatch("POST", "http://127.0.0.1:15001/v1/x", {"X-Tenant: gold"});
  EXPECT_THAT(gold, HasSubstr("listeners[0].routes[0] (gold): host *, path_prefix /v1, methods "
                              "POST, header x-tenant: gold\n"));
  EXPECT_THAT(gold, HasSubstr("prefix_rewrite          /v1 -> /v2\n"));
  EXPECT_THAT(gold, HasSubstr("request_headers.remove  cookie\n"));
  EXPECT_THAT(gold, HasSubstr("request_headers.set     x-team: billing\n"));
  const std::string plain = explainMatch("POST", "http://127.0.0.1:15001/v1/x", {});
  EXPECT_THAT(plain, HasSubstr("listeners[0].routes[2]: host *, path_prefix /\n"));
}

TEST(ExplainTest, DirectResponseNeedsNoUpstream) {
  const std::string text = explainMatch("GET", "http://127.0.0.1:15001/healthz", {});
  EXPECT_THAT(text, HasSubstr("direct_response 200 (text/plain; charset=utf-8, 2 bytes), no "
                              "upstream\n"));
  EXPECT_THAT(text, Not(HasSubstr("policy of upstream")));
}

TEST(ExplainTest, RouteOverridesShowTheRouteAsTheirSource) {
  const config::Config config = testing::loadOrDie(R"yaml(
listeners:
  - name: outbound
    listen: 127.0.0.1:15001
    routes:
      - name: charges
        match: { path_prefix: /charges }
        upstream: payments
        timeouts: { request: 1s }
        retry: { max_attempts: 1 }
      - { upstream: payments }
upstreams:
  payments:
    endpoints: [ "10.0.0.1:443" ]
    retry: { max_attempts: 4 }
)yaml");
  const Result<Explanation> charges =
      explainRequest(config, {"GET", "http://127.0.0.1:15001/charges", "", {}});
  ASSERT_TRUE(charges.ok());
  const std::string& text = charges->text;
  EXPECT_THAT(text, HasSubstr("attempts  1 (retry.max_attempts is 1)\n"));
  EXPECT_THAT(text,
              HasSubstr("policy of upstream 'payments' with the overrides of route charges:\n"));
  EXPECT_THAT(text, ::testing::ContainsRegex("\n  timeouts.request +1s +route charges\n"));
  EXPECT_THAT(text, ::testing::ContainsRegex("\n  retry.max_attempts +1 +route charges\n"));
  // What the route leaves alone still says where the upstream got it.
  EXPECT_THAT(text, ::testing::ContainsRegex("\n  timeouts.connect +2s +default\n"));
  EXPECT_THAT(text, ::testing::ContainsRegex("\n  retry.backoff.initial +[^ ]+ +default\n"));
  const Result<Explanation> other =
      explainRequest(config, {"GET", "http://127.0.0.1:15001/users", "", {}});
  ASSERT_TRUE(other.ok());
  EXPECT_THAT(other->text, HasSubstr("attempts  up to 4 (GET is idempotent)\n"));
  EXPECT_THAT(other->text, ::testing::ContainsRegex("\n  retry.max_attempts +4 +upstream\n"));
}

}  // namespace
}  // namespace outrigger::cli
