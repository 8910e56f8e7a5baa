#include "proxy/io/directory_watcher.h"

#include <uv.h>

namespace outrigger::io {

struct DirectoryWatcher::Handle {
  uv_fs_event_t event;
  std::function<void()> on_change;
};

DirectoryWatcher::DirectoryWatcher(Loop& loop, std::function<void()> on_change)
    : handle_(new Handle) {
  uv_fs_event_init(loop.raw(), &handle_->event);
  handle_->event.data = handle_;
  handle_->on_change = std::move(on_change);
}

DirectoryWatcher::~DirectoryWatcher() {
  handle_->on_change = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_->event),
           [](uv_handle_t* h) { delete static_cast<Handle*>(h->data); });
}

std::string DirectoryWatcher::watch(const std::string& directory) {
  const int rc = uv_fs_event_start(
      &handle_->event,
      [](uv_fs_event_t* e, const char*, int, int status) {
        auto* h = static_cast<Handle*>(e->data);
        if (status == 0 && h->on_change) h->on_change();
      },
      directory.c_str(), 0);
  if (rc != 0) return "cannot watch " + directory + ": " + uv_strerror(rc);
  // Watching alone must not keep the loop running.
  uv_unref(reinterpret_cast<uv_handle_t*>(&handle_->event));
  return "";
}

}  // namespace outrigger::io
