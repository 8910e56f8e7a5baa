// HTTP/2 from the app (h2c with prior knowledge, on the same port as HTTP/1.1) through
// outrigger to the HTTP/1.1 mock upstream, driven by the real clients: curl, h2load and a raw
// python3-h2 connection for the rapid-reset attack.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include "tests/integration/proxy_fixture.h"

namespace outrigger::testing {
namespace {

// The command's stdout (stderr joined), and its exit status.
struct CommandResult {
  std::string out;
  int status = -1;
};

CommandResult run(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) result.out.append(buf, n);
  result.status = pclose(pipe);
  return result;
}

std::string curlH2(uint16_t port, const std::string& target, const std::string& extra = "") {
  return "curl -s -S --max-time 10 --http2-prior-knowledge -D - " + extra +
         " http://127.0.0.1:" + std::to_string(port) + target;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class H2cTest : public ProxyTest {};

TEST_F(H2cTest, CurlPriorKnowledgeGetsTheUpstreamsResponse) {
  startProxy();
  const CommandResult r = run(curlH2(port_, "/echo", "-d hello-h2"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "HTTP/2 200")) << r.out;
  EXPECT_TRUE(contains(r.out, "x-echo-method: POST")) << r.out;
  EXPECT_TRUE(r.out.ends_with("hello-h2")) << r.out;
  EXPECT_EQ(mock_->hits("/echo"), 1);
  // HTTP/1.1 on the same port still works.
  auto h1 = get("/get");
  ASSERT_TRUE(h1);
  EXPECT_EQ(h1->status, 200);
}

TEST_F(H2cTest, FirstBytesSplitOverReadsStillTellTheProtocol) {
  // The preface in two pieces, and an HTTP/1.1 POST whose "P" could begin one.
  startProxy();
  const std::string script = dir_.path() + "/split.py";
  std::ofstream(script) << R"PY(
import socket, sys, time, h2.connection, h2.config, h2.events
port = int(sys.argv[1])
sock = socket.create_connection(("127.0.0.1", port))
sock.settimeout(5)
conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
conn.initiate_connection()
first = conn.data_to_send()
sock.sendall(first[:10]); time.sleep(0.2); sock.sendall(first[10:])
conn.send_headers(1, [(":method", "GET"), (":path", "/get"), (":scheme", "http"),
                      (":authority", "localhost")], end_stream=True)
sock.sendall(conn.data_to_send())
status = None
while status is None:
    data = sock.recv(65536)
    if not data:
        break
    for event in conn.receive_data(data):
        if isinstance(event, h2.events.ResponseReceived):
            status = dict(event.headers)[b":status"].decode()
    sock.sendall(conn.data_to_send())
print("h2", status)
h1 = socket.create_connection(("127.0.0.1", port))
h1.settimeout(5)
h1.sendall(b"P"); time.sleep(0.2)
h1.sendall(b"OST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
reply = b""
while True:
    data = h1.recv(65536)
    if not data:
        break
    reply += data
print("h1", reply.split(b"\r\n")[0].decode(), reply.endswith(b"hi"))
)PY";
  const CommandResult r = run("/usr/bin/python3 " + script + " " + std::to_string(port_));
  EXPECT_TRUE(contains(r.out, "h2 200")) << r.out;
  EXPECT_TRUE(contains(r.out, "h1 HTTP/1.1 200 OK True")) << r.out;
}

TEST_F(H2cTest, HeadersWithUnderscoresFollowTheListenersRule) {
  startProxy();
  const CommandResult dropped = run(curlH2(port_, "/echo", "-H 'X_User: mallory'"));
  EXPECT_TRUE(contains(dropped.out, "HTTP/2 200")) << dropped.out;
  EXPECT_FALSE(contains(dropped.out, "mallory")) << dropped.out;
  EXPECT_EQ(metricOr0("outrigger_request_headers_dropped_total",
                      {{"listener", "main"}, {"reason", "underscore"}}),
            1);
  TempDir dir;
  OutriggerProcess strict(
      dir, proxyConfig(mock_->address(), "", "    limits: { headers_with_underscores: reject }\n"));
  ASSERT_TRUE(strict.ok()) << strict.log();
  const CommandResult refused = run(curlH2(strict.port("main"), "/echo", "-H 'X_User: mallory'"));
  EXPECT_TRUE(contains(refused.out, "HTTP/2 400")) << refused.out;
  EXPECT_TRUE(contains(refused.out, "x-outrigger-reason: bad_request")) << refused.out;
  EXPECT_EQ(mock_->hits("/echo"), 1);
}

TEST_F(H2cTest, ManyConcurrentStreamsOnOneConnection) {
  startProxy();
  const CommandResult r =
      run("h2load -n200 -c1 -m20 http://127.0.0.1:" + std::to_string(port_) + "/get");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "200 succeeded")) << r.out;
  EXPECT_TRUE(contains(r.out, "status codes: 200 2xx")) << r.out;
  EXPECT_EQ(mock_->hits("/get"), 200);
}

