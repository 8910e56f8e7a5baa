#pragma once
// A header block built to be submitted at once, without copying what needs no copy: each
// name and value is either borrowed (a view into a head that outlives the submit) or copied
// into the block's own text (a lowercased name, a number written out). Pure; reused from one
// block to the next so that building one allocates nothing once warm.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace outrigger::http2 {

class FieldBlock {
 public:
  void clear() {
    text_.clear();
    fields_.clear();
  }
  // The name is copied, the value borrowed.
  void add(std::string_view name, std::string_view value) {
    fields_.push_back({copy(name), borrow(value)});
  }
  // Both are copied.
  void addCopy(std::string_view name, std::string_view value) {
    fields_.push_back({copy(name), copy(value)});
  }
  size_t size() const { return fields_.size(); }
  // The i-th name and value; valid until the next add.
  std::pair<std::string_view, std::string_view> operator[](size_t i) const {
    return {view(fields_[i].first), view(fields_[i].second)};
  }

 private:
  // Copied pieces are kept as offsets, as text_ may move while the block grows.
  struct Piece {
    const char* borrowed;  // nullptr when copied
    size_t offset;
    size_t size;
  };
  Piece copy(std::string_view bytes) {
    const size_t at = text_.size();
    text_.append(bytes);
    return {nullptr, at, bytes.size()};
  }
  static Piece borrow(std::string_view bytes) { return {bytes.data(), 0, bytes.size()}; }
  std::string_view view(const Piece& p) const {
    return {p.borrowed != nullptr ? p.borrowed : text_.data() + p.offset, p.size};
  }

  std::string text_;
  std::vector<std::pair<Piece, Piece>> fields_;
};

}  // namespace outrigger::http2
