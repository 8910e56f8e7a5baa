// Fuzzes body framing (Content-Length, chunked, close-delimited) end to end through the real
// Http1Session and Exchange, on a real io::Loop, per input:
//
//   fake app --loopback--> Http1Session/Exchange --loopback--> fake upstream
//   (raw socket)           (the proxy, on a fresh Loop)              (raw listening socket)
//
// The fake peers are plain non-blocking sockets driven by this file between loop turns, so
// every input runs the same way: the app sends its pieces, one per round; each upstream
// connection answers with the response pieces, one per round; after each round the loop
// runs until it has nothing immediate left to do. Then every fake socket is reset, the
// proxy objects are destroyed and the Loop destructor checks that no handle leaked.
//
// Input: one flags byte, the request bytes, then optionally "\n==RESPONSE==\n" and the
// response bytes. Either part may be cut into pieces with "\n==CUT==\n", and "@@64K@@"
// stands for 64 KiB of 'x' (four times per input at most).
//
// Properties, each an abort with a message (ASan/UBSan and the leak check come on top):
//  1. The upstream always receives well-formed HTTP requests, and every request it receives
//     is one the app sent: same method, target and body (a prefix of it while incomplete).
//  2. The app always receives well-formed HTTP responses (HEAD answers without a body), no
//     more final responses than it sent requests (plus one 400 when its bytes stop parsing),
//     and each final response to a request carries X-Request-ID.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/common/random.h"
#include "proxy/config/loader.h"
#include "proxy/exchange/snapshot.h"
#include "proxy/exchange/worker_context.h"
#include "proxy/http/parser.h"
#include "proxy/http1/http1_codec.h"
#include "proxy/http1/http1_session.h"
#include "proxy/io/loop.h"
#include "proxy/io/tcp_listener.h"
#include "proxy/io/tcp_stream.h"
#include "proxy/log/access_log.h"
#include "proxy/log/logger.h"
#include "proxy/metrics/metrics.h"
#include "proxy/metrics/policy_metrics.h"
#include "proxy/routing/router.h"
#include "proxy/upstream/upstream.h"
#include "tests/fuzz/fuzz_util.h"

