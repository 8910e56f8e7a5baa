#pragma once
// The HTTP/1.x message model shared by the parser, the header rules and the serializer.
// Framing is kept apart from the header list: the parser fills it from Content-Length and
// Transfer-Encoding, the header rules delete those headers, and the serializer writes the
// framing header that matches how the body is actually sent.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/byte_store.h"

namespace outrigger::http {

// An owned copy of one header (the admin server's extra reply headers).
struct Header {
  std::string name;
  std::string value;
};

// One header of a Headers list: views into the list's byte store.
struct HeaderView {
  std::string_view name;
  std::string_view value;
};

inline char lowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Inline: header lookups call it for every header they pass.
inline bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lowerAscii(a[i]) != lowerAscii(b[i])) return false;
  }
  return true;
}

// An ordered header list. Lookups are case-insensitive; order and duplicates are kept.
// Every name and value lives in one byte store owned by the list, so a parsed head costs
// one copy of its bytes and no allocation per header. The views are rebased when the store
// grows or is copied; a move or swap hands the buffer over as it is (ByteStore), so they stay
// valid. Changes append to the store and never reuse it:
// a view taken from get() or list() stays valid until the list itself changes.
// A head can also be read straight into the store (readSpace), or borrow the parser's bytes
// until own() (borrowPieces): either way its bytes are not copied on the way in.
class Headers {
 public:
  Headers() = default;
  Headers(const Headers& other);
  Headers& operator=(const Headers& other);
  Headers(Headers&& other) noexcept;
  Headers& operator=(Headers&& other) noexcept;
  void swap(Headers& other) noexcept;

