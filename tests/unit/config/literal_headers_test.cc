// makeLiteralHeaderViews: a route's literal request header edits as views made once at load.

#include "proxy/config/literal_headers.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "proxy/config/route_schema.h"
#include "tests/unit/config/config_test_util.h"

namespace outrigger::config {
namespace {

HeaderEntry literal(std::string name, std::string value) {
  return HeaderEntry{std::move(name), HeaderValue{value, {ValuePiece{value}}}};
}

std::vector<std::string> text(const std::vector<http::HeaderView>& views) {
  std::vector<std::string> out;
  for (const http::HeaderView& v : views)
    out.push_back(std::string(v.name) + "=" + std::string(v.value));
  return out;
}

TEST(LiteralHeaderViewsTest, ViewsTheSetAndAddEntriesAndFoldsANameSetTwice) {
  HeaderRewrite rewrite;
  rewrite.set = {literal("X-A", "one"), literal("x-b", "two"), literal("x-a", "three")};
  rewrite.add = {literal("x-via", "outrigger"), literal("x-via", "again")};
  const auto views = makeLiteralHeaderViews(rewrite);
  ASSERT_NE(views, nullptr);
  EXPECT_EQ(text(views->set), (std::vector<std::string>{"X-A=three", "x-b=two"}));
  EXPECT_EQ(text(views->add), (std::vector<std::string>{"x-via=outrigger", "x-via=again"}));
}

TEST(LiteralHeaderViewsTest, AValueWithAVariableLeavesItToTheRequestPath) {
  HeaderRewrite rewrite;
  rewrite.set = {literal("x-team", "billing")};
  rewrite.add = {HeaderEntry{
      "x-id", HeaderValue{"%REQUEST_ID%", {ValuePiece{"", HeaderVariable::kRequestId}}}}};
  EXPECT_EQ(makeLiteralHeaderViews(rewrite), nullptr);
}

TEST(LiteralHeaderViewsTest, TheViewsOutliveTheRewriteTheyWereMadeFrom) {
  std::shared_ptr<const LiteralHeaderViews> views;
  {
    auto rewrite = std::make_unique<HeaderRewrite>();
    rewrite->set = {literal("x-short", "v"), literal(std::string(40, 'n'), std::string(80, 'v'))};
    views = makeLiteralHeaderViews(*rewrite);
    rewrite->set.clear();  // and then freed
  }
  ASSERT_NE(views, nullptr);
  EXPECT_EQ(text(views->set), (std::vector<std::string>{
                                  "x-short=v", std::string(40, 'n') + "=" + std::string(80, 'v')}));
}

TEST(LiteralHeaderViewsTest, TheLoaderMakesThemForALiteralRouteOnly) {
  const LoadResult plain = testing::load(
      "listeners:\n  - name: l\n    listen: 127.0.0.1:0\n    routes:\n"
      "      - { path_prefix: /a, upstream: u, request_headers: { set: { x-team: billing }, add: { "
      "x-via: o } } }\n"
      "      - { path_prefix: /b, upstream: u, request_headers: { add: { x-id: \"%REQUEST_ID%\" } "
      "} }\n"
      "upstreams:\n  u: { endpoints: [ \"127.0.0.1:1\" ] }\n");
  ASSERT_TRUE(plain.errors.empty()) << plain.errors.front().format();
  const auto& routes = plain.config->listeners.at(0).routes;
  ASSERT_NE(routes.at(0).rewrite.request_literals.views, nullptr);
  EXPECT_EQ(text(routes.at(0).rewrite.request_literals.views->add),
            (std::vector<std::string>{"x-via=o"}));
  EXPECT_EQ(routes.at(1).rewrite.request_literals.views, nullptr);
}

}  // namespace
}  // namespace outrigger::config
