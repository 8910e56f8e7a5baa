#include "proxy/http2/header_translation.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace outrigger::http2 {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

http::Headers fieldsOf(const Pairs& pairs) {
  http::Headers h;
  for (const auto& [n, v] : pairs) h.add(n, v);
  return h;
}

// A FieldBlock as the field list the other direction reads.
http::Headers headersOf(const FieldBlock& block) {
  http::Headers h;
  for (size_t i = 0; i < block.size(); ++i) h.add(block[i].first, block[i].second);
  return h;
}

Pairs pairsOf(const http::Headers& h) {
  Pairs out;
  for (const auto& f : h) out.emplace_back(std::string(f.name), std::string(f.value));
  return out;
}

Pairs getRequest() {
  return {{":method", "GET"},
          {":scheme", "https"},
          {":authority", "api.example:8443"},
          {":path", "/v1/items?page=2"}};
}

std::string requestError(Pairs pairs, bool end_stream = true) {
  http::RequestHead head;
  return std::string(requestFromFields(fieldsOf(pairs), end_stream, head));
}

TEST(RequestFromFields, PseudoHeadersBecomeTheRequestLineAndHost) {
  Pairs p = getRequest();
  p.emplace_back("accept", "application/json");
  http::RequestHead head;
  ASSERT_EQ(requestFromFields(fieldsOf(p), true, head), "");
  EXPECT_EQ(head.method, "GET");
  EXPECT_EQ(head.target, "/v1/items?page=2");
  EXPECT_EQ(head.version_minor, 1);
  EXPECT_EQ(pairsOf(head.headers),
            (Pairs{{"host", "api.example:8443"}, {"accept", "application/json"}}));
  EXPECT_EQ(head.framing, http::BodyFraming::kNone);
}

TEST(RequestFromFields, CookieCrumbsAreJoinedForHttp1) {
  Pairs p = getRequest();
  p.emplace_back("cookie", "a=1");
  p.emplace_back("x-other", "y");
  p.emplace_back("cookie", "b=2");
  http::RequestHead head;
  ASSERT_EQ(requestFromFields(fieldsOf(p), true, head), "");
  ASSERT_NE(head.headers.get("Cookie"), nullptr);
  EXPECT_EQ(*head.headers.get("Cookie"), "a=1; b=2");
  EXPECT_EQ(head.headers.size(), 3u);  // host, x-other, cookie
}

TEST(RequestFromFields, FramingFollowsContentLengthOrTheStreamEnd) {
  Pairs p = getRequest();
  p[0].second = "POST";
  http::RequestHead head;
  ASSERT_EQ(requestFromFields(fieldsOf(p), false, head), "");
  EXPECT_EQ(head.framing, http::BodyFraming::kChunked);
  p.emplace_back("content-length", "42");
  ASSERT_EQ(requestFromFields(fieldsOf(p), false, head), "");
  EXPECT_EQ(head.framing, http::BodyFraming::kContentLength);
  EXPECT_EQ(head.content_length, 42u);
}

TEST(RequestFromFields, MissingPseudoHeadersAreMalformed) {
  for (const char* name : {":method", ":scheme", ":path"}) {
    Pairs p;
    for (const auto& f : getRequest()) {
      if (f.first != name) p.push_back(f);
    }
    EXPECT_NE(requestError(p), "") << name;
  }
  Pairs no_authority = {{":method", "GET"}, {":scheme", "http"}, {":path", "/"}};
  EXPECT_EQ(requestError(no_authority), "");  // allowed: Host may carry it, or nothing
}

TEST(RequestFromFields, RepeatedUnknownOrLatePseudoHeadersAreMalformed) {
  Pairs repeated = getRequest();
  repeated.emplace_back(":path", "/again");
  EXPECT_EQ(requestError(repeated), "repeated pseudo-header");
  Pairs unknown = getRequest();
  unknown.emplace(unknown.begin(), ":status", "200");
  EXPECT_EQ(requestError(unknown), "unknown pseudo-header");
  Pairs late = {{":method", "GET"}, {"accept", "*/*"}, {":scheme", "http"}, {":path", "/"}};
  EXPECT_EQ(requestError(late), "pseudo-header after a regular field");
}

TEST(RequestFromFields, UppercaseAndConnectionSpecificFieldsAreMalformed) {
  for (const auto& [name, value] : Pairs{{"Accept", "x"},
                                         {"connection", "close"},
                                         {"keep-alive", "5"},
                                         {"proxy-connection", "x"},
                                         {"transfer-encoding", "chunked"},
                                         {"upgrade", "h2c"},
                                         {"te", "gzip"},
                                         {"bad name", "x"},
                                         {"x-crlf", "a\r\nb"}}) {
    Pairs p = getRequest();
    p.emplace_back(name, value);
    EXPECT_NE(requestError(p), "") << name;
  }
  Pairs te = getRequest();
  te.emplace_back("te", "trailers");
  EXPECT_EQ(requestError(te), "");
}

TEST(RequestFromFields, ContentLengthMustBeANumberAndAgreeWithTheBody) {
  Pairs p = getRequest();
  p.emplace_back("content-length", "5");
  EXPECT_EQ(requestError(p, /*end_stream=*/true), "content-length mismatch");
  EXPECT_EQ(requestError(p, false), "");
  p.emplace_back("content-length", "6");
  EXPECT_EQ(requestError(p, false), "conflicting content-length");
  Pairs bad = getRequest();
  bad.emplace_back("content-length", "12a");
  EXPECT_EQ(requestError(bad, false), "invalid content-length");
}