  void add(std::string_view name, std::string_view value);
  // Adds a header before all the others.
  void prepend(std::string_view name, std::string_view value);
  // Replaces every header of that name with one.
  void set(std::string_view name, std::string_view value);
  // Removes every header of that name; returns how many were removed.
  size_t remove(std::string_view name);
  // Removes every header `pred` holds for, keeping the order of the rest; returns how many.
  template <typename Pred>
  size_t removeIf(Pred pred) {
    return std::erase_if(list_, pred);
  }
  // The first value of that name, or nullptr.
  const std::string_view* get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name) != nullptr; }
  size_t size() const { return list_.size(); }
  bool empty() const { return list_.empty(); }
  // Keeps the first `count` headers and forgets the rest (their bytes stay in the store).
  void truncate(size_t count) {
    if (count < list_.size()) list_.resize(count);
  }
  // Forgets every header; the store keeps its capacity for the next head. Bytes read into
  // the store (commitRead) stay until the next fresh readSpace(): the parser may still walk
  // them, for this head or for the next message in the same read.
  void clear() {
    list_.clear();
    store_.truncate(read_end_);
    has_borrowed_ = false;
  }

  // Reading a head straight into the store, so that the pieces the parser hands over are
  // kept as views into the bytes read, with no copy: room at the end of the store (at least
  // `bytes`; all of it forgotten first when `fresh`), then commitRead(n) once the socket
  // wrote n bytes there. The buffer read into stays alive until the next readSpace(), even
  // if an added header grows the store meanwhile.
  std::pair<char*, size_t> readSpace(size_t bytes, bool fresh) {
    if (fresh) {
      list_.clear();
      store_.clear();
      read_end_ = 0;
    }
    const char* old_base = store_.data();
    const size_t old_size = store_.size();
    char* room = store_.spare(bytes);
    if (store_.data() != old_base) rebase(old_base, old_size);
    return {room, store_.spareBytes()};
  }
  void commitRead(size_t n) {
    store_.commit(n);
    read_end_ = store_.size();
  }
  const std::vector<HeaderView>& list() const { return list_; }
  const HeaderView& operator[](size_t i) const { return list_[i]; }
  std::vector<HeaderView>::const_iterator begin() const { return list_.begin(); }
  std::vector<HeaderView>::const_iterator end() const { return list_.end(); }
  // Bytes held by the store and the list, used or not (memory accounting, tests).
  size_t capacityBytes() const { return store_.capacity() + list_.capacity() * sizeof(HeaderView); }
  // Room for `headers` headers of `bytes` bytes in all, without moving the store.
  void reserve(size_t headers, size_t bytes) {
    list_.reserve(headers);
    const char* old_base = store_.data();
    store_.reserve(bytes);
    rebase(old_base, store_.size());
  }
  // Gives back the memory of the store and the list.
  void release();

  // Assembling a head as its bytes arrive in pieces: a header is started, its name
  // extended, then its value; a header's pieces arrive before the next header starts.
  // Inline: the parser calls them for every piece of every header.
  void startHeader() {
    const std::string_view end(store_.data() + store_.size(), 0);
    list_.push_back(HeaderView{end, end});
  }
  void extendName(std::string_view piece) { extend(list_.back().name, piece); }
  void extendValue(std::string_view piece) { extend(list_.back().value, piece); }
  // Drops the last `n` bytes of the last header's value (trailing whitespace).
  void trimValue(size_t n) { list_.back().value.remove_suffix(n); }

  // Borrowing: pieces that are not in the store are kept as views into the caller's
  // bytes rather than copied, until own() copies them in. A response head is written to the
  // client while its bytes are still in the read buffer, so most responses are never copied
  // into the store; the parser calls own() before those bytes go away.
  void borrowPieces(bool on) { borrowing_ = on; }
  // Copies every borrowed name and value into the store.
  void own() {
    if (has_borrowed_) ownBorrowed();
  }

 private:
  // `bytes` as a view into the store: themselves when they are in it already, else a copy.
  std::string_view keep(std::string_view bytes) {
    return store_.holds(bytes) ? bytes : append(bytes);
  }
  // The same for a piece the parser hands over, which is borrowed when borrowPieces() is on:
  // only those bytes are known to stay put until own().
  std::string_view keepPiece(std::string_view piece) {
    if (!borrowing_ || store_.holds(piece)) return keep(piece);
    has_borrowed_ = true;
    return piece;
  }
  // Adds `piece` to the end of `part` (a name or value of list_). Inline for the common
  // cases: the first piece, and a piece read in place right after the last.
  void extend(std::string_view& part, std::string_view piece) {
    if (part.empty()) {
      part = keepPiece(piece);
    } else if (piece.data() == part.data() + part.size() &&
               store_.holds(piece) == store_.holds(part)) {
      // Adjacent in the same memory: both read into the store, or both borrowed from the
      // bytes of one feed (borrowed pieces are owned before the next feed).
      part = std::string_view(part.data(), part.size() + piece.size());
    } else {
      extendByCopy(part, piece);
    }
  }
  // A copy appended right after `part` is adjacent to it; else both are copied.
  void extendByCopy(std::string_view& part, std::string_view piece);
  // Appends a copy of `bytes` to the store, rebasing every view if the store moved.
  std::string_view append(std::string_view bytes) {
    const char* old_base = store_.data();
    const size_t at = store_.size();
    store_.append(bytes);  // safe when `bytes` is a view into the store
    if (store_.data() != old_base) rebase(old_base, at);
    return std::string_view(store_.data() + at, bytes.size());
  }
  // Points the views that were into [old_base, old_base + old_size] (the store before it
  // moved) at the store; borrowed views are left alone.
  void rebase(const char* old_base, size_t old_size);
  void ownBorrowed();

  ByteStore store_;
  std::vector<HeaderView> list_;
  size_t read_end_ = 0;  // the end of the bytes read in place since the last fresh readSpace()
  bool borrowing_ = false;
  bool has_borrowed_ = false;  // some view is borrowed (not into the store)
};

enum class BodyFraming {
  kNone,           // no body
  kContentLength,  // exactly content_length bytes
  kChunked,        // Transfer-Encoding: chunked
  kUntilClose,     // responses only: the body ends when the connection closes
};

struct RequestHead {
  std::string method;     // "GET", as sent
  std::string target;     // request-target, e.g. "/get?x=1"
  int version_minor = 1;  // HTTP/1.<minor>
  Headers headers;
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;   // meaningful when framing == kContentLength
  bool keep_alive = true;        // from the version and Connection header
  bool expect_continue = false;  // "Expect: 100-continue" was present
  // The protocol this request may switch to ("websocket"), set by the exchange when its
  // route allows the token; the codec then forwards the Upgrade. "" = strip it.
  std::string upgrade;

  // The path part of target, without the query.
  std::string_view path() const;
  // Member by member (every field: keep in step with the list above), far cheaper than
  // std::swap's three moves; a connection trades heads with the parser once per request.
  void swap(RequestHead& other) noexcept;
};

struct ResponseHead {
  int status = 200;
  std::string reason;  // reason phrase; the serializer fills a standard one when empty
  int version_minor = 1;
  Headers headers;
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;
  bool keep_alive = true;
};

// The standard reason phrase for a status code ("OK" for 200), or "Unknown".
std::string_view reasonPhrase(int status);

}  // namespace outrigger::http
