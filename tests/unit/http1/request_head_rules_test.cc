#include "proxy/http1/request_head_rules.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace outrigger::http1 {
namespace {

using config::UnderscoreHeaders;

http::RequestHead head(int version_minor,
                       const std::vector<std::pair<std::string, std::string>>& h) {
  http::RequestHead out;
  out.method = "GET";
  out.target = "/";
  out.version_minor = version_minor;
  for (const auto& [name, value] : h) out.headers.add(name, value);
  return out;
}

std::vector<std::string> names(const http::RequestHead& h) {
  std::vector<std::string> out;
  for (const http::HeaderView& v : h.headers) out.emplace_back(v.name);
  return out;
}

TEST(RequestHeadRulesTest, Http11WithoutHostIsRefused) {
  http::RequestHead h = head(1, {{"Content-Length", "5"}});
  EXPECT_EQ(applyRequestHeadRules(h, UnderscoreHeaders::kAllow).refusal,
            "HTTP/1.1 request without Host");
}

TEST(RequestHeadRulesTest, Http10WithoutHostAndHttp11WithEmptyHostPass) {
  http::RequestHead old = head(0, {});
  EXPECT_TRUE(applyRequestHeadRules(old, UnderscoreHeaders::kDrop).refusal.empty());
  // RFC 9112 §3.2: an empty Host is how a client says the target has no authority.
  http::RequestHead empty = head(1, {{"Host", ""}});
  EXPECT_TRUE(applyRequestHeadRules(empty, UnderscoreHeaders::kDrop).refusal.empty());
}

TEST(RequestHeadRulesTest, DropRemovesEveryNameWithAnUnderscore) {
  http::RequestHead h = head(1, {{"Host", "a"},
                                 {"Transfer_Encoding", "chunked"},
                                 {"X-Ok", "1"},
                                 {"Content_Length", "3"},
                                 {"x_user", "root"}});
  const HeadRuling ruling = applyRequestHeadRules(h, UnderscoreHeaders::kDrop);
  EXPECT_TRUE(ruling.refusal.empty());
  EXPECT_EQ(ruling.dropped, 3u);
  EXPECT_EQ(names(h), (std::vector<std::string>{"Host", "X-Ok"}));
}

TEST(RequestHeadRulesTest, RejectRefusesAndKeepsTheHead) {
  http::RequestHead h = head(1, {{"Host", "a"}, {"Content_Length", "3"}});
  const HeadRuling ruling = applyRequestHeadRules(h, UnderscoreHeaders::kReject);
  EXPECT_EQ(ruling.refusal, "header name with an underscore (limits.headers_with_underscores)");
  EXPECT_EQ(ruling.dropped, 0u);
}

TEST(RequestHeadRulesTest, AllowForwardsUnderscoreNames) {
  http::RequestHead h = head(1, {{"Host", "a"}, {"X_Trace", "1"}});
  const HeadRuling ruling = applyRequestHeadRules(h, UnderscoreHeaders::kAllow);
  EXPECT_TRUE(ruling.refusal.empty());
  EXPECT_EQ(names(h), (std::vector<std::string>{"Host", "X_Trace"}));
}

TEST(RequestHeadRulesTest, RejectAndDropLeaveHeadsWithoutUnderscoresAlone) {
  for (auto rule : {UnderscoreHeaders::kDrop, UnderscoreHeaders::kReject}) {
    http::RequestHead h = head(1, {{"Host", "a"}, {"X-Trace", "1"}});
    const HeadRuling ruling = applyRequestHeadRules(h, rule);
    EXPECT_TRUE(ruling.refusal.empty());
    EXPECT_EQ(ruling.dropped, 0u);
    EXPECT_EQ(h.headers.size(), 2u);
  }
}

}  // namespace
}  // namespace outrigger::http1
