#pragma once
// A running mock-upstream and an outrigger in front of it, for one test.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>
#include <string>
#include <thread>

#include "tests/support/lib/fixtures.h"
#include "tests/support/lib/test_pki.h"

namespace outrigger::testing {

// The smallest config: one listener "main" routing everything to upstream "mock".
// `upstream_extra` and `listener_extra` are YAML lines inserted (already indented) into
// the upstream and the listener blocks.
inline std::string proxyConfig(const std::string& endpoint, const std::string& upstream_extra = "",
                               const std::string& listener_extra = "",
                               const std::string& top_extra = "") {
  return "admin: { listen: 127.0.0.1:0 }\n"
         "access_log: { path: off }\n" +
         top_extra +
         "listeners:\n"
         "  - name: main\n"
         "    listen: 127.0.0.1:0\n" +
         listener_extra +
         "    routes: [ { path_prefix: /, upstream: mock } ]\n"
         "upstreams:\n"
         "  mock:\n"
         "    endpoints: [ \"" +
         endpoint + "\" ]\n" + upstream_extra;
}

// Peak-memory assertions mean nothing under AddressSanitizer, whose allocator keeps freed
// memory in quarantine; those tests run in the Release pass.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kUnderAddressSanitizer = true;
#else
inline constexpr bool kUnderAddressSanitizer = false;
#endif

// Milliseconds since `since`.
inline long elapsedMs(std::chrono::steady_clock::time_point since) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - since)
                               .count());
}

// A loopback port with nothing listening on it (bound, read back, closed).
// A test CA and a server certificate for localhost and 127.0.0.1 it signed, written to `dir`
// as ca.pem, server.pem and server.key.
inline void writeLocalhostPki(const TempDir& dir) {
  const PemPair ca = makeCertificateAuthority("outrigger test CA");
  CertificateSpec spec;
  spec.common_name = "localhost";
  spec.dns_names = {"localhost"};
  spec.ip_addresses = {"127.0.0.1"};
  const PemPair server = issueCertificate(ca, spec);
  dir.write("ca.pem", ca.cert);
  dir.write("server.pem", server.cert);
  dir.write("server.key", server.key);
}

inline uint16_t closedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Whether something accepts connections on the loopback port (a peer that is still starting
// does not).
inline bool listening(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// A socket listening on an ephemeral loopback port, its port in *port; -1 if that failed.
inline int listenOnLoopback(int backlog, uint16_t* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd, backlog) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return -1;
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

// Runs a shell command; returns its exit code, with stdout and stderr in *output.
inline int runCommand(const std::string& command, std::string* output) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) output->append(buf, n);
  return WEXITSTATUS(::pclose(pipe));
}

// What a shell command printed (stdout and stderr together), whatever its exit code.
inline std::string commandOutput(const std::string& command) {
  std::string output;
  runCommand(command, &output);
  return output;
}

// Reads a raw connection until `want` bytes came, the peer closed, or 3 s passed; what came.
inline std::string readSome(int fd, size_t want) {
  std::string got;
  while (got.size() < want) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 3000) <= 0) break;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

// Runs the outrigger binary with `args` ("--check -c FILE").
inline int runOutrigger(const std::string& args, std::string* output) {
  return runCommand(std::string(OUTRIGGER_BINARY) + " " + args, output);
}

// Polls cond every 10 ms until it holds or timeout passes (integration tests only).
template <typename Cond>
bool eventually(Cond cond, std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

// Steady traffic from the app while a test reloads or drains: one thread sends over one
// keep-alive connection (reconnecting only when a response said Connection: close), one
// opens a new connection per request. Every request must get a complete 200.
class BackgroundTraffic {
 public:
  BackgroundTraffic(uint16_t port, std::string target) : port_(port), target_(std::move(target)) {
    threads_.emplace_back([this] { keepAliveLoop(); });
    threads_.emplace_back([this] { newConnectionLoop(); });
  }
  ~BackgroundTraffic() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  int ok() const { return ok_; }
  int failed() const { return failed_; }
  std::string firstFailure() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return first_failure_;
  }

 private:
  void record(const std::optional<HttpResponse>& r, const char* how) {
    if (r && r->status == 200 && r->complete) {
      ok_++;
      return;
    }
    failed_++;
    std::lock_guard<std::mutex> lock(mutex_);
    if (first_failure_.empty()) {
      first_failure_ = std::string(how) + ": " +
                       (r ? std::to_string(r->status) + " " + r->body : "no response");
    }
  }
  void keepAliveLoop() {
    auto c = std::make_unique<HttpConnection>(port_);
    while (!stop_) {
      auto r = c->request("GET", target_);
      record(r, "keep-alive");
      if (!r || r->header("Connection") == "close") c = std::make_unique<HttpConnection>(port_);
    }
  }
  void newConnectionLoop() {
    while (!stop_) record(httpRequest(port_, "GET", target_), "new connection");
  }

  uint16_t port_;
  std::string target_;
  std::atomic<bool> stop_{false};
  std::atomic<int> ok_{0};
  std::atomic<int> failed_{0};
  mutable std::mutex mutex_;
  std::string first_failure_;
  std::vector<std::thread> threads_;
};

class ProxyTest : public ::testing::Test {
 protected:
  void startProxy(const std::string& upstream_extra = "", const std::string& listener_extra = "",
                  const std::string& top_extra = "") {
    mock_ = std::make_unique<MockUpstream>(dir_);
    ASSERT_TRUE(mock_->ok()) << "mock-upstream did not start";
    proxy_ = std::make_unique<OutriggerProcess>(
        dir_, proxyConfig(mock_->address(), upstream_extra, listener_extra, top_extra));
    ASSERT_TRUE(proxy_->ok()) << "outrigger did not start:\n" << proxy_->log();
    port_ = proxy_->port("main");
  }

  std::optional<HttpResponse> get(const std::string& target,
                                  const std::vector<std::string>& headers = {}) {
    return httpRequest(port_, "GET", target, "", headers);
  }

  double metricOr0(const std::string& name, const std::map<std::string, std::string>& labels) {
    return proxy_->metric(name, labels).value_or(0);
  }

  TempDir dir_;
  std::unique_ptr<MockUpstream> mock_;
  std::unique_ptr<OutriggerProcess> proxy_;
  uint16_t port_ = 0;
};

}  // namespace outrigger::testing
