#pragma once
// The client side of one TLS connection, as a pure byte transformer over memory BIOs: the
// stream feeds it what the network delivered and sends what it produced. It never touches
// a socket, so TcpStream keeps one I/O path for plain and TLS connections, and tests can
// pair it with a server in memory.

#include <memory>
#include <string>
#include <string_view>

#include "proxy/io/tls_client_context.h"

typedef struct ssl_st SSL;
typedef struct bio_st BIO;

namespace outrigger::io {

class TlsSession {
 public:
  // `server_name` is sent as SNI (unless it is an IP address) and is the name the peer's
  // certificate must carry when the context verifies. `session_key` picks the cached
  // session to resume. `alpn` false offers no ALPN protocol, whatever the context's.
  TlsSession(std::shared_ptr<TlsClientContext> context, const std::string& server_name,
             std::string session_key, bool alpn = true);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  enum class Progress { kPending, kDone, kFailed };
  // Advances the handshake with what was received so far. May produce output.
  Progress handshake();

  // Bytes that arrived from the network.
  void receive(const char* data, size_t len);

  enum class ReadState { kOpen, kClosed, kFailed };
  // Appends every byte it can decrypt now to `plain`. kClosed: the peer sent close_notify.
  ReadState read(std::string& plain);

  // Encrypts application bytes (after the handshake). False on a failure().
  bool write(std::string_view plain);
  // Queues a close_notify alert.
  void shutdown();

  // Encrypted bytes waiting to be sent.
  bool hasOutput() const;
  std::string takeOutput();

  // Why the handshake or a read failed: "certificate verify failed: certificate has
  // expired", "tlsv13 alert certificate required".
  const std::string& failure() const { return failure_; }
  bool verifyFailed() const { return verify_failed_; }
  bool resumed() const;
  // The protocol ALPN agreed on ("h2", "http/1.1"), or "" when the server chose none.
  std::string_view alpn() const;

 private:
  void recordFailure();

  std::shared_ptr<TlsClientContext> context_;  // the SSL_CTX must outlive ssl_
  std::string session_key_;                    // SSL's app data points here
  SSL* ssl_ = nullptr;
  BIO* network_out_ = nullptr;  // owned by ssl_
  BIO* network_in_ = nullptr;   // owned by ssl_
  std::string failure_;
  bool verify_failed_ = false;
};

}  // namespace outrigger::io
