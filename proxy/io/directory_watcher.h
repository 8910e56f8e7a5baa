#pragma once
// Calls back when anything in a directory changes (inotify through uv_fs_event). The
// config watcher watches the config file's directory rather than the file: a Kubernetes
// ConfigMap update swaps a `..data` symlink, and editors replace files by renaming, and
// neither shows up as a change to the old file.

#include <functional>
#include <string>

#include "proxy/io/loop.h"

namespace outrigger::io {

class DirectoryWatcher {
 public:
  DirectoryWatcher(Loop& loop, std::function<void()> on_change);
  ~DirectoryWatcher();
  DirectoryWatcher(const DirectoryWatcher&) = delete;
  DirectoryWatcher& operator=(const DirectoryWatcher&) = delete;

  // Returns "" or an error naming the directory.
  std::string watch(const std::string& directory);

 private:
  struct Handle;
  Handle* handle_;  // freed in its close callback
};

}  // namespace outrigger::io
