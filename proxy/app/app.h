#pragma once
// The main thread (DESIGN §3): builds config generations, binds every listener, runs the
// admin port, signals, the config watcher, DNS refresh and health checks, and drives start,
// reload and drain (DESIGN §7).

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/admin/admin_handler.h"
#include "proxy/admin/admin_server.h"
#include "proxy/app/certificate_watcher.h"
#include "proxy/app/dns_refresher.h"
#include "proxy/app/drainer.h"
#include "proxy/app/global_rate_leasing.h"
#include "proxy/app/host_resolver.h"
#include "proxy/app/tls_setup.h"
#include "proxy/app/worker.h"
#include "proxy/common/clock.h"
#include "proxy/config/schema.h"
#include "proxy/exchange/snapshot.h"
#include "proxy/io/directory_watcher.h"
#include "proxy/io/loop.h"
#include "proxy/io/signals.h"
#include "proxy/io/timer.h"
#include "proxy/log/access_log.h"
#include "proxy/metrics/metrics.h"
#include "proxy/metrics/policy_metrics.h"
#include "proxy/metrics/store_metrics.h"
#include "proxy/upstream/health_checker.h"

namespace outrigger::app {

struct AppOptions {
  std::string ports_file;   // where to announce the bound ports ("" = nowhere)
  std::string config_path;  // re-read on reload ("" = reload disabled)
  std::optional<config::LogLevel> log_level;  // --log-level, which wins over every reload
};

struct ReloadResult {
  bool applied = false;
  std::string message;  // the change summary, or every error (one per line)
};

class App {
 public:
  // `clock` is the main loop's (io::LoopClock); it must outlive the App.
  App(const Clock& clock, config::Config config, AppOptions options);
  ~App();
  // Runs until stopped; returns the process exit code.
  int run();

 private:
  std::string start();
  void addAdminRoutes();
  // In app_reload.cc: the config and certificate watchers, generations, reload, retiring.
  void watchFiles();
  void watchConfigFile();
  // Builds a generation of `config`, taking over the runtimes of upstreams that did not
  // change from `previous` (null at start).
  // `tls` holds the TLS runtimes of the upstreams that get a new runtime.
  std::shared_ptr<exchange::Snapshot> buildSnapshot(std::shared_ptr<const config::Config> config,
                                                    const exchange::Snapshot* previous,
                                                    TlsLoad tls);
  void syncHealthChecks();
  // The Redis connection and the global rate limits' leasing follow the current generation.
  void syncFleetState();
  void writePortsFile(const std::vector<uint16_t>& ports);

  ReloadResult reload(const std::string& trigger);
  // Counts and logs a reload refused for `errors` (one per line).
  ReloadResult rejectReload(const std::string& trigger, size_t count, const std::string& errors);
  void reloadIfFileChanged();
  void logTlsWarnings();
  void retire(const exchange::Snapshot& previous);
  void removeDrainedSeries();

  void onSignal(const char* name);
  void beginDrain(const std::string& why);
  void checkDrain();
  DrainActivity drainActivity() const;
  void stopWorkers(Duration timeout);
  void onWorkerExited();

  const Clock& clock_;
  std::shared_ptr<const config::Config> config_;
  AppOptions options_;
  io::Loop loop_;
  metrics::Metrics metrics_;
  metrics::PolicyMetrics policy_metrics_{metrics_.registry()};
  metrics::StoreMetrics store_metrics_{metrics_.registry()};
  std::unique_ptr<GlobalRateLeasing> leasing_;
  std::unique_ptr<log::AccessLog> access_log_;
  std::shared_ptr<exchange::Snapshot> snapshot_;
  std::unique_ptr<admin::AdminHandler> admin_handler_;
  std::unique_ptr<admin::AdminServer> admin_server_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<io::SignalWatcher>> signals_;
  LoopHostResolver resolver_{loop_};
  DnsRefresher dns_refresher_{clock_, resolver_, metrics_, snapshot_};
  std::unique_ptr<io::Timer> dns_timer_;
  std::map<std::string, std::unique_ptr<upstream::HealthChecker>> health_checkers_;

  // Reload.
  std::unique_ptr<io::DirectoryWatcher> config_watcher_;
  std::unique_ptr<io::Timer> config_settle_timer_;  // a burst of file events = one reload
  std::string last_config_text_;                    // of the last load attempted
  std::unique_ptr<CertificateWatcher> certificate_watcher_;
  struct Retired {
    std::string name;
    std::weak_ptr<upstream::Upstream> runtime;
  };
  std::vector<Retired> retired_upstreams_;        // series removed once these are gone
  std::vector<std::string> retired_listeners_;
  std::unique_ptr<io::Timer> retire_timer_;

  // Drain and stop.
  Drainer drainer_{clock_};
  std::unique_ptr<io::Timer> drain_timer_;
  std::atomic<int> workers_running_{0};
  int exit_code_ = 0;
};

}  // namespace outrigger::app
