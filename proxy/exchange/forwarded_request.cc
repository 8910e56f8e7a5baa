#include "proxy/exchange/upstream_attempt.h"

namespace outrigger::exchange {

ForwardedRequest forwardedRequest(const AttemptRequest& request,
                                  std::string_view endpoint_authority) {
  ForwardedRequest out;
  out.forward.client_address = request.client_ip;
  out.forward.upstream_authority = endpoint_authority;
  out.forward.preserve_host = request.preserve_host;
  out.forward.request_id = request.request_id;
  if (request.rewrite == nullptr) {
    out.head = request.head;  // as it is: it stays intact for another attempt
    return out;
  }
  thread_local http::RequestHead rewritten;
  rewriteRequest(*request.rewrite, request.variables, *request.head, rewritten);
  if (!request.rewrite->host_rewrite.empty()) {
    out.forward.upstream_authority = request.rewrite->host_rewrite;
    out.forward.preserve_host = false;
  }
  out.head = &rewritten;
  return out;
}

}  // namespace outrigger::exchange
