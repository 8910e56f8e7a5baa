#include "proxy/io/redis_client.h"

#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <cctype>
#include <cstdlib>
#include <iostream>

#include "proxy/io/resolver.h"
#include "proxy/io/socket_address.h"
#include "proxy/log/logger.h"

namespace outrigger::io {
namespace {

// Reconnecting: 100ms, 200ms, ... up to 5s, fully jittered so a fleet that lost its Redis
// together does not come back in step.
constexpr policy::BackoffConfig kReconnectBackoff{milliseconds(100), seconds(5), 2.0,
                                                  policy::Jitter::kFull};

policy::Backoff makeBackoff() {
  auto backoff = policy::Backoff::create(kReconnectBackoff);
  if (!backoff.ok()) {
    std::cerr << "RedisClient: invalid reconnect backoff\n";
    std::abort();
  }
  return *backoff;
}

MonoTime steadyNow() { return SteadyClock().now(); }

RedisReply convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_ERROR:
      out.kind = RedisReply::Kind::kError;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.kind = RedisReply::Kind::kStatus;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STRING:
      out.kind = RedisReply::Kind::kString;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.kind = RedisReply::Kind::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.kind = RedisReply::Kind::kArray;
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default:
      out.kind = RedisReply::Kind::kNil;
      break;
  }
  return out;
}

RedisReply failure(std::string why, bool timed_out = false) {
  RedisReply r;
  r.text = std::move(why);
  r.timed_out = timed_out;
  return r;
}

// "10.0.0.1:6379" -> "10.0.0.1", "[::1]:6379" -> "::1".
std::string ipOf(const SocketAddress& address) {
  std::string text = address.toString();
  text.erase(text.rfind(':'));
  if (text.size() >= 2 && text.front() == '[') text = text.substr(1, text.size() - 2);
  return text;
}

}  // namespace

RedisClient::RedisClient(Loop& loop, RedisClientOptions options, Observer observer)
    : loop_(loop),
      options_(std::move(options)),
      observer_(std::move(observer)),
      random_(static_cast<uint64_t>(steadyNow().count())),
      backoff_(makeBackoff()) {}

RedisClient::~RedisClient() {
  *alive_ = false;
  pending_.clear();  // the owner is going away: nobody is left to tell
  if (context_ != nullptr) {
    redisAsyncContext* ac = context_;
    context_ = nullptr;
    ac->data = nullptr;  // its remaining callbacks find no client and return
    redisAsyncFree(ac);
  }
}

void RedisClient::start() { connect(); }

void RedisClient::connect() {
  ready_ = false;
  if (!options_.unix_path.empty()) {
    connectTo("");
    return;
  }
  if (SocketAddress::fromNumeric(options_.host, options_.port)) {
    connectTo(options_.host);
    return;
  }
  // hiredis would resolve the name itself, blocking the loop; resolve it off the loop.
  std::weak_ptr<bool> alive = alive_;
  resolveHost(loop_, options_.host, options_.port,
              [this, alive](std::string error, std::vector<SocketAddress> addresses) {
                if (alive.expired()) return;
                if (addresses.empty()) {
                  fail("cannot resolve " + options_.host + ": " + error);
                  return;
                }
                connectTo(ipOf(addresses.front()));
              });
}

void RedisClient::connectTo(const std::string& ip) {
  redisAsyncContext* ac = options_.unix_path.empty()
                              ? redisAsyncConnect(ip.c_str(), options_.port)
                              : redisAsyncConnectUnix(options_.unix_path.c_str());
  if (ac == nullptr) {
    fail("cannot allocate a connection");
    return;
  }
  if (ac->err != 0) {
    const std::string why = ac->errstr;
    redisAsyncFree(ac);
    fail("cannot connect: " + why);
    return;
  }
  if (redisLibuvAttach(ac, loop_.raw()) != REDIS_OK) {
    redisAsyncFree(ac);
    fail("cannot attach the connection to the event loop");
    return;
  }
  ac->data = this;
  context_ = ac;
  redisAsyncSetConnectCallback(ac, &RedisClient::onConnect);
  redisAsyncSetDisconnectCallback(ac, &RedisClient::onDisconnect);
  // Covers the TCP connect, AUTH and SELECT.
  connect_timer_ = std::make_unique<Timer>(loop_, [this] {
    fail("connect timed out after " + std::to_string(toMillis(options_.connect_timeout)) + "ms");
  });
  connect_timer_->start(options_.connect_timeout);
}

void RedisClient::onConnect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<RedisClient*>(ac->data);
  if (self == nullptr) return;
  if (status != REDIS_OK) {
    // hiredis frees a context whose connect failed once this returns.
    const std::string why = ac->errstr;
    self->context_ = nullptr;
    self->fail("cannot connect: " + why);
    return;
  }
  self->handshake();
}

void RedisClient::onDisconnect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<RedisClient*>(ac->data);
  if (self == nullptr) return;
  // hiredis frees the context once this returns.
  const std::string why = status == REDIS_OK ? "connection closed" : ac->errstr;
  self->context_ = nullptr;
  self->fail("connection lost: " + why);
}

