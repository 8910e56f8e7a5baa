// outrigger: a sidecar reverse proxy with per-upstream resilience policies.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "proxy/app/app.h"
#include "proxy/config/loader.h"
#include "proxy/log/logger.h"

namespace {

constexpr const char* kUsage =
    "usage: outrigger [-c FILE] [--check] [--log-level LEVEL] [--ports-file FILE]\n"
    "       outrigger --version | --help\n"
    "\n"
    "  -c, --config FILE   configuration file (default: $OUTRIGGER_CONFIG)\n"
    "  --check             validate the configuration and exit (0 valid, 2 invalid)\n"
    "  --log-level LEVEL   debug, info, warn or error (overrides log_level in the file)\n"
    "  --ports-file FILE   write the bound admin and listener ports to FILE once serving\n";

struct Cli {
  std::string config_path;
  std::string log_level;
  std::string ports_file;
  bool check = false;
};

// Returns -1 to continue, or an exit code.
int parseCli(int argc, char** argv, Cli& cli) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "outrigger: %s needs a value\n%s", name, kUsage);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "-c" || arg == "--config") {
      cli.config_path = value("--config");
    } else if (arg == "--check") {
      cli.check = true;
    } else if (arg == "--log-level") {
      cli.log_level = value("--log-level");
    } else if (arg == "--ports-file") {
      cli.ports_file = value("--ports-file");
    } else if (arg == "--version" || arg == "-V") {
      std::printf("outrigger %s\n", OUTRIGGER_VERSION);
      return 0;
    } else if (arg == "--help" || arg == "-h") {
      std::printf("%s", kUsage);
      return 0;
    } else {
      std::fprintf(stderr, "outrigger: unknown argument '%s'\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  if (cli.config_path.empty()) {
    if (const char* env = std::getenv("OUTRIGGER_CONFIG")) cli.config_path = env;
  }
  if (cli.config_path.empty()) {
    std::fprintf(stderr, "outrigger: no configuration: pass -c FILE or set OUTRIGGER_CONFIG\n");
    return 2;
  }
  return -1;
}

std::optional<outrigger::config::LogLevel> parseLogLevel(const std::string& name) {
  using outrigger::config::LogLevel;
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace outrigger;
  Cli cli;
  if (int code = parseCli(argc, argv, cli); code >= 0) return code;

  config::LoadResult loaded = config::loadConfigFile(cli.config_path);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s", loaded.formatErrors().c_str());
    std::fprintf(stderr, "outrigger: %s: %zu error(s)\n", cli.config_path.c_str(),
                 loaded.errors.size());
    return 2;
  }
  if (cli.check) {
    std::printf("%s: ok\n", cli.config_path.c_str());
    return 0;
  }
  config::Config config = std::move(*loaded.config);
  std::optional<config::LogLevel> log_level;
  if (!cli.log_level.empty()) {
    log_level = parseLogLevel(cli.log_level);
    if (!log_level) {
      std::fprintf(stderr, "outrigger: --log-level: expected debug, info, warn or error\n");
      return 2;
    }
    config.log_level = *log_level;
  }
  log::setLogLevel(config.log_level);
  app::App app(std::move(config), app::AppOptions{cli.ports_file, cli.config_path, log_level});
  return app.run();
}
