#include "proxy/io/tcp_listener.h"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstring>

#include "proxy/log/logger.h"

namespace outrigger::io {

// How many connections one readiness event accepts before the loop turns to other work.
constexpr int kAcceptBatch = 64;
// Out of descriptors: how long to wait before accepting again.
constexpr uint64_t kOutOfFdsPauseMs = 100;

struct TcpListener::Handle {
  uv_poll_t poll;
  uv_timer_t retry;  // resumes accepting after running out of descriptors
  Loop* loop;
  AcceptFn on_accept;
  int fd = -1;
  int open_handles = 0;     // poll and timer, once initialised
  bool polling = false;
  bool paused = false;      // by the owner
  bool out_of_fds = false;  // by EMFILE/ENFILE, until the retry timer fires

  void update() {
    const bool want = !paused && !out_of_fds;
    if (want == polling || open_handles == 0) return;
    polling = want;
    if (want) {
      uv_poll_start(&poll, UV_READABLE, onReadable);
    } else {
      uv_poll_stop(&poll);
    }
  }

  static void onReadable(uv_poll_t* p, int status, int) {
    auto* h = static_cast<Handle*>(p->data);
    if (status < 0) {
      log::logf(config::LogLevel::kWarn, "listener: poll failed: %s", uv_strerror(status));
      return;
    }
    for (int i = 0; i < kAcceptBatch && h->polling; ++i) {
      const int client = ::accept4(h->fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (client < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          // Leave the connections in the backlog, and do not spin on a socket that stays
          // readable: try again shortly, or when a descriptor frees up.
          log::logf(config::LogLevel::kWarn,
                    "listener: cannot accept (%s); pausing accepts for %llu ms",
                    std::strerror(errno), static_cast<unsigned long long>(kOutOfFdsPauseMs));
          h->out_of_fds = true;
          h->update();
          uv_timer_start(
              &h->retry,
              [](uv_timer_t* t) {
                auto* self = static_cast<Handle*>(t->data);
                self->out_of_fds = false;
                self->update();
              },
              kOutOfFdsPauseMs, 0);
        }
        return;  // EAGAIN: the backlog is empty
      }
      auto stream = std::make_unique<TcpStream>(*h->loop);
      if (stream->adopt(client) != 0) {
        ::close(client);
        continue;
      }
      if (h->on_accept) h->on_accept(std::move(stream));
    }
  }

  static void onClosed(uv_handle_t* handle) {
    auto* h = static_cast<Handle*>(handle->data);
    if (--h->open_handles > 0) return;
    if (h->fd >= 0) ::close(h->fd);
    delete h;
  }
};

namespace {

std::optional<SocketAddress> resolveForBind(const std::string& host, uint16_t port,
                                            std::string* error) {
  if (auto numeric = SocketAddress::fromNumeric(host, port)) return numeric;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr) {
    *error = std::string("cannot resolve: ") + gai_strerror(rc);
    return std::nullopt;
  }
  SocketAddress a;
  std::memcpy(&a.storage, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (a.family() == AF_INET) reinterpret_cast<sockaddr_in*>(&a.storage)->sin_port = htons(port);
  if (a.family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&a.storage)->sin6_port = htons(port);
  return a;
}

}  // namespace

TcpListener::TcpListener(Loop& loop, AcceptFn on_accept) : handle_(new Handle) {
  handle_->loop = &loop;
  handle_->on_accept = std::move(on_accept);
}

TcpListener::~TcpListener() {
  handle_->on_accept = nullptr;
  if (handle_->open_handles == 0) {
    if (handle_->fd >= 0) ::close(handle_->fd);
    delete handle_;
    return;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_->poll), Handle::onClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_->retry), Handle::onClosed);
  // uv_close has already taken the socket out of the loop's epoll set, so it can close now:
  // the port stops accepting at once, not on the next loop turn.
  ::close(handle_->fd);
  handle_->fd = -1;
}

void TcpListener::pause() {
  handle_->paused = true;
  handle_->update();
}

void TcpListener::resume() {
  handle_->paused = false;
  handle_->update();
}

bool TcpListener::paused() const { return handle_->paused || handle_->out_of_fds; }

std::string TcpListener::listen(const std::string& host, uint16_t port, bool reuse_port,
                                int backlog) {
  const std::string where =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  std::string error;
  auto address = resolveForBind(host, port, &error);
  if (!address) return "cannot listen on " + where + ": " + error;
  const int fd = ::socket(address->family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return "cannot listen on " + where + ": " + std::strerror(errno);
  handle_->fd = fd;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as uv_tcp_bind does
  if (reuse_port && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    return "cannot listen on " + where + ": SO_REUSEPORT: " + std::strerror(errno);
  }
  const socklen_t length = address->family() == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (::bind(fd, address->get(), length) != 0 || ::listen(fd, backlog) != 0) {
    return "cannot listen on " + where + ": " + std::strerror(errno);
  }
  return startPolling(where);
}

std::string TcpListener::listenUnix(const std::string& path, int mode, int backlog) {
  const std::string where = "unix:" + path;
  std::string error;
  unix_file_ = UnixSocketFile::bind(path, mode, backlog, &error);
  if (!unix_file_) return "cannot listen on " + where + ": " + error;
  // Our own descriptor of the shared socket: each worker's loop polls its own.
  handle_->fd = ::fcntl(unix_file_->fd(), F_DUPFD_CLOEXEC, 0);
  if (handle_->fd < 0) return "cannot listen on " + where + ": " + std::strerror(errno);
  return startPolling(where);
}

std::string TcpListener::startPolling(const std::string& where) {
  int rc = uv_poll_init_socket(handle_->loop->raw(), &handle_->poll, handle_->fd);
  if (rc != 0) return "cannot listen on " + where + ": " + uv_strerror(rc);
  handle_->poll.data = handle_;
  uv_timer_init(handle_->loop->raw(), &handle_->retry);
  handle_->retry.data = handle_;
  handle_->open_handles = 2;
  handle_->update();
  return "";
}

namespace {

SocketAddress boundAddress(int fd) {
  SocketAddress a;
  socklen_t len = sizeof(a.storage);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a.storage), &len);
  return a;
}

}  // namespace

uint16_t TcpListener::port() const { return boundAddress(handle_->fd).port(); }

std::string TcpListener::address() const {
  if (unix_file_) return "unix:" + unix_file_->path();
  return boundAddress(handle_->fd).toString();
}

}  // namespace outrigger::io
