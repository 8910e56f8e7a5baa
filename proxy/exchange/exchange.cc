#include "proxy/exchange/exchange.h"

#include <algorithm>

#include "proxy/http/header_rules.h"
#include "proxy/http/serializer.h"
#include "proxy/http/upstream_request.h"
#include "proxy/log/access_log.h"
#include "proxy/metrics/metrics.h"
#include "proxy/policy/retry_policy.h"

namespace outrigger::exchange {
namespace {

// Above this many queued bytes on one side, stop reading the other side.
constexpr size_t kHighWaterBytes = 64 * 1024;
// A reused keep-alive connection may have been closed by the upstream just as we picked
// it; a request that sent nothing replayable-sensitive is tried again on another one.
constexpr int kMaxStaleConnectionRetries = 3;

}  // namespace

Exchange::Exchange(WorkerContext& context, ExchangeOwner& owner, ExchangeBuffers& buffers,
                   std::shared_ptr<const Snapshot> snapshot, ListenerInfo listener,
                   std::string_view client_ip, MonoTime started)
    : context_(context),
      owner_(owner),
      snapshot_(std::move(snapshot)),
      listener_(listener),
      client_ip_(client_ip),
      buffers_(buffers),
      request_(buffers.request),
      request_id_(buffers.request_id),
      path_(request_.path()),
      host_(buffers.host),
      started_(started),
      timer_(owner.exchangeTimer()),
      stale_copy_(buffers.stale_copy) {}

Exchange::~Exchange() {
  if (phase_ != Phase::kDone) onClientGone();
}

void Exchange::start() {
  http::assignRequestId(request_, context_.random, request_id_);
  http::assignHostWithoutPort(request_, host_);
  route_ = snapshot_->routers[listener_.index]->match(host_, path_);
  if (route_ == nullptr) {
    replyLocally(http::LocalReason::kNoRoute);
    return;
  }
  auto found = snapshot_->upstreams.find(route_->upstream);
  if (found == snapshot_->upstreams.end()) {
    // The validator guarantees every route names an upstream.
    replyLocally(http::LocalReason::kNoRoute);
    return;
  }
  upstream_ = context_.upstreamFor(found->second);
  policies_ = &upstream_->upstream->policies();
  const uint64_t body_limit = listener_.config->limits.max_request_body;
  if (body_limit != 0 && request_.framing == http::BodyFraming::kContentLength &&
      request_.content_length > body_limit) {
    // Refused before anything reaches the upstream; the unread body closes the connection.
    error_detail_ = "Content-Length over listeners[].limits.max_request_body";
    replyLocally(http::LocalReason::kPayloadTooLarge);
    return;
  }
  readAppLimits();
  admit();
}

void Exchange::rejectRequestBody(http::LocalReason reason, std::string detail) {
  // The body went past the limit, or turned out malformed after the head was accepted:
  // whatever was sent upstream is abandoned with its connection, and the app's connection
  // closes after the reply (the rest of its input is not read).
  if (phase_ == Phase::kDone) return;
  close_after_response_ = true;
  error_detail_ = std::move(detail);
  if (phase_ != Phase::kStreamingResponse) endAttempt(policy::AttemptOutcome::kCancelled, false);
  replyLocally(reason);  // aborts if the response had started
}

void Exchange::beginAttempt() {
  const upstream::Upstream& shared = *upstream_->upstream;
  const MonoTime now = context_.clock.now();
  thread_local std::vector<upstream::EndpointLoad> loads;
  loads.clear();
  const bool panic = shared.panic();
  if (panic) policies_->metrics().health_panic.Increment();
  for (size_t i = 0; i < shared.endpointCount(); ++i) {
    const bool available = shared.resolved(i) && (panic || shared.healthy(i)) &&
                           !policies_->endpointEjected(i, now);
    loads.push_back({upstream_->pool.activeRequests(i), available});
  }
  const int pick = upstream_->balancer.pick(loads, endpoint_);
  if (pick < 0) {
    releaseAdmission();  // gives the breaker permit back unused
    finalFailure(http::LocalReason::kNoHealthyEndpoint);
    return;
  }
  attempts_++;
  endpoint_ = pick;
  endpoint_text_ = shared.endpoint(pick).text;
  upstream_->pool.requestStarted(pick);
  endpoint_active_ = true;
  attempt_started_ = now;
  attempt_open_ = true;
  const auto& timeouts = shared.config().timeouts;
  try_deadline_ = timeouts.per_try > Duration::zero() ? now + timeouts.per_try : MonoTime::max();
  phase_ = Phase::kWaitingConnection;
  response_bytes_seen_ = false;
  if (upstream::PooledConnection* ready = upstream_->pool.acquire(pick, *this)) {
    onPoolReady(*ready);  // arms the timer for the attempt itself
    return;
  }
  armTimer();  // the pool wait or the connect is bounded by the deadlines too
}

void Exchange::onPoolReady(upstream::PooledConnection& connection) {
  connection_ = &connection;
  connection_reused_ = connection.requestsServed() > 1;
  connection.stream().setHandler(this);
  connection.stream().startReading();
  phase_ = Phase::kAwaitingHead;
  // A restarted parser per attempt: the last attempt may have stopped mid-response. This
  // never runs inside that parser's own callbacks.
  if (buffers_.response_parser) {
    buffers_.response_parser->restart(*this);
  } else {
    buffers_.response_parser.emplace(*this, http::ParserLimits{});
  }
  response_parser_ = &*buffers_.response_parser;
  response_parser_->expectNoBody(request_.method == "HEAD");
  interim_ = false;
  response_complete_ = false;
  last_upstream_activity_ = context_.clock.now();
  sendRequestHead();
  armTimer();
}

void Exchange::onPoolFailure(upstream::PoolFailure failure, const std::string& detail) {
  if (failure == upstream::PoolFailure::kPoolTimeout) {
    error_detail_ = detail;
    endAttempt(policy::AttemptOutcome::kCancelled, false);
    replyLocally(http::LocalReason::kPoolTimeout);
    return;
  }
  failAttempt(policy::AttemptOutcome::kConnectFailed, http::LocalReason::kConnectFailed, detail);
}

void Exchange::sendRequestHead() {
  http::ForwardContext forward;
  forward.client_address = client_ip_;
  forward.upstream_authority = endpoint_text_;
  forward.preserve_host = route_->preserve_host;
  forward.request_id = request_id_;
  io::TcpStream& stream = connection_->stream();
  std::string out = stream.takeWriteBuffer();
  // Written from request_ as it is: it stays intact for another attempt.
  http::appendUpstreamRequestHead(request_, forward, out);
  stream.cork();
  stream.write(std::move(out));
  for (const auto& chunk : body_buffer_) writeBodyChunk(chunk);
  if (!keep_body_) {
    body_buffer_.clear();
    body_buffered_bytes_ = 0;
  }
  if (request_complete_) {
    if (request_.framing == http::BodyFraming::kChunked) stream.write(http::kLastChunk);
    request_sent_ = true;
  }
  stream.uncork();
}

void Exchange::writeBodyChunk(std::string_view chunk) {
  if (chunk.empty()) return;
  io::TcpStream& stream = connection_->stream();
  if (stream.queuedBytes() == 0) last_upstream_activity_ = context_.clock.now();
  writeBodyPiece(stream, chunk, request_.framing == http::BodyFraming::kChunked);
}

void Exchange::writeBodyPiece(io::TcpStream& stream, std::string_view data, bool chunked) {
  if (!chunked) {
    stream.write(data);
    return;
  }
  thread_local std::string chunk_header;
  chunk_header.clear();
  http::appendChunkHeader(data.size(), chunk_header);
  stream.write(std::string_view(chunk_header));
  stream.write(data);
  stream.write(http::kChunkEnd);
}

http::ParserAction Exchange::onRequestBody(std::string_view chunk) {
  bytes_in_ += chunk.size();
  if (phase_ == Phase::kDone) return http::ParserAction::kContinue;  // replied already
  body_total_ += chunk.size();
  const uint64_t body_limit = listener_.config->limits.max_request_body;
  if (body_limit != 0 && body_total_ > body_limit) {
    rejectRequestBody(http::LocalReason::kPayloadTooLarge,
                      "request body over listeners[].limits.max_request_body");
    return http::ParserAction::kContinue;
  }
  if (keep_body_ && body_total_ > policies_->retryPolicy()->config().max_body_bytes) {
    // Too large to keep for a retry: it is sent once (DESIGN §6 retry.max_body_bytes).
    keep_body_ = false;
    body_replayable_ = false;
    if (connection_ != nullptr) {  // everything buffered was sent already
      body_buffer_.clear();
      body_buffered_bytes_ = 0;
    }
  }
  if (connection_ != nullptr) {
    writeBodyChunk(chunk);
    if (keep_body_) {
      body_buffer_.emplace_back(chunk);
      body_buffered_bytes_ += chunk.size();
    }
    if (connection_->stream().queuedBytes() > kHighWaterBytes) {
      body_paused_ = true;
      return http::ParserAction::kPause;
    }
    return http::ParserAction::kContinue;
  }
  body_buffer_.emplace_back(chunk);
  body_buffered_bytes_ += chunk.size();
  if (body_buffered_bytes_ > kHighWaterBytes) {
    body_paused_ = true;
    return http::ParserAction::kPause;
  }
  return http::ParserAction::kContinue;
}

void Exchange::onRequestComplete() {
  request_complete_ = true;
  if (phase_ == Phase::kDone || connection_ == nullptr) return;
  io::TcpStream& stream = connection_->stream();
  if (request_.framing == http::BodyFraming::kChunked) stream.write(http::kLastChunk);
  request_sent_ = true;
  last_upstream_activity_ = context_.clock.now();
  armTimer();
}

void Exchange::onStreamDrained() {
  last_upstream_activity_ = context_.clock.now();
  if (body_paused_) {
    body_paused_ = false;
    owner_.resumeRequestBody();
  }
}

void Exchange::onStreamData(const char* data, size_t len) {
  last_upstream_activity_ = context_.clock.now();
  response_bytes_seen_ = true;
  // Everything this read produces for the client (head, body pieces, last chunk) leaves
  // in one writev, and only after the exchange recorded its outcome.
  {
    io::CorkGuard cork(owner_.clientStream());
    feedResponse(data, len);
  }
  pauseUpstreamIfClientIsSlow();
}

void Exchange::feedResponse(const char* data, size_t len) {
  const http::ParseResult result = response_parser_->feed(data, len);
  if (discarding_) {
    retryAfterDiscard(result.status != http::ParseStatus::kError && response_complete_ &&
                      result.consumed == len);
    return;
  }
  if (phase_ == Phase::kDone || connection_ == nullptr) return;  // finished, or retrying
  if (result.status == http::ParseStatus::kError) {
    const std::string detail = "invalid response from upstream: " + result.detail;
    if (phase_ == Phase::kStreamingResponse) {
      abort(detail);
    } else {
      failAttempt(policy::AttemptOutcome::kReset, http::LocalReason::kUpstreamReset, detail);
    }
    return;
  }
  if (response_complete_) completeResponse(result.consumed < len);
}

void Exchange::retryAfterDiscard(bool whole_response_read) {
  // A failure response that is retried: its connection goes back to the pool when the
  // whole response came in one read and nothing followed it, as a success's would. A body
  // still on its way is not waited for: the connection closes.
  discarding_ = false;
  response_complete_ = false;
  const bool reusable = whole_response_read && upstream_keep_alive_ && request_sent_;
  endAttempt(policy::AttemptOutcome::kFailureStatus, reusable);
  startBackoff(discard_then_wait_);
}

void Exchange::onStreamEnd(int error) {
  if (phase_ == Phase::kDone || connection_ == nullptr) return;
  if (error == 0 && response_parser_) {
    // An orderly close may be how a close-delimited body ends.
    const http::ParseResult result = response_parser_->finish();
    if (result.status == http::ParseStatus::kOk && response_complete_) {
      upstream_keep_alive_ = false;
      completeResponse(false);
      return;
    }
  }
  // A TLS failure names OpenSSL's reason: with TLS 1.3 a server that refuses our client
  // certificate says so only after the handshake ("tlsv13 alert certificate required").
  const std::string detail =
      error == io::kTlsError ? "upstream TLS error: " + connection_->stream().tlsFailure()
      : error != 0           ? "upstream connection error: " + io::errorName(error)
                             : "upstream closed the connection";
  if (phase_ == Phase::kStreamingResponse) {
    abort(detail + " before the response was complete");
    return;
  }
  failAttempt(policy::AttemptOutcome::kReset, http::LocalReason::kUpstreamReset,
              detail + " before sending a response");
}

void Exchange::failAttempt(policy::AttemptOutcome outcome, http::LocalReason reason,
                           const std::string& detail) {
  error_detail_ = detail;
  // Only an idempotent request goes again: the upstream may have closed an idle connection
  // before the request arrived, or it may have taken the request and then failed, and the
  // two cannot be told apart.
  const bool stale =
      outcome == policy::AttemptOutcome::kReset && connection_reused_ && !response_bytes_seen_ &&
      request_.framing == http::BodyFraming::kNone &&
      policy::isIdempotentRequest(request_.method, request_.headers.has("idempotency-key")) &&
      stale_retries_ < kMaxStaleConnectionRetries && context_.clock.now() < request_deadline_;
  if (stale) {
    // A keep-alive connection the upstream had just closed: not the upstream's failure and
    // not a policy retry. Try once more on another connection.
    endAttempt(policy::AttemptOutcome::kStaleConnection, false);
    stale_retries_++;
    attempts_--;
    permit_ = policies_->acquireBreaker(context_.clock.now());
    if (!permit_.allowed) {
      finalFailure(http::LocalReason::kCircuitOpen, 1);
      return;
    }
    beginAttempt();
    return;
  }
  endAttempt(outcome, false);
  last_failure_reason_ = reason;
  if (auto delay = retryDelay(outcome, std::nullopt)) {
    startBackoff(*delay);
    return;
  }
  finalFailure(reason);
}

void Exchange::endAttempt(policy::AttemptOutcome outcome, bool reusable) {
  if (upstream_ == nullptr) return;
  upstream_->pool.cancel(*this);
  settleAttempt(outcome);
  if (connection_ != nullptr) {
    upstream::PooledConnection* connection = connection_;
    connection_ = nullptr;
    upstream_paused_ = false;
    upstream_->pool.release(*connection, reusable);
  }
  if (endpoint_active_) {
    upstream_->pool.requestFinished(static_cast<size_t>(endpoint_));
    endpoint_active_ = false;
  }
  try_deadline_ = MonoTime::max();
}

}  // namespace outrigger::exchange
