#pragma once

// The listening socket, the set of open connections and the state they share. Lives on main's
// stack for the whole run of the loop.

#include <uv.h>

#include <cstdint>
#include <string>

#include "mock_state.h"

namespace mock_upstream {

class Connection;

class Server {
 public:
  Server(uv_loop_t* loop, bool verbose);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; returns 0 or a libuv error code. Port 0 picks an ephemeral port.
  int listen(const std::string& host, int port);
  int boundPort() const;
  // Stops accepting and closes every connection; the loop then runs out of handles.
  void shutdown();

  uv_loop_t* loop() const { return loop_; }
  MockState& state() { return state_; }
  bool verbose() const { return verbose_; }
  uint64_t nextRequestId() { return ++requestsSeen_; }

  void add(Connection* connection);
  void remove(Connection* connection);

 private:
  static void onConnection(uv_stream_t* listener, int status);

  uv_loop_t* loop_;
  uv_tcp_t listener_;
  bool listenerClosed_ = false;
  bool verbose_;
  Connection* connections_ = nullptr;  // intrusive list head
  uint64_t connectionsSeen_ = 0;       // X-Mock-Connection; never reset
  uint64_t requestsSeen_ = 0;          // X-Mock-Request; never reset
  MockState state_;
};

}  // namespace mock_upstream
