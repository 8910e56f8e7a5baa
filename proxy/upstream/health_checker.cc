#include "proxy/upstream/health_checker.h"

#include <cstdlib>
#include <iostream>

#include "proxy/http/parser.h"
#include "proxy/io/tcp_stream.h"
#include "proxy/log/logger.h"
#include "proxy/metrics/policy_metrics.h"

namespace outrigger::upstream {
namespace {

// A health endpoint answers with a small head; anything bigger is not one.
constexpr http::ParserLimits kProbeLimits{16 * 1024, 100};

}  // namespace

// One endpoint's probe: fresh connection (TLS too, for a `tls:` upstream), then for an
// http check one GET, success = a 2xx head within the timeout; the decision is made on the
// head, so the body is never read. Over HTTP/2 (protocol: http2, or auto when ALPN picked
// h2) the GET, or a grpc check's health call, goes through a ProbeCodec. A tcp check
// succeeds once connected.
class HealthChecker::Probe final : public io::StreamHandler, public http::ResponseHandler {
 public:
  Probe(HealthChecker& checker, size_t endpoint)
      : checker_(checker),
        endpoint_(endpoint),
        request_("GET " + checker.config_.path +
                 " HTTP/1.1\r\nHost: " + checker.upstream_->endpoint(endpoint).text +
                 "\r\nUser-Agent: outrigger-health\r\nConnection: close\r\n\r\n"),
        timer_(checker.loop_, [this] { expire(); }) {}

  bool inFlight() const { return stream_ != nullptr; }
  bool tcpCheck() const { return checker_.config_.type == config::HealthCheckType::kTcp; }

  void begin() {
    auto address = checker_.upstream_->nextAddress(endpoint_);
    if (!address) {
      checker_.onProbeResult(endpoint_, false, "address not resolved");
      return;
    }
    status_ = 0;
    parser_.reset();
    codec_.reset();
    stream_ = std::make_unique<io::TcpStream>(checker_.loop_);
    stream_->setHandler(this);
    checker_.upstream_->connect(*stream_, endpoint_, *address,
                                tcpCheck() ? Upstream::Carries::kBytes : Upstream::Carries::kHttp);
    // One bound for the whole probe: connect, send and the response head.
    timer_.start(checker_.config_.timeout);
  }

  // The timeout passed. A new round also calls this on a probe still running: that happens
  // only when timeout equals interval and the round timer fired first.
  void expire() {
    finish(false,
           "no response within " + std::to_string(toMillis(checker_.config_.timeout)) + "ms");
  }

  // Drops the connection without reporting anything.
  void abandon() {
    timer_.stop();
    stream_.reset();  // abortive close; the stream calls nothing after this
    parser_.reset();
    codec_.reset();
  }

 private:
  void onStreamConnected(int error) override {
    if (stream_->isTls()) countTlsHandshake(checker_.upstream_->metrics(), *stream_, error);
    if (error != 0) {
      finish(false, "connect failed: " + connectFailure(*stream_, error));
      return;
    }
    if (tcpCheck()) {
      finish(true, "connected");  // nothing is sent: the peer may not speak HTTP
      return;
    }
    stream_->startReading();
    if (!speaksHttp2()) {
      if (checker_.config_.type == config::HealthCheckType::kGrpc) {
        finish(false, "the server picked HTTP/1.1 (ALPN); a grpc check needs HTTP/2");
        return;
      }
      parser_ = std::make_unique<http::ResponseParser>(*this, kProbeLimits);
      stream_->write(std::string_view(request_));
      return;
    }
    if (!checker_.http2_) {
      finish(false, "no HTTP/2 codec to probe with");
      return;
    }
    http2_request_ = http2Request();
    codec_ = checker_.http2_(http2_request_);
    writeCodecOutput();
  }

  // protocol: http2, or auto when the TLS handshake agreed on h2 (--check allows a grpc
  // check on those two only).
  bool speaksHttp2() const {
    switch (checker_.upstream_->config().protocol) {
      case config::UpstreamProtocol::kHttp2:
        return true;
      case config::UpstreamProtocol::kAuto:
        return stream_->tlsAlpn() == "h2";
      case config::UpstreamProtocol::kHttp1:
        break;
    }
    return false;
  }

  ProbeRequest http2Request() const {
    std::string authority = checker_.upstream_->endpoint(endpoint_).text;
    std::string scheme = stream_->isTls() ? "https" : "http";
    if (checker_.config_.type == config::HealthCheckType::kGrpc)
      return grpcHealthProbe(checker_.config_.service, std::move(authority), std::move(scheme));
    ProbeRequest request;
    request.path = checker_.config_.path;
    request.authority = std::move(authority);
    request.scheme = std::move(scheme);
    return request;
  }

  void writeCodecOutput() {
    std::string out;
    if (codec_->takeOutput(out) > 0) stream_->write(std::move(out));
  }

  void onCodecData(const char* data, size_t len) {
    const bool fed = codec_->feed(std::string_view(data, len));
    if (fed && !codec_->answer()) writeCodecOutput();  // acks, window updates, or a GOAWAY
    if (const auto& answer = codec_->answer()) {
      const ProbeVerdict verdict = judgeProbe(http2_request_, *answer);
      finish(verdict.healthy, verdict.detail);
    } else if (!fed || !codec_->failure().empty()) {
      finish(false, codec_->failure());
    }
  }

