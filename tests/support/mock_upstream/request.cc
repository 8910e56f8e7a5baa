#include "request.h"

#include <strings.h>

namespace mock_upstream {

void Request::clear() {
  url.clear();
  path = {};
  query = {};
  headerCount = 0;
  headBytes = 0;
  inHeaderName = false;
  keepAlive = true;
  chunked = false;
  hasBody = false;
  contentLength = 0;
  id = 0;
}

void Request::splitTarget() {
  std::string_view target = url;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.starts_with(scheme)) {
      size_t slash = target.find('/', scheme.size());
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
      break;
    }
  }
  size_t mark = target.find('?');
  path = target.substr(0, mark);
  query = mark == std::string_view::npos ? std::string_view() : target.substr(mark + 1);
}

std::string_view Request::header(std::string_view name) const {
  for (size_t i = 0; i < headerCount; ++i) {
    const Header& h = headers[i];
    if (h.name.size() == name.size() && strncasecmp(h.name.data(), name.data(), name.size()) == 0) {
      return h.value;
    }
  }
  return {};
}

std::string_view Request::methodName() const {
  return llhttp_method_name(static_cast<llhttp_method_t>(method));
}

void Request::appendHeaderName(const char* data, size_t size) {
  if (!inHeaderName) {
    if (headerCount == headers.size()) headers.emplace_back();
    Header& h = headers[headerCount++];
    h.name.clear();
    h.value.clear();
    inHeaderName = true;
  }
  headers[headerCount - 1].name.append(data, size);
  headBytes += size;
}

void Request::appendHeaderValue(const char* data, size_t size) {
  headers[headerCount - 1].value.append(data, size);
  headBytes += size;
}

void Request::finishHeaderValue() {
  if (headerCount == 0) return;
  std::string& value = headers[headerCount - 1].value;
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
}

}  // namespace mock_upstream
