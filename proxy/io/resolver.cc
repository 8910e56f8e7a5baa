#include "proxy/io/resolver.h"

#include <netdb.h>
#include <uv.h>

#include <cstring>

namespace outrigger::io {
namespace {

struct Request {
  uv_getaddrinfo_t req;
  uint16_t port;
  std::function<void(std::string, std::vector<SocketAddress>)> done;
};

std::vector<SocketAddress> collect(const addrinfo* res, uint16_t port) {
  std::vector<SocketAddress> out;
  for (const addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    SocketAddress a;
    std::memcpy(&a.storage, ai->ai_addr, ai->ai_addrlen);
    if (a.family() == AF_INET) reinterpret_cast<sockaddr_in*>(&a.storage)->sin_port = htons(port);
    if (a.family() == AF_INET6)
      reinterpret_cast<sockaddr_in6*>(&a.storage)->sin6_port = htons(port);
    bool duplicate = false;
    for (const auto& seen : out) duplicate |= seen.toString() == a.toString();
    if (!duplicate) out.push_back(a);
  }
  return out;
}

addrinfo hintsForTcp() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  return hints;
}

}  // namespace

void resolveHost(Loop& loop, const std::string& host, uint16_t port,
                 std::function<void(std::string, std::vector<SocketAddress>)> done) {
  auto* r = new Request{{}, port, std::move(done)};
  r->req.data = r;
  addrinfo hints = hintsForTcp();
  int rc = uv_getaddrinfo(
      loop.raw(), &r->req,
      [](uv_getaddrinfo_t* req, int status, addrinfo* res) {
        auto* self = static_cast<Request*>(req->data);
        if (status < 0) {
          self->done(std::string(uv_strerror(status)), {});
        } else {
          auto addresses = collect(res, self->port);
          self->done(addresses.empty() ? "no IPv4 or IPv6 address" : "", std::move(addresses));
        }
        uv_freeaddrinfo(res);
        delete self;
      },
      host.c_str(), nullptr, &hints);
  if (rc != 0) {
    std::string error = uv_strerror(rc);
    auto fn = std::move(r->done);
    delete r;
    loop.defer([fn = std::move(fn), error] { fn(error, {}); });
  }
}

std::vector<SocketAddress> resolveHostNow(const std::string& host, uint16_t port,
                                          std::string* error) {
  if (auto numeric = SocketAddress::fromNumeric(host, port)) return {*numeric};
  addrinfo hints = hintsForTcp();
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) {
    *error = gai_strerror(rc);
    return {};
  }
  auto out = collect(res, port);
  freeaddrinfo(res);
  if (out.empty()) *error = "no IPv4 or IPv6 address";
  return out;
}

}  // namespace outrigger::io
