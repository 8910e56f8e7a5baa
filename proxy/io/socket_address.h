#pragma once
// An IPv4 or IPv6 socket address, without libuv types.

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

namespace outrigger::io {

struct SocketAddress {
  sockaddr_storage storage{};

  // Parses a numeric IPv4/IPv6 literal (no brackets) and a port.
  static std::optional<SocketAddress> fromNumeric(const std::string& host, uint16_t port);
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
  uint16_t port() const;
  std::string ip() const;        // "127.0.0.1" or "::1"
  std::string toString() const;  // "127.0.0.1:80" or "[::1]:80"
  bool isLoopback() const;
};

}  // namespace outrigger::io
