#include "tests/support/lib/test_pki.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <memory>

namespace outrigger::testing {
namespace {

[[noreturn]] void fail(const char* what) {
  std::cerr << "test_pki: " << what << " failed\n";
  std::abort();
}

std::string bioText(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string keyPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    fail("PEM_write_bio_PrivateKey");
  }
  std::string pem = bioText(bio);
  BIO_free(bio);
  return pem;
}

std::string certPem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (PEM_write_bio_X509(bio, cert) != 1) fail("PEM_write_bio_X509");
  std::string pem = bioText(bio);
  BIO_free(bio);
  return pem;
}

X509* parseCert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) fail("PEM_read_bio_X509");
  return cert;
}

EVP_PKEY* parseKey(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) fail("PEM_read_bio_PrivateKey");
  return key;
}

void addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr || X509_add_ext(cert, ext, -1) != 1) fail("X509_add_ext");
  X509_EXTENSION_free(ext);
}

// A certificate for `key` named `common_name`, valid in [from, until] seconds from now.
X509* newCertificate(EVP_PKEY* key, const std::string& common_name, long from, long until) {
  static std::atomic<long> serial{1000};
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert), from);
  X509_gmtime_adj(X509_getm_notAfter(cert), until);
  X509_set_pubkey(cert, key);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  return cert;
}

}  // namespace

PemPair makeCertificateAuthority(const std::string& common_name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) fail("EVP_EC_gen");
  X509* cert = newCertificate(key, common_name, -3600, 10 * 365 * 24 * 3600L);
  X509_set_issuer_name(cert, X509_get_subject_name(cert));
  addExtension(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
  addExtension(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  addExtension(cert, cert, NID_subject_key_identifier, "hash");
  if (X509_sign(cert, key, EVP_sha256()) == 0) fail("X509_sign");
  PemPair pair{certPem(cert), keyPem(key)};
  X509_free(cert);
  EVP_PKEY_free(key);
  return pair;
}

PemPair issueCertificate(const PemPair& ca, const CertificateSpec& spec) {
  X509* ca_cert = parseCert(ca.cert);
  EVP_PKEY* ca_key = parseKey(ca.key);
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) fail("EVP_EC_gen");
  X509* cert =
      newCertificate(key, spec.common_name, spec.valid_from_seconds, spec.valid_until_seconds);
  X509_set_issuer_name(cert, X509_get_subject_name(ca_cert));
  addExtension(cert, ca_cert, NID_basic_constraints, "critical,CA:FALSE");
  addExtension(cert, ca_cert, NID_key_usage, "critical,digitalSignature");
  addExtension(cert, ca_cert, NID_ext_key_usage, spec.client ? "clientAuth" : "serverAuth");
  addExtension(cert, ca_cert, NID_authority_key_identifier, "keyid:always");
  std::string names;
  for (const auto& dns : spec.dns_names) names += (names.empty() ? "DNS:" : ",DNS:") + dns;
  for (const auto& ip : spec.ip_addresses) names += (names.empty() ? "IP:" : ",IP:") + ip;
  if (!names.empty()) addExtension(cert, ca_cert, NID_subject_alt_name, names);
  if (X509_sign(cert, ca_key, EVP_sha256()) == 0) fail("X509_sign");
  PemPair pair{certPem(cert), keyPem(key)};
  X509_free(cert);
  X509_free(ca_cert);
  EVP_PKEY_free(ca_key);
  EVP_PKEY_free(key);
  return pair;
}

}  // namespace outrigger::testing
