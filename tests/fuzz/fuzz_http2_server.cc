// Fuzzes the downstream HTTP/2 codec (proxy/http2/server_session). The input is the frames an
// app sends after the client preface (which the target adds), cut into reads at points
// chosen from the input. A handler answers every request the way the exchange would: a
// head (alone, or after a 103), a body, trailers or an end, sometimes a reset, consuming the
// body it receives.
// Properties, each an abort with a message:
//  1. Per stream, events come in order: one head first, then body, trailers, end, and exactly
//     one final event (closed or reset), after which nothing more about that stream.
//  2. No event names a stream the handler was never told about.
//  3. Once the session is finished, no stream is left open.
// And, as for every target: no crash, no undefined behaviour, no leak (ASan).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "proxy/common/clock.h"
#include "proxy/http2/preface.h"
#include "proxy/http2/server_session.h"
#include "tests/fuzz/fuzz_util.h"

namespace outrigger::fuzz {
namespace {

using http2::ErrorCode;
using http2::StreamId;

enum class Phase { kOpen, kEnded, kFinal };

class CheckingHandler : public http2::ServerSession::Handler {
 public:
  explicit CheckingHandler(InputRandom& random) : random_(random) {}

  void onStreamHead(StreamId id, http::RequestHead& head) override {
    FUZZ_CHECK(phases_.count(id) == 0, "a second head on stream %d", id);
    phases_[id] = Phase::kOpen;
    FUZZ_CHECK(!head.method.empty(), "a head without a method on stream %d", id);
    answer(id);
  }
  void onStreamData(StreamId id, std::string_view chunk) override {
    expectPhase(id, Phase::kOpen, "data");
    session->consume(id, chunk.size());
  }
  void onStreamTrailers(StreamId id, http::Headers&) override {
    expectPhase(id, Phase::kOpen, "trailers");
  }
  void onStreamEnd(StreamId id) override {
    expectPhase(id, Phase::kOpen, "end");
    phases_[id] = Phase::kEnded;
  }
  void onStreamClosed(StreamId id) override { final(id, "closed"); }
  void onStreamReset(StreamId id, ErrorCode) override { final(id, "reset"); }
  void onStreamWritable(StreamId id) override {
    FUZZ_CHECK(phases_.count(id) == 1 && phases_[id] != Phase::kFinal,
               "writable for stream %d, which is not open", id);
  }

  size_t openStreams() const {
    size_t n = 0;
    for (const auto& [id, phase] : phases_) n += phase != Phase::kFinal;
    return n;
  }

  http2::ServerSession* session = nullptr;

 private:
  void expectPhase(StreamId id, Phase want, const char* what) {
    auto it = phases_.find(id);
    FUZZ_CHECK(it != phases_.end(), "%s for stream %d before its head", what, id);
    FUZZ_CHECK(it->second == want, "%s for stream %d in phase %d", what, id,
               static_cast<int>(it->second));
  }
  void final(StreamId id, const char* what) {
    auto it = phases_.find(id);
    FUZZ_CHECK(it != phases_.end(), "%s for stream %d before its head", what, id);
    FUZZ_CHECK(it->second != Phase::kFinal, "%s for stream %d after its final event", what, id);
    it->second = Phase::kFinal;
  }
  // The response: a choice of shapes, so the send paths are all reached.
  void answer(StreamId id) {
    http::ResponseHead head;
    head.headers.add("content-type", "text/plain");
    switch (random_.below(5)) {
      case 0: {
        http::ResponseHead hints;
        hints.status = 103;
        session->submitInformational(id, hints);
        session->submitResponseHead(id, head, true);
        break;
      }
      case 1:
        session->resetStream(id, ErrorCode::kInternalError);
        break;
      case 2:
        session->submitResponseHead(id, head, false);
        session->submitData(id, std::string(random_.below(100000), 'b'));
        session->endStream(id);
        break;
      default: {
        session->submitResponseHead(id, head, false);
        session->submitData(id, "body");
        http::Headers trailers;
        trailers.add("grpc-status", "0");
        session->submitTrailers(id, trailers);
      }
    }
  }

  InputRandom& random_;
  std::map<StreamId, Phase> phases_;
};

}  // namespace
}  // namespace outrigger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace outrigger;
  using namespace outrigger::fuzz;
  InputRandom random(fnv1a(data, size));
  ManualClock clock;
  CheckingHandler handler(random);
  http2::ServerLimits limits;
  limits.max_premature_resets = 5;  // small, so the rapid-reset path is reachable
  limits.control_frame_burst = 20;
  limits.max_header_list_bytes = 1024 + random.below(4096);
  http2::ServerSession session(handler, limits, clock);
  handler.session = &session;

  std::string input(http2::kClientPreface);
  input.append(reinterpret_cast<const char*>(data), size);
  std::string out;
  size_t at = 0;
  while (at < input.size() && !session.finished()) {
    const size_t piece = 1 + random.below(input.size() - at);
    if (!session.feed(std::string_view(input).substr(at, piece))) break;
    at += piece;
    out.clear();
    session.takeOutput(out);
    clock.advance(std::chrono::milliseconds(random.below(50)));
  }
  out.clear();
  session.takeOutput(out);
  if (session.finished()) {
    FUZZ_CHECK(handler.openStreams() == 0, "finished with %zu streams open", handler.openStreams());
  } else {
    session.connectionLost();
    FUZZ_CHECK(handler.openStreams() == 0, "%zu streams open after the connection was lost",
               handler.openStreams());
  }
  return 0;
}
