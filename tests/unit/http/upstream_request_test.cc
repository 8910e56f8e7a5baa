#include "proxy/http/upstream_request.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/http/upstream_request_check.h"

namespace outrigger::http {
namespace {

std::string streamed(const RequestHead& head, const ForwardContext& ctx) {
  std::string out = "kept|";  // appends, never overwrites
  appendUpstreamRequestHead(head, ctx, out);
  EXPECT_EQ(out.substr(0, 5), "kept|");
  return out.substr(5);
}

RequestHead request(const std::vector<Header>& headers, std::string target = "/pay?x=1") {
  RequestHead head;
  head.method = "POST";
  head.target = std::move(target);
  head.version_minor = 0;
  head.keep_alive = false;
  head.framing = BodyFraming::kContentLength;
  head.content_length = 3;
  for (const Header& h : headers) head.headers.add(h.name, h.value);
  return head;
}

ForwardContext context(bool preserve_host = false) {
  ForwardContext ctx;
  ctx.client_address = "10.1.2.3";
  ctx.upstream_authority = "backend.internal:8080";
  ctx.preserve_host = preserve_host;
  ctx.request_id = "0123456789abcdef0123456789abcdef";
  return ctx;
}

TEST(UpstreamRequestTest, PlainRequestIsWrittenInFull) {
  RequestHead head = request({{"Host", "payments"}, {"Accept", "*/*"}});
  head.framing = BodyFraming::kNone;
  head.method = "GET";
  EXPECT_EQ(streamed(head, context()),
            "GET /pay?x=1 HTTP/1.1\r\n"
            "Host: backend.internal:8080\r\n"
            "Accept: */*\r\n"
            "X-Forwarded-For: 10.1.2.3\r\n"
            "X-Forwarded-Proto: http\r\n"
            "X-Forwarded-Host: payments\r\n"
            "X-Request-ID: 0123456789abcdef0123456789abcdef\r\n"
            "\r\n");
}

TEST(UpstreamRequestTest, FollowsTheHeaderRulesOnAwkwardHeads) {
  const std::vector<std::vector<Header>> cases = {
      {},
      {{"Host", "payments"}},
      {{"host", "a:1"},
       {"Connection", "close, X-Hint"},
       {"x-hint", "1"},
       {"Expect", "100-continue"}},
      {{"X-Forwarded-For", "203.0.113.9"}, {"Host", "h"}, {"x-forwarded-for", "198.51.100.2"}},
      {{"Connection", "X-Forwarded-For"}, {"X-Forwarded-For", "1.1.1.1"}, {"Host", "h"}},
      {{"x-forwarded-proto", "https"}, {"X-Forwarded-Proto", "ftp"}, {"Host", "h"}},
      {{"X-Forwarded-Host", "spoof"}, {"x-forwarded-host", "spoof2"}},
      {{"X-Forwarded-Host", "spoof"}, {"Host", "real"}, {"X-FORWARDED-HOST", "again"}},
      {{"x-request-id", "from-app"}, {"Host", "h"}, {"X-Request-Id", "second"}},
      {{"Connection", "host"}, {"Host", "dropped"}, {"Keep-Alive", "5"}, {"TE", "trailers"}},
      {{"Transfer-Encoding", "chunked"},
       {"Content-Length", "3"},
       {"Proxy-Connection", "x"},
       {"Upgrade", "h2c"},
       {"Trailer", "X-Sum"},
       {"X-Keep", "yes"}},
      {{"Connection", " a ,, b"}, {"connection", "c"}, {"A", "1"}, {"B", "2"}, {"C", "3"}},
  };
  for (const std::string target :
       {"/pay?x=1", "http://payments/v1?q", "https://p:8443", "http://p?x=1", "*"}) {
    for (const auto& headers : cases) {
      for (bool preserve : {false, true}) {
        for (int variant = 0; variant < 3; ++variant) {
          RequestHead head = request(headers, target);
          if (target == "*") head.method = "OPTIONS";  // the only method it may go with
          head.framing = variant == 0   ? BodyFraming::kContentLength
                         : variant == 1 ? BodyFraming::kChunked
                                        : BodyFraming::kNone;
          ForwardContext ctx = context(preserve);
          if (variant == 2) {  // nothing to add from the connection
            ctx.client_address = "";
            ctx.request_id = "";
            ctx.upstream_authority = "";
          }
          EXPECT_EQ(testing::upstreamRequestProblem(head, ctx, streamed(head, ctx)), "")
              << "target " << target << ", preserve_host " << preserve << ", variant " << variant
              << ", headers " << headers.size();
        }
      }
    }
  }
}

TEST(UpstreamRequestTest, TheCheckCatchesARuleBroken) {
  RequestHead head = request({{"Host", "payments"}, {"Connection", "X-Hint"}, {"X-Hint", "1"}});
  const ForwardContext ctx = context();
  const std::string good = streamed(head, ctx);
  ASSERT_EQ(testing::upstreamRequestProblem(head, ctx, good), "");
  std::string leaked = good;
  leaked.insert(leaked.find("\r\n") + 2, "X-Hint: 1\r\n");
  EXPECT_NE(testing::upstreamRequestProblem(head, ctx, leaked), "");
  std::string twice = good;
  twice.insert(twice.find("\r\n") + 2, "X-Request-ID: other\r\n");
  EXPECT_NE(testing::upstreamRequestProblem(head, ctx, twice), "");
  std::string reordered = streamed(request({{"B", "2"}, {"A", "1"}}), ctx);
  EXPECT_NE(testing::upstreamRequestProblem(request({{"A", "1"}, {"B", "2"}}), ctx, reordered), "");
}

}  // namespace
}  // namespace outrigger::http
