#pragma once
// Fakes the exchange is driven with in unit tests, the way Envoy tests its router: a
// downstream stream that records what the app would receive, and an upstream codec whose
// attempts the test ends by hand. No sockets; time is a ManualClock.

#include <memory>
#include <string>
#include <vector>

#include "proxy/common/clock.h"
#include "proxy/exchange/downstream_stream.h"
#include "proxy/exchange/upstream_attempt.h"
#include "proxy/io/loop.h"
#include "proxy/io/timer.h"

namespace outrigger::exchange::testing {

class FakeDownstream final : public DownstreamStream {
 public:
  explicit FakeDownstream(io::Loop& loop) : timer_(loop, [] {}) {}

  void sendResponseHead(http::ResponseHead& head) override {
    status = head.status;
    headers = head.headers;
    heads++;
  }
  void sendResponseBody(std::string_view piece) override { body.append(piece); }
  void sendResponseTrailers(http::Headers& fields) override { trailers = fields; }
  void endResponse() override { ended = true; }
  void abortResponse() override { aborted = true; }
  void sendContinue() override { continues++; }
  size_t queuedResponseBytes() const override { return queued; }
  void resumeRequestBody() override { body_resumed++; }
  void holdOutput() override { holds++; }
  void releaseOutput() override { holds--; }
  io::Timer& exchangeTimer() override { return timer_; }

  std::string header(std::string_view name) const {
    const std::string_view* v = headers.get(name);
    return v ? std::string(*v) : std::string();
  }

  int status = 0;
  http::Headers headers;
  std::string body;
  http::Headers trailers;
  int heads = 0;
  bool ended = false;
  bool aborted = false;
  int continues = 0;
  int body_resumed = 0;
  int holds = 0;
  size_t queued = 0;

 private:
  io::Timer timer_;
};

class FakeCodec;

// An attempt the test steers: connect(), respond(), body(), end().
class FakeAttempt final : public UpstreamAttempt {
 public:
  FakeAttempt(Clock& clock, Duration per_try) : clock_(clock), per_try_(per_try) {}

  void start(size_t picked, const AttemptRequest& request) override {
    endpoint = picked;
    this->request_id = std::string(request.request_id);
    running = true;
    if (per_try_ > Duration::zero()) try_deadline_ = clock_.now() + per_try_;
  }
  void sendRequestBody(std::string_view piece) override { request_body.append(piece); }
  void endRequest() override { request_ended = true; }
  bool connected() const override { return connected_; }
  size_t queuedRequestBytes() const override { return 0; }
  void pauseResponse() override { paused = true; }
  void resumeResponse() override { paused = false; }
  MonoTime nextDeadline() const override { return running ? try_deadline_ : MonoTime::max(); }
  void onTimer(MonoTime now) override {
    if (!running || now < try_deadline_) return;
    AttemptResult result;
    result.outcome = policy::AttemptOutcome::kTimeout;
    result.error.reason = http::LocalReason::kUpstreamTimeout;
    result.error.detail = "per_try timeout";
    end(result);
  }
  void cancel() override {
    if (running) cancelled = true;
    running = false;
  }

  // The test's side.
  void connect() {
    connected_ = true;
    events->onAttemptConnected();
  }
  ResponseVerdict respond(int status, std::vector<std::pair<std::string, std::string>> headers = {},
                          http::BodyFraming framing = http::BodyFraming::kChunked) {
    http::ResponseHead head;
    head.status = status;
    head.framing = framing;
    for (auto& [name, value] : headers) head.headers.add(name, value);
    events->onAttemptReadBegin();
    const ResponseVerdict verdict = events->onAttemptResponseHead(head);
    events->onAttemptReadEnd();
    return verdict;
  }
  void body(std::string_view piece) {
    events->onAttemptReadBegin();
    events->onAttemptResponseBody(piece);
    events->onAttemptReadEnd();
  }
  void sendTrailers(http::Headers fields) {
    events->onAttemptReadBegin();
    events->onAttemptResponseTrailers(fields);
    events->onAttemptReadEnd();
  }
  void end(AttemptResult result) {
    running = false;
    events->onAttemptEnded(result);
  }
  void succeed() { end(AttemptResult{}); }

  AttemptEvents* events = nullptr;
  size_t endpoint = 0;
  std::string request_id;
  std::string request_body;
  bool running = false;
  bool request_ended = false;
  bool cancelled = false;
  bool paused = false;
  bool dropped = false;  // the exchange let go of it

 private:
  Clock& clock_;
  Duration per_try_;
  MonoTime try_deadline_ = MonoTime::max();
  bool connected_ = false;
};

// Keeps every attempt it made, for the test to steer and inspect.
class FakeCodec final : public UpstreamCodec {
 public:
  FakeCodec(Clock& clock, Duration per_try) : clock_(clock), per_try_(per_try) {}
  AttemptHandle newAttempt(AttemptEvents& events) override {
    attempts.push_back(std::make_unique<FakeAttempt>(clock_, per_try_));
    attempts.back()->events = &events;
    return AttemptHandle(attempts.back().get(), AttemptRecycler{this});
  }
  void recycle(UpstreamAttempt* attempt) override {
    auto* fake = static_cast<FakeAttempt*>(attempt);
    fake->cancel();
    fake->dropped = true;
  }
  FakeAttempt& last() { return *attempts.back(); }

  std::vector<std::unique_ptr<FakeAttempt>> attempts;

 private:
  Clock& clock_;
  Duration per_try_;
};

}  // namespace outrigger::exchange::testing
