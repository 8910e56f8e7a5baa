#pragma once

// --tls: terminates TLS in front of the mock's plain HTTP server. One thread accepts on the
// public port; each connection gets a thread that completes the handshake with blocking
// OpenSSL calls and relays plaintext to the plain server on loopback. Deliberately simple
// and separate from outrigger's own TLS code, so a test does not check that code against
// itself.

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

typedef struct ssl_ctx_st SSL_CTX;

namespace mock_upstream {

struct TlsOptions {
  std::string certFile;  // server certificate (chain) and key, PEM
  std::string keyFile;
  std::string clientCaFile;  // when set, a client certificate signed by it is required
  std::string logFile;       // one line per handshake: "handshake cn=client-a resumed=1 ..."
};

class TlsFront {
 public:
  TlsFront() = default;
  ~TlsFront();
  TlsFront(const TlsFront&) = delete;
  TlsFront& operator=(const TlsFront&) = delete;

  // Loads the certificates and listens on host:port, relaying to 127.0.0.1:plainPort.
  // Returns "" or what went wrong.
  std::string start(const TlsOptions& options, const std::string& host, int port, int plainPort);
  int port() const { return port_; }

 private:
  void acceptLoop();
  void serve(int fd);
  void logHandshake(const std::string& line);

  SSL_CTX* ctx_ = nullptr;
  int listenFd_ = -1;
  int port_ = 0;
  int plainPort_ = 0;
  std::string logFile_;
  std::mutex logMutex_;
  std::thread acceptor_;
};

}  // namespace mock_upstream
