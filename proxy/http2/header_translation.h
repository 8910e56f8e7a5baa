#pragma once
// HTTP/2 field lists <-> the HTTP/1 message model (RFC 9113 §8.2, §8.3). Pure functions, no
// nghttp2: the sessions collect a HEADERS block into an http::Headers (pseudo-headers
// included, in wire order) and call these. Each *FromFields returns an empty view when the
// block is well formed, else why it is malformed (RFC 9113 §8.1.1: a stream error).

#include <string_view>

#include "proxy/http/message.h"
#include "proxy/http2/field_block.h"

namespace outrigger::http2 {

// A request block to a RequestHead: :method and :path become the request line, :authority
// becomes Host, cookie crumbs are joined, and the framing says how the body will come
// (none when the block ended the stream, Content-Length when given, else chunked).
// Malformed: a missing or repeated or unknown pseudo-header, one after a regular field, an
// uppercase or invalid name, a connection-specific field, TE other than "trailers", a Host
// that differs from :authority, a bad or inconsistent content-length.
// The block's fields become the head's (no copy); pass it with std::move when it is not
// needed after.
std::string_view requestFromFields(http::Headers fields, bool end_stream, http::RequestHead& out);

// A RequestHead to a request block: pseudo-headers first, lowercase names, Host as
// :authority, hop-by-hop fields (RFC 9113 §8.2.2) and the fields Connection names removed,
// TE kept only as "trailers", content-length from the head's framing.
// `scheme` is "http" or "https" (the upstream connection's).
// Built into a FieldBlock, which borrows the head's values: `head` must outlive its use.
void requestToFields(const http::RequestHead& head, std::string_view scheme, FieldBlock& out);

// A response block (1xx or final) to a ResponseHead. Malformed like requests, and without
// a three-digit :status.
std::string_view responseFromFields(const http::Headers& fields, bool end_stream,
                                    http::ResponseHead& out);

// A ResponseHead to a response block: :status first, then the rest as for requests.
void responseToFields(const http::ResponseHead& head, FieldBlock& out);

// A trailer block to trailers: no pseudo-header, the same name rules as a head.
std::string_view trailersFromFields(const http::Headers& fields, http::Headers& out);

// Trailers to a trailer block: lowercase names, hop-by-hop and framing fields dropped.
void trailersToFields(const http::Headers& trailers, http::Headers& out);

}  // namespace outrigger::http2
