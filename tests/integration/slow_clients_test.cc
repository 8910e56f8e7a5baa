// Slow clients must not hold upstream connections (issue 18, item 5): a request body is read
// up to listeners[].limits.request_buffer before a connection is taken, and a response up to
// upstreams.<name>.limits.response_buffer is queued for a slow reader so its connection goes
// back to the pool. Every test runs against a pool of one connection, with a short pool
// timeout: a connection held by a slow client shows as the next request's 503 pool_timeout.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/proxy_fixture.h"

namespace outrigger::testing {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

constexpr const char* kOneConnection =
    "    pool: { max_connections: 1 }\n"
    "    timeouts: { pool: 500ms }\n";

class SlowClientTest : public ProxyTest {
 protected:
  // A GET through the single upstream connection, answered within the pool timeout.
  void expectServedPromptly() {
    const auto started = std::chrono::steady_clock::now();
    auto r = get("/get");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->header("x-outrigger-reason");
    EXPECT_LT(elapsedMs(started), 450);
  }
  // A GET of `bytes` from an app that reads none of it frees the one upstream connection: a
  // second request is served promptly, and the app then gets the whole response.
  void expectFitsAndFrees(size_t bytes);
  double activeConnections() {
    return metricOr0("outrigger_pool_connections", {{"upstream", "mock"}, {"state", "active"}});
  }
};

TEST_F(SlowClientTest, AStalledUploadDoesNotHoldTheUpstreamConnection) {
  startProxy(kOneConnection);
  HttpConnection slow(port_);
  ASSERT_TRUE(slow.sendRaw("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n" +
                           std::string(50, 'x')));  // half the body, then nothing for a while
  std::this_thread::sleep_for(milliseconds(100));
  expectServedPromptly();
  expectServedPromptly();
  EXPECT_EQ(activeConnections(), 0);
  EXPECT_EQ(mock_->hits("/upload"), 0);  // nothing of it went upstream yet

  ASSERT_TRUE(slow.sendRaw(std::string(50, 'y')));  // the rest: now it goes, in one go
  auto r = slow.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr("\"bytes\":100"));
  EXPECT_EQ(mock_->hits("/upload"), 1);
}

TEST_F(SlowClientTest, AStalledUploadAfter100ContinueDoesNotHoldTheUpstreamConnection) {
  startProxy(kOneConnection);
  HttpConnection slow(port_);
  ASSERT_TRUE(slow.sendRaw(
      "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n"));
  // Sent on admission, before any connection (read raw: readResponse() skips interim ones).
  const std::string kInterim = "HTTP/1.1 100 Continue\r\n\r\n";
  std::string interim(kInterim.size(), '\0');
  ASSERT_EQ(::recv(slow.fd(), interim.data(), interim.size(), MSG_WAITALL),
            static_cast<ssize_t>(kInterim.size()));
  EXPECT_EQ(interim, kInterim);
  ASSERT_TRUE(slow.sendRaw("12345"));
  std::this_thread::sleep_for(milliseconds(100));
  expectServedPromptly();
  ASSERT_TRUE(slow.sendRaw("67890"));
  auto r = slow.readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr("\"bytes\":10"));
}

TEST_F(SlowClientTest, ABodyOverRequestBufferStreamsToTheUpstream) {
  startProxy(kOneConnection, "    limits: { request_buffer: 16KiB }\n");
  std::string body(1024 * 1024, 'z');
  for (size_t i = 0; i < body.size(); i += 4099) body[i] = static_cast<char>('a' + i % 26);
  auto r = httpRequest(port_, "POST", "/upload", body);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr("\"bytes\":1048576"));

  // Past the buffer a stalled upload streams, as it always did: it holds the connection.
  HttpConnection slow(port_);
  ASSERT_TRUE(slow.sendRaw("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 65536\r\n\r\n" +
                           std::string(20 * 1024, 'x')));
  EXPECT_TRUE(eventually([&] { return activeConnections() == 1; }));
  auto starved = get("/get");
  ASSERT_TRUE(starved);
  EXPECT_EQ(starved->status, 503);
  EXPECT_EQ(starved->header("x-outrigger-reason"), "pool_timeout");
  ASSERT_TRUE(slow.sendRaw(std::string(44 * 1024, 'x')));
  auto done = slow.readResponse();
  ASSERT_TRUE(done);
  EXPECT_THAT(done->body, HasSubstr("\"bytes\":65536"));
}

