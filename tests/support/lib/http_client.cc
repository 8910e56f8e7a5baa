#include "tests/support/lib/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace outrigger::testing {
namespace {

bool iequals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return "";
}

bool HttpResponse::hasHeader(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return true;
  return false;
}

HttpConnection::HttpConnection(uint16_t port, std::chrono::milliseconds timeout)
    : timeout_(timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool HttpConnection::sendRaw(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

bool HttpConnection::fill() {
  if (eof_ || fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout_.count())) <= 0) return false;
  char buf[65536];
  ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  buffer_.append(buf, static_cast<size_t>(n));
  return true;
}

std::optional<std::string> HttpConnection::readLine() {
  while (true) {
    auto pos = buffer_.find("\r\n");
    if (pos != std::string::npos) {
      std::string line = buffer_.substr(0, pos);
      buffer_.erase(0, pos + 2);
      return line;
    }
    if (!fill()) return std::nullopt;
  }
}

std::optional<HttpResponse> HttpConnection::readResponse(bool head_request) {
  HttpResponse r;
  while (true) {
    auto status_line = readLine();
    if (!status_line) return std::nullopt;
    auto sp1 = status_line->find(' ');
    if (sp1 == std::string::npos) return std::nullopt;
    r = HttpResponse{};
    r.version = status_line->substr(0, sp1);
    r.status = std::atoi(status_line->c_str() + sp1 + 1);
    while (true) {
      auto line = readLine();
      if (!line) return std::nullopt;
      if (line->empty()) break;
      auto colon = line->find(':');
      if (colon == std::string::npos) return std::nullopt;
      std::string value = line->substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      r.headers.emplace_back(line->substr(0, colon), value);
    }
    if (r.status >= 200) break;  // skip interim responses
  }
  if (head_request || r.status == 204 || r.status == 304) {
    r.complete = true;
    return r;
  }
  if (iequals(r.header("Transfer-Encoding"), "chunked")) {
    r.chunked = true;
    while (true) {
      auto size_line = readLine();
      if (!size_line) return r;  // cut short
      size_t size = std::strtoul(size_line->c_str(), nullptr, 16);
      while (buffer_.size() < size + 2)
        if (!fill()) {
          r.body += buffer_.substr(0, std::min(buffer_.size(), size));
          return r;
        }
      r.body += buffer_.substr(0, size);
      buffer_.erase(0, size + 2);
      if (size == 0) {
        r.complete = true;
        return r;
      }
    }
  }
  if (r.hasHeader("Content-Length")) {
    size_t length = std::strtoull(r.header("Content-Length").c_str(), nullptr, 10);
    while (buffer_.size() < length)
      if (!fill()) break;
    r.body = buffer_.substr(0, std::min(length, buffer_.size()));
    buffer_.erase(0, r.body.size());
    r.complete = r.body.size() == length;
    return r;
  }
  while (fill()) {
  }
  r.body = buffer_;
  buffer_.clear();
  r.complete = eof_;
  return r;
}

std::optional<HttpResponse> HttpConnection::request(const std::string& method,
                                                    const std::string& target,
                                                    const std::string& body,
                                                    const std::vector<std::string>& extra_headers) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: test.local\r\n";
  for (const auto& h : extra_headers) req += h + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  if (!sendRaw(req)) return std::nullopt;
  return readResponse(method == "HEAD");
}

bool HttpConnection::waitForClose(std::chrono::milliseconds timeout) {
  auto saved = timeout_;
  timeout_ = timeout;
  while (fill()) {
  }
  timeout_ = saved;
  return eof_;
}

void HttpConnection::closeWrite() { ::shutdown(fd_, SHUT_WR); }

std::optional<HttpResponse> httpRequest(uint16_t port, const std::string& method,
                                        const std::string& target, const std::string& body,
                                        const std::vector<std::string>& extra_headers) {
  HttpConnection c(port);
  if (!c.connected()) return std::nullopt;
  return c.request(method, target, body, extra_headers);
}

}  // namespace outrigger::testing
