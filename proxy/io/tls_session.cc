#include "proxy/io/tls_session.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "proxy/io/tls_errors.h"

namespace outrigger::io {
namespace {

constexpr size_t kReadChunk = 16 * 1024;  // one TLS record's worth of plaintext

bool isIpAddress(const std::string& name) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, name.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, name.c_str(), buffer) == 1;
}

}  // namespace

TlsSession::TlsSession(std::shared_ptr<TlsClientContext> context, const std::string& server_name,
                       std::string session_key, bool alpn)
    : context_(std::move(context)), session_key_(std::move(session_key)) {
  ERR_clear_error();
  ssl_ = SSL_new(context_->raw());
  network_in_ = BIO_new(BIO_s_mem());
  network_out_ = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl_, network_in_, network_out_);
  SSL_set_connect_state(ssl_);
  SSL_set_app_data(ssl_, &session_key_);
  if (!alpn) SSL_set_alpn_protos(ssl_, nullptr, 0);  // clears the context's list
  const bool ip = isIpAddress(server_name);
  if (!ip && !server_name.empty()) SSL_set_tlsext_host_name(ssl_, server_name.c_str());
  if (context_->verify() && !server_name.empty()) {
    if (ip) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), server_name.c_str());
    } else {
      SSL_set1_host(ssl_, server_name.c_str());
    }
  }
  if (SSL_SESSION* session = context_->takeSession(session_key_)) {
    SSL_set_session(ssl_, session);
    SSL_SESSION_free(session);
  }
}

TlsSession::~TlsSession() {
  // Connections are mostly closed without a close_notify (the pool drops them), and
  // OpenSSL then marks their session unresumable, which would spoil the cached copy.
  // Only a connection that failed leaves a session no one should resume.
  if (failure_.empty()) SSL_set_shutdown(ssl_, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  SSL_free(ssl_);
}

TlsSession::Progress TlsSession::handshake() {
  ERR_clear_error();
  const int rc = SSL_do_handshake(ssl_);
  if (rc == 1) return Progress::kDone;
  const int error = SSL_get_error(ssl_, rc);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return Progress::kPending;
  recordFailure();
  return Progress::kFailed;
}

void TlsSession::receive(const char* data, size_t len) {
  size_t written = 0;
  BIO_write_ex(network_in_, data, len, &written);  // a memory BIO takes everything
}

TlsSession::ReadState TlsSession::read(std::string& plain) {
  for (;;) {
    ERR_clear_error();
    const size_t before = plain.size();
    plain.resize(before + kReadChunk);
    size_t got = 0;
    const int rc = SSL_read_ex(ssl_, plain.data() + before, kReadChunk, &got);
    plain.resize(before + got);
    if (rc == 1) continue;
    const int error = SSL_get_error(ssl_, rc);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return ReadState::kOpen;
    if (error == SSL_ERROR_ZERO_RETURN) return ReadState::kClosed;
    recordFailure();
    return ReadState::kFailed;
  }
}

bool TlsSession::write(std::string_view plain) {
  if (plain.empty()) return true;
  ERR_clear_error();
  size_t written = 0;
  if (SSL_write_ex(ssl_, plain.data(), plain.size(), &written) == 1) return true;
  recordFailure();
  return false;
}

void TlsSession::shutdown() {
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

bool TlsSession::hasOutput() const { return BIO_ctrl_pending(network_out_) > 0; }

std::string TlsSession::takeOutput() {
  std::string out(BIO_ctrl_pending(network_out_), '\0');
  size_t got = 0;
  if (!out.empty()) BIO_read_ex(network_out_, out.data(), out.size(), &got);
  out.resize(got);
  return out;
}

bool TlsSession::resumed() const { return SSL_session_reused(ssl_) == 1; }

std::string_view TlsSession::alpn() const {
  const unsigned char* data = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl_, &data, &len);
  return data == nullptr ? std::string_view()
                         : std::string_view(reinterpret_cast<const char*>(data), len);
}

void TlsSession::recordFailure() {
  // Without verification the result may be "self-signed" on a handshake that went fine.
  const long verify = context_->verify() ? SSL_get_verify_result(ssl_) : X509_V_OK;
  if (verify != X509_V_OK) {
    verify_failed_ = true;
    ERR_clear_error();
    failure_ = std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
    return;
  }
  failure_ = takeOpensslError();
}

}  // namespace outrigger::io
