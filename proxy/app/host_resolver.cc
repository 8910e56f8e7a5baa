#include "proxy/app/host_resolver.h"

#include "proxy/io/resolver.h"

namespace outrigger::app {

std::vector<io::SocketAddress> LoopHostResolver::resolveNow(const std::string& host, uint16_t port,
                                                            std::string* error) {
  return io::resolveHostNow(host, port, error);
}

void LoopHostResolver::resolve(const std::string& host, uint16_t port, Done done) {
  io::resolveHost(loop_, host, port, std::move(done));
}

}  // namespace outrigger::app
