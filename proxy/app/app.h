#pragma once
// The main thread (DESIGN §3): builds the snapshot from the config, binds every listener,
// runs the admin port, signals, DNS refresh and health checks, and drives start and stop
// (DESIGN §7).

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "proxy/admin/admin_handler.h"
#include "proxy/admin/admin_server.h"
#include "proxy/app/worker.h"
#include "proxy/config/schema.h"
#include "proxy/exchange/snapshot.h"
#include "proxy/io/loop.h"
#include "proxy/io/signals.h"
#include "proxy/io/timer.h"
#include "proxy/log/access_log.h"
#include "proxy/metrics/metrics.h"
#include "proxy/metrics/policy_metrics.h"
#include "proxy/upstream/health_checker.h"

namespace outrigger::app {

struct AppOptions {
  std::string ports_file;   // where to announce the bound ports ("" = nowhere)
  std::string config_path;  // re-read on reload ("" = reload disabled)
  std::optional<config::LogLevel> log_level;  // --log-level, which wins over every reload
};

class App {
 public:
  App(config::Config config, AppOptions options);
  ~App();
  // Runs until stopped; returns the process exit code.
  int run();

 private:
  std::string start();
  std::shared_ptr<exchange::Snapshot> buildSnapshot();
  void resolveEndpointsNow();
  void refreshDns();
  void startHealthChecks();
  void writePortsFile(const std::vector<uint16_t>& ports);
  void beginStop(const char* why);
  void onWorkerExited();

  std::shared_ptr<const config::Config> config_;
  AppOptions options_;
  io::Loop loop_;
  metrics::Metrics metrics_;
  metrics::PolicyMetrics policy_metrics_{metrics_.registry()};
  std::unique_ptr<log::AccessLog> access_log_;
  std::shared_ptr<exchange::Snapshot> snapshot_;
  std::unique_ptr<admin::AdminHandler> admin_handler_;
  std::unique_ptr<admin::AdminServer> admin_server_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::unique_ptr<io::SignalWatcher>> signals_;
  std::unique_ptr<io::Timer> dns_timer_;
  std::vector<std::unique_ptr<upstream::HealthChecker>> health_checkers_;
  std::atomic<int> workers_running_{0};
  bool stopping_ = false;
  int exit_code_ = 0;
};

}  // namespace outrigger::app
