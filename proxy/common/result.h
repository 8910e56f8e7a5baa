#pragma once
// Error values for the request path, where exceptions are not used (CONVENTIONS §3).

#include <string>
#include <utility>
#include <variant>

namespace outrigger {

// Who caused an error decides the status of the local reply (Pingora's rule):
// the downstream client -> 4xx, the upstream -> 502/504, ourselves -> 500.
enum class ErrorSource { kDownstream, kUpstream, kInternal, kConfig };

struct Error {
  std::string kind;  // a stable machine-readable name, e.g. "connect_failed"
  ErrorSource source = ErrorSource::kInternal;
  bool retryable = false;
  std::string message;  // for people: logs and config errors
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace outrigger
