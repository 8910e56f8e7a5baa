#pragma once
// The outrigger command line: which command to run and its arguments. Pure, so every
// combination of flags is unit-tested; main() only acts on the result.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/common/result.h"

namespace outrigger::cli {

enum class Command {
  kRun,          // serve traffic
  kCheck,        // --check: validate the config and exit
  kPrintConfig,  // --print-config: print the effective config, secrets redacted
  kExplain,      // explain METHOD URL: which listener, route, upstream and policy apply
  kHelp,
  kVersion,
};

struct CommandLine {
  Command command = Command::kRun;
  std::string config_path;  // -c, or $OUTRIGGER_CONFIG
  std::string log_level;    // --log-level, "" when not given
  std::string ports_file;   // --ports-file
  // explain only.
  std::string method;
  std::string url;
  std::string host;                  // --host, "" = the URL's host
  std::vector<std::string> headers;  // --header "name: value", repeatable (route matching)
};

// `args` excludes the program name. `config_env` is $OUTRIGGER_CONFIG, injected so tests
// never read the environment. An Error's message is for people (kind "usage").
Result<CommandLine> parseCommandLine(std::span<const std::string_view> args,
                                     std::optional<std::string> config_env);

extern const char* const kUsage;

}  // namespace outrigger::cli
