#include "proxy/http/serializer.h"

#include <gtest/gtest.h>

#include <string>

namespace outrigger::http {
namespace {

RequestHead request(std::string method, std::string target) {
  RequestHead head;
  head.method = std::move(method);
  head.target = std::move(target);
  head.headers.add("Host", "api.internal:8080");
  return head;
}

ResponseHead response(int status) {
  ResponseHead head;
  head.status = status;
  return head;
}

std::string serialize(const RequestHead& head) {
  std::string out;
  appendRequestHead(head, out);
  return out;
}

std::string serialize(const ResponseHead& head) {
  std::string out;
  appendResponseHead(head, out);
  return out;
}

TEST(SerializerTest, RequestWithoutBody) {
  RequestHead head = request("GET", "/get?x=1");
  head.headers.add("Accept", "*/*");
  head.version_minor = 0;   // always sent upstream as 1.1
  head.keep_alive = false;  // the pool decides; no Connection header from here
  EXPECT_EQ(serialize(head),
            "GET /get?x=1 HTTP/1.1\r\nHost: api.internal:8080\r\nAccept: */*\r\n\r\n");
}

TEST(SerializerTest, RequestWithContentLength) {
  RequestHead head = request("POST", "/post");
  head.framing = BodyFraming::kContentLength;
  head.content_length = 42;
  EXPECT_EQ(serialize(head),
            "POST /post HTTP/1.1\r\nHost: api.internal:8080\r\nContent-Length: 42\r\n\r\n");
}

TEST(SerializerTest, RequestWithEmptyContentLengthBody) {
  RequestHead head = request("PUT", "/");
  head.framing = BodyFraming::kContentLength;
  EXPECT_EQ(serialize(head),
            "PUT / HTTP/1.1\r\nHost: api.internal:8080\r\nContent-Length: 0\r\n\r\n");
}

TEST(SerializerTest, ChunkedRequest) {
  RequestHead head = request("POST", "/upload");
  head.framing = BodyFraming::kChunked;
  EXPECT_EQ(
      serialize(head),
      "POST /upload HTTP/1.1\r\nHost: api.internal:8080\r\nTransfer-Encoding: chunked\r\n\r\n");
}

TEST(SerializerTest, ResponseWithContentLengthAndStandardReason) {
  ResponseHead head = response(200);
  head.headers.add("Content-Type", "text/plain");
  head.framing = BodyFraming::kContentLength;
  head.content_length = 5;
  EXPECT_EQ(serialize(head),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n");
}

TEST(SerializerTest, ResponseKeepsTheUpstreamReason) {
  ResponseHead head = response(503);
  head.reason = "Slow Down";
  head.framing = BodyFraming::kChunked;
  EXPECT_EQ(serialize(head), "HTTP/1.1 503 Slow Down\r\nTransfer-Encoding: chunked\r\n\r\n");
}

TEST(SerializerTest, BodilessResponseGetsContentLengthZero) {
  EXPECT_EQ(serialize(response(404)), "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
}

TEST(SerializerTest, NoFramingHeaderWhereTheStatusForbidsABody) {
  EXPECT_EQ(serialize(response(204)), "HTTP/1.1 204 No Content\r\n\r\n");
  EXPECT_EQ(serialize(response(304)), "HTTP/1.1 304 Not Modified\r\n\r\n");
  EXPECT_EQ(serialize(response(100)), "HTTP/1.1 100 Continue\r\n\r\n");
  ResponseHead no_content = response(204);
  no_content.framing = BodyFraming::kContentLength;
  no_content.content_length = 3;
  EXPECT_EQ(serialize(no_content), "HTTP/1.1 204 No Content\r\n\r\n");
}

TEST(SerializerTest, NotModifiedKeepsItsContentLength) {
  ResponseHead head = response(304);
  head.framing = BodyFraming::kContentLength;
  head.content_length = 99;
  EXPECT_EQ(serialize(head), "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n");
}

TEST(SerializerTest, UntilCloseResponseHasNoFramingHeader) {
  ResponseHead head = response(200);
  head.framing = BodyFraming::kUntilClose;
  head.keep_alive = false;
  EXPECT_EQ(serialize(head), "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
}

TEST(SerializerTest, ConnectionCloseWhenNotKeepAlive) {
  ResponseHead head = response(502);
  head.keep_alive = false;
  EXPECT_EQ(serialize(head),
            "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

TEST(SerializerTest, Http10Responses) {
  ResponseHead head = response(200);
  head.version_minor = 0;
  head.framing = BodyFraming::kContentLength;
  head.content_length = 2;
  EXPECT_EQ(serialize(head),
            "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n");
  head.keep_alive = false;
  EXPECT_EQ(serialize(head), "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n");
}

TEST(SerializerTest, ConnectionHeaderFromTheCallerIsNotRepeated) {
  ResponseHead head = response(200);
  head.version_minor = 0;
  head.framing = BodyFraming::kContentLength;
  head.headers.add("Connection", "keep-alive");
  EXPECT_EQ(serialize(head),
            "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
  head.headers.set("Connection", "close");
  head.keep_alive = false;
  EXPECT_EQ(serialize(head), "HTTP/1.0 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
}

TEST(SerializerTest, UnknownStatusGetsUnknownReason) {
  EXPECT_EQ(serialize(response(599)), "HTTP/1.1 599 Unknown\r\nContent-Length: 0\r\n\r\n");
}

TEST(SerializerTest, AppendsWithoutClearing) {
  std::string out = "prefix|";
  appendResponseHead(response(204), out);
  appendChunkHeader(16, out);
  EXPECT_EQ(out, "prefix|HTTP/1.1 204 No Content\r\n\r\n10\r\n");
}

TEST(SerializerTest, ChunkHeaders) {
  std::string out;
  appendChunkHeader(255, out);
  appendChunkHeader(0, out);
  appendChunkHeader(0x10000, out);
  EXPECT_EQ(out, "ff\r\n0\r\n10000\r\n");
  EXPECT_EQ(kLastChunk, "0\r\n\r\n");
}

TEST(SerializerTest, LastChunkCarriesTrailersButNeverFramingOrHopByHopFields) {
  Headers trailers;
  trailers.add("grpc-status", "0");
  trailers.add("Content-Length", "5");
  trailers.add("Transfer-Encoding", "chunked");
  trailers.add("Connection", "close");
  trailers.add("x-checksum", "abc");
  std::string out;
  appendLastChunk(trailers, out);
  EXPECT_EQ(out, "0\r\ngrpc-status: 0\r\nx-checksum: abc\r\n\r\n");
  std::string none;
  appendLastChunk(Headers{}, none);
  EXPECT_EQ(none, kLastChunk);
}

}  // namespace
}  // namespace outrigger::http
