#pragma once
// A growable run of bytes whose address changes only when it grows (never on a move or a
// swap, unlike std::string's inline buffer), and whose append is a bounds check and a
// memcpy: Headers keep their names and values in one, as views. A socket may read straight
// into its free end (spare(), then commit()).

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
    std::swap(read_buffer_, other.read_buffer_);
    std::swap(read_pending_, other.read_pending_);
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
  // Forgets the bytes after the first `size`.
  void truncate(size_t size) {
    if (size < size_) size_ = size;
  }
  // Gives the room back.
  void release() {
    bytes_.reset();
    size_ = 0;
    capacity_ = 0;
    read_buffer_.reset();
    read_pending_ = false;
  }

  // Whether `bytes` lie in the bytes held.
  bool holds(std::string_view bytes) const {
    const char* base = bytes_.get();
    return base != nullptr && bytes.data() >= base && bytes.data() + bytes.size() <= base + size_;
  }

  // Reading straight into the store: room for at least `bytes` more at the end, which a
  // read fills and commit(n) then takes as appended. Until the next spare(), the buffer
  // that read went into outlives a growth (it is kept rather than freed), because whoever
  // walks the bytes just read may still hold pointers into it.
  char* spare(size_t bytes) {
    read_buffer_.reset();  // the bytes of the last read have all been walked
    read_pending_ = false;
    reserve(size_ + bytes);
    return bytes_.get() + size_;
  }
  size_t spareBytes() const { return capacity_ - size_; }
  void commit(size_t n) {
    size_ += n;
    read_pending_ = true;
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
    // `grown` now holds the old bytes. The buffer of the last read stays alive (see spare()).
    if (read_pending_ && !read_buffer_) read_buffer_ = std::move(grown);
  }

  std::unique_ptr<char[]> bytes_;
  size_t size_ = 0;
  size_t capacity_ = 0;
  std::unique_ptr<char[]> read_buffer_;  // the buffer the last read went into, if it moved
  bool read_pending_ = false;            // bytes were committed since the last spare()
};

}  // namespace outrigger::http
