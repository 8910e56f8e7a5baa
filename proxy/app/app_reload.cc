// Reload (DESIGN §7): the config file and certificate watchers, building a generation of
// the config, the two-phase switch of every worker, and retiring what the old one had.

#include "proxy/app/app.h"

#include "proxy/app/reload_plan.h"
#include "proxy/common/file_contents.h"
#include "proxy/config/loader.h"
#include "proxy/log/logger.h"

namespace outrigger::app {
namespace {

// File events come in bursts (a ConfigMap swap is several renames): read the files once,
// this long after the first event. Not after the last one: a busy neighbour in the same
// directory (a log file) would put the read off for ever.
constexpr Duration kFileSettle = milliseconds(100);
// How often retired upstreams are checked for having drained, so their series can go.
constexpr Duration kRetirePoll = seconds(1);

// An upstream whose settings did not change keeps its runtime: breaker, buckets, pools.
const std::shared_ptr<upstream::Upstream>* keptRuntime(const exchange::Snapshot* previous,
                                                       const config::UpstreamConfig& u) {
  if (previous == nullptr) return nullptr;
  auto found = previous->upstreams.find(u.name);
  if (found == previous->upstreams.end() || !(found->second->config() == u)) return nullptr;
  return &found->second;
}

}  // namespace

void App::watchFiles() {
  watchConfigFile();
  certificate_watcher_ = std::make_unique<CertificateWatcher>(loop_, kFileSettle, [this] {
    if (!drainer_.stopping()) CertificateWatcher::refresh(*snapshot_, "file change");
  });
  certificate_watcher_->watch(*snapshot_);
}

void App::watchConfigFile() {
  if (options_.config_path.empty()) return;
  last_config_text_ = readFileContents(options_.config_path).value_or("");
  config_settle_timer_ = std::make_unique<io::Timer>(loop_, [this] { reloadIfFileChanged(); });
  config_watcher_ = std::make_unique<io::DirectoryWatcher>(loop_, [this] {
    if (!drainer_.stopping() && !config_settle_timer_->active()) {
      config_settle_timer_->start(kFileSettle);
    }
  });
  const std::string directory = directoryOf(options_.config_path);
  std::string error = config_watcher_->watch(directory);
  if (!error.empty()) {
    log::logf(config::LogLevel::kWarn, "config watcher: %s; reload with SIGHUP or POST /reload",
              error.c_str());
  }
}

void App::reloadIfFileChanged() {
  // Events also fire for unrelated files in the directory (the ports file, a ConfigMap's
  // other keys), and for a rewrite with the same bytes: only new content reloads. A file
  // that cannot be read right now (mid-swap, or out of descriptors) is left for the next
  // event, SIGHUP or POST /reload.
  const std::optional<std::string> text = readFileContents(options_.config_path);
  if (!text || *text == last_config_text_) return;
  reload("config file change");
}

std::shared_ptr<exchange::Snapshot> App::buildSnapshot(std::shared_ptr<const config::Config> config,
                                                       const exchange::Snapshot* previous,
                                                       TlsLoad tls) {
  auto snapshot = std::make_shared<exchange::Snapshot>();
  snapshot->generation = previous ? previous->generation + 1 : 1;
  snapshot->config = std::move(config);
  for (const auto& listener : snapshot->config->listeners)
    snapshot->routers.push_back(
        std::make_unique<routing::Router>(listener, snapshot->config->upstreams));
  const MonoTime now = clock_.now();
  for (const auto& u : snapshot->config->upstreams) {
    if (const auto* kept = keptRuntime(previous, u)) {
      snapshot->upstreams[u.name] = *kept;
      continue;
    }
    std::vector<std::string> endpoints;
    for (const auto& e : u.endpoints) endpoints.push_back(e.text);
    std::unique_ptr<upstream::UpstreamTls> tls_runtime;
    if (auto found = tls.runtimes.find(u.name); found != tls.runtimes.end()) {
      tls_runtime = std::move(found->second);
    }
    snapshot->upstreams[u.name] = std::make_shared<upstream::Upstream>(
        u, metrics_.upstream(u.name), policy_metrics_.upstream(u.name, endpoints), now,
        std::move(tls_runtime));
  }
  return snapshot;
}

ReloadResult App::rejectReload(const std::string& trigger, size_t count,
                               const std::string& errors) {
  metrics_.countReload(false);
  log::logf(config::LogLevel::kError,
            "%s: reload rejected, %zu error(s); still serving generation %llu:\n%s",
            trigger.c_str(), count, static_cast<unsigned long long>(snapshot_->generation),
            errors.c_str());
  return {false, "reload rejected; still serving the previous config\n" + errors};
}

ReloadResult App::reload(const std::string& trigger) {
  if (options_.config_path.empty()) return {false, "reload: no config file to read"};
  if (drainer_.active()) {
    log::logf(config::LogLevel::kWarn, "%s: reload ignored while draining", trigger.c_str());
    return {false, "reload refused: draining for shutdown"};
  }
  last_config_text_ = readFileContents(options_.config_path).value_or("");
  config::LoadResult loaded = config::loadConfigFile(options_.config_path);
  if (!loaded.ok()) return rejectReload(trigger, loaded.errors.size(), loaded.formatErrors());
  // Certificates of new or changed upstreams are read now: one that cannot be used rejects
  // the reload like any other config error.
  TlsLoad tls = loadUpstreamTls(*loaded.config, [this](const config::UpstreamConfig& u) {
    return keptRuntime(snapshot_.get(), u) != nullptr;
  });
  if (!tls.errors.empty()) {
    std::string errors;
    for (const std::string& e : tls.errors) errors += e + "\n";
    return rejectReload(trigger, tls.errors.size(), errors);
  }
  const ReloadPlan plan = planReload(*config_, *loaded.config);
  config::Config next = withRestartOnlySettingsOf(*config_, std::move(*loaded.config));
  if (options_.log_level) next.log_level = *options_.log_level;

  auto config = std::make_shared<const config::Config>(std::move(next));

  // Every worker binds the new listeners first; a bind error leaves all of them as they were.
  // Nothing is built before this point, so a rejected reload leaves no trace (no runtimes,
  // no metric series).
  std::vector<uint16_t> ports;
  for (size_t i = 0; i < workers_.size(); ++i) {
    std::string error = workers_[i]->prepare(*config, ports);
    if (error.empty()) continue;
    for (size_t j = 0; j < i; ++j) workers_[j]->abort();
    metrics_.countReload(false);
    log::logf(config::LogLevel::kError, "%s: reload rejected: %s; still serving generation %llu",
              trigger.c_str(), error.c_str(),
              static_cast<unsigned long long>(snapshot_->generation));
    return {false, "reload rejected; still serving the previous config\n" + error};
  }
  // From here nothing can fail.
  std::shared_ptr<exchange::Snapshot> snapshot =
      buildSnapshot(config, snapshot_.get(), std::move(tls));
  dns_refresher_.resolveUnresolved(*snapshot);
  for (auto& w : workers_) w->commit(snapshot);

  std::shared_ptr<exchange::Snapshot> previous = std::move(snapshot_);
  snapshot_ = std::move(snapshot);
  config_ = config;
  retire(*previous);
  previous.reset();
  syncHealthChecks();
  syncFleetState();
  dns_timer_->start(dns_refresher_.schedule());
  CertificateWatcher::refresh(*snapshot_, trigger);  // kept upstreams re-read theirs too
  certificate_watcher_->watch(*snapshot_);
  logTlsWarnings();
  admin_handler_->setToken(config_->admin.token);
  log::setLogLevel(config_->log_level);
  metrics_.countReload(true);
  metrics_.setGeneration(snapshot_->generation);
  writePortsFile(ports);

  const std::string summary = "generation " + std::to_string(snapshot_->generation) + ": " +
                              plan.summary();
  log::logf(config::LogLevel::kInfo, "%s: reloaded, %s", trigger.c_str(), summary.c_str());
  if (!plan.needs_restart.empty()) {
    log::logf(config::LogLevel::kWarn, "%s: kept the running value of settings a reload "
              "cannot change; restart to apply them", trigger.c_str());
  }
  return {true, "reloaded: " + summary};
}

void App::retire(const exchange::Snapshot& previous) {
  for (const auto& [name, runtime] : previous.upstreams) {
    auto found = snapshot_->upstreams.find(name);
    if (found != snapshot_->upstreams.end() && found->second == runtime) continue;
    runtime->policies().retire();  // its last requests must not overwrite the new gauges
    retired_upstreams_.push_back(Retired{name, runtime});
  }
  for (const auto& l : previous.config->listeners) {
    if (config_->findListener(l.name) == nullptr) retired_listeners_.push_back(l.name);
  }
  if (!retired_upstreams_.empty() || !retired_listeners_.empty()) retire_timer_->start(kRetirePoll);
}

void App::removeDrainedSeries() {
  // An upstream's series go only once no runtime of that name is left but the current
  // one: requests in flight on an older generation still count into them.
  std::map<std::string, bool> still_used;
  for (const auto& r : retired_upstreams_) still_used[r.name] |= !r.runtime.expired();
  for (const auto& [name, used] : still_used) {
    if (used) continue;
    if (snapshot_->upstreams.count(name)) {
      policy_metrics_.prune(name);
    } else {
      metrics_.removeUpstream(name);
      policy_metrics_.remove(name);
    }
  }
  std::erase_if(retired_upstreams_, [&](const Retired& r) { return !still_used[r.name]; });
  // A removed listener's gauge goes once its last connection closed.
  std::erase_if(retired_listeners_, [this](const std::string& name) {
    if (config_->findListener(name) != nullptr) return true;
    if (metrics_.downstreamConnectionCount(name) != 0) return false;
    metrics_.removeListener(name);
    return true;
  });
  if (!retired_upstreams_.empty() || !retired_listeners_.empty()) retire_timer_->start(kRetirePoll);
}

}  // namespace outrigger::app