void RedisClient::handshake() {
  std::vector<std::vector<std::string>> steps;
  if (!options_.password.empty() || !options_.username.empty()) {
    if (options_.username.empty())
      steps.push_back({"AUTH", options_.password});
    else
      steps.push_back({"AUTH", options_.username, options_.password});
  }
  if (options_.database != 0) steps.push_back({"SELECT", std::to_string(options_.database)});
  handshake_left_ = static_cast<uint32_t>(steps.size());
  if (steps.empty()) {
    becomeReady();
    return;
  }
  for (const auto& argv : steps) {
    const std::string name = argv[0];
    send(
        argv,
        [this, name](const RedisReply& reply) {
          if (reply.kind == RedisReply::Kind::kFailed) return;  // fail() already ran
          if (reply.kind == RedisReply::Kind::kError) {
            // Said once, loudly: a wrong password does not fix itself.
            const bool login = name == "AUTH";
            fail(name + " failed: " + reply.text +
                 (login ? " (check redis.username and redis.password)" : ""));
            return;
          }
          if (--handshake_left_ == 0) becomeReady();
        },
        /*handshake=*/true);
  }
}

void RedisClient::becomeReady() {
  ready_ = true;
  failed_attempts_ = 0;
  connect_timer_.reset();
  state_.connected = true;
  log::logf(config::LogLevel::kInfo, "redis %s: connected", options_.address.c_str());
  if (observer_.on_state) observer_.on_state(true);
}

void RedisClient::fail(const std::string& why) {
  const bool was_up = state_.connected;
  ready_ = false;
  state_.connected = false;
  connect_timer_.reset();
  if (context_ != nullptr) {
    redisAsyncContext* ac = context_;
    context_ = nullptr;
    ac->data = nullptr;
    redisAsyncFree(ac);  // inside one of its callbacks, hiredis frees it when that returns
  }
  setError(why);
  if (was_up && observer_.on_state) observer_.on_state(false);
  // Whatever was sent will get no reply now.
  std::map<uint64_t, Pending> orphans;
  orphans.swap(pending_);
  for (auto& [id, p] : orphans) {
    p.timeout.reset();
    if (observer_.on_command) observer_.on_command(p.name, "error", steadyNow() - p.started);
    p.done(failure("connection lost: " + why));
  }
  scheduleReconnect();
}

void RedisClient::setError(const std::string& why) {
  // One line per new problem, not one per reconnect attempt.
  if (why != state_.last_error) {
    log::logf(config::LogLevel::kError, "redis %s: %s (commands fail until it is back)",
              options_.address.c_str(), why.c_str());
  }
  state_.last_error = why;
}

void RedisClient::scheduleReconnect() {
  const Duration wait = backoff_.delay(failed_attempts_, random_);
  ++failed_attempts_;
  ++state_.reconnects;
  reconnect_timer_ = std::make_unique<Timer>(loop_, [this] { connect(); });
  reconnect_timer_->start(wait);
}

void RedisClient::command(std::vector<std::string> argv, Callback done) {
  if (!ready_ || context_ == nullptr) {
    std::weak_ptr<bool> alive = alive_;
    std::string name = argv.empty() ? std::string("?") : argv[0];
    loop_.defer([this, alive, name, done = std::move(done)] {
      if (alive.expired()) return;
      if (observer_.on_command) observer_.on_command(name, "error", Duration::zero());
      done(failure(state_.last_error.empty() ? "not connected"
                                             : "not connected: " + state_.last_error));
    });
    return;
  }
  send(argv, std::move(done), /*handshake=*/false);
}

uint64_t RedisClient::send(const std::vector<std::string>& argv, Callback done, bool handshake) {
  const uint64_t id = ++next_id_;
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  for (const std::string& a : argv) {
    args.push_back(a.data());
    lengths.push_back(a.size());
  }
  std::string name = argv[0];
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  Pending& p = pending_[id];
  p.name = name;
  p.done = std::move(done);
  p.started = steadyNow();
  if (!handshake) {
    p.timeout = std::make_unique<Timer>(loop_, [this, id] {
      // finish() destroys this timer, and this lambda with it: use only locals after it.
      RedisClient* self = this;
      const uint64_t which = id;
      const auto it = pending_.find(which);
      const std::string why = (it == pending_.end() ? std::string("command") : it->second.name) +
                              " timed out after " +
                              std::to_string(toMillis(options_.command_timeout)) + "ms";
      self->finish(which, failure("timed out", /*timed_out=*/true));
      // Replies come in order: a late one would hold up every later command.
      self->fail(why);
    });
    p.timeout->start(options_.command_timeout);
  }
  const int sent = redisAsyncCommandArgv(
      context_, &RedisClient::onReply, reinterpret_cast<void*>(static_cast<uintptr_t>(id)),
      static_cast<int>(args.size()), args.data(), lengths.data());
  if (sent != REDIS_OK) {
    std::weak_ptr<bool> alive = alive_;
    loop_.defer([this, alive, id] {
      if (!alive.expired()) finish(id, failure("cannot send the command"));
    });
  }
  return id;
}

void RedisClient::onReply(redisAsyncContext* ac, void* reply, void* privdata) {
  auto* self = static_cast<RedisClient*>(ac->data);
  if (self == nullptr) return;
  const auto id = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(privdata));
  if (reply == nullptr) {
    self->finish(id, failure("connection lost"));
    return;
  }
  self->finish(id, convert(static_cast<const redisReply*>(reply)));
}

void RedisClient::finish(uint64_t id, RedisReply reply) {
  const auto it = pending_.find(id);
  if (it == pending_.end()) return;  // timed out, or failed with the connection
  Pending p = std::move(it->second);
  pending_.erase(it);
  p.timeout.reset();
  if (observer_.on_command) {
    const char* result = reply.timed_out ? "timeout" : reply.failed() ? "error" : "ok";
    observer_.on_command(p.name, result, steadyNow() - p.started);
  }
  p.done(reply);
}

}  // namespace outrigger::io