TEST_F(SlowClientTest, AStalledHttp2UploadDoesNotHoldTheUpstreamConnection) {
  startProxy(kOneConnection);
  const std::string script = dir_.path() + "/slow_h2_upload.py";
  // Half a body on an h2c stream, then a GET on HTTP/1.1 through the same one-connection
  // pool, then the rest of the body.
  std::ofstream(script) << R"PY(
import socket, sys, time, h2.connection, h2.config, h2.events
port = int(sys.argv[1])
sock = socket.create_connection(("127.0.0.1", port))
sock.settimeout(5)
conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
conn.initiate_connection()
conn.send_headers(1, [(":method", "POST"), (":path", "/upload"), (":scheme", "http"),
                      (":authority", "a"), ("content-length", "100")])
conn.send_data(1, b"x" * 50)
sock.sendall(conn.data_to_send())
time.sleep(0.2)
started = time.monotonic()
probe = socket.create_connection(("127.0.0.1", port))
probe.settimeout(5)
probe.sendall(b"GET /get HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
answer = b""
while True:
    part = probe.recv(65536)
    if not part:
        break
    answer += part
print("probe", answer.split(b" ")[1].decode(), int((time.monotonic() - started) * 1000))
conn.send_data(1, b"y" * 50, end_stream=True)
sock.sendall(conn.data_to_send())
status, body, done = None, b"", False
while not done:
    data = sock.recv(65536)
    if not data:
        break
    for event in conn.receive_data(data):
        if isinstance(event, h2.events.ResponseReceived):
            status = dict(event.headers)[b":status"].decode()
        elif isinstance(event, h2.events.DataReceived):
            body += event.data
            conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            done = True
    sock.sendall(conn.data_to_send())
print("upload", status, body.decode())
)PY";
  std::string out;
  runCommand("/usr/bin/python3 " + script + " " + std::to_string(port_), &out);
  const size_t probe = out.find("probe ");
  ASSERT_NE(probe, std::string::npos) << out;
  int status = 0, ms = 0;
  ASSERT_EQ(std::sscanf(out.c_str() + probe, "probe %d %d", &status, &ms), 2) << out;
  EXPECT_EQ(status, 200) << out;
  EXPECT_LT(ms, 450) << out;
  EXPECT_THAT(out, HasSubstr("upload 200 {\"bytes\":100")) << out;
}

// A connection whose app reads nothing: a small receive buffer, so that the kernel holds
// little of the response and the rest waits in outrigger.
std::unique_ptr<HttpConnection> nonReader(uint16_t port) {
  auto c = std::make_unique<HttpConnection>(port, milliseconds(5000));
  const int small = 16384;
  ::setsockopt(c->fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  return c;
}

// A GET of `bytes` from an app that reads none of it frees the one upstream connection: a
// second request is served promptly, and the app then gets the whole response.
void SlowClientTest::expectFitsAndFrees(size_t bytes) {
  const std::string path = "/bytes/" + std::to_string(bytes);
  auto slow = nonReader(port_);
  ASSERT_TRUE(slow->sendRaw("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_TRUE(eventually([&] { return mock_->hits(path) == 1; }));
  EXPECT_TRUE(eventually([&] { return activeConnections() == 0; }));
  expectServedPromptly();
  expectServedPromptly();
  const int roomy = 1 << 20;  // now read it all, quickly
  ::setsockopt(slow->fd(), SOL_SOCKET, SO_RCVBUF, &roomy, sizeof roomy);
  auto r = slow->readResponse();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->complete);
  EXPECT_EQ(r->body.size(), bytes);
}

TEST_F(SlowClientTest, AResponseThatFitsFreesTheConnectionWhileTheAppDoesNotRead) {
  startProxy(kOneConnection);  // response_buffer: 256KiB
  expectFitsAndFrees(200 * 1024);
}

TEST_F(SlowClientTest, AResponseLargerThanTheKernelHoldsFreesTheConnectionWhenItFits) {
  // On loopback the kernel's socket buffers take up to net.ipv4.tcp_wmem's maximum (4 MiB)
  // of a response the app does not read: past that, only response_buffer keeps the upstream
  // read (with 64KiB, the old fixed mark, this test fails).
  startProxy(std::string(kOneConnection) + "    limits: { response_buffer: 8MiB }\n");
  expectFitsAndFrees(6 * 1024 * 1024);
}

TEST_F(SlowClientTest, PastResponseBufferASlowReaderHoldsItsConnectionAsBefore) {
  startProxy(std::string(kOneConnection) + "    limits: { response_buffer: 16KiB }\n");
  auto slow = nonReader(port_);
  ASSERT_TRUE(slow->sendRaw("GET /bytes/16777216 HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_TRUE(eventually([&] { return mock_->hits("/bytes/16777216") == 1; }));
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(activeConnections(), 1);  // back-pressure: paused, not buffered
  auto starved = get("/get");
  ASSERT_TRUE(starved);
  EXPECT_EQ(starved->status, 503);
  EXPECT_EQ(starved->header("x-outrigger-reason"), "pool_timeout");
}

TEST_F(SlowClientTest, ManyStalledUploadsStayBoundedAndStarveNobody) {
  if (kUnderAddressSanitizer) GTEST_SKIP() << "memory figures mean nothing under ASan";
  startProxy(kOneConnection);
  const double rss_before = metricOr0("process_resident_memory_bytes", {});
  std::vector<std::unique_ptr<HttpConnection>> stalled;
  for (int i = 0; i < 100; ++i) {
    stalled.push_back(std::make_unique<HttpConnection>(port_));
    ASSERT_TRUE(stalled.back()->sendRaw(
        "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 65536\r\n\r\n" +
        std::string(60 * 1024, 'x')));
  }
  EXPECT_TRUE(eventually([&] {
    return metricOr0("outrigger_downstream_connections", {{"listener", "main"}, {"protocol", "http1"}}) == 100;
  }));
  std::this_thread::sleep_for(milliseconds(100));
  expectServedPromptly();
  EXPECT_EQ(activeConnections(), 0);
  // 100 x 60 KiB held: about 6 MiB, and nothing unbounded.
  const double rss_after = metricOr0("process_resident_memory_bytes", {});
  EXPECT_LT(rss_after - rss_before, 32.0 * 1024 * 1024);
  for (auto& c : stalled) {  // one by one: the one connection serves them in turn
    ASSERT_TRUE(c->sendRaw(std::string(4 * 1024, 'y')));
    auto r = c->readResponse();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(mock_->hits("/upload"), 100);
}

}  // namespace
}  // namespace outrigger::testing
