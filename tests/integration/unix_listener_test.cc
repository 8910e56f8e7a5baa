// Unix socket listeners (issue 18, item 4), through the real binary: `listen: unix:/path`
// serves HTTP like a TCP listener, applies socket_mode, replaces a stale file left by a
// crash, refuses to replace anything else, survives a reload and removes its file on exit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "tests/integration/proxy_fixture.h"

namespace outrigger::testing {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::Not;

int connectUnix(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// One request over a new connection to the Unix socket, as `curl --unix-socket` makes it;
// everything the proxy sent back until it closed ("" if the connect failed).
std::string unixRequest(const std::string& path, const std::string& target,
                        const std::string& extra_headers = "") {
  const int fd = connectUnix(path);
  if (fd < 0) return "";
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + extra_headers +
                              "Connection: close\r\n\r\n";
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string reply;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
    reply.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return reply;
}

class UnixListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mock_ = std::make_unique<MockUpstream>(dir_);
    ASSERT_TRUE(mock_->ok());
    socket_path_ = dir_.file("app.sock");
  }

  // A TCP listener "main" (the fixture finds the process ready by it) and a Unix one "app".
  std::string config(const std::string& unix_extra = "    socket_mode: \"0660\"\n",
                     const std::string& top = "") {
    return "admin: { listen: 127.0.0.1:0 }\naccess_log: { path: off }\n"
           "drain: { grace: 100ms, timeout: 2s }\n" +
           top +
           "listeners:\n"
           "  - name: main\n    listen: 127.0.0.1:0\n    routes: [ { upstream: mock } ]\n"
           "  - name: app\n    listen: unix:" +
           socket_path_ + "\n" + unix_extra +
           "    routes: [ { upstream: mock } ]\n"
           "upstreams:\n  mock: { endpoints: [ \"" +
           mock_->address() + "\" ] }\n";
  }

  void start(const std::string& yaml) {
    proxy_ = std::make_unique<OutriggerProcess>(dir_, yaml);
    ASSERT_TRUE(proxy_->ok()) << proxy_->log();
  }

  struct stat statSocket() const {
    struct stat st {};
    EXPECT_EQ(::lstat(socket_path_.c_str(), &st), 0) << "no file at " << socket_path_;
    return st;
  }

  TempDir dir_;
  std::unique_ptr<MockUpstream> mock_;
  std::unique_ptr<OutriggerProcess> proxy_;
  std::string socket_path_;
};

TEST_F(UnixListenerTest, ServesHttpWithTheModeAskedForAndNoForwardedFor) {
  start(config());
  const struct stat st = statSocket();
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);

  const std::string reply = unixRequest(socket_path_, "/echo", "X-Mine: 1\r\n");
  EXPECT_THAT(reply, HasSubstr("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(reply, HasSubstr("X-Echo-Header-X-Mine: 1"));
  // A Unix-socket client has no address: X-Forwarded-For is left out, not invented.
  EXPECT_THAT(reply, Not(HasSubstr("X-Forwarded-For")));
  // An X-Forwarded-For the app sent goes on unchanged.
  EXPECT_THAT(unixRequest(socket_path_, "/echo", "X-Forwarded-For: 10.1.2.3\r\n"),
              HasSubstr("X-Echo-Header-X-Forwarded-For: 10.1.2.3\r\n"));
  EXPECT_EQ(mock_->hits("/echo"), 2);
}

TEST_F(UnixListenerTest, EveryWorkerSharesTheOneSocket) {
  start(config("", "workers: 3\n"));
  for (int i = 0; i < 12; ++i) {
    ASSERT_THAT(unixRequest(socket_path_, "/get"), HasSubstr("HTTP/1.1 200 OK")) << i;
  }
  EXPECT_EQ(mock_->hits("/get"), 12);
}

TEST_F(UnixListenerTest, AStaleSocketFileFromACrashIsReplaced) {
  {
    // What a killed process leaves behind: a socket file nobody accepts on.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket_path_.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);
  }
  ASSERT_TRUE(S_ISSOCK(statSocket().st_mode));
  start(config());
  EXPECT_THAT(unixRequest(socket_path_, "/get"), HasSubstr("HTTP/1.1 200 OK"));
}

TEST_F(UnixListenerTest, APathThatIsNotASocketIsNeverReplaced) {
  dir_.write("app.sock", "precious data\n");
  dir_.write("refused.yaml", config());
  std::string output;
  const int code =
      runOutrigger("-c " + dir_.file("refused.yaml") + " --ports-file " + dir_.file("p"), &output);
  EXPECT_EQ(code, 1) << output;
  EXPECT_THAT(output, HasSubstr("cannot listen on unix:" + socket_path_ +
                                ": the path exists and is not a socket; not replacing it"));
  EXPECT_EQ(readFile(socket_path_), "precious data\n");
}

TEST_F(UnixListenerTest, ASecondProcessDoesNotStealALiveSocket) {
  start(config());
  dir_.write("second.yaml", config());
  std::string output;
  EXPECT_EQ(
      runOutrigger("-c " + dir_.file("second.yaml") + " --ports-file " + dir_.file("p2"), &output),
      1);
  EXPECT_THAT(output, HasSubstr("another process is listening on it"));
  EXPECT_THAT(unixRequest(socket_path_, "/get"), HasSubstr("HTTP/1.1 200 OK"));
}

TEST_F(UnixListenerTest, ReloadKeepsTheSocketAndExitRemovesTheFile) {
  start(config());
  const ino_t before = statSocket().st_ino;
  // The Unix listener changes (not its path): it keeps its socket, as TCP ones do.
  proxy_->writeConfig(config("    socket_mode: \"0660\"\n    limits: { idle_timeout: 30s }\n"));
  proxy_->signal(SIGHUP);
  ASSERT_TRUE(eventually([&] {
    return proxy_->metric("outrigger_config_reloads_total", {{"result", "success"}}) == 1.0;
  })) << proxy_->log();
  EXPECT_EQ(statSocket().st_ino, before);
  EXPECT_THAT(unixRequest(socket_path_, "/get"), HasSubstr("HTTP/1.1 200 OK"));

  proxy_->signal(SIGTERM);
  ASSERT_EQ(proxy_->wait(milliseconds(5000)), 0) << proxy_->log();
  struct stat st {};
  EXPECT_NE(::lstat(socket_path_.c_str(), &st), 0) << "the socket file outlived the process";
}

}  // namespace
}  // namespace outrigger::testing
