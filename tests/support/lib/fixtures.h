#pragma once
// Integration-test fixtures: a mock-upstream process and an outrigger process, each on
// ephemeral ports announced through a port file, plus readers for /__stats and /metrics.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/lib/http_client.h"
#include "tests/support/lib/process.h"

namespace outrigger::testing {

class MockUpstream {
 public:
  // `extra_args` go on its command line (e.g. --tls-cert ... for a TLS origin, whose
  // /__stats is then not reachable in plain HTTP).
  explicit MockUpstream(const TempDir& dir, const std::string& name = "mock",
                        const std::vector<std::string>& extra_args = {});
  ~MockUpstream();
  bool ok() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Hits recorded by /__stats for a path (without query), e.g. "/get".
  long hits(const std::string& path) const;
  long connectionsTotal() const;
  void resetStats() const;
  void kill();  // simulate the upstream going down

 private:
  ChildProcess process_;
  uint16_t port_ = 0;
};

class OutriggerProcess {
 public:
  // Writes yaml to the dir and starts the binary on it. Waits until it is serving.
  OutriggerProcess(const TempDir& dir, const std::string& yaml,
                   const std::string& name = "outrigger");
  ~OutriggerProcess();
  bool ok() const { return ok_; }
  uint16_t port(const std::string& listener) const;
  uint16_t adminPort() const { return admin_port_; }
  std::string metrics() const;
  // The value of one series (labels in any order), or nullopt if absent.
  std::optional<double> metric(const std::string& name,
                               const std::map<std::string, std::string>& labels = {}) const;
  void signal(int signum) { process_.signal(signum); }
  std::optional<int> wait(std::chrono::milliseconds timeout) { return process_.wait(timeout); }
  std::string log() const { return process_.log(); }
  ChildProcess& process() { return process_; }

  const std::string& configPath() const { return config_path_; }
  // Replaces the config file the way editors and ConfigMap updates do: a new file renamed
  // over the old one.
  void writeConfig(const std::string& yaml) const;
  // Re-reads the ports file, which outrigger rewrites after each applied reload.
  bool readPorts();

 private:
  ChildProcess process_;
  std::string config_path_;
  std::string ports_path_;
  std::map<std::string, uint16_t> ports_;
  uint16_t admin_port_ = 0;
  bool ok_ = false;
};

// Finds a series in Prometheus text output.
std::optional<double> findMetric(const std::string& text, const std::string& name,
                                 const std::map<std::string, std::string>& labels);

}  // namespace outrigger::testing