namespace outrigger::fuzz {
namespace {

constexpr std::string_view kResponseMark = "\n==RESPONSE==\n";
constexpr std::string_view kCutMark = "\n==CUT==\n";
// Stands for 64 KiB of 'x' (at most kMaxBig times per input), so bodies can pass the
// proxy's 64 KiB high-water marks and reach its back-pressure paths within -max_len.
constexpr std::string_view kBigMark = "@@64K@@";
constexpr size_t kBigBytes = 64 * 1024;
constexpr int kMaxBig = 4;
constexpr size_t kSlowBuffer = 4096;

// Flag bits of the first input byte (seeds start with ' ', only kSlowPeers, or another
// printable character).
constexpr uint8_t kAppHalfCloses = 0x01;    // shutdown(SHUT_WR) after the last piece
constexpr uint8_t kAnswerOnAccept = 0x02;   // the upstream answers before reading anything
constexpr uint8_t kAnswerAfterHead = 0x04;  // ... or once a request head came (else: complete)
constexpr uint8_t kUpstreamCloses = 0x08;   // FIN after each connection's last answer
constexpr uint8_t kAppResets = 0x10;        // the app resets right after its last piece
constexpr uint8_t kSlowPeers = 0x20;        // small socket buffers, 4 KiB read per round
constexpr uint8_t kPatient = 0x40;          // also wait for timers due within kPatienceMs
constexpr uint8_t kUpstreamResets = 0x80;   // with kUpstreamCloses: a reset instead of a FIN

// Loop turns with nothing immediate to do before the loop counts as quiet.
constexpr int kQuietTurns = 3;
constexpr int kMaxTurnsPerRound = 2000;
constexpr int kMaxRounds = 400;
// Timers the patient mode waits for (the "hasty" upstream's timeouts are a few ms), and the
// longest an input may take overall.
constexpr uint64_t kPatienceMs = 6;
constexpr auto kInputBudget = std::chrono::milliseconds(200);

// Routes by path prefix: plain forwarding, Host preserved, retries with a stale cache,
// millisecond timeouts, and a breaker with a static fallback and a rate limit.
constexpr std::string_view kConfig = R"(
workers: 1
listeners:
  - name: fuzz
    listen: 127.0.0.1:0
    routes:
      - { path_prefix: /retry, upstream: retrying }
      - { path_prefix: /hasty, upstream: hasty }
      - { path_prefix: /guarded, upstream: guarded }
      - { path_prefix: /host, upstream: plain, preserve_host: true }
      - { upstream: plain }
upstreams:
  plain:
    endpoints: [ "127.0.0.1:9" ]
  retrying:
    endpoints: [ "127.0.0.1:9" ]
    retry:
      max_attempts: 3
      backoff: { initial: 1ms, max: 2ms }
      retry_on: [ reset, timeout, 502, 503 ]
      max_body_bytes: 64
    fallback:
      stale_if_error: { ttl: 1m }
  hasty:
    endpoints: [ "127.0.0.1:9" ]
    timeouts: { connect: 5ms, read: 2ms, write: 2ms, per_try: 3ms, request: 5ms }
    retry: { max_attempts: 2, backoff: { initial: 1ms, max: 1ms } }
  guarded:
    endpoints: [ "127.0.0.1:9" ]
    circuit_breaker: { failure_threshold: 1, open_for: 1m }
    rate_limit: { requests_per_second: 1000, burst: 2 }
    fallback:
      response: { status: 503, body: "{\"fallback\": true}" }
)";

// Small kernel buffers make the proxy's writes queue up in user space, where its high-water
// marks are.
void shrinkBuffers(int fd) {
  const int size = static_cast<int>(kSlowBuffer);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

// What lives for the whole process: metrics (series are registered once), the config, the
// access log (to /dev/null, so its JSON escaping sees fuzzed paths) and the fake upstream's
// listening sockets.
struct Process {
  metrics::Metrics metrics;
  metrics::PolicyMetrics policy_metrics{metrics.registry()};
  std::shared_ptr<const config::Config> config;
  std::vector<metrics::UpstreamMetrics*> upstream_metrics;
  std::vector<metrics::UpstreamPolicyMetrics*> upstream_policy_metrics;
  std::unique_ptr<log::AccessLog> access_log;
  prometheus::Gauge* connections = nullptr;
  // The fake upstream's listening sockets: [1] has small buffers (kSlowPeers), set before
  // listen() so accepted connections advertise a window that matches them. (Shrinking the
  // buffer of an accepted socket makes the sender overrun the window it was promised, and
  // the dropped segment waits for a retransmission timeout of 200 ms.)
  int upstream_listener[2] = {-1, -1};
  uint16_t upstream_port[2] = {0, 0};

  Process() {
    auto loaded = config::loadConfigString(kConfig, "fuzz_body_framing", [](const std::string&) {
      return std::optional<std::string>();
    });
    FUZZ_CHECK(loaded.ok(), "the harness config does not load:\n%s", loaded.formatErrors().c_str());
    config = std::make_shared<const config::Config>(std::move(*loaded.config));
    for (const auto& u : config->upstreams) {
      std::vector<std::string> endpoints;
      for (const auto& e : u.endpoints) endpoints.push_back(e.text);
      upstream_metrics.push_back(&metrics.upstream(u.name));
      upstream_policy_metrics.push_back(&policy_metrics.upstream(u.name, endpoints));
    }
    connections = &metrics.downstreamConnections("fuzz");
    std::signal(SIGPIPE, SIG_IGN);  // as main() does: a reset peer must not kill the process
    const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    log::setLogFd(null_fd);
    log::setLogLevel(config::LogLevel::kDebug);  // every log line is formatted, then dropped
    access_log = log::AccessLog::fromFd(::open("/dev/null", O_WRONLY | O_CLOEXEC), true);

    for (int slow = 0; slow < 2; ++slow) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (slow) shrinkBuffers(fd);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      socklen_t len = sizeof(addr);
      FUZZ_CHECK(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0 &&
                     ::listen(fd, 128) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0,
                 "fake upstream listener: %s", std::strerror(errno));
      upstream_listener[slow] = fd;
      upstream_port[slow] = ntohs(addr.sin_port);
    }
  }
};

Process& process() {
  static Process* p = new Process();  // never destroyed: the access log thread stays up
  return *p;
}

// A blocking connect to a loopback listener, which completes at once unless a signal
// (libFuzzer's -timeout alarm) interrupts it; then the handshake goes on and is waited for.
bool connectNow(int fd, const sockaddr_in& addr) {
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) return true;
  if (errno != EINTR) return false;
  pollfd p{fd, POLLOUT, 0};
  while (::poll(&p, 1, 1000) < 0 && errno == EINTR) {
  }
  int error = 0;
  socklen_t len = sizeof(error);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) {
    errno = error;
    return false;
  }
  return true;
}

