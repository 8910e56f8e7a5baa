// What can be checked on the status page's text without a browser: it is self-contained, it
// polls instead of reloading, it writes data only as text, and every metric it reads is one
// that outrigger exports. tests/integration/status_page_test.cc runs it in Chromium.
#include "proxy/admin/status_page.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>
#include <vector>

#include "proxy/metrics/metrics.h"
#include "proxy/metrics/policy_metrics.h"

namespace outrigger::admin {
namespace {

using ::testing::HasSubstr;

const std::string& page() {
  static const std::string html(statusPageHtml());
  return html;
}

// Every first capture group of `pattern` in `text`.
std::vector<std::string> allMatches(const std::string& text, const std::string& pattern) {
  std::vector<std::string> found;
  const std::regex re(pattern);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it) {
    found.push_back((*it)[1].str());
  }
  return found;
}

// A plain bool, so that a failure prints the needle rather than the whole page.
bool pageHas(const std::string& needle) { return page().find(needle) != std::string::npos; }

size_t countOf(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

TEST(StatusPageTest, IsOneCompleteHtmlDocument) {
  EXPECT_EQ(page().substr(0, 16), "<!doctype html>\n");
  EXPECT_TRUE(pageHas("<meta charset=\"utf-8\">"));
  EXPECT_EQ(page().substr(page().size() - 16), "</body>\n</html>\n");
  EXPECT_EQ(countOf(page(), "<style>"), 1u);
  EXPECT_EQ(countOf(page(), "<script"), countOf(page(), "</script>"));
  EXPECT_EQ(statusPageHtml().data(), statusPageHtml().data());  // built once
}

TEST(StatusPageTest, LoadsNothingFromAnotherOrigin) {
  // No absolute URL at all, so no src, href, fetch or CSS url() can leave the admin port.
  EXPECT_FALSE(pageHas("http://"));
  EXPECT_FALSE(pageHas("https://"));
  EXPECT_FALSE(pageHas("@import"));
  EXPECT_FALSE(pageHas("@font-face"));
  EXPECT_FALSE(pageHas("url("));
  EXPECT_EQ(countOf(page(), "<script"), countOf(page(), "<script>"))
      << "a script tag with attributes, e.g. src=";
  // Links and sources are same-origin paths ("/x", not the protocol-relative "//host") or
  // inline data.
  const auto targets = allMatches(page(), R"re(\b(?:src|href)\s*=\s*["']?([^"' >]*))re");
  ASSERT_FALSE(targets.empty());
  for (const std::string& target : targets) {
    const bool same_origin_path = target.size() > 1 && target[0] == '/' && target[1] != '/';
    EXPECT_TRUE(same_origin_path || target.rfind("data:", 0) == 0) << target;
  }
  for (const std::string& rel : allMatches(page(), R"re(<link[^>]*rel="([^"]*)")re")) {
    EXPECT_EQ(rel, "icon");  // no stylesheet link, local or not
  }
  // And the browser enforces it: nothing but inline style and script, and same-origin fetch.
  EXPECT_TRUE(pageHas("content=\"default-src 'none'; connect-src 'self';"));
}

TEST(StatusPageTest, RefreshesByPollingMetricsEveryTwoSecondsWithoutReloading) {
  EXPECT_TRUE(pageHas("const kPollMs = 2000;"));
  EXPECT_TRUE(pageHas("fetchWithTimeout(\"/metrics\")"));
  EXPECT_TRUE(pageHas("setTimeout(poll, kPollMs)"));  // chained: polls never overlap
  EXPECT_FALSE(pageHas("setInterval"));
  EXPECT_FALSE(pageHas("http-equiv=\"refresh\""));
  EXPECT_FALSE(pageHas("location.reload"));
  EXPECT_FALSE(pageHas("location.href"));
}

TEST(StatusPageTest, NeverTurnsDataIntoMarkup) {
  for (const char* sink : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                           "eval(", "new Function", "createContextualFragment", "DOMParser"}) {
    EXPECT_FALSE(pageHas(sink)) << sink;
  }
  EXPECT_TRUE(pageHas(".textContent = "));
}

TEST(StatusPageTest, GivesEachBreakerStateItsOwnColour) {
  // outrigger_circuit_breaker_state is 0 closed, 1 open, 2 half-open: the index into this.
  EXPECT_TRUE(pageHas("const kBreakerStates = [\"closed\", \"open\", \"half-open\"];"));
  std::set<std::string> colours;
  for (const char* state : {"closed", "open", "half-open"}) {
    const auto colour = allMatches(
        page(), std::string(R"(\.breaker-)") + state + R"( \{ color: var\(--([a-z]+)\))");
    ASSERT_EQ(colour.size(), 1u) << "no CSS rule for .breaker-" << state;
    colours.insert(colour[0]);
  }
  EXPECT_EQ(colours, (std::set<std::string>{"ok", "bad", "warn"}));
  // The DOM contract the integration test and people's scripts rely on.
  EXPECT_TRUE(pageHas("row.dataset.upstream = name;"));
  EXPECT_TRUE(pageHas("badge.dataset.breakerState = s.breaker;"));
  EXPECT_TRUE(pageHas("\"breaker breaker-\" + s.breaker"));
}

TEST(StatusPageTest, LinksTheOtherAdminEndpoints) {
  for (const char* path : {"/help", "/metrics", "/upstreams", "/config"}) {
    EXPECT_TRUE(pageHas(std::string("<a href=\"") + path + "\">")) << path;
  }
}

// A renamed metric or label value would leave the page showing zeros without failing; this
// ties every name the page reads to what the registry really exports.
TEST(StatusPageTest, ReadsOnlyMetricsAndLabelValuesThatOutriggerExports) {
  metrics::Metrics metrics;
  metrics::PolicyMetrics policy(metrics.registry());
  metrics.upstream("a").countRequest(200, std::chrono::milliseconds(1));
  metrics.upstream("a").countGrpcResponse(http::GrpcStatus::kOk);
  metrics.upstream("a").tunnelsActive(metrics::TunnelKind::kTcp);  // as an opening tunnel does
  policy.upstream("a", {"127.0.0.1:8080"});
  metrics.downstreamConnections("main");
  const std::string exposition = metrics.serialize();

  const auto names = allMatches(page(), R"(\b((?:outrigger|process)_[a-z_]+)\b)");
  EXPECT_GE(std::set<std::string>(names.begin(), names.end()).size(), 13u);
  for (const std::string& name : names) {
    EXPECT_TRUE(exposition.find("\n" + name + "{") != std::string::npos ||
                exposition.find("\n" + name + " ") != std::string::npos)
        << name << " is not in /metrics";
  }
  const auto states = allMatches(page(), R"re(l\.state === "([a-z_]+)")re");
  EXPECT_EQ(std::set<std::string>(states.begin(), states.end()),
            (std::set<std::string>{"active", "idle", "connecting"}));
  for (const std::string& state : states) {
    EXPECT_THAT(exposition, HasSubstr("state=\"" + state + "\""));
  }
  EXPECT_THAT(exposition, HasSubstr("outrigger_build_info{version=\""));
}

}  // namespace
}  // namespace outrigger::admin
