// Every way outrigger can be invoked, and the message for each mistake.

#include "proxy/cli/command_line.h"

#include <gtest/gtest.h>

#include <vector>

namespace outrigger::cli {
namespace {

Result<CommandLine> parse(std::vector<std::string_view> args,
                          std::optional<std::string> config_env = std::nullopt) {
  return parseCommandLine(args, std::move(config_env));
}

std::string errorOf(std::vector<std::string_view> args) {
  const Result<CommandLine> r = parse(std::move(args));
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error().message;
}

TEST(CommandLineTest, RunWithAConfigFileAndOptions) {
  const auto r = parse({"-c", "f.yaml", "--log-level", "debug", "--ports-file", "p.txt"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->command, Command::kRun);
  EXPECT_EQ(r->config_path, "f.yaml");
  EXPECT_EQ(r->log_level, "debug");
  EXPECT_EQ(r->ports_file, "p.txt");
}

TEST(CommandLineTest, CheckAndPrintConfig) {
  EXPECT_EQ(parse({"--check", "--config", "f.yaml"})->command, Command::kCheck);
  const auto print = parse({"--print-config", "-c", "f.yaml"});
  ASSERT_TRUE(print.ok());
  EXPECT_EQ(print->command, Command::kPrintConfig);
  EXPECT_EQ(print->config_path, "f.yaml");
}

TEST(CommandLineTest, CheckAndPrintConfigTogetherIsAnError) {
  EXPECT_EQ(errorOf({"--check", "--print-config", "-c", "f.yaml"}),
            "--check and --print-config cannot be used together");
}

TEST(CommandLineTest, ConfigFallsBackToTheEnvironmentAndTheFlagWins) {
  EXPECT_EQ(parse({"--check"}, "env.yaml")->config_path, "env.yaml");
  EXPECT_EQ(parse({"--check", "-c", "flag.yaml"}, "env.yaml")->config_path, "flag.yaml");
  EXPECT_EQ(errorOf({"--check"}), "no configuration: pass -c FILE or set OUTRIGGER_CONFIG");
}

TEST(CommandLineTest, HelpAndVersionNeedNoConfig) {
  EXPECT_EQ(parse({"--help"})->command, Command::kHelp);
  EXPECT_EQ(parse({"-c", "f.yaml", "-V"})->command, Command::kVersion);
  EXPECT_EQ(parse({"explain", "-h"})->command, Command::kHelp);
}

TEST(CommandLineTest, MissingValueAndUnknownArgument) {
  EXPECT_EQ(errorOf({"-c"}), "--config needs a value");
  EXPECT_EQ(errorOf({"-c", "f.yaml", "--frobnicate"}), "unknown argument '--frobnicate'");
  EXPECT_EQ(errorOf({"-c", "f.yaml", "GET"}), "unknown argument 'GET'");
}

TEST(CommandLineTest, ExplainTakesAMethodAUrlAndAnOptionalHostInAnyOrder) {
  const auto r =
      parse({"explain", "GET", "--host", "payments", "-c", "f.yaml", "http://127.0.0.1:15001/x"});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->command, Command::kExplain);
  EXPECT_EQ(r->config_path, "f.yaml");
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->url, "http://127.0.0.1:15001/x");
  EXPECT_EQ(r->host, "payments");
}

TEST(CommandLineTest, ExplainNeedsExactlyAMethodAndAUrl) {
  const std::string message =
      "explain needs a METHOD and a URL, e.g. explain GET http://127.0.0.1:15001/path";
  EXPECT_EQ(errorOf({"explain", "-c", "f.yaml", "GET"}), message);
  EXPECT_EQ(errorOf({"explain", "-c", "f.yaml", "GET", "http://a/", "extra"}), message);
}

TEST(CommandLineTest, ExplainRejectsFlagsOfOtherCommands) {
  EXPECT_EQ(errorOf({"explain", "--check", "-c", "f.yaml", "GET", "http://a/"}),
            "unknown argument '--check'");
  EXPECT_EQ(errorOf({"--host", "h", "-c", "f.yaml"}), "unknown argument '--host'");
}

}  // namespace
}  // namespace outrigger::cli
