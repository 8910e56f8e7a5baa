// The TLS client engine against an OpenSSL server, both in memory: no sockets, no loop.
#include "proxy/io/tls_session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "proxy/io/tls_client_context.h"
#include "tests/support/lib/test_pki.h"

namespace outrigger::io {
namespace {

using ::testing::HasSubstr;
using testing::PemPair;

// A server SSL_CTX for `pair`.
SSL_CTX* serverContext(const PemPair& pair) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  BIO* cert_bio = BIO_new_mem_buf(pair.cert.data(), static_cast<int>(pair.cert.size()));
  X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
  BIO* key_bio = BIO_new_mem_buf(pair.key.data(), static_cast<int>(pair.key.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  SSL_CTX_use_certificate(ctx, cert);
  SSL_CTX_use_PrivateKey(ctx, key);
  static const unsigned char kId[] = "unit";
  SSL_CTX_set_session_id_context(ctx, kId, sizeof kId - 1);
  X509_free(cert);
  EVP_PKEY_free(key);
  BIO_free(cert_bio);
  BIO_free(key_bio);
  return ctx;
}

// One server connection in memory.
struct Server {
  explicit Server(SSL_CTX* ctx) : ssl(SSL_new(ctx)), in(BIO_new(BIO_s_mem())), out(BIO_new(BIO_s_mem())) {
    SSL_set_bio(ssl, in, out);
    SSL_set_accept_state(ssl);
  }
  ~Server() { SSL_free(ssl); }
  std::string readAll() {
    std::string got;
    char buffer[4096];
    int n = 0;
    while ((n = SSL_read(ssl, buffer, sizeof buffer)) > 0) got.append(buffer, static_cast<size_t>(n));
    return got;
  }
  SSL* ssl;
  BIO* in;   // owned by ssl
  BIO* out;  // owned by ssl
};

class TlsSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = testing::makeCertificateAuthority("unit CA");
    testing::CertificateSpec spec;
    spec.common_name = "svc.test";
    spec.dns_names = {"svc.test"};
    server_ctx_ = serverContext(testing::issueCertificate(ca_, spec));
  }
  void TearDown() override { SSL_CTX_free(server_ctx_); }

  std::shared_ptr<TlsClientContext> clientContext(bool verify = true) {
    TlsClientSettings settings;
    settings.material.ca_pem = verify ? ca_.cert : "";
    settings.verify = verify;
    std::string error;
    auto context = TlsClientContext::create(settings, &error);
    EXPECT_TRUE(context) << error;
    return context;
  }

  // Moves bytes both ways and steps the client's handshake until it ends.
  TlsSession::Progress handshake(TlsSession& client, Server& server) {
    for (int round = 0; round < 10; ++round) {
      const TlsSession::Progress p = client.handshake();
      pump(client, server);
      SSL_do_handshake(server.ssl);
      pump(client, server);
      if (p != TlsSession::Progress::kPending) return p;
    }
    return TlsSession::Progress::kPending;
  }
  static void pump(TlsSession& client, Server& server) {
    const std::string to_server = client.takeOutput();
    BIO_write(server.in, to_server.data(), static_cast<int>(to_server.size()));
    char buffer[16384];
    int n = 0;
    while ((n = BIO_read(server.out, buffer, sizeof buffer)) > 0) client.receive(buffer, static_cast<size_t>(n));
  }

