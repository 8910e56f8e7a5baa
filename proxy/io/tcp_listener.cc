#include "proxy/io/tcp_listener.h"

#include <netdb.h>
#include <uv.h>

#include <cstring>

#include "proxy/log/logger.h"

namespace outrigger::io {

struct TcpListener::Handle {
  uv_tcp_t tcp;
  Loop* loop;
  AcceptFn on_accept;
  bool initialized = false;  // uv_tcp_init_ex succeeded, so the handle must be closed
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
  handle_->tcp.data = handle_;
}

TcpListener::~TcpListener() {
  handle_->on_accept = nullptr;
  if (handle_->initialized) {
    uv_close(reinterpret_cast<uv_handle_t*>(&handle_->tcp),
             [](uv_handle_t* h) { delete static_cast<Handle*>(h->data); });
  } else {
    delete handle_;
  }
}

std::string TcpListener::listen(const std::string& host, uint16_t port, bool reuse_port,
                                int backlog) {
  const std::string where =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
  std::string error;
  auto address = resolveForBind(host, port, &error);
  if (!address) return "cannot listen on " + where + ": " + error;
  int rc = uv_tcp_init_ex(handle_->loop->raw(), &handle_->tcp, address->family());
  if (rc != 0) return "cannot listen on " + where + ": " + uv_strerror(rc);
  handle_->initialized = true;
  handle_->tcp.data = handle_;
  if (reuse_port) {
    uv_os_fd_t fd;
    uv_fileno(reinterpret_cast<uv_handle_t*>(&handle_->tcp), &fd);
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0)
      return "cannot listen on " + where + ": SO_REUSEPORT: " + std::strerror(errno);
  }
  rc = uv_tcp_bind(&handle_->tcp, address->get(), 0);
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&handle_->tcp), backlog,
                   [](uv_stream_t* server, int status) {
                     auto* h = static_cast<Handle*>(server->data);
                     if (status < 0) {
                       log::logf(config::LogLevel::kWarn, "accept failed: %s", uv_strerror(status));
                       return;
                     }
                     auto client = std::make_unique<TcpStream>(*h->loop);
                     if (client->acceptFrom(server) != 0) return;
                     if (h->on_accept) h->on_accept(std::move(client));
                   });
  }
  if (rc != 0) return "cannot listen on " + where + ": " + uv_strerror(rc);
  return "";
}

uint16_t TcpListener::port() const {
  SocketAddress a;
  int len = sizeof(a.storage);
  uv_tcp_getsockname(&handle_->tcp, reinterpret_cast<sockaddr*>(&a.storage), &len);
  return a.port();
}

std::string TcpListener::address() const {
  SocketAddress a;
  int len = sizeof(a.storage);
  uv_tcp_getsockname(&handle_->tcp, reinterpret_cast<sockaddr*>(&a.storage), &len);
  return a.toString();
}

}  // namespace outrigger::io
