#include "proxy/common/file_contents.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace outrigger {

std::optional<std::string> readFileContents(const std::string& path, int* error) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (error != nullptr) *error = errno;
    return std::nullopt;
  }
  std::string text;
  char buffer[16384];
  ssize_t n = 0;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
  const int read_error = errno;
  ::close(fd);
  if (n < 0) {
    if (error != nullptr) *error = read_error;
    return std::nullopt;
  }
  return text;
}

std::string directoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string resolvePath(const std::string& path, const std::string& base_directory) {
  if (path.empty() || path.front() == '/' || base_directory.empty()) return path;
  return base_directory + "/" + path;
}

}  // namespace outrigger
