#pragma once
// A growable run of bytes whose address changes only when it grows (never on a move or a
// swap, unlike std::string's inline buffer), and whose append is a bounds check and a
// memcpy: Headers keep their names and values in one, as views.

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>

namespace outrigger::http {

class ByteStore {
 public:
  ByteStore() = default;
  ByteStore(const ByteStore& other) { *this = other; }
  ByteStore& operator=(const ByteStore& other) {
    if (this == &other) return *this;
    clear();
    append(std::string_view(other.data(), other.size()));
    return *this;
  }
  ByteStore(ByteStore&& other) noexcept { swap(other); }
  ByteStore& operator=(ByteStore&& other) noexcept {
    if (this == &other) return *this;
    release();
    swap(other);
    return *this;
  }
  void swap(ByteStore& other) noexcept {
    std::swap(bytes_, other.bytes_);
    std::swap(size_, other.size_);
    std::swap(capacity_, other.capacity_);
  }

  const char* data() const { return bytes_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }

  // Appends `bytes`, which may lie in this store; grows (moving every byte) when full.
  void append(std::string_view bytes) {
    if (bytes.size() > capacity_ - size_) {
      growAndAppend(bytes);
      return;
    }
    if (!bytes.empty()) std::memcpy(bytes_.get() + size_, bytes.data(), bytes.size());
    size_ += bytes.size();
  }
  void reserve(size_t capacity) {
    if (capacity > capacity_) growAndAppend(std::string_view(), capacity);
  }
  // Forgets the bytes; the room stays.
  void clear() { size_ = 0; }
  // Gives the room back.
  void release() {
    bytes_.reset();
    size_ = 0;
    capacity_ = 0;
  }

 private:
  // At least doubles, so appends stay amortised constant. The old bytes are freed only
  // after `bytes` (perhaps among them) has been copied.
  void growAndAppend(std::string_view bytes, size_t at_least = 0) {
    size_t capacity = capacity_ == 0 ? 64 : 2 * capacity_;
    while (capacity < size_ + bytes.size() || capacity < at_least) capacity *= 2;
    std::unique_ptr<char[]> grown(new char[capacity]);
    if (size_ > 0) std::memcpy(grown.get(), bytes_.get(), size_);
    if (!bytes.empty()) std::memcpy(grown.get() + size_, bytes.data(), bytes.size());
    size_ += bytes.size();
    capacity_ = capacity;
    bytes_.swap(grown);
  }

  std::unique_ptr<char[]> bytes_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace outrigger::http
