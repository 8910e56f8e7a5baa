#include "proxy/upstream/upstream_tls.h"

#include <cstring>

#include "proxy/common/file_contents.h"
#include "proxy/metrics/metrics.h"

namespace outrigger::upstream {
namespace {

// Reads one named file into *out; "" stays "" (the key is not set).
bool readNamed(const char* key, const std::string& path, const std::string& base,
               std::string* out, std::string* error) {
  if (path.empty()) return true;
  int errno_value = 0;
  auto text = readFileContents(resolvePath(path, base), &errno_value);
  if (!text) {
    *error = std::string("tls.") + key + ": cannot read '" + path + "': " +
             std::strerror(errno_value);
    return false;
  }
  *out = std::move(*text);
  return true;
}

}  // namespace

UpstreamTls::UpstreamTls(config::TlsConfig config, std::string base_directory)
    : config_(std::move(config)), base_directory_(std::move(base_directory)) {}

std::unique_ptr<UpstreamTls> UpstreamTls::load(const config::TlsConfig& config,
                                               const std::string& base_directory,
                                               std::string* error, io::AlpnOffer alpn) {
  std::unique_ptr<UpstreamTls> tls(new UpstreamTls(config, base_directory));
  tls->alpn_ = alpn;
  if (!tls->readMaterial(&tls->material_, error)) return nullptr;
  tls->context_ = tls->makeContext(tls->material_, error);
  if (!tls->context_) return nullptr;
  return tls;
}

bool UpstreamTls::readMaterial(io::TlsMaterial* material, std::string* error) const {
  return readNamed("ca_file", config_.ca_file, base_directory_, &material->ca_pem, error) &&
         readNamed("cert_file", config_.cert_file, base_directory_, &material->cert_pem, error) &&
         readNamed("key_file", config_.key_file, base_directory_, &material->key_pem, error);
}

std::shared_ptr<io::TlsClientContext> UpstreamTls::makeContext(const io::TlsMaterial& material,
                                                               std::string* error) const {
  io::TlsClientSettings settings;
  settings.material = material;
  settings.verify = config_.verify;
  settings.tls13_only = config_.min_version == config::TlsVersion::k1_3;
  settings.alpn = alpn_;
  std::string reason;
  auto context = io::TlsClientContext::create(settings, &reason);
  if (!context) *error = "tls." + reason;
  return context;
}

io::TlsConnect UpstreamTls::connectOptions(const config::HostPort& endpoint) const {
  io::TlsConnect options;
  options.server_name = config_.sni.empty() ? endpoint.host : config_.sni;
  options.session_key = endpoint.text + " " + options.server_name;
  std::lock_guard<std::mutex> lock(mutex_);
  options.context = context_;
  return options;
}

UpstreamTls::Refresh UpstreamTls::refresh(std::string* message) {
  io::TlsMaterial material;
  if (!readMaterial(&material, message)) return Refresh::kFailed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (material == material_) return Refresh::kUnchanged;
  }
  std::shared_ptr<io::TlsClientContext> context = makeContext(material, message);
  if (!context) return Refresh::kFailed;
  *message = context->clientCertificateSummary().empty()
                 ? "new trust store"
                 : "client certificate " + context->clientCertificateSummary();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    context_ = std::move(context);
    material_ = std::move(material);
  }
  generation_.fetch_add(1, std::memory_order_acq_rel);
  return Refresh::kRotated;
}

std::string UpstreamTls::clientCertificate() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return context_->clientCertificateSummary();
}

std::vector<std::string> UpstreamTls::files() const {
  std::vector<std::string> out;
  for (const std::string* path : {&config_.ca_file, &config_.cert_file, &config_.key_file}) {
    if (!path->empty()) out.push_back(resolvePath(*path, base_directory_));
  }
  return out;
}

io::AlpnOffer alpnFor(config::UpstreamProtocol protocol) {
  switch (protocol) {
    case config::UpstreamProtocol::kHttp2:
      return io::AlpnOffer::kHttp2;
    case config::UpstreamProtocol::kAuto:
      return io::AlpnOffer::kHttp2Or1;
    case config::UpstreamProtocol::kHttp1:
      break;
  }
  return io::AlpnOffer::kHttp1;
}

void countTlsHandshake(metrics::UpstreamMetrics& metrics, const io::TcpStream& stream, int error) {
  using metrics::TlsHandshakeOutcome;
  if (error == 0) {
    metrics.countTlsHandshake(stream.tlsResumed() ? TlsHandshakeOutcome::kResumed
                                                  : TlsHandshakeOutcome::kNew);
  } else if (error == io::kTlsError) {
    metrics.countTlsHandshake(stream.tlsVerifyFailed() ? TlsHandshakeOutcome::kVerifyFailed
                                                       : TlsHandshakeOutcome::kFailed);
  }
  // A TCP error before the handshake (refused, unreachable) is not a TLS outcome.
}

std::string connectFailure(const io::TcpStream& stream, int error) {
  if (error != io::kTlsError) return io::errorName(error);
  const std::string& why = stream.tlsFailure();
  return "TLS handshake failed: " + (why.empty() ? std::string("connection closed") : why);
}

}  // namespace outrigger::upstream