  PemPair ca_;
  SSL_CTX* server_ctx_ = nullptr;
};

TEST_F(TlsSessionTest, HandshakeVerifiesAndCarriesDataBothWays) {
  Server server(server_ctx_);
  TlsSession client(clientContext(), "svc.test", "svc.test:443 svc.test");
  ASSERT_EQ(handshake(client, server), TlsSession::Progress::kDone) << client.failure();
  EXPECT_STREQ(SSL_get_servername(server.ssl, TLSEXT_NAMETYPE_host_name), "svc.test");

  ASSERT_TRUE(client.write("GET / HTTP/1.1\r\n\r\n"));
  pump(client, server);
  EXPECT_EQ(server.readAll(), "GET / HTTP/1.1\r\n\r\n");

  const std::string big(100 * 1024, 'x');  // several records
  SSL_write(server.ssl, big.data(), static_cast<int>(big.size()));
  pump(client, server);
  std::string plain;
  EXPECT_EQ(client.read(plain), TlsSession::ReadState::kOpen);
  EXPECT_EQ(plain, big);
}

TEST_F(TlsSessionTest, NameMismatchFailsWithTheVerifyReason) {
  Server server(server_ctx_);
  TlsSession client(clientContext(), "other.test", "k");
  EXPECT_EQ(handshake(client, server), TlsSession::Progress::kFailed);
  EXPECT_TRUE(client.verifyFailed());
  EXPECT_EQ(client.failure(), "certificate verify failed: hostname mismatch");
}

TEST_F(TlsSessionTest, UnknownCaFailsUnlessVerifyIsOff) {
  Server strict_server(server_ctx_);
  TlsSession strict(clientContext(/*verify=*/true), "svc.test", "k");
  // A context trusting only a different CA.
  TlsClientSettings other;
  other.material.ca_pem = testing::makeCertificateAuthority("other").cert;
  std::string error;
  TlsSession wrong_ca(TlsClientContext::create(other, &error), "svc.test", "k");
  Server wrong_server(server_ctx_);
  EXPECT_EQ(handshake(wrong_ca, wrong_server), TlsSession::Progress::kFailed);
  EXPECT_THAT(wrong_ca.failure(), HasSubstr("unable to get local issuer certificate"));

  Server lax_server(server_ctx_);
  TlsSession lax(clientContext(/*verify=*/false), "wrong.name", "k");
  EXPECT_EQ(handshake(lax, lax_server), TlsSession::Progress::kDone);
  EXPECT_FALSE(lax.verifyFailed());
}

TEST_F(TlsSessionTest, CloseNotifyIsAnOrderlyEnd) {
  Server server(server_ctx_);
  TlsSession client(clientContext(), "svc.test", "k");
  ASSERT_EQ(handshake(client, server), TlsSession::Progress::kDone);
  SSL_write(server.ssl, "bye", 3);
  SSL_shutdown(server.ssl);
  pump(client, server);
  std::string plain;
  EXPECT_EQ(client.read(plain), TlsSession::ReadState::kClosed);
  EXPECT_EQ(plain, "bye");
}

TEST_F(TlsSessionTest, GarbageFromThePeerIsAFailure) {
  Server server(server_ctx_);
  TlsSession client(clientContext(), "svc.test", "k");
  ASSERT_EQ(handshake(client, server), TlsSession::Progress::kDone);
  const std::string garbage(64, '\x17');
  client.receive(garbage.data(), garbage.size());
  std::string plain;
  EXPECT_EQ(client.read(plain), TlsSession::ReadState::kFailed);
  EXPECT_FALSE(client.failure().empty());
}

TEST_F(TlsSessionTest, TheNextConnectionResumesTheSessionTheServerGave) {
  auto context = clientContext();
  {
    Server server(server_ctx_);
    TlsSession first(context, "svc.test", "svc.test:443 svc.test");
    ASSERT_EQ(handshake(first, server), TlsSession::Progress::kDone);
    EXPECT_FALSE(first.resumed());
    std::string plain;
    first.read(plain);  // takes in the server's session tickets (TLS 1.3)
  }  // dropped without a close_notify, as the pool does
  Server server(server_ctx_);
  TlsSession second(context, "svc.test", "svc.test:443 svc.test");
  ASSERT_EQ(handshake(second, server), TlsSession::Progress::kDone);
  EXPECT_TRUE(second.resumed());
  // Another endpoint has no session to resume.
  Server third_server(server_ctx_);
  TlsSession third(context, "svc.test", "svc.test:8443 svc.test");
  ASSERT_EQ(handshake(third, third_server), TlsSession::Progress::kDone);
  EXPECT_FALSE(third.resumed());
}

TEST(TlsClientContextTest, UnusableMaterialIsExplained) {
  const PemPair ca = testing::makeCertificateAuthority("ca");
  testing::CertificateSpec spec;
  spec.common_name = "client";
  spec.client = true;
  const PemPair client = testing::issueCertificate(ca, spec);
  const PemPair other = testing::issueCertificate(ca, spec);
  std::string error;

  TlsClientSettings garbage_ca;
  garbage_ca.material.ca_pem = "not a certificate\n";
  EXPECT_EQ(TlsClientContext::create(garbage_ca, &error), nullptr);
  EXPECT_THAT(error, HasSubstr("ca_file: "));

  TlsClientSettings mismatched;
  mismatched.material = {ca.cert, client.cert, other.key};
  EXPECT_EQ(TlsClientContext::create(mismatched, &error), nullptr);
  EXPECT_EQ(error, "key_file: the key does not belong to the certificate in cert_file");

  TlsClientSettings good;
  good.material = {ca.cert, client.cert, client.key};
  auto context = TlsClientContext::create(good, &error);
  ASSERT_NE(context, nullptr) << error;
  EXPECT_THAT(context->clientCertificateSummary(), HasSubstr("CN=client, valid until "));
}

}  // namespace
}  // namespace outrigger::io
