#include "proxy/exchange/responder.h"

#include <charconv>

#include "proxy/http/grpc.h"

namespace outrigger::exchange {
namespace {

SentReply sendWhole(DownstreamStream& stream, http::ResponseHead& head, std::string_view body) {
  head.framing = http::BodyFraming::kContentLength;
  head.content_length = body.size();
  const int status = head.status;
  stream.sendResponseHead(head);
  if (!body.empty()) stream.sendResponseBody(body);
  stream.endResponse();
  return {status, body.size()};
}

}  // namespace

void addAttemptsHeader(http::Headers& headers, int attempts) {
  if (attempts <= 1) return;
  char buf[16];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), attempts);
  (void)ec;  // 16 chars hold any int
  headers.add("x-outrigger-attempts", std::string_view(buf, static_cast<size_t>(end - buf)));
}

SentReply sendLocalReply(DownstreamStream& stream, http::LocalReason reason,
                         const ReplyContext& context, int retry_after_seconds) {
  http::LocalReply reply =
      context.grpc
          ? http::makeGrpcLocalReply(reason, context.upstream, context.request_id)
          : http::makeLocalReply(reason, context.upstream, context.request_id, retry_after_seconds);
  if (context.status != 0 && !context.grpc) reply.head.status = context.status;
  addAttemptsHeader(reply.head.headers, context.attempts);
  return sendWhole(stream, reply.head, reply.body);
}

SentReply sendFallback(DownstreamStream& stream, http::ResponseHead& head, std::string_view body,
                       http::LocalReason reason, const ReplyContext& context) {
  head.headers.add("x-outrigger-reason", http::reasonName(reason));
  // A stale copy carries the request id it was first sent with: this request's replaces it.
  head.headers.set("X-Request-ID", context.request_id);
  addAttemptsHeader(head.headers, context.attempts);
  return sendWhole(stream, head, body);
}

SentReply sendDirectResponse(DownstreamStream& stream, http::ResponseHead& head,
                             std::string_view body, const ReplyContext& context) {
  head.headers.set("X-Request-ID", context.request_id);
  return sendWhole(stream, head, body);
}

}  // namespace outrigger::exchange
