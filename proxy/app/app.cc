#include "proxy/app/app.h"

#include <csignal>
#include <cstdio>
#include <fstream>

#include "proxy/io/resolver.h"
#include "proxy/log/logger.h"

namespace outrigger::app {

App::App(config::Config config, AppOptions options)
    : config_(std::make_shared<const config::Config>(std::move(config))),
      options_(std::move(options)) {}

App::~App() {
  for (auto& w : workers_) w->join();
  workers_.clear();
  admin_server_.reset();
  signals_.clear();
  dns_timer_.reset();
  health_checkers_.clear();
}

int App::run() {
  std::string error = start();
  if (!error.empty()) {
    log::logf(config::LogLevel::kError, "%s", error.c_str());
    for (auto& w : workers_) w->stop(Duration::zero());
    for (auto& w : workers_) w->join();
    return 1;
  }
  loop_.run();
  for (auto& w : workers_) w->join();
  if (access_log_) access_log_->flush();
  log::logf(config::LogLevel::kInfo, "stopped");
  return exit_code_;
}

std::string App::start() {
  if (config_->access_log.enabled) {
    std::string error;
    access_log_ = log::AccessLog::open(config_->access_log, &error);
    if (!access_log_) return "access_log: " + error;
  }
  snapshot_ = buildSnapshot();
  resolveEndpointsNow();

  // Bind everything before serving anything: a bind failure names the address and exits 1.
  std::vector<uint16_t> ports;
  for (int i = 0; i < config_->workers; ++i) {
    auto worker = std::make_unique<Worker>(i, metrics_, access_log_.get(), snapshot_);
    std::string error = worker->bind(ports);
    if (!error.empty()) return error;
    workers_.push_back(std::move(worker));
  }
  admin_handler_ = std::make_unique<admin::AdminHandler>(metrics_);
  admin_server_ = std::make_unique<admin::AdminServer>(loop_, *admin_handler_);
  std::string error = admin_server_->listen(config_->admin.listen.host, config_->admin.listen.port);
  if (!error.empty()) return error;

  signals_.push_back(
      std::make_unique<io::SignalWatcher>(loop_, SIGTERM, [this] { beginStop("SIGTERM"); }));
  signals_.push_back(
      std::make_unique<io::SignalWatcher>(loop_, SIGINT, [this] { beginStop("SIGINT"); }));
  signals_.push_back(std::make_unique<io::SignalWatcher>(loop_, SIGHUP, [] {
    log::logf(config::LogLevel::kWarn,
              "SIGHUP: configuration reload is not supported in this version yet");
  }));
  std::signal(SIGPIPE, SIG_IGN);

  workers_running_ = static_cast<int>(workers_.size());
  for (auto& w : workers_) w->start([this] { loop_.post([this] { onWorkerExited(); }); });

  dns_timer_ = std::make_unique<io::Timer>(loop_, [this] { refreshDns(); });
  Duration refresh = seconds(3600);
  for (const auto& u : config_->upstreams) refresh = std::min(refresh, u.dns_refresh);
  dns_timer_->start(refresh);
  startHealthChecks();

  for (size_t i = 0; i < config_->listeners.size(); ++i) {
    const auto& l = config_->listeners[i];
    log::logf(config::LogLevel::kInfo, "listener %s on %s:%u", l.name.c_str(),
              l.listen.host.c_str(), static_cast<unsigned>(ports[i]));
  }
  log::logf(config::LogLevel::kInfo, "admin on %s:%u", config_->admin.listen.host.c_str(),
            static_cast<unsigned>(admin_server_->port()));
  log::logf(config::LogLevel::kInfo, "outrigger %s started with %d worker(s)", OUTRIGGER_VERSION,
            config_->workers);
  writePortsFile(ports);
  admin_handler_->setReady(true);
  return "";
}

std::shared_ptr<exchange::Snapshot> App::buildSnapshot() {
  auto snapshot = std::make_shared<exchange::Snapshot>();
  snapshot->config = config_;
  for (const auto& listener : config_->listeners)
    snapshot->routers.push_back(std::make_unique<routing::Router>(listener));
  const MonoTime now = io::LoopClock().now();
  for (const auto& u : config_->upstreams) {
    std::vector<std::string> endpoints;
    for (const auto& e : u.endpoints) endpoints.push_back(e.text);
    snapshot->upstreams[u.name] = std::make_shared<upstream::Upstream>(
        u, metrics_.upstream(u.name), policy_metrics_.upstream(u.name, endpoints), now);
  }
  return snapshot;
}

void App::resolveEndpointsNow() {
  for (auto& [name, upstream] : snapshot_->upstreams) {
    for (size_t i = 0; i < upstream->endpointCount(); ++i) {
      if (upstream->resolved(i)) continue;
      const auto& e = upstream->endpoint(i);
      std::string error;
      auto addresses = io::resolveHostNow(e.host, e.port, &error);
      if (addresses.empty()) {
        log::logf(config::LogLevel::kWarn, "upstream %s: cannot resolve %s: %s (will retry)",
                  name.c_str(), e.text.c_str(), error.c_str());
      }
      upstream->setAddresses(i, std::move(addresses));
    }
  }
}

void App::refreshDns() {
  for (auto& [name, upstream] : snapshot_->upstreams) {
    for (size_t i = 0; i < upstream->endpointCount(); ++i) {
      const auto& e = upstream->endpoint(i);
      if (io::SocketAddress::fromNumeric(e.host, e.port)) continue;
      std::shared_ptr<upstream::Upstream> keep = upstream;
      io::resolveHost(loop_, e.host, e.port,
                      [keep, i](std::string error, std::vector<io::SocketAddress> addresses) {
                        if (!error.empty()) {
                          log::logf(
                              config::LogLevel::kWarn, "upstream %s: DNS refresh of %s failed: %s",
                              keep->name().c_str(), keep->endpoint(i).text.c_str(), error.c_str());
                          return;
                        }
                        keep->setAddresses(i, std::move(addresses));
                      });
    }
  }
  Duration refresh = seconds(3600);
  for (const auto& u : config_->upstreams) refresh = std::min(refresh, u.dns_refresh);
  dns_timer_->start(refresh);
}

void App::startHealthChecks() {
  for (auto& [name, upstream] : snapshot_->upstreams) {
    if (!upstream->config().policies.health_check) continue;
    health_checkers_.push_back(std::make_unique<upstream::HealthChecker>(loop_, upstream));
    health_checkers_.back()->start();
  }
}

void App::writePortsFile(const std::vector<uint16_t>& ports) {
  if (options_.ports_file.empty()) return;
  const std::string tmp = options_.ports_file + ".tmp";
  {
    std::ofstream out(tmp);
    out << "admin " << admin_server_->port() << "\n";
    for (size_t i = 0; i < ports.size(); ++i)
      out << "listener " << config_->listeners[i].name << " " << ports[i] << "\n";
  }
  std::rename(tmp.c_str(), options_.ports_file.c_str());
}

void App::beginStop(const char* why) {
  if (stopping_) {
    log::logf(config::LogLevel::kWarn, "%s again: exiting now", why);
    if (access_log_) access_log_->flush();
    std::_Exit(0);
  }
  stopping_ = true;
  admin_handler_->setReady(false);
  log::logf(config::LogLevel::kInfo, "%s: finishing in-flight requests (at most %lld ms)", why,
            static_cast<long long>(toMillis(config_->drain.timeout)));
  for (auto& w : workers_) w->stop(config_->drain.timeout);
}

void App::onWorkerExited() {
  if (--workers_running_ > 0) return;
  dns_timer_.reset();
  health_checkers_.clear();
  signals_.clear();
  admin_server_->close();
}

}  // namespace outrigger::app
