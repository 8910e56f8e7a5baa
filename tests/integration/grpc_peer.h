#pragma once
// grpc_peer.py (a python3-grpcio server and client with no generated code) for integration
// tests: the server on a port of its own choosing, and one call through any address.

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/integration/proxy_fixture.h"
#include "tests/support/lib/process.h"

namespace outrigger::testing {

inline const std::string kPeer =
    std::string(OUTRIGGER_SOURCE_DIR) + "/tests/integration/grpc_peer.py";

// A python3-grpcio server on a port of its own choosing.
class GrpcPeer {
 public:
  // `max_age_ms` > 0: the server sends each connection a GOAWAY once it is that old.
  explicit GrpcPeer(const TempDir& dir, int max_age_ms = 0) : port_file_(dir.file("grpc.port")) {
    std::vector<std::string> argv = {"/usr/bin/python3", kPeer, "serve", port_file_};
    if (max_age_ms > 0) argv.push_back(std::to_string(max_age_ms));
    process_.start(argv, dir.file("grpc.log"));
    eventually([&] { return ::access(port_file_.c_str(), R_OK) == 0; },
               std::chrono::milliseconds(20000));
    port_ = static_cast<uint16_t>(std::atoi(readFile(port_file_).c_str()));
  }
  bool ok() const { return port_ != 0; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  uint16_t port() const { return port_; }

 private:
  std::string port_file_;
  ChildProcess process_;
  uint16_t port_ = 0;
};

inline std::string call(uint16_t port, const std::string& args) {
  return commandOutput("/usr/bin/python3 " + kPeer + " call 127.0.0.1:" + std::to_string(port) +
                       " " + args);
}

}  // namespace outrigger::testing
