#include "buffers.h"

#include <utility>

namespace mock_upstream {

OutputQueue::~OutputQueue() { clear(); }

void OutputQueue::addOwned(std::string bytes) {
  if (bytes.empty()) return;
  queuedBytes_ += bytes.size();
  Piece& piece = queued_.emplace_back();
  piece.size = bytes.size();
  piece.owned = std::move(bytes);
}

void OutputQueue::addStatic(StaticBytes bytes) {
  if (bytes.size == 0) return;
  queuedBytes_ += bytes.size;
  Piece& piece = queued_.emplace_back();
  piece.data = bytes.data;
  piece.size = bytes.size;
}

void OutputQueue::addShared(ReadChunk* chunk, const char* data, size_t size) {
  if (size == 0) return;
  chunk->ref();
  queuedBytes_ += size;
  Piece& piece = queued_.emplace_back();
  piece.data = data;
  piece.size = size;
  piece.chunk = chunk;
}

bool OutputQueue::startBatch(std::vector<uv_buf_t>& bufs) {
  if (writing() || queued_.empty()) return false;
  std::swap(queued_, inflight_);
  inflightBytes_ = queuedBytes_;
  queuedBytes_ = 0;
  bufs.clear();
  for (Piece& piece : inflight_) {
    char* base = piece.data != nullptr ? const_cast<char*>(piece.data) : piece.owned.data();
    bufs.push_back(uv_buf_init(base, static_cast<unsigned int>(piece.size)));
  }
  return true;
}

void OutputQueue::finishBatch() {
  release(inflight_);
  inflightBytes_ = 0;
}

void OutputQueue::clear() {
  release(queued_);
  release(inflight_);
  queuedBytes_ = 0;
  inflightBytes_ = 0;
}

void OutputQueue::release(std::vector<Piece>& pieces) {
  for (Piece& piece : pieces) {
    if (piece.chunk != nullptr) piece.chunk->unref();
  }
  pieces.clear();  // keeps capacity: the next batch reuses it
}

}  // namespace mock_upstream
