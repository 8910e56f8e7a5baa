#include "proxy/io/spare_write_buffers.h"

#include <vector>

namespace outrigger::io {
namespace {

constexpr size_t kMaxSpare = 64;
constexpr size_t kMinCapacity = 64;

thread_local std::vector<std::string> tSpareWriteBuffers;

}  // namespace

std::string takeSpareWriteBuffer() {
  std::vector<std::string>& spare = tSpareWriteBuffers;
  if (spare.empty()) return {};
  std::string buffer = std::move(spare.back());
  spare.pop_back();
  return buffer;
}

void keepSpareWriteBuffer(std::string& s) {
  std::vector<std::string>& spare = tSpareWriteBuffers;
  if (spare.size() >= kMaxSpare || s.capacity() < kMinCapacity ||
      s.capacity() > kMaxSpareWriteBufferCapacity)
    return;
  if (spare.capacity() == 0) spare.reserve(kMaxSpare);
  s.clear();
  spare.push_back(std::move(s));
}

}  // namespace outrigger::io
