#pragma once
// A listening TCP socket that hands each accepted connection to a callback. It accepts by
// itself (a uv_poll on the socket) rather than through uv_listen, so it can pause: when the
// owner has enough connections, or when the process runs out of descriptors (EMFILE), new
// connections wait in the kernel's backlog instead of being accepted and dropped, and
// nothing spins.

#include <functional>
#include <memory>
#include <string>

#include "proxy/io/loop.h"
#include "proxy/io/tcp_stream.h"

namespace outrigger::io {

class TcpListener {
 public:
  using AcceptFn = std::function<void(std::unique_ptr<TcpStream>)>;
  TcpListener(Loop& loop, AcceptFn on_accept);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  // Binds host:port (a numeric address or a name resolved now) and listens. With
  // reuse_port, several listeners (one per worker) may share the port. Returns an error
  // message naming the address, or "" on success.
  std::string listen(const std::string& host, uint16_t port, bool reuse_port, int backlog = 1024);
  uint16_t port() const;        // the bound port (useful with port 0)
  std::string address() const;  // "127.0.0.1:15001"

  // Stop and start taking connections off the backlog. Out of descriptors, the listener
  // pauses itself and tries again a little later.
  void pause();
  void resume();
  bool paused() const;

 private:
  struct Handle;
  Handle* handle_;  // freed in its close callback
};

}  // namespace outrigger::io
