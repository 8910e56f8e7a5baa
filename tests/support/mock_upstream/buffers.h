#pragma once

// Byte ownership for one connection: reusable read chunks that an echoed body can borrow,
// and the queue of pieces waiting for (or inside) the connection's single in-flight uv_write.

#include <uv.h>

#include <cstddef>
#include <string>
#include <vector>

namespace mock_upstream {

inline constexpr size_t kReadChunkSize = 64 * 1024;

// A read buffer with a reference count, so /echo can write request bytes back without copying
// them. The connection holds one reference; each queued piece that points into it holds another.
struct ReadChunk {
  int refs = 1;
  char bytes[kReadChunkSize];

  void ref() { ++refs; }
  void unref() {
    if (--refs == 0) delete this;
  }
};

// Bytes that live at least as long as the process (literals, the /bytes pattern).
struct StaticBytes {
  const char* data;
  size_t size;
};

// Pieces of output in order. Pieces queued while a write is in flight form the next batch, so a
// run of pipelined responses leaves in one writev.
class OutputQueue {
 public:
  OutputQueue() = default;
  OutputQueue(const OutputQueue&) = delete;
  OutputQueue& operator=(const OutputQueue&) = delete;
  ~OutputQueue();

  void addOwned(std::string bytes);
  void addStatic(StaticBytes bytes);
  void addStatic(const char* data, size_t size) { addStatic(StaticBytes{data, size}); }
  // Borrows bytes inside `chunk` and keeps it alive until the batch holding them is written.
  void addShared(ReadChunk* chunk, const char* data, size_t size);

  bool writing() const { return !inflight_.empty(); }
  bool hasQueued() const { return !queued_.empty(); }
  size_t pendingBytes() const { return queuedBytes_ + inflightBytes_; }

  // Moves the queued pieces into the in-flight batch and describes them in `bufs`. The bytes
  // stay valid until finishBatch(). Returns false when nothing is queued or a batch is in flight.
  bool startBatch(std::vector<uv_buf_t>& bufs);
  void finishBatch();
  void clear();

 private:
  struct Piece {
    std::string owned;           // used when data == nullptr
    const char* data = nullptr;  // static storage or inside chunk
    size_t size = 0;
    ReadChunk* chunk = nullptr;  // reference held while queued or in flight
  };

  static void release(std::vector<Piece>& pieces);

  std::vector<Piece> queued_;
  std::vector<Piece> inflight_;
  size_t queuedBytes_ = 0;
  size_t inflightBytes_ = 0;
};

}  // namespace mock_upstream
