// The admin port as an operator uses it: /config hides secrets; mutating endpoints are for
// loopback callers, or remote ones that send the admin token.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "tests/integration/proxy_fixture.h"

namespace outrigger::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using std::chrono::milliseconds;

// This machine's first IPv4 address that is not loopback, or "" if it has none.
std::string nonLoopbackAddress() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return "";
  std::string found;
  for (ifaddrs* i = list; i != nullptr && found.empty(); i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    found = text;
  }
  ::freeifaddrs(list);
  return found;
}

// One request over a new connection to ip:port; returns the status line and all after it.
std::string rawRequest(const std::string& ip, uint16_t port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  timeval timeout{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) answer.append(buffer, n);
  }
  ::close(fd);
  return answer;
}

TEST(AdminTest, ConfigShowsTheEffectiveConfigWithSecretsRedacted) {
  TempDir dir;
  MockUpstream mock(dir);
  ASSERT_TRUE(mock.ok());
  std::string yaml = proxyConfig(mock.address(),
                                 "    fallback: { response: { status: 503, body: \"${DB_PASSWORD}\" } }\n"
                                 "    retry: { max_attempts: 2 }\n");
  yaml.replace(yaml.find("admin: { listen: 127.0.0.1:0 }"), 30,
               "admin: { listen: 127.0.0.1:0, token: \"${OUTRIGGER_ADMIN_TOKEN}\" }");
  dir.write("outrigger.yaml", yaml);
  ChildProcess p;
  ASSERT_TRUE(p.start({OUTRIGGER_BINARY, "-c", dir.file("outrigger.yaml"), "--ports-file",
                       dir.file("ports")},
                      dir.file("log"),
                      {"DB_PASSWORD=hunter2-db", "OUTRIGGER_ADMIN_TOKEN=t0ken-value"}));
  ASSERT_TRUE(eventually([&] { return ::access(dir.file("ports").c_str(), F_OK) == 0; }));
  std::istringstream ports(readFile(dir.file("ports")));
  std::string kind;
  uint16_t admin = 0;
  ports >> kind >> admin;

  auto r = httpRequest(admin, "GET", "/config");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr("max_attempts: 2"));  // effective values, policies included
  EXPECT_THAT(r->body, HasSubstr("<redacted>"));
  EXPECT_THAT(r->body, Not(HasSubstr("hunter2-db")));
  EXPECT_THAT(r->body, Not(HasSubstr("t0ken-value")));
  p.signal(SIGKILL);
  p.wait(milliseconds(5000));
}

TEST(AdminTest, RemoteCallersNeedTheTokenToReloadOrDrain) {
  const std::string ip = nonLoopbackAddress();
  if (ip.empty()) GTEST_SKIP() << "no non-loopback IPv4 address on this machine";
  TempDir dir;
  MockUpstream mock(dir);
  ASSERT_TRUE(mock.ok());
  std::string yaml = proxyConfig(mock.address());
  yaml.replace(yaml.find("admin: { listen: 127.0.0.1:0 }"), 30,
               "admin: { listen: 0.0.0.0:0, token: s3cret }");
  OutriggerProcess proxy(dir, yaml);
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  const uint16_t admin = proxy.adminPort();

  const std::string remote_get = rawRequest(ip, admin, "GET /ready HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(remote_get, HasSubstr("HTTP/1.1 200"));  // reading is open to all
  const std::string no_token =
      rawRequest(ip, admin, "POST /reload HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(no_token, HasSubstr("HTTP/1.1 403"));
  const std::string wrong = rawRequest(
      ip, admin,
      "POST /reload HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer nope\r\nContent-Length: 0\r\n"
      "Connection: close\r\n\r\n");
  EXPECT_THAT(wrong, HasSubstr("HTTP/1.1 403"));
  const std::string right = rawRequest(
      ip, admin,
      "POST /reload HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer s3cret\r\nContent-Length: 0\r\n"
      "Connection: close\r\n\r\n");
  EXPECT_THAT(right, HasSubstr("HTTP/1.1 200"));
  EXPECT_EQ(proxy.metric("outrigger_config_reloads_total", {{"result", "success"}}), 1);
}

}  // namespace
}  // namespace outrigger::testing
