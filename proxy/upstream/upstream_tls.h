#pragma once
// An upstream's TLS identity: the client context built from the files its `tls:` block
// names, and the rotation of those files. Shared by every worker through the Upstream; a
// new connection takes the current context, and a rotation swaps in a new one without
// touching connections already open.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "proxy/config/schema.h"
#include "proxy/io/tcp_stream.h"
#include "proxy/io/tls_client_context.h"

namespace outrigger::metrics {
struct UpstreamMetrics;
}

namespace outrigger::upstream {

class UpstreamTls {
 public:
  // Reads the files (relative ones from `base_directory`) and builds the context. nullptr
  // and *error ("tls.ca_file: cannot read 'ca.pem': No such file or directory") if not.
  // `alpn`: what connections offer, from the upstream's protocol (alpnFor).
  static std::unique_ptr<UpstreamTls> load(const config::TlsConfig& config,
                                           const std::string& base_directory, std::string* error,
                                           io::AlpnOffer alpn = io::AlpnOffer::kHttp1);

  // What a new connection to `endpoint` uses: the current context, the server name (sni,
  // or the endpoint's host) and the key of its resumable session.
  io::TlsConnect connectOptions(const config::HostPort& endpoint) const;
  // Bumped by every rotation. A pooled connection made under an older generation is not
  // reused: the pool key includes the TLS identity.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  enum class Refresh { kUnchanged, kRotated, kFailed };
  // Reads the files again; when their bytes changed, builds and swaps in a new context.
  // kFailed keeps the current one and sets *message; kRotated describes the new identity.
  Refresh refresh(std::string* message);

  // "CN=client-a, valid until 2027-01-01 00:00:00 UTC" for the client certificate in use,
  // or "" without one: for GET /upstreams.
  std::string clientCertificate() const;

  // The files it reads, resolved: the directories to watch for rotation.
  std::vector<std::string> files() const;
  const config::TlsConfig& config() const { return config_; }

 private:
  UpstreamTls(config::TlsConfig config, std::string base_directory);
  bool readMaterial(io::TlsMaterial* material, std::string* error) const;
  std::shared_ptr<io::TlsClientContext> makeContext(const io::TlsMaterial& material,
                                                    std::string* error) const;

  const config::TlsConfig config_;
  const std::string base_directory_;
  io::AlpnOffer alpn_ = io::AlpnOffer::kHttp1;
  mutable std::mutex mutex_;  // guards context_ and material_; taken per new connection
  std::shared_ptr<io::TlsClientContext> context_;
  io::TlsMaterial material_;
  std::atomic<uint64_t> generation_{1};
};

// What ALPN offers for an upstream's `protocol:`: h2 for http2, h2 then http/1.1 for auto.
io::AlpnOffer alpnFor(config::UpstreamProtocol protocol);

// Counts how the handshake of `stream` (a TLS stream whose connect just finished) ended.
void countTlsHandshake(metrics::UpstreamMetrics& metrics, const io::TcpStream& stream, int error);
// Why a connect failed, for the access log: "ECONNREFUSED", or "TLS handshake failed:
// certificate verify failed: certificate has expired".
std::string connectFailure(const io::TcpStream& stream, int error);

}  // namespace outrigger::upstream
