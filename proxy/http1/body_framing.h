#pragma once
// Writes one body piece on an HTTP/1.1 connection, framed as a chunk when the body is sent
// chunked; both directions use it (request bodies upstream, response bodies to the app).

#include <string_view>

#include "proxy/http/message.h"
#include "proxy/io/tcp_stream.h"

namespace outrigger::http1 {

// Copied behind what is queued: no allocation for a small piece.
void writeBodyPiece(io::TcpStream& stream, std::string_view data, bool chunked);
// The end of a chunked body, with `trailers` (null or empty: none).
void writeLastChunk(io::TcpStream& stream, const http::Headers* trailers);

}  // namespace outrigger::http1
