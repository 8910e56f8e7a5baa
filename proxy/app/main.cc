// outrigger: a sidecar reverse proxy with per-upstream resilience policies.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/app/app.h"
#include "proxy/app/tls_setup.h"
#include "proxy/cli/command_line.h"
#include "proxy/cli/explain.h"
#include "proxy/config/loader.h"
#include "proxy/config/render.h"
#include "proxy/io/loop.h"
#include "proxy/log/logger.h"

namespace {

std::optional<outrigger::config::LogLevel> parseLogLevel(const std::string& name) {
  using outrigger::config::LogLevel;
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  return std::nullopt;
}

// The config, or nullopt after printing every error (the caller exits 2).
std::optional<outrigger::config::Config> loadOrReport(const std::string& path) {
  outrigger::config::LoadResult loaded = outrigger::config::loadConfigFile(path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s", loaded.formatErrors().c_str());
    std::fprintf(stderr, "outrigger: %s: %zu error(s)\n", path.c_str(), loaded.errors.size());
    return std::nullopt;
  }
  return std::move(*loaded.config);
}

// Exit codes: 0 routed, 1 no listener or route takes the request, 2 bad input.
int explain(const outrigger::config::Config& config, const outrigger::cli::CommandLine& cli) {
  const auto result =
      outrigger::cli::explainRequest(config, {cli.method, cli.url, cli.host, cli.headers});
  if (!result) {
    std::fprintf(stderr, "outrigger: explain: %s\n", result.error().message.c_str());
    return 2;
  }
  std::printf("%s", result->text.c_str());
  return result->routed ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace outrigger;
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  const char* config_env = std::getenv("OUTRIGGER_CONFIG");
  const auto parsed = cli::parseCommandLine(
      args, config_env ? std::optional<std::string>(config_env) : std::nullopt);
  if (!parsed) {
    std::fprintf(stderr, "outrigger: %s\n%s", parsed.error().message.c_str(), cli::kUsage);
    return 2;
  }
  const cli::CommandLine& cli = *parsed;
  if (cli.command == cli::Command::kHelp) {
    std::printf("%s", cli::kUsage);
    return 0;
  }
  if (cli.command == cli::Command::kVersion) {
    std::printf("outrigger %s\n", OUTRIGGER_VERSION);
    return 0;
  }
  std::optional<config::Config> config = loadOrReport(cli.config_path);
  if (!config) return 2;
  std::optional<config::LogLevel> log_level;
  if (!cli.log_level.empty()) {
    log_level = parseLogLevel(cli.log_level);
    if (!log_level) {
      std::fprintf(stderr, "outrigger: --log-level: expected debug, info, warn or error\n");
      return 2;
    }
    config->log_level = *log_level;
  }
  if (cli.command == cli::Command::kCheck || cli.command == cli::Command::kRun) {
    // Certificates and keys are part of the config: one that cannot be used is bad input.
    const app::TlsLoad tls = app::loadUpstreamTls(*config);
    for (const std::string& error : tls.errors) {
      std::fprintf(stderr, "%s: %s\n", cli.config_path.c_str(), error.c_str());
    }
    if (!tls.errors.empty()) {
      std::fprintf(stderr, "outrigger: %s: %zu error(s)\n", cli.config_path.c_str(),
                   tls.errors.size());
      return 2;
    }
    if (cli.command == cli::Command::kCheck) {
      for (const std::string& warning : app::tlsWarnings(*config)) {
        std::fprintf(stderr, "%s: warning: %s\n", cli.config_path.c_str(), warning.c_str());
      }
    }
  }
  switch (cli.command) {
    case cli::Command::kCheck:
      std::printf("%s: ok\n", cli.config_path.c_str());
      return 0;
    case cli::Command::kPrintConfig:
      std::printf("%s", config::renderConfigYaml(*config).c_str());
      return 0;
    case cli::Command::kExplain:
      return explain(*config, cli);
    default:
      break;
  }
  log::setLogLevel(config->log_level);
  io::LoopClock clock;
  app::App app(clock, std::move(*config),
               app::AppOptions{cli.ports_file, cli.config_path, log_level});
  return app.run();
}
