#include "server.h"

#include <cstdio>

#include "connection.h"

namespace mock_upstream {

Server::Server(uv_loop_t* loop, bool verbose) : loop_(loop), verbose_(verbose) {
  uv_tcp_init(loop_, &listener_);
  listener_.data = this;
}

int Server::listen(const std::string& host, int port) {
  sockaddr_storage address{};
  int rc = uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&address));
  if (rc != 0) rc = uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&address));
  if (rc != 0) return rc;
  rc = uv_tcp_bind(&listener_, reinterpret_cast<const sockaddr*>(&address), 0);
  if (rc != 0) return rc;
  return uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 1024, onConnection);
}

int Server::boundPort() const {
  sockaddr_storage address{};
  int size = sizeof(address);
  if (uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&address), &size) != 0) return 0;
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
}

void Server::shutdown() {
  if (!listenerClosed_) {
    listenerClosed_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
  }
  // abort() only starts closing; connections unlink themselves when freed.
  for (Connection* c = connections_; c != nullptr; c = c->next) c->abort();
}

void Server::add(Connection* connection) {
  connection->next = connections_;
  if (connections_ != nullptr) connections_->prev = connection;
  connections_ = connection;
}

void Server::remove(Connection* connection) {
  if (connection->prev != nullptr) connection->prev->next = connection->next;
  if (connection->next != nullptr) connection->next->prev = connection->prev;
  if (connections_ == connection) connections_ = connection->next;
  connection->prev = nullptr;
  connection->next = nullptr;
}

void Server::onConnection(uv_stream_t* listener, int status) {
  auto* self = static_cast<Server*>(listener->data);
  if (status < 0) {
    fprintf(stderr, "mock-upstream: accept failed: %s\n", uv_strerror(status));
    return;
  }
  auto* connection = new Connection(*self, ++self->connectionsSeen_);
  connection->start(listener);  // owns itself from here on
}

}  // namespace mock_upstream
