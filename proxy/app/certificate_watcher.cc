#include "proxy/app/certificate_watcher.h"

#include <set>

#include "proxy/common/file_contents.h"
#include "proxy/log/logger.h"

namespace outrigger::app {

CertificateWatcher::CertificateWatcher(io::Loop& loop, Duration settle,
                                       std::function<void()> on_change)
    : loop_(loop), settle_timer_(loop, std::move(on_change)), settle_(settle) {}

void CertificateWatcher::watch(const exchange::Snapshot& snapshot) {
  std::set<std::string> directories;
  for (const auto& [name, runtime] : snapshot.upstreams) {
    if (runtime->tls() == nullptr) continue;
    for (const std::string& file : runtime->tls()->files()) directories.insert(directoryOf(file));
  }
  std::erase_if(watchers_, [&](const auto& entry) { return !directories.count(entry.first); });
  for (const std::string& directory : directories) {
    if (watchers_.count(directory)) continue;
    auto watcher = std::make_unique<io::DirectoryWatcher>(loop_, [this] {
      if (!settle_timer_.active()) settle_timer_.start(settle_);
    });
    const std::string error = watcher->watch(directory);
    if (!error.empty()) {
      log::logf(config::LogLevel::kWarn,
                "certificate watcher: %s; rotated certificates load on SIGHUP or POST /reload",
                error.c_str());
    }
    watchers_[directory] = std::move(watcher);
  }
}

void CertificateWatcher::refresh(const exchange::Snapshot& snapshot, const std::string& trigger) {
  for (const auto& [name, runtime] : snapshot.upstreams) {
    if (runtime->tls() == nullptr) continue;
    std::string message;
    switch (runtime->tls()->refresh(&message)) {
      case upstream::UpstreamTls::Refresh::kUnchanged:
        break;
      case upstream::UpstreamTls::Refresh::kRotated:
        log::logf(config::LogLevel::kInfo,
                  "%s: upstream %s: TLS files reloaded (%s); new connections use them",
                  trigger.c_str(), name.c_str(), message.c_str());
        break;
      case upstream::UpstreamTls::Refresh::kFailed:
        log::logf(config::LogLevel::kError,
                  "%s: upstream %s: cannot use the changed TLS files, still using the "
                  "previous ones: %s",
                  trigger.c_str(), name.c_str(), message.c_str());
        break;
    }
  }
}

}  // namespace outrigger::app