  void onStreamData(const char* data, size_t len) override {
    if (codec_) {
      onCodecData(data, len);
      return;
    }
    if (!parser_) return;
    const http::ParseResult result = parser_->feed(data, len);
    if (status_ != 0) {
      ProbeAnswer answer;
      answer.status = status_;
      const ProbeVerdict verdict = judgeProbe(ProbeRequest{}, answer);  // the same rule as HTTP/2
      finish(verdict.healthy, verdict.detail);
    } else if (result.status == http::ParseStatus::kError) {
      finish(false, "invalid response: " + result.detail);
    }
  }

  void onStreamEnd(int error) override {
    finish(false, error == 0 ? "connection closed before a response"
                             : "connection error: " + io::errorName(error));
  }

  http::ParserAction onResponseHead(http::ResponseHead& head) override {
    // Interim 1xx responses precede the real one (101 is final: not a health answer).
    if (head.status < 200 && head.status != 101) return http::ParserAction::kContinue;
    status_ = head.status;
    // Stop here: the parser is destroyed once feed() returns, never inside its callback.
    return http::ParserAction::kPause;
  }
  http::ParserAction onResponseBody(std::string_view) override {
    return http::ParserAction::kContinue;
  }
  http::ParserAction onResponseComplete() override { return http::ParserAction::kContinue; }

  void finish(bool success, const std::string& detail) {
    abandon();
    checker_.onProbeResult(endpoint_, success, detail);
  }

  HealthChecker& checker_;
  const size_t endpoint_;
  const std::string request_;
  int status_ = 0;  // the final status once its head arrived
  std::unique_ptr<http::ResponseParser> parser_;  // an HTTP/1.1 probe's
  std::unique_ptr<ProbeCodec> codec_;             // an HTTP/2 probe's
  ProbeRequest http2_request_;                    // what codec_ was asked to send
  std::unique_ptr<io::TcpStream> stream_;  // set while a probe is in flight
  io::Timer timer_;
};

HealthChecker::HealthChecker(io::Loop& loop, std::shared_ptr<Upstream> upstream,
                             ProbeCodecFactory http2)
    : loop_(loop),
      upstream_(std::move(upstream)),
      config_(upstream_->config().policies.health_check.value_or(config::HealthCheckConfig{})),
      http2_(std::move(http2)),
      state_(config_.thresholds, upstream_->endpointCount()) {
  if (!upstream_->config().policies.health_check) {
    std::cerr << "HealthChecker: upstream " << upstream_->name() << " has no health_check\n";
    std::abort();
  }
  for (size_t i = 0; i < upstream_->endpointCount(); ++i)
    probes_.push_back(std::make_unique<Probe>(*this, i));
  round_timer_ = std::make_unique<io::Timer>(loop_, [this] { runRound(); });
}

HealthChecker::~HealthChecker() { stop(); }

void HealthChecker::start() {
  if (round_timer_) round_timer_->start(Duration::zero());
}

void HealthChecker::stop() {
  round_timer_.reset();
  probes_.clear();  // each closes its connection and timer
}

void HealthChecker::runRound() {
  // Rounds keep their pace whatever the probes take: timeout <= interval bounds each probe.
  round_timer_->start(config_.interval);
  for (auto& probe : probes_) {
    if (probe->inFlight()) probe->expire();
    probe->begin();
  }
}

void HealthChecker::onProbeResult(size_t endpoint, bool success, const std::string& detail) {
  const std::string& name = upstream_->name();
  const std::string& endpoint_text = upstream_->endpoint(endpoint).text;
  if (!success) {
    log::logf(config::LogLevel::kDebug, "upstream %s: health check of %s failed: %s", name.c_str(),
              endpoint_text.c_str(), detail.c_str());
  }
  if (!state_.onProbeResult(endpoint, success)) return;
  const bool healthy = state_.healthy(endpoint);
  upstream_->setHealthy(endpoint, healthy);
  upstream_->policies().metrics().endpoint_healthy[endpoint]->Set(healthy ? 1 : 0);
  const auto checks = [](uint32_t n) { return n == 1 ? "check" : "checks"; };
  if (healthy) {
    const uint32_t passed = config_.thresholds.healthy_threshold;
    log::logf(config::LogLevel::kInfo, "upstream %s: endpoint %s is healthy again (%u %s passed)",
              name.c_str(), endpoint_text.c_str(), passed, checks(passed));
    return;
  }
  const uint32_t failed = config_.thresholds.unhealthy_threshold;
  log::logf(config::LogLevel::kWarn,
            "upstream %s: endpoint %s is now unhealthy (%u failed %s, last: %s)", name.c_str(),
            endpoint_text.c_str(), failed, checks(failed), detail.c_str());
  if (state_.panic()) {
    log::logf(config::LogLevel::kWarn,
              "upstream %s: no endpoint is healthy; sending requests to all of them (panic)",
              name.c_str());
  }
}

}  // namespace outrigger::upstream
