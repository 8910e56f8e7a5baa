#pragma once
// The admin port's socket side (main thread): HTTP/1.1 on the same parser as the data
// path, each request answered by the pure AdminHandler.

#include <list>
#include <memory>
#include <string>

#include "proxy/admin/admin_handler.h"
#include "proxy/io/loop.h"
#include "proxy/io/tcp_listener.h"

namespace outrigger::admin {

class AdminServer {
 public:
  AdminServer(io::Loop& loop, AdminHandler& handler);
  ~AdminServer();
  // Returns an error naming the address, or "".
  std::string listen(const std::string& host, uint16_t port);
  uint16_t port() const;
  void close();  // stop accepting and close every admin connection

  class Connection;

 private:
  void remove(Connection* connection);

  io::Loop& loop_;
  AdminHandler& handler_;
  std::unique_ptr<io::TcpListener> listener_;
  std::list<std::unique_ptr<Connection>> connections_;
};

}  // namespace outrigger::admin
