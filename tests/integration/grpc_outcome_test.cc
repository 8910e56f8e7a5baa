// gRPC outcomes through the real binary (issue 17, item 5): an h2c client (curl) to the
// HTTP/1.1 mock upstream, whose /grpc answers grpc-status in a trailers-only head or in
// chunked trailers. Retries, the breaker, outrigger_grpc_responses_total, the access log's
// protocol and grpc_status, and HTTP/1.1 chunked trailers passing both ways.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <string>

#include "tests/integration/proxy_fixture.h"

namespace outrigger::testing {
namespace {

std::string run(const std::string& command) { return commandOutput(command); }

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// One unary gRPC call over h2c with prior knowledge; headers, body and trailers as curl
// prints them (-D - puts the trailers after the body). A call that outrigger answers before
// reading the request body goes without one: an h2c stream answered trailers-only while its
// request body is still open can stall (an open HTTP/2 session bug, not this test's subject).
std::string grpcCall(uint16_t port, const std::string& target, const std::string& body = "x") {
  return run("curl -s -S --max-time 10 --http2-prior-knowledge -D - -o /dev/stdout "
             "-H 'content-type: application/grpc' -H 'te: trailers' --data-binary '" +
             body + "' 'http://127.0.0.1:" + std::to_string(port) + target + "'");
}

// Sends raw bytes on a fresh connection and reads until the peer closes.
std::string rawExchange(uint16_t port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size())) {
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
      out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

class GrpcOutcomeTest : public ::testing::Test {
 protected:
  void start(const std::string& upstream_extra) {
    mock_ = std::make_unique<MockUpstream>(dir_);
    ASSERT_TRUE(mock_->ok()) << "mock-upstream did not start";
    const std::string yaml =
        "admin: { listen: 127.0.0.1:0 }\n"
        "access_log: { path: " +
        dir_.file("access.log") +
        " }\n"
        "listeners:\n"
        "  - name: main\n"
        "    listen: 127.0.0.1:0\n"
        "    routes: [ { path_prefix: /, upstream: mock } ]\n"
        "upstreams:\n"
        "  mock:\n"
        "    endpoints: [ \"" +
        mock_->address() + "\" ]\n" + upstream_extra;
    proxy_ = std::make_unique<OutriggerProcess>(dir_, yaml);
    ASSERT_TRUE(proxy_->ok()) << proxy_->log();
    port_ = proxy_->port("main");
  }
  double grpcResponses(const std::string& status) {
    return proxy_
        ->metric("outrigger_grpc_responses_total", {{"upstream", "mock"}, {"grpc_status", status}})
        .value_or(0);
  }
  // The access log line of the request whose X-Request-ID `response` shows.
  std::string logLineOf(const std::string& response) {
    std::string lower = response;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const size_t at = lower.find("x-request-id: ");
    if (at == std::string::npos) return "";
    const std::string id = response.substr(at + 14, response.find('\r', at) - at - 14);
    std::string line;
    eventually([&] {
      const std::string log = readFile(dir_.file("access.log"));
      const size_t found = log.find("\"" + id + "\"");
      if (found == std::string::npos) return false;
      const size_t begin =
          log.rfind('\n', found) == std::string::npos ? 0 : log.rfind('\n', found) + 1;
      line = log.substr(begin, log.find('\n', found) - begin);
      return true;
    });
    return line;
  }

  TempDir dir_;
  std::unique_ptr<MockUpstream> mock_;
  std::unique_ptr<OutriggerProcess> proxy_;
  uint16_t port_ = 0;
};

const std::string kRetry =
    "    retry: { max_attempts: 3, backoff: { initial: 1ms, max: 5ms }, "
    "retry_on: [ connect_failed, reset, unavailable, resource_exhausted ] }\n";

TEST_F(GrpcOutcomeTest, UnavailableTwiceThenOkIsRetriedToOkInExactlyThreeHits) {
  start(kRetry);
  const std::string r = grpcCall(port_, "/grpc?fail=2&code=14");
  EXPECT_TRUE(contains(r, "HTTP/2 200")) << r;
  EXPECT_TRUE(contains(r, "grpc-status: 0")) << r;
  EXPECT_TRUE(contains(r, "x-mock-attempt: 3")) << r;
  EXPECT_EQ(mock_->hits("/grpc"), 3);
  // Only what the app got is counted: one OK, no UNAVAILABLE.
  EXPECT_EQ(grpcResponses("ok"), 1);
  EXPECT_EQ(grpcResponses("unavailable"), 0);
  const std::string line = logLineOf(r);
  EXPECT_TRUE(contains(line, "\"attempts\":3")) << line;
  EXPECT_TRUE(contains(line, "\"protocol\":\"HTTP/2\",\"grpc_status\":0,")) << line;
}

TEST_F(GrpcOutcomeTest, ACallWhoseBodyIsOverMaxBodyBytesIsNotRetried) {
  start("    retry: { max_attempts: 3, backoff: { initial: 1ms, max: 5ms }, max_body_bytes: 4B, "
        "retry_on: [ unavailable ] }\n");
  const std::string r = grpcCall(port_, "/grpc?fail=2&code=14", "0123456789");
  EXPECT_TRUE(contains(r, "grpc-status: 14")) << r;
  EXPECT_EQ(mock_->hits("/grpc"), 1);
  // Within the limit, the same call is retried to OK.
  const std::string small = grpcCall(port_, "/grpc?fail=2&code=14&key=small", "012");
  EXPECT_TRUE(contains(small, "grpc-status: 0")) << small;
  EXPECT_EQ(mock_->hits("/grpc"), 4);
}

TEST_F(GrpcOutcomeTest, InvalidArgumentIsNotRetried) {
  start(kRetry);
  const std::string r = grpcCall(port_, "/grpc?fail=1&code=3");
  EXPECT_TRUE(contains(r, "grpc-status: 3")) << r;
  EXPECT_EQ(mock_->hits("/grpc"), 1);
  EXPECT_EQ(grpcResponses("invalid_argument"), 1);
  EXPECT_TRUE(contains(logLineOf(r), "\"grpc_status\":3,")) << logLineOf(r);
}

TEST_F(GrpcOutcomeTest, ACodeNotInRetryOnIsNotRetried) {
  start(
      "    retry: { max_attempts: 3, backoff: { initial: 1ms, max: 5ms }, "
      "retry_on: [ connect_failed, internal ] }\n");
  const std::string r = grpcCall(port_, "/grpc?fail=1&code=14");
  EXPECT_TRUE(contains(r, "grpc-status: 14")) << r;
  EXPECT_EQ(mock_->hits("/grpc"), 1);
}

TEST_F(GrpcOutcomeTest, UnavailableInTrailersCountsButIsNotRetried) {
  start(kRetry + "    circuit_breaker: { failure_threshold: 1, open_for: 30s }\n");
  // The message reached the app before the status: too late to retry.
  const std::string r = grpcCall(port_, "/grpc?fail=1&code=14&trailers=1");
  EXPECT_TRUE(contains(r, "grpc-status: 14")) << r;
  EXPECT_EQ(mock_->hits("/grpc"), 1);
  EXPECT_EQ(proxy_
                ->metric("outrigger_upstream_attempts_total",
                         {{"upstream", "mock"}, {"outcome", "failure_status"}})
                .value_or(0),
            1);
  // ... and it counted for the breaker, which is open now.
  const std::string next = grpcCall(port_, "/grpc", "");
  EXPECT_TRUE(contains(next, "x-outrigger-reason: circuit_open")) << next;
  EXPECT_EQ(mock_->hits("/grpc"), 1);
}

TEST_F(GrpcOutcomeTest, ABreakerOpenedByUnavailableAnswersUnavailableNamingCircuitOpen) {
  start("    circuit_breaker: { failure_threshold: 2, open_for: 30s }\n");
  for (int i = 0; i < 2; ++i) {
    const std::string r = grpcCall(port_, "/grpc?fail=5&code=14");
    EXPECT_TRUE(contains(r, "grpc-status: 14")) << r;
  }
  const std::string r = grpcCall(port_, "/grpc?fail=5&code=14", "");
  EXPECT_TRUE(contains(r, "HTTP/2 200")) << r;
  EXPECT_TRUE(contains(r, "grpc-status: 14")) << r;
  EXPECT_TRUE(contains(r, "grpc-message: outrigger: circuit_open")) << r;
  EXPECT_TRUE(contains(r, "x-outrigger-reason: circuit_open")) << r;
  EXPECT_EQ(mock_->hits("/grpc"), 2);
  // Two from the upstream, one from outrigger's own reply.
  EXPECT_EQ(grpcResponses("unavailable"), 3);
}

TEST_F(GrpcOutcomeTest, InvalidArgumentNeverOpensTheBreakerEvenWhenListed) {
  // A code that stands for a 4xx is retried when listed, but is the call's own answer.
  start(
      "    retry: { max_attempts: 1, retry_on: [ invalid_argument ] }\n"
      "    circuit_breaker: { failure_threshold: 1, open_for: 30s }\n");
  for (int i = 0; i < 3; ++i) grpcCall(port_, "/grpc?fail=5&code=3");
  EXPECT_EQ(mock_->hits("/grpc"), 3);
}

TEST_F(GrpcOutcomeTest, ChunkedTrailersFromAnHttp1UpstreamReachAnHttp2App) {
  start("");
  const std::string r = grpcCall(port_, "/grpc");
  EXPECT_TRUE(contains(r, "grpc-status: 0")) << r;
  EXPECT_TRUE(contains(r, "grpc-message: mock status 0")) << r;
}

TEST_F(GrpcOutcomeTest, ChunkedTrailersPassBothWaysBetweenHttp1Peers) {
  start("");
  const std::string r =
      rawExchange(port_,
                  "POST /grpc HTTP/1.1\r\nHost: x\r\nContent-Type: application/grpc\r\n"
                  "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                  "2\r\nhi\r\n0\r\ngrpc-test-trailer: sent-as-trailer\r\n\r\n");
  // The upstream saw the request's trailer ...
  EXPECT_TRUE(contains(r, "X-Seen-Trailer: sent-as-trailer")) << r;
  // ... and the app gets the response's.
  EXPECT_TRUE(contains(r, "\r\n0\r\ngrpc-status: 0\r\ngrpc-message: mock status 0\r\n\r\n")) << r;
  EXPECT_TRUE(contains(logLineOf(r), "\"protocol\":\"HTTP/1.1\",\"grpc_status\":0,"))
      << logLineOf(r);
}

TEST_F(GrpcOutcomeTest, TrailersAnHttp10AppCannotTakeAreDroppedAndCounted) {
  start("");
  const std::string r =
      rawExchange(port_,
                  "POST /grpc HTTP/1.0\r\nHost: x\r\nContent-Type: application/grpc\r\n"
                  "Content-Length: 0\r\n\r\n");
  EXPECT_TRUE(contains(r, "HTTP/1.1 200")) << r;
  EXPECT_FALSE(contains(r, "grpc-status")) << r;
  EXPECT_EQ(proxy_->metric("outrigger_trailers_dropped_total", {{"listener", "main"}}).value_or(0),
            1);
}

}  // namespace
}  // namespace outrigger::testing
