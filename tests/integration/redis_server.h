#pragma once
// A real redis-server for one test, on a Unix socket in the test's temp dir (no port), with
// redis-cli to look inside it. Tests skip when redis-server is not installed.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/proxy_fixture.h"
#include "tests/support/lib/process.h"

namespace outrigger::testing {

inline bool redisInstalled() {
  return ::access("/usr/bin/redis-server", X_OK) == 0 && ::access("/usr/bin/redis-cli", X_OK) == 0;
}

class RedisServer {
 public:
  // `extra` goes on redis-server's command line ("--requirepass", "pw").
  RedisServer(const TempDir& dir, std::vector<std::string> extra = {})
      : dir_(dir), extra_(std::move(extra)) {
    start();
  }

  bool start() {
    std::vector<std::string> argv = {
        "/usr/bin/redis-server", "--port", "0",     "--unixsocket", socketPath(), "--save", "",
        "--appendonly",          "no",     "--dir", dir_.path()};
    argv.insert(argv.end(), extra_.begin(), extra_.end());
    process_ = std::make_unique<ChildProcess>();
    if (!process_->start(argv, dir_.file("redis-" + std::to_string(++starts_) + ".log")))
      return false;
    // NOAUTH: up, with a password the test sets later.
    ok_ = eventually(
        [&] {
          const std::string pong = cli("PING");
          return pong.find("PONG") != std::string::npos || pong.find("NOAUTH") != std::string::npos;
        },
        std::chrono::milliseconds(5000));
    return ok_;
  }
  void kill() {
    process_->signal(SIGKILL);
    process_->wait(std::chrono::milliseconds(5000));
  }
  // SIGSTOP / SIGCONT: a Redis that accepts nothing and answers nothing, then again does.
  void pause() { process_->signal(SIGSTOP); }
  void resume() { process_->signal(SIGCONT); }
  bool ok() const { return ok_; }
  std::string socketPath() const { return dir_.file("redis.sock"); }
  std::string address() const { return "unix:" + socketPath(); }

  // redis-cli's output for `args` (already quoted for the shell), as the admin user.
  std::string cli(const std::string& args) const {
    std::string out;
    const std::string auth =
        admin_password_.empty() ? "" : " --no-auth-warning -a " + admin_password_;
    runCommand("/usr/bin/redis-cli -s " + socketPath() + auth + " " + args, &out);
    return out;
  }
  void setAdminPassword(std::string password) { admin_password_ = std::move(password); }

  // Calls of one command so far, from INFO commandstats ("evalsha").
  long calls(const std::string& command) const {
    const std::string stats = cli("INFO commandstats");
    const std::string key = "cmdstat_" + command + ":calls=";
    const size_t at = stats.find(key);
    if (at == std::string::npos) return 0;
    return std::atol(stats.c_str() + at + key.size());
  }
  long leaseCommands() const { return calls("evalsha") + calls("eval"); }

 private:
  const TempDir& dir_;
  std::vector<std::string> extra_;
  std::unique_ptr<ChildProcess> process_;
  std::string admin_password_;
  int starts_ = 0;
  bool ok_ = false;
};

}  // namespace outrigger::testing
