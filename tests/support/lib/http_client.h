#pragma once
// A small blocking HTTP/1.1 client for integration tests. It parses responses with its
// own simple code, independent of the proxy's parser, so a parser bug cannot hide itself.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace outrigger::testing {

struct HttpResponse {
  int status = 0;
  std::string version;  // "HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool complete = false;  // the body ended as its framing said (not cut short)
  bool chunked = false;

  // First value of a header (case-insensitive), or "".
  std::string header(const std::string& name) const;
  bool hasHeader(const std::string& name) const;
};

// One TCP connection to 127.0.0.1:port.
class HttpConnection {
 public:
  explicit HttpConnection(uint16_t port,
                          std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool sendRaw(const std::string& bytes);
  // Reads one response. head_request: the response to a HEAD has no body.
  std::optional<HttpResponse> readResponse(bool head_request = false);
  // GET/POST helpers on this connection.
  std::optional<HttpResponse> request(const std::string& method, const std::string& target,
                                      const std::string& body = "",
                                      const std::vector<std::string>& extra_headers = {});
  // True if the peer closed (EOF or reset) within the timeout.
  bool waitForClose(std::chrono::milliseconds timeout);
  void closeWrite();  // half-close
  int fd() const { return fd_; }

 private:
  bool fill();  // reads more into buffer_; false on EOF/error/timeout
  std::optional<std::string> readLine();

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string buffer_;
  bool eof_ = false;
};

// One-shot request on a new connection.
std::optional<HttpResponse> httpRequest(uint16_t port, const std::string& method,
                                        const std::string& target, const std::string& body = "",
                                        const std::vector<std::string>& extra_headers = {});

}  // namespace outrigger::testing
