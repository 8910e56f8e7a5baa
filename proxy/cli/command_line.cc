#include "proxy/cli/command_line.h"

#include <vector>

namespace outrigger::cli {
namespace {

Error usageError(std::string message) {
  return Error{"usage", ErrorSource::kDownstream, false, std::move(message)};
}

CommandLine justCommand(Command command) {
  CommandLine out;
  out.command = command;
  return out;
}

struct Parser {
  explicit Parser(std::span<const std::string_view> a) : args(a) {}

  std::span<const std::string_view> args;
  size_t next = 0;
  CommandLine out;
  std::vector<std::string_view> positionals;
  std::string_view mode_flag;  // "--check" or "--print-config", whichever was given

  bool done() const { return next >= args.size(); }

  std::optional<Error> takeValue(std::string_view flag, std::string& into) {
    if (next >= args.size()) return usageError(std::string(flag) + " needs a value");
    into = std::string(args[next++]);
    return std::nullopt;
  }

  std::optional<Error> setMode(std::string_view flag, Command command) {
    if (!mode_flag.empty() && mode_flag != flag) {
      return usageError(std::string(mode_flag) + " and " + std::string(flag) +
                        " cannot be used together");
    }
    mode_flag = flag;
    out.command = command;
    return std::nullopt;
  }

  // Returns an error, or nullopt once the argument is consumed.
  std::optional<Error> step(bool explain) {
    const std::string_view arg = args[next++];
    if (arg == "-c" || arg == "--config") return takeValue("--config", out.config_path);
    if (explain) {
      if (arg == "--host") return takeValue("--host", out.host);
      if (arg == "--header" || arg == "-H") {
        std::string header;
        if (std::optional<Error> error = takeValue("--header", header)) return error;
        if (header.find(':') == std::string::npos)
          return usageError("--header needs 'name: value', got '" + header + "'");
        out.headers.push_back(std::move(header));
        return std::nullopt;
      }
    } else if (arg == "--check") {
      return setMode(arg, Command::kCheck);
    } else if (arg == "--print-config") {
      return setMode(arg, Command::kPrintConfig);
    } else if (arg == "--log-level") {
      return takeValue("--log-level", out.log_level);
    } else if (arg == "--ports-file") {
      return takeValue("--ports-file", out.ports_file);
    }
    if (explain && !arg.starts_with("-")) {
      positionals.push_back(arg);
      return std::nullopt;
    }
    return usageError("unknown argument '" + std::string(arg) + "'");
  }
};

}  // namespace

const char* const kUsage =
    "usage: outrigger [-c FILE] [--check | --print-config] [--log-level LEVEL]\n"
    "                 [--ports-file FILE]\n"
    "       outrigger explain [-c FILE] METHOD URL [--host HOST] [--header 'NAME: VALUE']...\n"
    "       outrigger --version | --help\n"
    "\n"
    "  -c, --config FILE   configuration file (default: $OUTRIGGER_CONFIG)\n"
    "  --check             validate the configuration and exit (0 valid, 2 invalid)\n"
    "  --print-config      print the effective configuration, secrets redacted, and exit\n"
    "  --log-level LEVEL   debug, info, warn or error (overrides log_level in the file)\n"
    "  --ports-file FILE   write the bound admin and listener ports to FILE once serving\n"
    "\n"
    "  explain             show the listener, route, upstream and policy (with where each\n"
    "                      value comes from) for a request such as\n"
    "                      `outrigger explain -c FILE GET http://127.0.0.1:15001/users/1`;\n"
    "                      exit 1 when no listener or route takes it\n"
    "  --host HOST         the Host header to route by (default: the URL's host)\n"
    "  --header, -H 'N: V' a request header to route by (repeatable)\n";

Result<CommandLine> parseCommandLine(std::span<const std::string_view> args,
                                     std::optional<std::string> config_env) {
  // --help and --version win wherever they appear, as with most tools.
  for (std::string_view arg : args) {
    if (arg == "--help" || arg == "-h") return justCommand(Command::kHelp);
    if (arg == "--version" || arg == "-V") return justCommand(Command::kVersion);
  }
  Parser p(args);
  const bool explain = !args.empty() && args[0] == "explain";
  if (explain) {
    p.out.command = Command::kExplain;
    p.next = 1;
  }
  while (!p.done()) {
    if (std::optional<Error> error = p.step(explain)) return *error;
  }
  if (explain) {
    if (p.positionals.size() != 2) {
      return usageError(
          "explain needs a METHOD and a URL, e.g. explain GET "
          "http://127.0.0.1:15001/path");
    }
    p.out.method = std::string(p.positionals[0]);
    p.out.url = std::string(p.positionals[1]);
  }
  if (p.out.config_path.empty() && config_env) p.out.config_path = *config_env;
  if (p.out.config_path.empty()) {
    return usageError("no configuration: pass -c FILE or set OUTRIGGER_CONFIG");
  }
  return p.out;
}

}  // namespace outrigger::cli
