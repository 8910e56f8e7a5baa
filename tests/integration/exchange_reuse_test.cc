// One keep-alive connection serves many requests with the same Exchange storage, request
// head, request id and response parser (DownstreamSession's ExchangeBuffers): each request
// must start clean whatever the one before it left behind.
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/proxy_fixture.h"

namespace outrigger::testing {
namespace {

class ExchangeReuseTest : public ProxyTest {};

bool isGeneratedId(const std::string& id) {
  return id.size() == 32 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST_F(ExchangeReuseTest, RequestsAfterUpstreamFailuresOnOneConnectionStartClean) {
  startProxy();
  HttpConnection c(port_);

  // An invalid response: the parser dies mid-message, the exchange answers 502.
  auto bad = c.request("GET", "/garbage", "",
                       {"X-Only-First: leaked-if-seen", "X-Request-ID: first-id",
                        "X-A-Rather-Long-Header-Name: with a value past the SSO size"});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 502);
  EXPECT_EQ(bad->header("x-outrigger-reason"), "upstream_reset");
  EXPECT_EQ(bad->header("X-Request-ID"), "first-id");

  // The upstream drops the connection without answering.
  auto reset = c.request("GET", "/reset");
  ASSERT_TRUE(reset);
  EXPECT_EQ(reset->status, 502);
  EXPECT_TRUE(isGeneratedId(reset->header("X-Request-ID"))) << reset->header("X-Request-ID");

  // HEAD: the parser must not expect a body, and must forget that for the next request.
  auto head = c.request("HEAD", "/get");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());

  auto ok = c.request("GET", "/get?n=4");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_TRUE(ok->complete);
  const std::string id = ok->header("X-Request-ID");
  EXPECT_TRUE(isGeneratedId(id)) << id;
  EXPECT_NE(id, reset->header("X-Request-ID"));
  EXPECT_NE(ok->body.find("\"query\":\"n=4\""), std::string::npos) << ok->body;
  EXPECT_NE(ok->body.find(id), std::string::npos) << ok->body;  // the id sent upstream
  EXPECT_EQ(ok->body.find("leaked-if-seen"), std::string::npos) << ok->body;
  EXPECT_EQ(ok->body.find("first-id"), std::string::npos) << ok->body;
  EXPECT_EQ(ok->body.find("X-A-Rather-Long"), std::string::npos) << ok->body;

  auto echo = c.request("POST", "/echo", "after all that");
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->status, 200);
  EXPECT_EQ(echo->body, "after all that");
}

TEST_F(ExchangeReuseTest, ALocalReplyLeavesNoStateForTheNextRequest) {
  startProxy("", "    limits: { max_request_body: 1KiB }\n");
  HttpConnection c(port_);
  // A reply the exchange makes itself (504 request_timeout), mid-attempt, on a connection
  // that stays open; the app's tightened timeout must not carry over.
  auto timed_out =
      c.request("GET", "/delay/2000", "", {"X-Outrigger-Timeout-Ms: 50", "X-Only-First: 1"});
  ASSERT_TRUE(timed_out);
  EXPECT_EQ(timed_out->status, 504);
  EXPECT_EQ(timed_out->header("x-outrigger-reason"), "request_timeout");
  auto slow_ok = c.request("GET", "/delay/100");
  ASSERT_TRUE(slow_ok);
  EXPECT_EQ(slow_ok->status, 200);
  auto ok = c.request("GET", "/get");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body.find("X-Only-First"), std::string::npos) << ok->body;

  // Past max_request_body: 413, and the connection closes (its body is not read).
  auto too_large = c.request("POST", "/echo", std::string(2048, 'x'));
  ASSERT_TRUE(too_large);
  EXPECT_EQ(too_large->status, 413);
  EXPECT_TRUE(c.waitForClose(std::chrono::milliseconds(2000)));

  HttpConnection next(port_);
  auto after = next.request("POST", "/echo", "small");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
  EXPECT_EQ(after->body, "small");
}

TEST_F(ExchangeReuseTest, BuffersLentToTheNextConnectionStartClean) {
  // An idle connection gives its buffers back to the worker's pool; the next connection's
  // request gets them, and nothing of the first request's.
  startProxy();
  {
    HttpConnection first(port_);
    auto r = first.request("GET", "/get", "",
                           {"X-Only-First: leaked-if-seen", "X-Request-ID: first-id",
                            "X-A-Rather-Long-Header-Name: with a value past the SSO size"});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    // Still open and idle while the second connection makes its request.
    HttpConnection second(port_);
    auto ok = second.request("GET", "/get?n=2");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
    EXPECT_TRUE(isGeneratedId(ok->header("X-Request-ID"))) << ok->header("X-Request-ID");
    EXPECT_EQ(ok->body.find("leaked-if-seen"), std::string::npos) << ok->body;
    EXPECT_EQ(ok->body.find("first-id"), std::string::npos) << ok->body;
    EXPECT_EQ(ok->body.find("X-A-Rather-Long"), std::string::npos) << ok->body;
    // And the first connection, idle in between, still serves a request.
    auto again = first.request("GET", "/get?n=3");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200);
    EXPECT_NE(again->body.find("\"query\":\"n=3\""), std::string::npos) << again->body;
  }
}

}  // namespace
}  // namespace outrigger::testing
