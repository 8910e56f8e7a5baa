#include "proxy/io/redis_script.h"

#include <openssl/sha.h>

namespace outrigger::io {
namespace {

std::vector<std::string> evalArgv(const char* command, const std::string& script,
                                  const std::vector<std::string>& keys,
                                  const std::vector<std::string>& args) {
  std::vector<std::string> argv{command, script, std::to_string(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

RedisScript::RedisScript(std::string source) : source_(std::move(source)) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(source_.data()), source_.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char b : digest) {
    sha1_ += kHex[b >> 4];
    sha1_ += kHex[b & 0xf];
  }
}

void RedisScript::run(RedisClient& client, const std::vector<std::string>& keys,
                      const std::vector<std::string>& args, RedisClient::Callback done) const {
  // The client never calls back after it is destroyed, so &client is alive in the callback.
  client.command(
      evalArgv("EVALSHA", sha1_, keys, args),
      [this, &client, keys, args, done = std::move(done)](const RedisReply& reply) {
        if (reply.kind == RedisReply::Kind::kError && reply.text.starts_with("NOSCRIPT")) {
          client.command(evalArgv("EVAL", source_, keys, args), done);
          return;
        }
        done(reply);
      });
}

}  // namespace outrigger::io