// Closes with a reset: no TIME_WAIT is left behind by the millions of connections a run makes.
void resetClose(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  ::close(fd);
}

std::string expandBig(std::string_view piece, int& budget) {
  std::string out;
  for (;;) {
    const size_t at = piece.find(kBigMark);
    if (at == std::string_view::npos || budget == 0) break;
    out.append(piece.substr(0, at));
    out.append(kBigBytes, 'x');
    budget--;
    piece.remove_prefix(at + kBigMark.size());
  }
  out.append(piece);
  return out;
}

std::vector<std::string> cutPieces(std::string_view part, int& big_budget) {
  std::vector<std::string> pieces;
  for (;;) {
    const size_t cut = part.find(kCutMark);
    if (cut == std::string_view::npos) break;
    if (cut > 0) pieces.push_back(expandBig(part.substr(0, cut), big_budget));
    part.remove_prefix(cut + kCutMark.size());
  }
  if (!part.empty()) pieces.push_back(expandBig(part, big_budget));
  return pieces;
}

struct SeenRequest {
  std::string method;
  std::string target;
  std::string body;
  bool complete = false;
  http::BodyFraming framing = http::BodyFraming::kNone;
};

// Parses one direction of requests, keeping what a check needs.
class RequestLog final : public http::RequestHandler {
 public:
  explicit RequestLog(http::ParserLimits limits) : parser_(*this, limits) {}

  // Returns false (and stays failed) once the bytes are not valid HTTP.
  bool feed(std::string_view bytes) {
    if (failed_) return false;
    size_t pos = 0;
    while (pos < bytes.size()) {
      const http::ParseResult r = parser_.feed(bytes.data() + pos, bytes.size() - pos);
      if (r.status == http::ParseStatus::kError) {
        failed_ = true;
        detail_ = r.detail;
        return false;
      }
      if (r.status == http::ParseStatus::kOk) break;
      pos += r.consumed;
      parser_.resume();
    }
    return true;
  }

  http::ParserAction onRequestHead(http::RequestHead& head) override {
    requests.push_back(SeenRequest{head.method, head.target, {}, false, head.framing});
    return http::ParserAction::kContinue;
  }
  http::ParserAction onRequestBody(std::string_view chunk) override {
    requests.back().body.append(chunk);
    return http::ParserAction::kContinue;
  }
  http::ParserAction onRequestComplete() override {
    requests.back().complete = true;
    return http::ParserAction::kContinue;
  }

  bool failed() const { return failed_; }
  const std::string& detail() const { return detail_; }
  std::vector<SeenRequest> requests;

 private:
  http::RequestParser parser_;
  bool failed_ = false;
  std::string detail_;
};

// Parses what the app receives: responses in order, HEAD requests' without a body.
class ResponseLog final : public http::ResponseHandler {
 public:
  explicit ResponseLog(const RequestLog& app)
      : app_(app), requests_(app.requests), parser_(*this, http::ParserLimits{1u << 24, 1u << 20}) {
    expectFor(0);
  }

  bool feed(std::string_view bytes) {
    if (failed_) return false;
    const http::ParseResult r = parser_.feed(bytes.data(), bytes.size());
    if (r.status == http::ParseStatus::kError) {
      failed_ = true;
      detail_ = r.detail;
      return false;
    }
    return true;
  }

