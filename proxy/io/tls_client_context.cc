#include "proxy/io/tls_client_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <ctime>

#include "proxy/io/tls_errors.h"

namespace outrigger::io {
namespace {

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

BioPtr memoryBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
}

// PEM passphrase callback: an encrypted key is refused, never prompted for on a terminal.
int noPassphrase(char*, int, int, void*) { return 0; }

bool loadTrustStore(SSL_CTX* ctx, const std::string& pem, std::string* error) {
  BioPtr bio = memoryBio(pem);
  STACK_OF(X509_INFO)* infos = PEM_X509_INFO_read_bio(bio.get(), nullptr, noPassphrase, nullptr);
  if (infos == nullptr) {
    *error = "ca_file: not a PEM certificate bundle (" + takeOpensslError() + ")";
    return false;
  }
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int added = 0;
  for (int i = 0; i < sk_X509_INFO_num(infos); ++i) {
    X509_INFO* info = sk_X509_INFO_value(infos, i);
    if (info->x509 != nullptr && X509_STORE_add_cert(store, info->x509) == 1) added++;
  }
  sk_X509_INFO_pop_free(infos, X509_INFO_free);
  ERR_clear_error();
  if (added == 0) {
    *error = "ca_file: no certificate in it";
    return false;
  }
  return true;
}

std::string describeCertificate(X509* cert) {
  std::string subject;
  BioPtr out(BIO_new(BIO_s_mem()), BIO_free);
  X509_NAME_print_ex(out.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long len = BIO_get_mem_data(out.get(), &data);
  subject.assign(data, static_cast<size_t>(len));
  std::tm until{};
  std::string summary = subject.empty() ? "(no subject)" : subject;
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &until) == 1) {
    char text[64];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &until);
    summary += std::string(", valid until ") + text;
  }
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0) summary += " (EXPIRED)";
  return summary;
}

bool loadClientCertificate(SSL_CTX* ctx, const TlsMaterial& material, std::string* summary,
                           std::string* error) {
  BioPtr bio = memoryBio(material.cert_pem);
  X509* leaf = PEM_read_bio_X509_AUX(bio.get(), nullptr, noPassphrase, nullptr);
  if (leaf == nullptr) {
    *error = "cert_file: no PEM certificate in it (" + takeOpensslError() + ")";
    return false;
  }
  const bool used = SSL_CTX_use_certificate(ctx, leaf) == 1;
  *summary = describeCertificate(leaf);
  X509_free(leaf);
  if (!used) {
    *error = "cert_file: unusable certificate (" + takeOpensslError() + ")";
    return false;
  }
  // Intermediates after the leaf are sent with it.
  while (X509* extra = PEM_read_bio_X509(bio.get(), nullptr, noPassphrase, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) X509_free(extra);
  }
  ERR_clear_error();  // the loop above ends on a "no start line" error

  BioPtr key_bio = memoryBio(material.key_pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, noPassphrase, nullptr);
  if (key == nullptr) {
    *error = "key_file: no unencrypted PEM private key in it (" + takeOpensslError() + ")";
    return false;
  }
  const bool key_used = SSL_CTX_use_PrivateKey(ctx, key) == 1;
  EVP_PKEY_free(key);
  if (!key_used || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    *error = "key_file: the key does not belong to the certificate in cert_file";
    return false;
  }
  return true;
}

// Called by OpenSSL when a server hands out a session (in TLS 1.3, after the handshake).
int onNewSession(SSL* ssl, SSL_SESSION* session) {
  auto* context = static_cast<TlsClientContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  const auto* key = static_cast<const std::string*>(SSL_get_app_data(ssl));
  if (context == nullptr || key == nullptr) return 0;
  context->storeSession(*key, session);
  return 1;  // we keep the reference
}

}  // namespace

std::shared_ptr<TlsClientContext> TlsClientContext::create(const TlsClientSettings& settings,
                                                           std::string* error) {
  ERR_clear_error();
  std::shared_ptr<TlsClientContext> context(new TlsClientContext());
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    *error = "cannot create a TLS context (" + takeOpensslError() + ")";
    return nullptr;
  }
  context->ctx_ = ctx;
  context->verify_ = settings.verify;
  SSL_CTX_set_app_data(ctx, context.get());
  SSL_CTX_set_min_proto_version(ctx, settings.tls13_only ? TLS1_3_VERSION : TLS1_2_VERSION);
  // An idle pooled connection gives its 34 KiB of record buffers back.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  static const unsigned char kAlpnHttp1[] = "\x08http/1.1";
  static const unsigned char kAlpnHttp2[] = "\x02h2";
  static const unsigned char kAlpnHttp2Or1[] = "\x02h2\x08http/1.1";
  switch (settings.alpn) {
    case AlpnOffer::kHttp1:
      SSL_CTX_set_alpn_protos(ctx, kAlpnHttp1, sizeof kAlpnHttp1 - 1);
      break;
    case AlpnOffer::kHttp2:
      SSL_CTX_set_alpn_protos(ctx, kAlpnHttp2, sizeof kAlpnHttp2 - 1);
      break;
    case AlpnOffer::kHttp2Or1:
      SSL_CTX_set_alpn_protos(ctx, kAlpnHttp2Or1, sizeof kAlpnHttp2Or1 - 1);
      break;
  }
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, onNewSession);

  if (settings.verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (settings.material.ca_pem.empty()) {
      if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
        *error = "cannot load the system's trusted certificates (" + takeOpensslError() + ")";
        return nullptr;
      }
    } else if (!loadTrustStore(ctx, settings.material.ca_pem, error)) {
      return nullptr;
    }
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  if (!settings.material.cert_pem.empty() &&
      !loadClientCertificate(ctx, settings.material, &context->client_summary_, error)) {
    return nullptr;
  }
  return context;
}

TlsClientContext::~TlsClientContext() {
  for (auto& [key, session] : sessions_) SSL_SESSION_free(session);
  SSL_CTX_free(ctx_);
}

SSL_SESSION* TlsClientContext::takeSession(const std::string& key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = sessions_.find(key);
  if (found == sessions_.end()) return nullptr;
  SSL_SESSION_up_ref(found->second);
  return found->second;
}

void TlsClientContext::storeSession(const std::string& key, SSL_SESSION* session) {
  std::lock_guard<std::mutex> lock(mutex_);
  SSL_SESSION*& slot = sessions_[key];
  if (slot != nullptr) SSL_SESSION_free(slot);
  slot = session;
}

}  // namespace outrigger::io
