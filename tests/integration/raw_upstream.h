#pragma once
// A scripted upstream for tests that need exact response bytes: each request gets the bytes
// its path maps to, and every connection's requests are recorded, to see which were reused.

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/proxy_fixture.h"

namespace outrigger::testing {

// An upstream that answers each request with fixed bytes chosen by its path, keeps every
// connection open, and records which connection carried which request.
class RawUpstream {
 public:
  explicit RawUpstream(std::map<std::string, std::string> replies) : replies_(std::move(replies)) {
    listen_fd_ = listenOnLoopback(16, &port_);
    if (listen_fd_ < 0) return;
    thread_ = std::thread([this] { serve(); });
  }
  ~RawUpstream() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    for (const Connection& c : connections_) ::close(c.fd);
    ::close(listen_fd_);
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int accepts() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int>(connections_.size());
  }
  // The paths each connection carried, in accept order.
  std::vector<std::vector<std::string>> requestsByConnection() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::vector<std::string>> out;
    for (const Connection& c : connections_) out.push_back(c.paths);
    return out;
  }
  // Every request head received (request line and headers), in arrival order.
  std::vector<std::string> heads() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return heads_;
  }

 private:
  struct Connection {
    int fd;
    bool open = true;
    std::string input;
    std::vector<std::string> paths;
  };

  void serve() {
    while (!stop_) {
      std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
      {
        std::lock_guard<std::mutex> lock(mutex_);
        // A closed connection stays listed (negative fd: poll skips it) to keep the indexes.
        for (const Connection& c : connections_) fds.push_back({c.open ? c.fd : -1, POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        const int fd = ::accept(listen_fd_, nullptr, nullptr);
        std::lock_guard<std::mutex> lock(mutex_);
        if (fd >= 0) connections_.push_back({fd, true, {}, {}});
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        if (fds[i].revents != 0) readFrom(i - 1);
      }
    }
  }

  void readFrom(size_t index) {
    std::lock_guard<std::mutex> lock(mutex_);
    Connection& c = connections_[index];
    char buf[4096];
    const ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) {
      c.open = false;  // the fd and the record are kept until the end
      return;
    }
    c.input.append(buf, static_cast<size_t>(n));
    for (size_t end; (end = c.input.find("\r\n\r\n")) != std::string::npos;) {
      const size_t sp = c.input.find(' ');
      const std::string path = c.input.substr(sp + 1, c.input.find(' ', sp + 1) - sp - 1);
      heads_.push_back(c.input.substr(0, end));
      c.input.erase(0, end + 4);  // the proxy sends these GETs without a body
      c.paths.push_back(path);
      const std::string& reply = replies_[path];
      ::send(c.fd, reply.data(), reply.size(), MSG_NOSIGNAL);
    }
  }

  std::map<std::string, std::string> replies_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<Connection> connections_;
  std::vector<std::string> heads_;
  std::thread thread_;
};

}  // namespace outrigger::testing
