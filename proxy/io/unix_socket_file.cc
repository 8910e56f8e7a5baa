#include "proxy/io/unix_socket_file.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>

namespace outrigger::io {
namespace {

// Path -> the socket bound there. Workers bind on their own threads, so it takes a lock;
// only at start and on reloads, never on the request path.
std::mutex& registryMutex() {
  static std::mutex mutex;
  return mutex;
}
std::map<std::string, std::weak_ptr<UnixSocketFile>>& registry() {
  static std::map<std::string, std::weak_ptr<UnixSocketFile>> files;
  return files;
}

bool fillAddress(const std::string& path, sockaddr_un* addr) {
  *addr = {};
  addr->sun_family = AF_UNIX;
  if (path.size() >= sizeof addr->sun_path) return false;
  std::memcpy(addr->sun_path, path.data(), path.size());
  return true;
}

// Whether a process accepts on the socket file at `path`: a connect answers that without
// sending anything (a listener's backlog takes it, and our close drops it).
bool someoneListens(const sockaddr_un& addr) {
  const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) return false;
  const bool live = ::connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(probe);
  return live;
}

// Clears the way for bind(): removes a stale socket file; refuses to touch anything else.
std::string clearStaleFile(const std::string& path, const sockaddr_un& addr) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return errno == ENOENT ? "" : std::strerror(errno);
  if (!S_ISSOCK(st.st_mode)) return "the path exists and is not a socket; not replacing it";
  if (someoneListens(addr)) return "another process is listening on it";
  // Left by a process that died without removing it (a crash, a SIGKILL).
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return std::strerror(errno);
  return "";
}

}  // namespace

std::shared_ptr<UnixSocketFile> UnixSocketFile::bind(const std::string& path, int mode, int backlog,
                                                     std::string* error) {
  std::lock_guard<std::mutex> lock(registryMutex());
  auto& entry = registry()[path];
  if (auto shared = entry.lock()) return shared;
  sockaddr_un addr;
  if (!fillAddress(path, &addr)) {
    *error = "the path is longer than " + std::to_string(sizeof addr.sun_path - 1) + " bytes";
    return nullptr;
  }
  if (std::string problem = clearStaleFile(path, addr); !problem.empty()) {
    *error = problem;
    return nullptr;
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::strerror(errno);
    return nullptr;
  }
  struct stat st {};
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      (mode >= 0 && ::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) ||
      ::listen(fd, backlog) != 0 || ::stat(path.c_str(), &st) != 0) {
    *error = std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
  std::shared_ptr<UnixSocketFile> file(new UnixSocketFile(path, fd, st.st_dev, st.st_ino));
  entry = file;
  return file;
}

UnixSocketFile::~UnixSocketFile() {
  std::lock_guard<std::mutex> lock(registryMutex());
  ::close(fd_);
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_)
    ::unlink(path_.c_str());
  auto it = registry().find(path_);
  if (it != registry().end() && it->second.expired()) registry().erase(it);
}

}  // namespace outrigger::io
