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
#include "proxy/io/unix_socket_file.h"

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
  // Listens on the Unix socket file at `path` (see UnixSocketFile: shared with the other
  // listeners of this process on the same path; `mode` < 0 leaves the file's mode alone).
  // Its connections are TcpStreams like any other; their peerAddress() has no IP.
  std::string listenUnix(const std::string& path, int mode, int backlog = 1024);
  uint16_t port() const;        // the bound port (useful with port 0)
  std::string address() const;  // "127.0.0.1:15001", or "unix:/run/app.sock"

  // Stop and start taking connections off the backlog. Out of descriptors, the listener
  // pauses itself and tries again a little later.
  void pause();
  void resume();
  bool paused() const;

 private:
  std::string startPolling(const std::string& where);

  struct Handle;
  Handle* handle_;  // freed in its close callback
  std::shared_ptr<UnixSocketFile> unix_file_;  // for a Unix socket listener
};

}  // namespace outrigger::io
