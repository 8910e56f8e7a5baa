#include "tls_front.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace mock_upstream {
namespace {

std::string lastError() {
  char text[256];
  ERR_error_string_n(ERR_get_error(), text, sizeof text);
  ERR_clear_error();
  return text;
}

// The client certificate's common name, or "-" without one.
std::string peerCommonName(SSL* ssl) {
  X509* peer = SSL_get1_peer_certificate(ssl);
  if (peer == nullptr) return "-";
  char cn[256] = "-";
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
  X509_free(peer);
  return cn;
}

int connectPlain(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

TlsFront::~TlsFront() {
  if (listenFd_ >= 0) {
    shutdown(listenFd_, SHUT_RDWR);  // wakes the acceptor
    if (acceptor_.joinable()) acceptor_.join();
    close(listenFd_);
  }
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

std::string TlsFront::start(const TlsOptions& options, const std::string& host, int port,
                            int plainPort) {
  plainPort_ = plainPort;
  logFile_ = options.logFile;
  ctx_ = SSL_CTX_new(TLS_server_method());
  if (SSL_CTX_use_certificate_chain_file(ctx_, options.certFile.c_str()) != 1) {
    return "cannot load --tls-cert " + options.certFile + ": " + lastError();
  }
  if (SSL_CTX_use_PrivateKey_file(ctx_, options.keyFile.c_str(), SSL_FILETYPE_PEM) != 1) {
    return "cannot load --tls-key " + options.keyFile + ": " + lastError();
  }
  if (!options.clientCaFile.empty()) {
    if (SSL_CTX_load_verify_locations(ctx_, options.clientCaFile.c_str(), nullptr) != 1) {
      return "cannot load --tls-client-ca " + options.clientCaFile + ": " + lastError();
    }
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  static const unsigned char kSessionContext[] = "mock-upstream";
  SSL_CTX_set_session_id_context(ctx_, kSessionContext, sizeof kSessionContext - 1);

  listenFd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listenFd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) return "--tls needs an IPv4 --host";
  if (bind(listenFd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listenFd_, 128) != 0) {
    return std::string("cannot listen: ") + strerror(errno);
  }
  socklen_t len = sizeof addr;
  getsockname(listenFd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { acceptLoop(); });
  return "";
}

void TlsFront::acceptLoop() {
  for (;;) {
    const int fd = accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // shut down
    }
    std::thread([this, fd] { serve(fd); }).detach();
  }
}

void TlsFront::serve(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  SSL* ssl = SSL_new(ctx_);
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) != 1) {
    logHandshake("handshake failed: " + lastError());
    SSL_free(ssl);
    // Linger like a careful server: a close with the client's request still unread would
    // send a reset that can overtake the alert we just sent.
    shutdown(fd, SHUT_WR);
    timeval wait{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    char sink[4096];
    while (recv(fd, sink, sizeof sink, 0) > 0) {
    }
    close(fd);
    return;
  }
  const unsigned char* alpn = nullptr;
  unsigned alpnLen = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpnLen);
  logHandshake("handshake cn=" + peerCommonName(ssl) +
               " resumed=" + (SSL_session_reused(ssl) ? "1" : "0") +
               " version=" + SSL_get_version(ssl) + " sni=" +
               (SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)
                    ? SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name)
                    : "-"));
  const int plain = connectPlain(plainPort_);
  char buffer[16384];
  while (plain >= 0) {
    if (SSL_pending(ssl) == 0) {
      pollfd fds[2] = {{fd, POLLIN, 0}, {plain, POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) break;
      if (fds[1].revents != 0) {
        const ssize_t n = recv(plain, buffer, sizeof buffer, 0);
        if (n <= 0 || SSL_write(ssl, buffer, static_cast<int>(n)) <= 0) break;
        continue;
      }
      if (fds[0].revents == 0) continue;
    }
    const int n = SSL_read(ssl, buffer, sizeof buffer);
    if (n <= 0) {
      const int error = SSL_get_error(ssl, n);
      if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) continue;
      break;
    }
    if (send(plain, buffer, static_cast<size_t>(n), MSG_NOSIGNAL) != n) break;
  }
  SSL_shutdown(ssl);
  SSL_free(ssl);
  if (plain >= 0) close(plain);
  close(fd);
}

void TlsFront::logHandshake(const std::string& line) {
  if (logFile_.empty()) return;
  std::lock_guard<std::mutex> lock(logMutex_);
  FILE* file = fopen(logFile_.c_str(), "a");
  if (file == nullptr) return;
  fprintf(file, "%s\n", line.c_str());
  fclose(file);
}

}  // namespace mock_upstream
