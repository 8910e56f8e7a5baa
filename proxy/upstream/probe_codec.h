#pragma once
// A health probe's request and answer, and the codec that carries them in a protocol the
// checker does not speak itself (HTTP/2, made by proxy/http2 and handed in by the app): the
// bytes to write come out of takeOutput(), the bytes read go into feed(), and answer() is
// set once the answer is known. judgeProbe() turns an answer into a verdict.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace outrigger::upstream {

struct ProbeRequest {
  std::string method = "GET";
  std::string path;
  std::string authority;  // Host, or :authority
  std::string scheme;     // "http" or "https"
  std::string body;       // sent when not empty; a gRPC call's framed message
  bool grpc = false;      // a gRPC call: the answer is complete with its grpc-status
};

struct ProbeAnswer {
  int status = 0;
  std::string grpc_status;  // "" when none came
  std::string grpc_message;
  std::string body;  // a gRPC call's first bytes (at most kMaxBody), else empty

  static constexpr size_t kMaxBody = 1024;
};

class ProbeCodec {
 public:
  virtual ~ProbeCodec() = default;
  virtual size_t takeOutput(std::string& out) = 0;
  // False when the connection cannot go on: failure() says why.
  virtual bool feed(std::string_view bytes) = 0;
  virtual const std::optional<ProbeAnswer>& answer() const = 0;
  virtual const std::string& failure() const = 0;
};

using ProbeCodecFactory = std::function<std::unique_ptr<ProbeCodec>(const ProbeRequest&)>;

// The gRPC health call (grpc.health.v1.Health/Check) for `service` ("" = the whole server).
ProbeRequest grpcHealthProbe(std::string_view service, std::string authority, std::string scheme);

struct ProbeVerdict {
  bool healthy = false;
  std::string detail;  // for the log: "status 200", "grpc NOT_SERVING", ...
};
ProbeVerdict judgeProbe(const ProbeRequest& request, const ProbeAnswer& answer);

}  // namespace outrigger::upstream
