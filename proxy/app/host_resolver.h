#pragma once
// Host name lookups for the DNS refresher: the real resolver on the main loop, or a
// scripted one in tests.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "proxy/io/loop.h"
#include "proxy/io/socket_address.h"

namespace outrigger::app {

class HostResolver {
 public:
  // error is "" exactly when addresses is not empty.
  using Done = std::function<void(std::string error, std::vector<io::SocketAddress> addresses)>;

  virtual ~HostResolver() = default;
  // Blocks: for start-up and reload, before a new upstream serves its first request.
  virtual std::vector<io::SocketAddress> resolveNow(const std::string& host, uint16_t port,
                                                    std::string* error) = 0;
  // Calls done on a later loop turn, never from inside this call.
  virtual void resolve(const std::string& host, uint16_t port, Done done) = 0;
};

// getaddrinfo, blocking or on libuv's thread pool.
class LoopHostResolver final : public HostResolver {
 public:
  explicit LoopHostResolver(io::Loop& loop) : loop_(loop) {}
  std::vector<io::SocketAddress> resolveNow(const std::string& host, uint16_t port,
                                            std::string* error) override;
  void resolve(const std::string& host, uint16_t port, Done done) override;

 private:
  io::Loop& loop_;
};

}  // namespace outrigger::app