  http::ParserAction onResponseHead(http::ResponseHead& head) override {
    interim_ = head.status / 100 == 1;
    // Every final answer to a request the proxy parsed carries its request id, whether it
    // came from the upstream or is a local reply. (A 400 for a malformed request has none.)
    if (!interim_ && final_responses < requests_.size() && !head.headers.has("X-Request-ID") &&
        !refusedBeforeItsHead(head.status) && problem.empty()) {
      problem = "response " + std::to_string(final_responses) + " (status " +
                std::to_string(head.status) + ") has no X-Request-ID";
    }
    return http::ParserAction::kContinue;
  }
  http::ParserAction onResponseBody(std::string_view) override {
    return http::ParserAction::kContinue;
  }
  http::ParserAction onResponseComplete() override {
    if (!interim_) expectFor(++final_responses);
    return http::ParserAction::kContinue;
  }

  bool failed() const { return failed_; }
  const std::string& detail() const { return detail_; }
  size_t final_responses = 0;
  std::string problem;  // a property violation seen in a head

 private:
  // The parser holds a chunked head until its first chunk line has been checked, unless the
  // read ends first. The harness parses the app's pieces one by one, so it reports such a
  // head; the proxy may read the head and a malformed chunk line together and refuse the
  // request before it ever was one: a 400 without an id
  // (regressions/fuzz_body_framing/400-for-chunked-head-with-bad-chunk-line.txt).
  bool refusedBeforeItsHead(int status) const {
    if (status != 400 || !app_.failed() || final_responses + 1 != requests_.size()) return false;
    const SeenRequest& last = requests_.back();
    return last.framing == http::BodyFraming::kChunked && last.body.empty() && !last.complete;
  }

  void expectFor(size_t index) {
    parser_.expectNoBody(index < requests_.size() && requests_[index].method == "HEAD");
  }

  const RequestLog& app_;
  const std::vector<SeenRequest>& requests_;
  http::ResponseParser parser_;
  bool interim_ = false;
  bool failed_ = false;
  std::string detail_;
};

// A non-blocking socket with an outbox: bytes the kernel did not take yet go on the next round.
struct FakePeer {
  int fd = -1;
  std::string outbox;
  std::string received;
  bool eof = false;
  bool dead = false;  // reset by the proxy, or a hard error

