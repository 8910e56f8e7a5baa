#pragma once
// Certificate rotation (issue 5): watches the directories that hold the TLS files of the
// running upstreams (a Kubernetes Secret update swaps a `..data` symlink there), and
// re-reads the files once a burst of changes settles. A reload also asks for a re-read.

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "proxy/common/clock.h"
#include "proxy/exchange/snapshot.h"
#include "proxy/io/directory_watcher.h"
#include "proxy/io/loop.h"
#include "proxy/io/timer.h"

namespace outrigger::app {

class CertificateWatcher {
 public:
  // `on_change` runs `settle` after the first event of a burst (never after the last: a
  // busy neighbour file would put it off for ever); the owner then calls refresh().
  CertificateWatcher(io::Loop& loop, Duration settle, std::function<void()> on_change);

  // Watches the directories of every TLS file of `snapshot`'s upstreams, and no others.
  void watch(const exchange::Snapshot& snapshot);
  // Re-reads the TLS files of `snapshot`'s upstreams; logs each rotation or failure.
  static void refresh(const exchange::Snapshot& snapshot, const std::string& trigger);

 private:
  io::Loop& loop_;
  std::map<std::string, std::unique_ptr<io::DirectoryWatcher>> watchers_;  // by directory
  io::Timer settle_timer_;
  Duration settle_;
};

}  // namespace outrigger::app
