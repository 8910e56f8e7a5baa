#include "proxy/app/app.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <unistd.h>

#include "proxy/app/upstreams_json.h"
#include "proxy/config/render.h"
#include "proxy/http2/probe_codec.h"
#include "proxy/log/logger.h"

namespace outrigger::app {

namespace {

// This process in the fleet's announcements: host, pid and a random part, so a restarted
// replica (same host, maybe the same pid in a fresh container) is a new member.
std::string replicaId() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "unknown");
  FastRandom random(static_cast<uint64_t>(SteadyClock().now().count()) ^
                    (static_cast<uint64_t>(getpid()) << 32));
  char id[400];
  std::snprintf(id, sizeof id, "%s:%d:%08llx", host, static_cast<int>(getpid()),
                static_cast<unsigned long long>(random.next() & 0xffffffffULL));
  return id;
}

}  // namespace

App::App(const Clock& clock, config::Config config, AppOptions options)
    : clock_(clock),
      config_(std::make_shared<const config::Config>(std::move(config))),
      options_(std::move(options)) {}

App::~App() {
  for (auto& w : workers_) w->join();
  workers_.clear();
  admin_server_.reset();
  signals_.clear();
  dns_timer_.reset();
  health_checkers_.clear();
  leasing_.reset();
  config_watcher_.reset();
  config_settle_timer_.reset();
  certificate_watcher_.reset();
  retire_timer_.reset();
  drain_timer_.reset();
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
  TlsLoad tls = loadUpstreamTls(*config_);
  if (!tls.errors.empty()) return tls.errors.front();
  snapshot_ = buildSnapshot(config_, nullptr, std::move(tls));
  dns_refresher_.resolveUnresolved(*snapshot_);
  logTlsWarnings();

  // Bind everything before serving anything: a bind failure names the address and exits 1.
  std::vector<uint16_t> ports;
  for (int i = 0; i < config_->workers; ++i) {
    auto worker = std::make_unique<Worker>(i, metrics_, access_log_.get(), &store_metrics_);
    std::string error = worker->prepare(*config_, ports);
    if (!error.empty()) return error;
    worker->commit(snapshot_);
    workers_.push_back(std::move(worker));
  }
  admin_handler_ = std::make_unique<admin::AdminHandler>(metrics_);
  admin_handler_->setToken(config_->admin.token);
  addAdminRoutes();
  admin_server_ = std::make_unique<admin::AdminServer>(loop_, *admin_handler_);
  std::string error = admin_server_->listen(config_->admin.listen.host, config_->admin.listen.port);
  if (!error.empty()) return error;

  signals_.push_back(
      std::make_unique<io::SignalWatcher>(loop_, SIGTERM, [this] { onSignal("SIGTERM"); }));
  signals_.push_back(
      std::make_unique<io::SignalWatcher>(loop_, SIGINT, [this] { onSignal("SIGINT"); }));
  signals_.push_back(std::make_unique<io::SignalWatcher>(loop_, SIGHUP, [this] { reload("SIGHUP"); }));
  std::signal(SIGPIPE, SIG_IGN);

  workers_running_ = static_cast<int>(workers_.size());
  for (auto& w : workers_) w->start([this] { loop_.post([this] { onWorkerExited(); }); });

  dns_timer_ = std::make_unique<io::Timer>(
      loop_, [this] { dns_timer_->start(dns_refresher_.refreshIfDue()); });
  dns_timer_->start(dns_refresher_.schedule());
  syncHealthChecks();
  syncFleetState();
  retire_timer_ = std::make_unique<io::Timer>(loop_, [this] { removeDrainedSeries(); });
  watchFiles();

  for (size_t i = 0; i < config_->listeners.size(); ++i) {
    const auto& l = config_->listeners[i];
    if (l.isUnix()) {
      log::logf(config::LogLevel::kInfo, "listener %s on %s", l.name.c_str(),
                l.listen.text.c_str());
      continue;
    }
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

void App::addAdminRoutes() {
  admin_handler_->addRoute(
      "GET", "/config",
      [this](const admin::AdminRequest&) {
        return admin::AdminResponse(200, "application/yaml; charset=utf-8",
                                    config::renderConfigYaml(*config_));
      },
      {"the effective configuration (YAML, secrets redacted)", false});
  admin_handler_->addRoute(
      "GET", "/upstreams",
      [this](const admin::AdminRequest&) {
        const std::optional<StoreStatus> store =
            leasing_ ? leasing_->storeStatus() : std::nullopt;
        return admin::AdminResponse(
            200, "application/json",
            upstreamsJson(*snapshot_, clock_.now(), store ? &*store : nullptr));
      },
      {"state of every breaker, bulkhead, rate limit, pool and endpoint (JSON)", false});
  admin_handler_->addRoute(
      "POST", "/reload",
      [this](const admin::AdminRequest&) {
        ReloadResult result = reload("POST /reload");
        return admin::textResponse(result.applied ? 200 : 400, result.message + "\n");
      },
      {"reload the config file (400 with the errors if it is invalid)", true});
  admin_handler_->addRoute(
      "POST", "/drain",
      [this](const admin::AdminRequest&) {
        if (drainer_.active()) return admin::textResponse(202, "already draining\n");
        beginDrain("POST /drain");
        return admin::textResponse(202, "draining\n");
      },
      {"start the shutdown drain, as SIGTERM does", true});
}

void App::logTlsWarnings() {
  for (const std::string& warning : tlsWarnings(*config_)) {
    log::logf(config::LogLevel::kWarn, "WARNING: %s", warning.c_str());
  }
}

void App::syncFleetState() {
  if (drainer_.stopping()) return;
  if (!leasing_) leasing_ = std::make_unique<GlobalRateLeasing>(loop_, store_metrics_, replicaId());
  leasing_->sync(*config_, *snapshot_);
}

void App::syncHealthChecks() {
  // A checker holds its upstream's runtime: one whose upstream was replaced goes.
  for (auto it = health_checkers_.begin(); it != health_checkers_.end();) {
    auto found = snapshot_->upstreams.find(it->first);
    const bool current = found != snapshot_->upstreams.end() &&
                         found->second.get() == &it->second->upstream();
    it = current ? std::next(it) : health_checkers_.erase(it);
  }
  for (auto& [name, upstream] : snapshot_->upstreams) {
    if (!upstream->config().policies.health_check || health_checkers_.count(name)) continue;
    auto checker = std::make_unique<upstream::HealthChecker>(loop_, upstream, http2::makeProbeCodec);
    checker->start();
    health_checkers_[name] = std::move(checker);
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

// ---- Drain and stop (DESIGN §7) ----

void App::onSignal(const char* name) {
  switch (drainer_.onSignal()) {
    case Drainer::SignalAction::kExitNow:
      log::logf(config::LogLevel::kWarn, "%s again: exiting now", name);
      std::_Exit(0);
    case Drainer::SignalAction::kAlreadyDraining:
      log::logf(config::LogLevel::kInfo, "%s: already draining; a second signal exits at once",
                name);
      return;
    case Drainer::SignalAction::kBeginDrain:
      beginDrain(name);
      return;
  }
}

void App::beginDrain(const std::string& why) {
  admin_handler_->setReady(false);
  metrics_.setDraining(true);
  for (auto& w : workers_) w->beginDrain();
  drainer_.begin(config_->drain, drainActivity());
  log::logf(config::LogLevel::kInfo,
            "%s: draining: /ready is 503; serving the app until it is quiet for %lld ms "
            "(at most %lld ms)",
            why.c_str(), static_cast<long long>(toMillis(config_->drain.grace)),
            static_cast<long long>(toMillis(config_->drain.timeout)));
  drain_timer_ = std::make_unique<io::Timer>(loop_, [this] { checkDrain(); });
  checkDrain();
}

DrainActivity App::drainActivity() const {
  DrainActivity activity;
  for (const auto& w : workers_) {
    activity.connections += w->sessionCount();
    activity.accepted += w->acceptedCount();
  }
  return activity;
}

void App::checkDrain() {
  const DrainActivity activity = drainActivity();
  const Drainer::Decision decision = drainer_.check(activity);
  switch (decision.kind) {
    case Drainer::Decision::Kind::kDrained:
      log::logf(config::LogLevel::kInfo, "drained: quiet for %lld ms; stopping",
                static_cast<long long>(toMillis(decision.quiet_for)));
      stopWorkers(decision.wait);
      return;
    case Drainer::Decision::Kind::kTimedOut:
      log::logf(config::LogLevel::kWarn,
                "drain timeout (%lld ms): closing %zu connection(s) from the app",
                static_cast<long long>(toMillis(config_->drain.timeout)), activity.connections);
      stopWorkers(Duration::zero());
      return;
    case Drainer::Decision::Kind::kKeepServing:
      drain_timer_->start(decision.wait);
      return;
  }
}

void App::stopWorkers(Duration timeout) {
  drain_timer_.reset();
  for (auto& w : workers_) w->stop(std::max(timeout, Duration::zero()));
}

void App::onWorkerExited() {
  if (--workers_running_ > 0) return;
  dns_timer_.reset();
  health_checkers_.clear();
  leasing_.reset();  // closes the Redis connection, so the loop can end
  signals_.clear();
  config_watcher_.reset();
  config_settle_timer_.reset();
  certificate_watcher_.reset();
  retire_timer_.reset();
  admin_server_->close();
}

}  // namespace outrigger::app
