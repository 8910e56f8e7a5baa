// Exchange: the request's start, routing and admission, in the order of DESIGN §4: the
// app's own limits, rate limit, bulkhead, then each attempt's breaker permit and endpoint.
// The policies decide; this file enforces.
#include "proxy/exchange/exchange.h"

#include <charconv>

#include "proxy/http/grpc.h"
#include "proxy/http/header_rules.h"
#include "proxy/http/upgrade.h"
#include "proxy/metrics/metrics.h"
#include "proxy/policy/retry_policy.h"

namespace outrigger::exchange {

const std::shared_ptr<const Snapshot>& followGeneration(
    const std::shared_ptr<const Snapshot>& newest, ListenerInfo& listener,
    std::shared_ptr<const Snapshot>& held) {
  if (newest == held) return held;
  size_t index = 0;
  if (const config::ListenerConfig* cfg = newest->findListener(listener.config->name, &index)) {
    listener.config = cfg;
    listener.index = index;
    held = newest;
  }
  return held;
}
namespace {

// Whole seconds for Retry-After, rounded up and at least 1.
int secondsCeil(Duration d) {
  const int64_t s = (d.count() + 999999999) / 1000000000;
  return static_cast<int>(std::max<int64_t>(1, s));
}

// A positive integer header value, or 0.
uint64_t positiveHeader(const http::Headers& headers, std::string_view name) {
  const std::string_view* value = headers.get(name);
  uint64_t n = 0;
  if (value == nullptr) return 0;
  auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
  if (ec != std::errc() || end != value->data() + value->size()) return 0;
  return n;
}

// The headers the app tightens one request's policy with; never forwarded.
constexpr std::string_view kTimeoutHeader = "x-outrigger-timeout-ms";
constexpr std::string_view kMaxAttemptsHeader = "x-outrigger-max-attempts";
constexpr std::string_view kGrpcTimeoutHeader = "grpc-timeout";

bool isAppLimitHeader(const http::HeaderView& h) {
  // By length first: one comparison tells most headers apart.
  return (h.name.size() == kTimeoutHeader.size() &&
          http::equalsIgnoreCase(h.name, kTimeoutHeader)) ||
         (h.name.size() == kMaxAttemptsHeader.size() &&
          http::equalsIgnoreCase(h.name, kMaxAttemptsHeader));
}

}  // namespace

Exchange::Exchange(WorkerContext& context, DownstreamStream& downstream, ExchangeBuffers& buffers,
                   std::shared_ptr<const Snapshot> snapshot, ListenerInfo listener,
                   std::string_view client_ip, MonoTime started)
    : context_(context),
      downstream_(downstream),
      snapshot_(std::move(snapshot)),
      listener_(listener),
      client_ip_(client_ip),
      buffers_(buffers),
      request_(buffers.request),
      request_id_(buffers.request_id),
      path_(request_.path()),
      host_(buffers.host),
      started_(started),
      admission_(context.loop, context.clock, context.queued_admissions, *this),
      stale_(buffers.stale_copy, context.stale_bodies) {}

Exchange::~Exchange() {
  if (phase_ != Phase::kDone) onDownstreamGone();
}

void Exchange::start() {
  buffers_.request_trailers.clear();  // an earlier request's, in this reused slot
  grpc_request_ = http::isGrpcRequest(request_);
  http::assignRequestId(request_, context_.random, request_id_);
  http::assignHostWithoutPort(request_, host_);
  trace_.begin(snapshot_->config->tracing, request_.headers, context_.random);
  if (request_.method == "CONNECT") {
    // No connect: true route matched its authority (an HTTP/1.1 session tunnels those
    // before any exchange), or it came over HTTP/2: refused, never routed by Host like a
    // request (an open proxy), and never a misleading no_route.
    error_detail_ = "CONNECT is not allowed to " + request_.target;
    replyLocally(http::LocalReason::kConnectNotAllowed);
    return;
  }
  route_ = snapshot_->routers[listener_.index]->match(
      routing::RouteRequest{host_, path_, request_.method, &request_.headers});
  if (route_ != nullptr && route_->direct_response) {
    answerDirectly();
    return;
  }
  if (route_ == nullptr) {
    replyLocally(http::LocalReason::kNoRoute);
    return;
  }
  // A split picks its upstream here, once: every attempt, retries included, goes to it.
  const routing::RouteTarget& target =
      snapshot_->routers[listener_.index]->pickTarget(route_, context_.random);
  auto found = snapshot_->upstreams.find(target.upstream);
  if (found == snapshot_->upstreams.end()) {
    // A route naming no upstream, which the validator rules out.
    replyLocally(http::LocalReason::kNoRoute);
    return;
  }
  upstream_ = context_.upstreamFor(found->second);
  policies_ = &upstream_->upstream->policies();
  allowUpgrade();
  const routing::RouteOverrides& overrides = target.overrides;
  route_timeouts_ = overrides.timeouts ? &*overrides.timeouts : nullptr;
  retry_policy_ = overrides.retry ? &*overrides.retry : policies_->retryPolicy();
  fallback_ = overrides.fallback ? &*overrides.fallback : &policies_->config().fallback;
  const uint64_t body_limit = listener_.config->limits.max_request_body;
  if (body_limit != 0 && request_.framing == http::BodyFraming::kContentLength &&
      request_.content_length > body_limit) {
    // Refused before anything reaches the upstream; the unread body closes the connection.
    error_detail_ = "Content-Length over listeners[].limits.max_request_body";
    replyLocally(http::LocalReason::kPayloadTooLarge);
    return;
  }
  // A gRPC call's body is a stream of messages the server may answer one by one (client
  // and bidirectional streaming): it is never held back to fill a buffer.
  request_buffer_ = grpc_request_ ? 0 : listener_.config->limits.request_buffer;
  response_buffer_ = upstream_->upstream->config().limits.response_buffer;
  readAppLimits();
  // A body announced with Expect: 100-continue comes only after our 100, which admission
  // sends (onAdmitted): waiting for it first would only wait for the app's own timer.
  if (!request_.expect_continue && awaitBody()) return;
  admit();
}

bool Exchange::awaitBody() {
  // nginx's proxy_request_buffering and Envoy's buffer filter, bounded: a slow upload waits
  // here, holding neither a bulkhead slot nor a pooled connection, until it ends or fills
  // the buffer. The request deadline still bounds the wait (onTimer).
  if (request_.framing == http::BodyFraming::kNone || request_complete_ ||
      body_.heldBytes() >= request_buffer_)
    return false;
  phase_ = Phase::kReadingBody;
  armTimer();
  return true;
}

void Exchange::bodyAwaited() {
  phase_ = Phase::kStarting;
  // After a 100 Continue the request was admitted already; it only lacked its connection.
  if (request_.expect_continue) {
    tryAttempt();
  } else {
    admit();
  }
}

void Exchange::allowUpgrade() {
  // Forwarded only when the route lists the token; h2c never (h2c smuggling). Otherwise the
  // codec strips Upgrade as hop-by-hop.
  request_.upgrade.clear();
  if (!request_.headers.has("upgrade")) return;
  std::string asked = http::requestedUpgrade(request_);
  if (http::upgradeAllowed(asked, route_->upgrades)) request_.upgrade = std::move(asked);
}

void Exchange::readAppLimits() {
  // The app may tighten, never loosen, a single request.
  // timeouts.request: none leaves the exchange without a deadline (long streams); the
  // attempt's read timeout still bounds every wait.
  Duration timeout = route_timeouts_ != nullptr ? route_timeouts_->request
                                                : upstream_->upstream->config().timeouts.request;
  const bool unbounded = timeout == config::kNoRequestTimeout;
  if (uint64_t ms = positiveHeader(request_.headers, kTimeoutHeader); ms > 0) {
    const Duration asked = milliseconds(static_cast<int64_t>(ms));
    timeout = unbounded ? asked : std::min(timeout, asked);
  }
  // gRPC's own deadline lowers it the same way; the upstream is told the time left
  // (tryAttempt), so it gives up no later than we do.
  grpc_timeout_ = false;
  if (const std::string_view* value = request_.headers.get(kGrpcTimeoutHeader);
      value != nullptr && http::isGrpcRequest(request_)) {
    if (const std::optional<Duration> asked = http::parseGrpcTimeout(*value)) {
      timeout = timeout == config::kNoRequestTimeout ? *asked : std::min(timeout, *asked);
      grpc_timeout_ = true;
    }
  }
  request_deadline_ = timeout == config::kNoRequestTimeout ? MonoTime::max() : started_ + timeout;
  const policy::RetryPolicy* retry = retry_policy_;
  max_attempts_ = retry ? retry->config().max_attempts : 1;
  if (uint64_t n = positiveHeader(request_.headers, kMaxAttemptsHeader); n > 0)
    max_attempts_ = std::min<uint32_t>(max_attempts_, static_cast<uint32_t>(n));
  request_.headers.removeIf(isAppLimitHeader);  // one pass for both
  stale_eligible_ =
      policies_->staleEnabled() && fallback_->stale_if_error && request_.method == "GET";
  const bool has_body = request_.framing != http::BodyFraming::kNone;
  body_.reset(has_body, retry != nullptr && max_attempts_ > 1,
              retry ? retry->config().max_body_bytes : 0);
}

void Exchange::admit() {
  const MonoTime now = context_.clock.now();
  // The budget counts the requests that may retry: all of an upstream with a retry block,
  // and those of routes that bring their own retry to an upstream without one.
  if (retry_policy_ != nullptr) policies_->recordRequest(now);
  const AdmissionGuard::EntryResult entry = admission_.enter(*policies_, now);
  switch (entry.entry) {
    case AdmissionGuard::Entry::kAdmitted:
      onAdmitted();
      return;
    case AdmissionGuard::Entry::kRateLimited:
      replyLocally(http::LocalReason::kRateLimited, secondsCeil(entry.retry_after));
      return;
    case AdmissionGuard::Entry::kBulkheadFull:
      replyLocally(http::LocalReason::kBulkheadFull);
      return;
    case AdmissionGuard::Entry::kQueued:
      phase_ = Phase::kQueued;
      queue_deadline_ = now + policies_->bulkheadQueueTimeout();
      armTimer();
      return;
  }
}

void Exchange::onAdmissionGranted() {
  if (phase_ != Phase::kQueued) return;
  queue_deadline_ = MonoTime::max();
  onAdmitted();
}

void Exchange::onAdmitted() {
  if (request_.expect_continue && request_.framing != http::BodyFraming::kNone) {
    downstream_.sendContinue();
    if (awaitBody()) return;  // the body the 100 lets in is read before a connection
  }
  tryAttempt();
}

void Exchange::tryAttempt() {
  const MonoTime now = context_.clock.now();
  const auto& permit = admission_.acquirePermit(now);
  if (!permit.allowed) {
    fallBack(http::LocalReason::kCircuitOpen, secondsCeil(permit.retry_after));
    return;
  }
  const int pick = pickEndpoint(now);
  if (pick < 0) {
    admission_.release();  // gives the breaker permit back unused
    fallBack(http::LocalReason::kNoHealthyEndpoint);
    return;
  }
  attempts_++;
  endpoint_ = pick;
  endpoint_text_ = upstream_->upstream->endpoint(static_cast<size_t>(pick)).text;
  attempt_started_ = now;
  attempt_open_ = true;
  phase_ = Phase::kAttempting;
  if (grpc_timeout_ && request_deadline_ != MonoTime::max()) {
    const Duration left = request_deadline_ > now ? request_deadline_ - now : Duration::zero();
    request_.headers.set(kGrpcTimeoutHeader, http::formatGrpcTimeout(left));
  }
  trace_.beforeAttempt(request_.headers, context_.random);
  attempt_ = upstream_->codec->newAttempt(*this);
  AttemptRequest request;
  request.head = &request_;
  request.request_id = request_id_;
  request.client_ip = client_ip_;
  request.preserve_host = route_->preserve_host;
  request.trailers = &buffers_.request_trailers;
  request.timeouts = route_timeouts_;
  if (route_->rewrite.changes_request) {
    request.rewrite = &route_->rewrite;
    // Literal header values (made into views at load) need no variables.
    if (!route_->rewrite.request_literals.views) request.variables = rewriteVariables();
    request.path = path_;
  }
  starting_attempt_ = true;
  attempt_->start(static_cast<size_t>(pick), request);
  starting_attempt_ = false;
  // A bodiless request connected at once is completed by its stream right after this
  // (onRequestComplete), which arms the timer for the read: arming it here too is waste.
  if (attempt_->connected() && !request_complete_ && request_.framing == http::BodyFraming::kNone)
    return;
  armTimer();
}

int Exchange::pickEndpoint(MonoTime now) {
  const upstream::Upstream& shared = *upstream_->upstream;
  thread_local std::vector<upstream::EndpointLoad> loads;
  loads.clear();
  const bool panic = shared.panic();
  if (panic) policies_->metrics().health_panic.Increment();
  for (size_t i = 0; i < shared.endpointCount(); ++i) {
    const bool available =
        shared.resolved(i) && (panic || shared.healthy(i)) && !policies_->endpointEjected(i, now);
    loads.push_back({upstream_->pool.activeRequests(i), available});
  }
  // A retry prefers another endpoint than the last one.
  return upstream_->balancer.pick(loads, endpoint_);
}

}  // namespace outrigger::exchange
