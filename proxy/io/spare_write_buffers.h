#pragma once
// Written strings kept for the next write, per thread. The thread's streams share them
// rather than keeping their own: a write is usually done within the call that made it, so a
// few serve a whole worker, and an idle connection holds none.

#include <cstddef>
#include <string>

namespace outrigger::io {

// The largest capacity a kept string may have: a big body buffer is not held on to.
inline constexpr size_t kMaxSpareWriteBufferCapacity = 16 * 1024;

// An empty string with room left by an earlier write, or an empty one when none is kept.
std::string takeSpareWriteBuffer();

// Keeps `s`'s room for takeSpareWriteBuffer(), emptied: a bounded number, of head-like
// sizes (64 bytes to kMaxSpareWriteBufferCapacity). Others are left as they are.
void keepSpareWriteBuffer(std::string& s);

}  // namespace outrigger::io
