#include "proxy/http/grpc_health.h"

#include <cstdint>

namespace outrigger::http {
namespace {

constexpr size_t kPrefixBytes = 5;    // compressed flag, then the length, big-endian
constexpr uint8_t kStatusTag = 0x08;  // field 1, varint

void appendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}

// Reads a varint at `at`; nullopt when it runs past the end or past 64 bits.
std::optional<uint64_t> readVarint(std::string_view bytes, size_t& at) {
  uint64_t value = 0;
  for (int shift = 0; shift < 64 && at < bytes.size(); shift += 7) {
    const auto byte = static_cast<uint8_t>(bytes[at++]);
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  return std::nullopt;
}

// Skips one field of wire type `type` at `at`; false when it cannot be skipped.
bool skipField(std::string_view message, size_t& at, uint64_t type) {
  switch (type) {
    case 0:
      return readVarint(message, at).has_value();
    case 1:
      at += 8;
      return at <= message.size();
    case 2: {
      const auto length = readVarint(message, at);
      if (!length || *length > message.size() - at) return false;
      at += *length;
      return true;
    }
    case 5:
      at += 4;
      return at <= message.size();
  }
  return false;  // groups and reserved types: not in this message
}

}  // namespace

std::string_view servingStatusName(int status) {
  switch (static_cast<ServingStatus>(status)) {
    case ServingStatus::kUnknown:
      return "UNKNOWN";
    case ServingStatus::kServing:
      return "SERVING";
    case ServingStatus::kNotServing:
      return "NOT_SERVING";
    case ServingStatus::kServiceUnknown:
      return "SERVICE_UNKNOWN";
  }
  return "an unknown status";
}

std::string grpcHealthRequest(std::string_view service) {
  std::string message;
  if (!service.empty()) {  // proto3 leaves an empty string out
    message += '\x0a';     // field 1, length-delimited
    appendVarint(message, service.size());
    message += service;
  }
  std::string framed(kPrefixBytes, '\0');
  const auto length = static_cast<uint32_t>(message.size());
  for (int i = 0; i < 4; ++i) framed[1 + i] = static_cast<char>((length >> (24 - 8 * i)) & 0xff);
  return framed + message;
}

std::optional<int> grpcHealthStatus(std::string_view framed) {
  if (framed.size() < kPrefixBytes || framed[0] != 0) return std::nullopt;
  uint32_t length = 0;
  for (int i = 1; i <= 4; ++i) length = (length << 8) | static_cast<uint8_t>(framed[i]);
  if (framed.size() - kPrefixBytes < length) return std::nullopt;
  const std::string_view message = framed.substr(kPrefixBytes, length);
  int status = static_cast<int>(ServingStatus::kUnknown);
  for (size_t at = 0; at < message.size();) {
    const auto key = readVarint(message, at);
    if (!key) return std::nullopt;
    if (*key == kStatusTag) {
      const auto value = readVarint(message, at);
      if (!value) return std::nullopt;
      status = static_cast<int>(*value & 0x7fffffff);  // the last one wins, as in protobuf
    } else if (!skipField(message, at, *key & 7)) {
      return std::nullopt;
    }
  }
  return status;
}

}  // namespace outrigger::http
