#pragma once
// Certificates made at test time with OpenSSL (P-256 keys, SHA-256 signatures): a CA, and
// server or client certificates it signs, valid, expired or for the wrong name. Nothing is
// checked into the repository, so nothing expires in it.

#include <string>
#include <vector>

namespace outrigger::testing {

struct PemPair {
  std::string cert;  // PEM certificate
  std::string key;   // PEM private key (unencrypted PKCS#8)
};

struct CertificateSpec {
  std::string common_name;
  std::vector<std::string> dns_names;     // subjectAltName DNS entries
  std::vector<std::string> ip_addresses;  // subjectAltName IP entries
  bool client = false;                    // extendedKeyUsage clientAuth instead of serverAuth
  long valid_from_seconds = -3600;        // relative to now
  long valid_until_seconds = 24 * 3600;
};

// A self-signed CA certificate and its key.
PemPair makeCertificateAuthority(const std::string& common_name);
// A leaf certificate signed by `ca`.
PemPair issueCertificate(const PemPair& ca, const CertificateSpec& spec);

}  // namespace outrigger::testing
