#pragma once
// Host name resolution off the loop thread (uv_getaddrinfo runs on libuv's thread pool).

#include <functional>
#include <string>
#include <vector>

#include "proxy/io/loop.h"
#include "proxy/io/socket_address.h"

namespace outrigger::io {

// Calls done(error, addresses) on the loop thread on a later turn. error is "" on success.
// Numeric addresses resolve without a lookup (still on a later turn).
void resolveHost(Loop& loop, const std::string& host, uint16_t port,
                 std::function<void(std::string error, std::vector<SocketAddress>)> done);

// Blocking resolution, for start-up only.
std::vector<SocketAddress> resolveHostNow(const std::string& host, uint16_t port,
                                          std::string* error);

}  // namespace outrigger::io
