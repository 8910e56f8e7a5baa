#pragma once
// One listening Unix socket file of the process, shared by every worker that serves it.
// SO_REUSEPORT does not apply to Unix sockets, so the first listener for a path binds it
// and the others (the other workers, and the same listener in a reloaded generation) share
// that one socket: each polls a dup() of it, and the kernel hands every connection to one
// of them. The file goes away with the last listener that uses it.

#include <sys/types.h>

#include <memory>
#include <string>

namespace outrigger::io {

class UnixSocketFile {
 public:
  // The socket bound at `path`, bound now if no listener of this process holds it. A file
  // left at `path` by a crashed process (a socket nobody accepts on) is replaced; anything
  // else there (a live socket, a regular file) is an error. `mode` (e.g. 0660) is applied
  // to a new file, unless it is negative. On error: null, and *error says why.
  static std::shared_ptr<UnixSocketFile> bind(const std::string& path, int mode, int backlog,
                                              std::string* error);
  ~UnixSocketFile();
  UnixSocketFile(const UnixSocketFile&) = delete;
  UnixSocketFile& operator=(const UnixSocketFile&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  UnixSocketFile(std::string path, int fd, dev_t dev, ino_t ino)
      : path_(std::move(path)), fd_(fd), dev_(dev), ino_(ino) {}

  std::string path_;
  int fd_;
  // The file we created, so that the one removed at the end is ours and not one another
  // process put there meanwhile.
  dev_t dev_;
  ino_t ino_;
};

}  // namespace outrigger::io