TEST_F(H2cTest, BodiesLargerThanTheWindowFlowBothWays) {
  // A 64 KiB window: a 3 MiB upload only gets through if the stream's window is given back
  // as the body is passed on, and a 3 MiB download only if the app's WINDOW_UPDATEs resume
  // the response.
  startProxy("", "    http2: { initial_window: 64KiB }\n");
  const std::string file = dir_.path() + "/body";
  ASSERT_EQ(run("head -c 3145728 /dev/zero > " + file).status, 0);
  const CommandResult up = run(curlH2(port_, "/upload", "--data-binary @" + file));
  ASSERT_EQ(up.status, 0) << up.out;
  EXPECT_TRUE(contains(up.out, "\"bytes\":3145728")) << up.out;
  const CommandResult down =
      run(curlH2(port_, "/bytes/3145728", "-o /dev/null -w 'size=%{size_download}'"));
  ASSERT_EQ(down.status, 0) << down.out;
  EXPECT_TRUE(contains(down.out, "size=3145728")) << down.out;
}

TEST_F(H2cTest, AnUploadPausedWhileItWaitsForTheOnlyConnectionResumesWhenItGetsIt) {
  // The one pooled connection is busy, so the upload is held (and its reading paused past
  // 64 KiB) until that connection comes back; then what was held leaves at once, and the rest
  // must follow. Once, this stalled: the paused body was never resumed. Both protocols.
  startProxy("    pool: { max_connections: 1 }\n    timeouts: { pool: 5s }\n");
  const std::string file = dir_.path() + "/body";
  ASSERT_EQ(run("head -c 1048576 /dev/zero > " + file).status, 0);
  for (const std::string protocol : {"--http1.1", "--http2-prior-knowledge"}) {
    auto busy = std::async(std::launch::async, [this] { return run(curlH2(port_, "/delay/500")); });
    std::this_thread::sleep_for(std::chrono::milliseconds(150));  // the delay took the connection
    const CommandResult up = run("curl -s -S --max-time 10 " + protocol + " --data-binary @" +
                                 file + " http://127.0.0.1:" + std::to_string(port_) + "/upload");
    ASSERT_EQ(up.status, 0) << protocol << ": " << up.out;
    EXPECT_TRUE(contains(up.out, "\"bytes\":1048576")) << protocol << ": " << up.out;
    EXPECT_EQ(busy.get().status, 0);
  }
}

TEST_F(H2cTest, GrpcCallToADownUpstreamGetsUnavailableNamingConnectFailed) {
  TempDir dir;
  OutriggerProcess proxy(dir, proxyConfig("127.0.0.1:" + std::to_string(closedPort())));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  const CommandResult r =
      run(curlH2(proxy.port("main"), "/greeter.Greeter/SayHello",
                 "-H 'content-type: application/grpc' -H 'te: trailers' --data-binary ''"));
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "HTTP/2 200")) << r.out;
  EXPECT_TRUE(contains(r.out, "grpc-status: 14")) << r.out;
  EXPECT_TRUE(contains(r.out, "grpc-message: outrigger: connect_failed")) << r.out;
  EXPECT_TRUE(contains(r.out, "x-outrigger-reason: connect_failed")) << r.out;
}

TEST_F(H2cTest, DrainCompletesTheStreamsUnderWay) {
  startProxy("", "", "drain: { grace: 300ms, timeout: 20s }\n");
  auto in_flight =
      std::async(std::launch::async, [this] { return run(curlH2(port_, "/delay/800")); });
  ASSERT_TRUE(eventually([&] { return mock_->hits("/delay/800") == 1; }));
  proxy_->signal(SIGTERM);
  const CommandResult r = in_flight.get();
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(contains(r.out, "HTTP/2 200")) << r.out;
  EXPECT_EQ(proxy_->wait(std::chrono::seconds(10)), 0) << proxy_->log();
}

TEST_F(H2cTest, RapidResetGetsGoawayAndOtherConnectionsAreServed) {
  startProxy();
  const std::string script = dir_.path() + "/rapid_reset.py";
  std::ofstream(script) << R"PY(
import socket, sys, h2.connection, h2.config, h2.events, h2.errors
sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
conn.initiate_connection()
sock.sendall(conn.data_to_send())
headers = [(":method", "GET"), (":path", "/delay/2000"), (":scheme", "http"),
           (":authority", "localhost")]
sock.settimeout(5)
goaway = None
try:
    for i in range(1000):
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, headers, end_stream=True)
        conn.reset_stream(sid, error_code=h2.errors.ErrorCodes.CANCEL)
        sock.sendall(conn.data_to_send())
    while goaway is None:
        data = sock.recv(65536)
        if not data:
            break
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.ConnectionTerminated):
                goaway = event.error_code
except (OSError, h2.exceptions.ProtocolError):
    pass
print("goaway", int(goaway) if goaway is not None else "none")
)PY";
  // Debian's interpreter, where python3-h2 is installed (a pyenv python3 may come first).
  const CommandResult attack = run("/usr/bin/python3 " + script + " " + std::to_string(port_));
  EXPECT_TRUE(contains(attack.out, "goaway 11")) << attack.out;  // ENHANCE_YOUR_CALM
  const CommandResult other = run(curlH2(port_, "/get"));
  EXPECT_TRUE(contains(other.out, "HTTP/2 200")) << other.out;
  auto h1 = get("/get");
  ASSERT_TRUE(h1);
  EXPECT_EQ(h1->status, 200);
}

}  // namespace
}  // namespace outrigger::testing
