#pragma once

// One parsed request head, reused across the requests of a connection so its strings keep their
// capacity.

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mock_upstream {

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  // Forgets the previous request but keeps allocated capacity.
  void clear();
  // Splits `url` into path and query; an absolute-form target loses its scheme and authority.
  void splitTarget();
  // Case-insensitive lookup of the first header called `name`; empty if absent.
  std::string_view header(std::string_view name) const;
  bool isHttp11() const { return versionMajor == 1 && versionMinor >= 1; }
  bool isHead() const { return method == HTTP_HEAD; }
  std::string_view methodName() const;

  // Header parsing: a field or value may arrive in several pieces.
  void appendHeaderName(const char* data, size_t size);
  void finishHeaderName() { inHeaderName = false; }
  void appendHeaderValue(const char* data, size_t size);
  void finishHeaderValue();

  llhttp_method_t method = HTTP_GET;
  uint8_t versionMajor = 1;
  uint8_t versionMinor = 1;
  std::string url;
  std::string_view path;        // into url, without the query
  std::string_view query;       // into url, without the '?'
  std::vector<Header> headers;  // only the first headerCount are this request's
  size_t headerCount = 0;
  size_t headBytes = 0;  // bytes of target and headers, to bound memory
  bool inHeaderName = false;

  bool keepAlive = true;
  bool chunked = false;
  bool hasBody = false;
  uint64_t contentLength = 0;
  uint64_t id = 0;  // X-Mock-Request
};

}  // namespace mock_upstream