TEST(RequestFromFields, HostMustAgreeWithAuthority) {
  Pairs same = getRequest();
  same.emplace_back("host", "API.example:8443");
  EXPECT_EQ(requestError(same), "");
  Pairs other = getRequest();
  other.emplace_back("host", "evil.example");
  EXPECT_EQ(requestError(other), "host differs from :authority");
}

TEST(RequestFromFields, ConnectCarriesOnlyAnAuthority) {
  EXPECT_EQ(requestError({{":method", "CONNECT"}, {":authority", "db:5432"}}), "");
  EXPECT_NE(requestError({{":method", "CONNECT"}, {":authority", "db:5432"}, {":path", "/"}}), "");
  EXPECT_EQ(requestError({{":method", "OPTIONS"}, {":scheme", "http"}, {":path", "*"}}), "");
  EXPECT_NE(requestError({{":method", "GET"}, {":scheme", "http"}, {":path", "*"}}), "");
}

TEST(RequestToFields, Http1HeadBecomesPseudoHeadersAndLowercaseFields) {
  http::RequestHead head;
  head.method = "POST";
  head.target = "http://svc.local/pay?x=1";  // absolute-form: only path and query go on
  head.headers.add("Host", "svc.local");
  head.headers.add("Connection", "keep-alive, X-Drop");
  head.headers.add("X-Drop", "1");
  head.headers.add("Keep-Alive", "timeout=5");
  head.headers.add("Transfer-Encoding", "chunked");
  head.headers.add("Upgrade", "h2c");
  head.headers.add("TE", "trailers, deflate");
  head.headers.add("Content-Type", "application/grpc");
  head.headers.add("Cookie", "a=1; b=2");
  head.framing = http::BodyFraming::kContentLength;
  head.content_length = 7;
  FieldBlock out;
  requestToFields(head, "http", out);
  EXPECT_EQ(pairsOf(headersOf(out)), (Pairs{{":method", "POST"},
                                 {":scheme", "http"},
                                 {":authority", "svc.local"},
                                 {":path", "/pay?x=1"},
                                 {"content-type", "application/grpc"},
                                 {"cookie", "a=1; b=2"},
                                 {"te", "trailers"},
                                 {"content-length", "7"}}));
}

TEST(RequestToFields, ChunkedBodyHasNoContentLengthAndRoundTrips) {
  http::RequestHead head;
  head.method = "PUT";
  head.target = "/x";
  head.headers.add("Host", "h");
  head.headers.add("Content-Length", "9");  // stale: the framing decides
  head.framing = http::BodyFraming::kChunked;
  FieldBlock out;
  requestToFields(head, "https", out);
  const http::Headers fields = headersOf(out);
  EXPECT_FALSE(fields.has("content-length"));
  http::RequestHead back;
  ASSERT_EQ(requestFromFields(fields, false, back), "");
  EXPECT_EQ(back.method, "PUT");
  EXPECT_EQ(back.target, "/x");
  EXPECT_EQ(*back.headers.get("host"), "h");
}

TEST(ResponseFields, StatusAndFramingBothWays) {
  http::ResponseHead head;
  ASSERT_EQ(
      responseFromFields(fieldsOf({{":status", "200"}, {"content-length", "3"}}), false, head), "");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.framing, http::BodyFraming::kContentLength);
  ASSERT_EQ(responseFromFields(fieldsOf({{":status", "200"}}), true, head), "");
  EXPECT_EQ(head.framing, http::BodyFraming::kContentLength);  // empty body, said for HTTP/1
  EXPECT_EQ(head.content_length, 0u);
  ASSERT_EQ(responseFromFields(fieldsOf({{":status", "204"}}), true, head), "");
  EXPECT_EQ(head.framing, http::BodyFraming::kNone);
  ASSERT_EQ(responseFromFields(fieldsOf({{":status", "200"}}), false, head), "");
  EXPECT_EQ(head.framing, http::BodyFraming::kChunked);

  http::ResponseHead h1;
  h1.status = 404;
  h1.headers.add("Content-Type", "text/plain");
  h1.headers.add("Transfer-Encoding", "chunked");
  h1.headers.add("Connection", "close");
  h1.framing = http::BodyFraming::kChunked;
  FieldBlock out;
  responseToFields(h1, out);
  EXPECT_EQ(pairsOf(headersOf(out)), (Pairs{{":status", "404"}, {"content-type", "text/plain"}}));
}

TEST(ResponseFields, BadStatusIsMalformed) {
  http::ResponseHead head;
  for (const char* status : {"", "20", "2000", "abc", "099"}) {
    EXPECT_NE(responseFromFields(fieldsOf({{":status", status}}), true, head), "") << status;
  }
  EXPECT_NE(responseFromFields(fieldsOf({{"content-type", "x"}}), true, head), "");
  EXPECT_NE(responseFromFields(fieldsOf({{":status", "200"}, {":path", "/"}}), true, head), "");
}

TEST(TrailerFields, NoPseudoHeadersAndNoFramingFields) {
  http::Headers out;
  EXPECT_EQ(trailersFromFields(fieldsOf({{"grpc-status", "0"}, {"grpc-message", "ok"}}), out), "");
  EXPECT_EQ(out.size(), 2u);
  http::Headers bad;
  EXPECT_NE(trailersFromFields(fieldsOf({{":status", "200"}}), bad), "");

  http::Headers h1;
  h1.add("Grpc-Status", "14");
  h1.add("Content-Length", "5");
  h1.add("Trailer", "x");
  http::Headers fields;
  trailersToFields(h1, fields);
  EXPECT_EQ(pairsOf(fields), (Pairs{{"grpc-status", "14"}}));
}

}  // namespace
}  // namespace outrigger::http2
