#pragma once
// One connection to Redis on one io::Loop (hiredis's async API and its libuv adapter):
// AUTH (password, or ACL user and password) and SELECT after every connect, a connect and a
// per-command timeout, and reconnection with backoff. A command never waits for a
// connection: while there is none it fails on the next loop turn.
//
// Loop thread only, state() included. Every callback runs on a later loop turn than the
// call that started it, and not at all once the client is destroyed.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/common/clock.h"
#include "proxy/common/random.h"
#include "proxy/io/loop.h"
#include "proxy/io/redis_reply.h"
#include "proxy/io/timer.h"
#include "proxy/policy/backoff.h"

struct redisAsyncContext;

namespace outrigger::io {

struct RedisClientOptions {
  std::string host;  // with port, for host:port
  uint16_t port = 0;
  std::string unix_path;  // for unix:/path
  std::string address;    // as configured, for logs
  std::string username;
  std::string password;
  uint32_t database = 0;
  Duration connect_timeout = milliseconds(500);
  Duration command_timeout = milliseconds(50);
};

class RedisClient {
 public:
  // Told about every command when it ends: its name ("evalsha", "auth"), "ok", "error" or
  // "timeout", and how long it took. And about every change of connection state.
  struct Observer {
    std::function<void(std::string_view command, std::string_view result, Duration took)>
        on_command;
    std::function<void(bool up)> on_state;
  };
  using Callback = std::function<void(const RedisReply&)>;

  RedisClient(Loop& loop, RedisClientOptions options, Observer observer);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  void start();  // connects; reconnects on its own from then on

  // argv[0] is the command name.
  void command(std::vector<std::string> argv, Callback done);

  struct State {
    bool connected = false;  // connected, authenticated and on the database
    std::string last_error;  // "" until something failed
    uint64_t reconnects = 0;
  };
  const State& state() const { return state_; }
  const RedisClientOptions& options() const { return options_; }

 private:
  struct Pending {
    std::string name;
    Callback done;
    MonoTime started;
    std::unique_ptr<Timer> timeout;
  };
  static void onConnect(const redisAsyncContext* ac, int status);
  static void onDisconnect(const redisAsyncContext* ac, int status);
  static void onReply(redisAsyncContext* ac, void* reply, void* privdata);

  void connect();
  void connectTo(const std::string& ip);
  void handshake();
  void becomeReady();
  // Drops the connection (if any) after `why`, fails what is pending and schedules a
  // reconnect after a backoff.
  void fail(const std::string& why);
  void scheduleReconnect();
  uint64_t send(const std::vector<std::string>& argv, Callback done, bool handshake);
  void finish(uint64_t id, RedisReply reply);
  void setError(const std::string& why);

  Loop& loop_;
  RedisClientOptions options_;
  Observer observer_;
  FastRandom random_;
  policy::Backoff backoff_;
  State state_;
  redisAsyncContext* context_ = nullptr;
  bool ready_ = false;
  uint32_t handshake_left_ = 0;
  uint32_t failed_attempts_ = 0;
  uint64_t next_id_ = 0;
  std::map<uint64_t, Pending> pending_;
  std::unique_ptr<Timer> connect_timer_;
  std::unique_ptr<Timer> reconnect_timer_;
  // Cleared on destruction: a DNS answer or deferred failure that arrives later is dropped.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace outrigger::io
