#pragma once
// Starts and stops child processes for integration tests (the real outrigger binary and
// mock-upstream), with their output captured to files.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace outrigger::testing {

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();  // SIGKILLs the child if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // argv[0] is the binary path. stdout/stderr go to log_path.
  bool start(const std::vector<std::string>& argv, const std::string& log_path,
             const std::vector<std::string>& extra_env = {});
  void signal(int signum);
  // Waits for exit; returns the exit code (128+signal when killed), or nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  bool running();
  pid_t pid() const { return pid_; }
  std::string log() const;  // what the child printed so far

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string log_path_;
};

// A fresh temporary directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  void write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

std::string readFile(const std::string& path);

// Waits until the file exists and is non-empty.
bool waitForFile(const std::string& path, std::chrono::milliseconds timeout);

}  // namespace outrigger::testing
