#pragma once
// The TLS settings of one upstream, built once and shared by every worker: an OpenSSL 3
// SSL_CTX holding the trust store, the client certificate, the protocol floor and ALPN,
// plus a cache of sessions per endpoint so pooled connections resume instead of doing a
// full handshake each time. A certificate rotation builds a new context; connections made
// with the old one keep it alive until they close.

#include <map>
#include <memory>
#include <mutex>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_session_st SSL_SESSION;

namespace outrigger::io {

// The PEM bytes a context is built from, as read from the files: comparing two of these
// tells whether a rotation changed anything.
struct TlsMaterial {
  std::string ca_pem;    // "" = trust the system store
  std::string cert_pem;  // "" = no client certificate; may hold a chain after the leaf
  std::string key_pem;

  friend bool operator==(const TlsMaterial&, const TlsMaterial&) = default;
};

// The protocols a connection offers through ALPN, in order of preference.
enum class AlpnOffer {
  kHttp1,     // http/1.1
  kHttp2,     // h2 (protocol: http2)
  kHttp2Or1,  // h2, then http/1.1 (protocol: auto): the server picks
};

struct TlsClientSettings {
  TlsMaterial material;
  bool verify = true;       // check the peer's chain and name
  bool tls13_only = false;  // min_version 1.3; otherwise 1.2
  AlpnOffer alpn = AlpnOffer::kHttp1;
};

class TlsClientContext {
 public:
  // nullptr and *error ("ca_file: no certificate in it") when the material is unusable.
  static std::shared_ptr<TlsClientContext> create(const TlsClientSettings& settings,
                                                  std::string* error);
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  SSL_CTX* raw() const { return ctx_; }
  bool verify() const { return verify_; }
  // "CN=client-a, valid until 2027-01-01 00:00:00 UTC", or "" without a client certificate.
  const std::string& clientCertificateSummary() const { return client_summary_; }

  // Session resumption: the latest session a server gave for `key` (an endpoint and server
  // name), with a reference the caller must free, or nullptr. Any thread.
  SSL_SESSION* takeSession(const std::string& key);
  // Keeps `session` (takes over the caller's reference) as the one to resume for `key`.
  void storeSession(const std::string& key, SSL_SESSION* session);

 private:
  TlsClientContext() = default;

  SSL_CTX* ctx_ = nullptr;
  bool verify_ = true;
  std::string client_summary_;
  std::mutex mutex_;  // guards sessions_: touched once per new connection, never per request
  std::map<std::string, SSL_SESSION*> sessions_;
};

}  // namespace outrigger::io