  // Sends what it can; true if any byte left.
  bool flush() {
    bool moved = false;
    while (!dead && !outbox.empty()) {
      const ssize_t n = ::send(fd, outbox.data(), outbox.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        outbox.erase(0, static_cast<size_t>(n));
        moved = true;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      dead = true;  // EPIPE, ECONNRESET: the proxy gave up on us
    }
    return moved;
  }

  // Reads what is there, up to `limit` bytes; returns the new bytes (possibly none).
  std::string drain(size_t limit) {
    std::string fresh;
    char buf[16384];
    while (!dead && !eof && fresh.size() < limit) {
      const size_t want = std::min(sizeof(buf), limit - fresh.size());
      const ssize_t n = ::recv(fd, buf, want, MSG_DONTWAIT);
      if (n > 0) {
        fresh.append(buf, static_cast<size_t>(n));
        // With small buffers the window update for what was just read would otherwise wait
        // for the delayed-ACK timer (tens of ms), and the run would look quiet before it.
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
        continue;
      }
      if (n == 0) {
        eof = true;
        break;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      dead = true;
    }
    received += fresh;
    return fresh;
  }
};

struct UpstreamConnection {
  FakePeer peer;
  std::unique_ptr<RequestLog> requests =
      std::make_unique<RequestLog>(http::ParserLimits{1u << 24, 1u << 20});
  size_t answers_started = 0;
  size_t next_piece = 0;  // of the answer in progress
  bool closed_by_us = false;
};

class Harness {
 public:
  Harness(uint8_t flags, std::vector<std::string> request_pieces,
          std::vector<std::string> response_pieces)
      : flags_(flags),
        request_pieces_(std::move(request_pieces)),
        response_pieces_(std::move(response_pieces)) {}

  void run(io::Loop& loop);

 private:
  bool sendRound();
  bool answer(UpstreamConnection& c);
  size_t answersOwed(const UpstreamConnection& c) const;
  bool pump();
  void runUntilQuiet(io::Loop& loop, bool patient);
  void checkUpstreamRequests(const UpstreamConnection& c) const;
  void trace() const;
  void checkAppReceived(const std::string& fresh);
  int slow() const { return (flags_ & kSlowPeers) ? 1 : 0; }
  size_t readLimit() const { return slow() ? kSlowBuffer : SIZE_MAX; }

  const uint8_t flags_;
  const std::vector<std::string> request_pieces_;
  const std::vector<std::string> response_pieces_;
  std::unique_ptr<RequestLog> app_requests_;  // what the app sent, as the proxy parses it
  std::unique_ptr<ResponseLog> app_responses_;
  FakePeer app_;
  size_t next_request_piece_ = 0;
  bool app_finished_ = false;
  std::vector<std::unique_ptr<UpstreamConnection>> upstreams_;
  std::chrono::steady_clock::time_point deadline_;
};

bool Harness::sendRound() {
  bool sent = app_.flush();
  if (next_request_piece_ < request_pieces_.size()) {
    app_.outbox += request_pieces_[next_request_piece_++];
    app_.flush();
    sent = true;
  } else if (!app_finished_ && app_.outbox.empty()) {
    app_finished_ = true;
    if (flags_ & kAppResets) {
      resetClose(app_.fd);
      app_.fd = -1;
      app_.dead = true;
      sent = true;
    } else if (flags_ & kAppHalfCloses) {
      ::shutdown(app_.fd, SHUT_WR);
      sent = true;
    }
  }
  for (auto& c : upstreams_) sent |= answer(*c);
  return sent;
}

size_t Harness::answersOwed(const UpstreamConnection& c) const {
  size_t owed = 0;
  for (const SeenRequest& r : c.requests->requests)
    owed += (r.complete || (flags_ & kAnswerAfterHead)) ? 1 : 0;
  if (flags_ & kAnswerOnAccept) owed = std::max<size_t>(owed, 1);
  return owed;
}

// One piece of the answer in progress on this connection, or the close after the last one.
bool Harness::answer(UpstreamConnection& c) {
  if (c.peer.dead || c.closed_by_us) return false;
  bool sent = c.peer.flush();
  const bool in_answer = c.answers_started > 0 && c.next_piece < response_pieces_.size();
  if (!in_answer && c.answers_started < answersOwed(c) && !response_pieces_.empty()) {
    c.answers_started++;
    c.next_piece = 0;
  }
  if (c.answers_started > 0 && c.next_piece < response_pieces_.size()) {
    c.peer.outbox += response_pieces_[c.next_piece++];
    c.peer.flush();
    return true;
  }
  const bool all_answered = c.answers_started >= answersOwed(c);
  if ((flags_ & kUpstreamCloses) && all_answered && c.peer.outbox.empty() &&
      c.answers_started > 0) {
    c.closed_by_us = true;
    if (flags_ & kUpstreamResets) {
      resetClose(c.peer.fd);
      c.peer.fd = -1;
      c.peer.dead = true;
    } else {
      ::shutdown(c.peer.fd, SHUT_WR);
    }
    return true;
  }
  return sent;
}

// Accepts the proxy's new upstream connections and reads every socket. True if anything
// arrived.
bool Harness::pump() {
  bool moved = false;
  for (;;) {
    const int fd = ::accept4(process().upstream_listener[slow()], nullptr, nullptr,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) break;
    auto c = std::make_unique<UpstreamConnection>();
    c->peer.fd = fd;
    upstreams_.push_back(std::move(c));
    moved = true;
  }
  if (app_.fd >= 0) {
    const std::string fresh = app_.drain(readLimit());
    if (!fresh.empty()) {
      moved = true;
      checkAppReceived(fresh);
    }
  }
  for (auto& c : upstreams_) {
    if (c->peer.fd < 0) continue;
    const std::string fresh = c->peer.drain(readLimit());
    if (fresh.empty()) continue;
    moved = true;
    FUZZ_CHECK(c->requests->feed(fresh), "the upstream received malformed HTTP (%s)\nreceived: %s",
               c->requests->detail().c_str(), escape(c->peer.received, 3000).c_str());
    checkUpstreamRequests(*c);
  }
  return moved;
}

void Harness::checkAppReceived(const std::string& fresh) {
  const bool parsed = app_responses_->feed(fresh);
  const size_t limit = app_requests_->requests.size() + (app_requests_->failed() ? 1 : 0);
  std::string problem;
  if (!parsed) {
    problem = "the app received malformed HTTP (" + app_responses_->detail() + ")";
  } else if (app_responses_->final_responses > limit) {
    problem = "the app received " + std::to_string(app_responses_->final_responses) +
              " responses to " + std::to_string(app_requests_->requests.size()) + " requests";
  } else {
    problem = app_responses_->problem;
  }
  if (problem.empty()) return;
  violation(__FILE__, __LINE__, "app side", "%s\nthe app received: %s", problem.c_str(),
            escape(app_.received, 3000).c_str());
}

void Harness::checkUpstreamRequests(const UpstreamConnection& c) const {
  for (const SeenRequest& up : c.requests->requests) {
    bool matched = false;
    for (const SeenRequest& app : app_requests_->requests) {
      if (app.method != up.method || app.target != up.target) continue;
      const bool body_ok = up.complete ? app.complete && app.body == up.body
                                       : app.body.compare(0, up.body.size(), up.body) == 0;
      matched |= body_ok;
    }
    FUZZ_CHECK(matched,
               "the upstream received a request the app did not send: %s %s body '%s' (%s)\n"
               "upstream received: %s",
               escape(up.method).c_str(), escape(up.target).c_str(), escape(up.body).c_str(),
               up.complete ? "complete" : "partial", escape(c.peer.received, 3000).c_str());
  }
}

struct TimerScan {
  bool idle = false;               // deferred work is waiting (Loop::defer)
  uint64_t next_due = UINT64_MAX;  // ms until the nearest active timer
};

TimerScan scanHandles(uv_loop_t* loop) {
  TimerScan scan;
  uv_walk(
      loop,
      [](uv_handle_t* h, void* arg) {
        auto* s = static_cast<TimerScan*>(arg);
        if (!uv_is_active(h) || uv_is_closing(h)) return;
        if (h->type == UV_IDLE) s->idle = true;
        if (h->type == UV_TIMER) {
          s->next_due =
              std::min(s->next_due, uv_timer_get_due_in(reinterpret_cast<uv_timer_t*>(h)));
        }
      },
      &scan);
  return scan;
}

// Runs loop turns until several in a row find nothing to do at once: no deferred work, no
// timer due now (in patient mode: none due within kPatienceMs, which the loop then sleeps
// for). Socket readiness needs no waiting: loopback delivers within the sending call.
void Harness::runUntilQuiet(io::Loop& loop, bool patient) {
  int quiet = 0;
  for (int turn = 0; turn < kMaxTurnsPerRound && quiet < kQuietTurns; ++turn) {
    uv_run(loop.raw(), UV_RUN_NOWAIT);
    const TimerScan scan = scanHandles(loop.raw());
    if (scan.idle || scan.next_due == 0) {
      quiet = 0;
      continue;
    }
    if (patient && scan.next_due <= kPatienceMs && std::chrono::steady_clock::now() < deadline_) {
      uv_run(loop.raw(), UV_RUN_ONCE);  // sleeps until that timer, at most kPatienceMs
      quiet = 0;
      continue;
    }
    quiet++;
  }
}

// OUTRIGGER_FUZZ_TRACE=1: what each side received, to read a reproducer's run.
void Harness::trace() const {
  std::fprintf(stderr, "-- flags 0x%02x, %zu request piece(s), %zu response piece(s)\n", flags_,
               request_pieces_.size(), response_pieces_.size());
  std::fprintf(stderr, "-- app received%s%s:\n%s\n", app_.eof ? " (then EOF)" : "",
               app_.dead ? " (then reset)" : "", escape(app_.received, 100000).c_str());
  for (size_t i = 0; i < upstreams_.size(); ++i) {
    const FakePeer& peer = upstreams_[i]->peer;
    std::fprintf(stderr, "-- upstream connection %zu received%s%s:\n%s\n", i,
                 peer.eof ? " (then EOF)" : "", peer.dead ? " (then reset)" : "",
                 escape(peer.received, 100000).c_str());
  }
}

void Harness::run(io::Loop& loop) {
  Process& p = process();
  // Connections the proxy of an earlier input opened after its last look.
  for (int listener : p.upstream_listener) {
    for (int fd; (fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) resetClose(fd);
  }

  io::LoopClock clock;
  FastRandom random(0x5eed);
  auto snapshot = std::make_shared<exchange::Snapshot>();
  snapshot->config = p.config;
  for (const auto& l : p.config->listeners)
    snapshot->routers.push_back(std::make_unique<routing::Router>(l));
  const auto upstream_address =
      io::SocketAddress::fromNumeric("127.0.0.1", p.upstream_port[slow()]);
  for (size_t i = 0; i < p.config->upstreams.size(); ++i) {
    const config::UpstreamConfig& u = p.config->upstreams[i];
    auto runtime = std::make_shared<upstream::Upstream>(u, *p.upstream_metrics[i],
                                                        *p.upstream_policy_metrics[i], clock.now());
    runtime->setAddresses(0, {*upstream_address});
    snapshot->upstreams[u.name] = std::move(runtime);
  }
  exchange::WorkerContext context{
      loop,  clock, random, p.metrics, p.access_log.get(),      snapshot, {},
      false, {},    {},     {},        &http1::Http1Codec::make};

  const config::ListenerConfig& listener_config = p.config->listeners[0];
  std::unique_ptr<http1::Http1Session> session;
  auto listener = std::make_unique<io::TcpListener>(loop, [&](std::unique_ptr<io::TcpStream> s) {
    FUZZ_CHECK(session == nullptr, "a second app connection");
    exchange::ListenerInfo info{&listener_config, 0, p.connections};
    session = std::make_unique<http1::Http1Session>(context, info, std::move(s),
                                                    [&](http1::Http1Session&) {
                                                      // Freed on the next turn, as Worker does: we
                                                      // are inside the session's call stack.
                                                      loop.deleteLater(std::move(session));
                                                    });
    session->start();
  });
  const std::string error = listener->listen("127.0.0.1", 0, false);
  FUZZ_CHECK(error.empty(), "listen: %s", error.c_str());

  // What the app sends, parsed as the proxy's session parses it.
  app_requests_ = std::make_unique<RequestLog>(
      http::ParserLimits{listener_config.limits.max_request_head, 100});
  for (const std::string& piece : request_pieces_) app_requests_->feed(piece);
  app_responses_ = std::make_unique<ResponseLog>(*app_requests_);

  app_.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (flags_ & kSlowPeers) shrinkBuffers(app_.fd);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(listener->port());
  FUZZ_CHECK(connectNow(app_.fd, addr), "connect to the proxy: %s", std::strerror(errno));

  deadline_ = std::chrono::steady_clock::now() + kInputBudget;
  const bool patient = (flags_ & kPatient) != 0;
  for (int round = 0; round < kMaxRounds; ++round) {
    const bool sent = sendRound();
    runUntilQuiet(loop, patient);
    const bool received = pump();
    if (!sent && !received) break;
    if (std::chrono::steady_clock::now() > deadline_) break;
  }

  if (std::getenv("OUTRIGGER_FUZZ_TRACE") != nullptr) trace();

  // Reset every fake socket and let the proxy see it; then take the proxy down the way a
  // worker does, and let deferred work and graceful closes finish before the Loop goes.
  if (app_.fd >= 0) resetClose(app_.fd);
  for (auto& c : upstreams_) {
    if (c->peer.fd >= 0) resetClose(c->peer.fd);
  }
  runUntilQuiet(loop, false);
  session.reset();
  listener.reset();
  context.upstreams.clear();
  context.snapshot.reset();
  runUntilQuiet(loop, false);
  io::TcpStream::abandonLingering();
}

}  // namespace
}  // namespace outrigger::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace outrigger::fuzz;
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string_view request = rest;
  std::string_view response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  if (const size_t mark = rest.find(kResponseMark); mark != std::string_view::npos) {
    request = rest.substr(0, mark);
    response = rest.substr(mark + kResponseMark.size());
  }
  {
    outrigger::io::Loop loop;  // its destructor aborts if a handle leaked
    int big_budget = kMaxBig;
    std::vector<std::string> request_pieces = cutPieces(request, big_budget);
    std::vector<std::string> response_pieces = cutPieces(response, big_budget);
    Harness harness(flags, std::move(request_pieces), std::move(response_pieces));
    harness.run(loop);
  }
  return 0;
}
