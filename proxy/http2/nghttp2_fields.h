#pragma once
// Internal to proxy/http2: an http::Headers or a FieldBlock as the nghttp2_nv array nghttp2's submit
// functions take. The array points into the Headers, which must outlive it; nghttp2 copies
// the fields when they are submitted.

#include <nghttp2/nghttp2.h>

#include <vector>

#include "proxy/http/message.h"
#include "proxy/http2/field_block.h"

namespace outrigger::http2 {

class NvList {
 public:
  // Built in this thread's reused array: one NvList at a time per thread, as submits are.
  explicit NvList(const http::Headers& fields) : nv_(storage()) {
    nv_.clear();
    for (const http::HeaderView& f : fields) {
      nv_.push_back(nghttp2_nv{bytes(f.name), bytes(f.value), f.name.size(), f.value.size(),
                               NGHTTP2_NV_FLAG_NONE});
    }
  }
  explicit NvList(const FieldBlock& block) : nv_(storage()) {
    nv_.clear();
    for (size_t i = 0; i < block.size(); ++i) {
      const auto [name, value] = block[i];
      nv_.push_back(nghttp2_nv{bytes(name), bytes(value), name.size(), value.size(),
                               NGHTTP2_NV_FLAG_NONE});
    }
  }
  NvList(const NvList&) = delete;
  NvList& operator=(const NvList&) = delete;
  const nghttp2_nv* data() const { return nv_.data(); }
  size_t size() const { return nv_.size(); }

 private:
  // nghttp2's API takes non-const pointers it does not write through.
  static uint8_t* bytes(std::string_view s) {
    return reinterpret_cast<uint8_t*>(const_cast<char*>(s.data()));
  }
  static std::vector<nghttp2_nv>& storage() {
    thread_local std::vector<nghttp2_nv> nv;
    return nv;
  }
  std::vector<nghttp2_nv>& nv_;
};

}  // namespace outrigger::http2
