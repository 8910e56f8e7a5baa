#include "proxy/http1/body_framing.h"

#include <string>

#include "proxy/http/serializer.h"

namespace outrigger::http1 {

void writeBodyPiece(io::TcpStream& stream, std::string_view data, bool chunked) {
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

void writeLastChunk(io::TcpStream& stream, const http::Headers* trailers) {
  if (trailers == nullptr || trailers->empty()) {
    stream.write(http::kLastChunk);
    return;
  }
  std::string out = stream.takeWriteBuffer();
  http::appendLastChunk(*trailers, out);
  stream.write(std::move(out));
}

}  // namespace outrigger::http1
