#pragma once
// A TCP connection: reads into a per-thread buffer, queues writes and sends everything
// queued with one writev. The owner may destroy it at any moment (an abortive close);
// closeGracefully() hands it over to finish its writes, half-close and linger first.
// connectTls() makes it a TLS client: the handler sees the same calls with plaintext.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/io/loop.h"
#include "proxy/io/socket_address.h"

typedef struct uv_stream_s uv_stream_t;

namespace outrigger::io {

class TlsClientContext;

// What a connection needs to speak TLS to its peer.
struct TlsConnect {
  std::shared_ptr<TlsClientContext> context;
  std::string server_name;  // sent as SNI, and the name the certificate must carry
  std::string session_key;  // which cached session to resume ("host:port sni")
  // Offer the context's ALPN protocol (h2 or http/1.1). Off for bytes that are not HTTP
  // (an L4 tunnel): a server that knows ALPN must not be told the wrong protocol.
  bool alpn = true;
};

// The error onStreamConnected / onStreamEnd report when TLS failed; tlsFailure() says why.
inline constexpr int kTlsError = -70001;

class StreamHandler {
 public:
  virtual ~StreamHandler() = default;
  virtual void onStreamConnected(int /*error*/) {}  // 0 on success, else a negative errno
  // Read bytes. `len` is 0 only after a readSpace() that no read filled.
  virtual void onStreamData(const char* data, size_t len) = 0;
  // Where the next read may go instead of the thread's shared buffer: memory the handler
  // keeps the bytes in anyway, so they need no copy. {nullptr, 0}, the default, means the
  // shared buffer. Not asked on a TLS stream, which reads ciphertext.
  virtual std::pair<char*, size_t> readSpace() { return {nullptr, 0}; }
  // The stream ended: 0 = orderly EOF from the peer, otherwise a negative errno. Reading
  // stops; writes may still be pending after an EOF (half-close).
  virtual void onStreamEnd(int error) = 0;
  // Every queued write has reached the kernel.
  virtual void onStreamDrained() {}
};

class TcpStream {
 public:
  explicit TcpStream(Loop& loop);
  ~TcpStream();  // abortive close; no callback runs after this
  TcpStream(const TcpStream&) = delete;
  TcpStream& operator=(const TcpStream&) = delete;

  void setHandler(StreamHandler* handler);
  // Starts connecting; the result comes through onStreamConnected on a later turn.
  void connect(const SocketAddress& address);
  // The same, then the TLS handshake: onStreamConnected reports once both are done, or
  // kTlsError when the handshake failed.
  void connectTls(const SocketAddress& address, TlsConnect tls);
  bool isTls() const;
  // After kTlsError: OpenSSL's reason ("certificate verify failed: Hostname mismatch").
  const std::string& tlsFailure() const;
  bool tlsVerifyFailed() const;
  bool tlsResumed() const;  // the handshake resumed a cached session
  // After a TLS connect: the protocol ALPN agreed on ("h2", "http/1.1"), else "".
  std::string_view tlsAlpn() const;

  void startReading();
  void stopReading();
  bool reading() const;

  // Queues bytes; they are sent at once unless corked.
  void write(std::string data);
  // An empty string with room left by an earlier write that has gone out, on any stream of
  // this thread (or an empty one): fill it and hand it to write(), and a head written per
  // request allocates nothing.
  std::string takeWriteBuffer();
  // Copies the bytes behind what is already queued, in the same buffer up to 16 KiB: a
  // small body after its head leaves in one write() instead of a writev of two.
  void write(std::string_view data);
  // While corked, writes only queue; the matching uncork() sends them all in one writev.
  // Corks nest.
  void cork();
  void uncork();
  size_t queuedBytes() const;
  // Half-close: sends a FIN (a TLS stream: close_notify, then the FIN) once every queued
  // write has gone out; reading goes on. Writes after it are dropped.
  void shutdownWrite();

  SocketAddress peerAddress() const;
  // Sends a TCP reset on close instead of a FIN (for connections that saw an error).
  void setResetOnClose();

  // Finishes queued writes, half-closes, drains the peer's remaining bytes briefly, then
  // closes. The stream owns itself from here on.
  static void closeGracefully(std::unique_ptr<TcpStream> stream);
  // Closes `stream` (null: nothing to do), gracefully or at once.
  static void close(std::unique_ptr<TcpStream> stream, bool graceful) {
    if (graceful && stream) {
      closeGracefully(std::move(stream));
    }  // else the unique_ptr's destruction closes it at once
  }
  // Closes at once every stream of the calling thread's loop still in closeGracefully()
  // (writing what is queued, or lingering): at exit, a peer that does not read or hang up
  // must not hold the process past its deadline.
  static void abandonLingering();

  struct Impl;

 private:
  friend class TcpListener;
  int adopt(int fd);  // for TcpListener: an accepted socket; 0 or a negative errno
  Impl* impl_;        // freed in its close callback
};

// Corks a stream for a scope, so everything written in it leaves in one writev.
class CorkGuard {
 public:
  explicit CorkGuard(TcpStream& stream) : stream_(stream) { stream_.cork(); }
  ~CorkGuard() { stream_.uncork(); }
  CorkGuard(const CorkGuard&) = delete;
  CorkGuard& operator=(const CorkGuard&) = delete;

 private:
  TcpStream& stream_;
};

// Human-readable name of a negative errno from this layer ("ECONNRESET").
std::string errorName(int error);
std::string errorMessage(int error);

}  // namespace outrigger::io
