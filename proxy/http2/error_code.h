#pragma once
// HTTP/2 error codes (RFC 9113 §7), as carried by RST_STREAM and GOAWAY. Our own enum, so
// the code above the codecs never sees nghttp2's.

#include <cstdint>
#include <string_view>

namespace outrigger::http2 {

enum class ErrorCode : uint32_t {
  kNoError = 0x0,
  kProtocolError = 0x1,
  kInternalError = 0x2,
  kFlowControlError = 0x3,
  kSettingsTimeout = 0x4,
  kStreamClosed = 0x5,
  kFrameSizeError = 0x6,
  kRefusedStream = 0x7,
  kCancel = 0x8,
  kCompressionError = 0x9,
  kConnectError = 0xa,
  kEnhanceYourCalm = 0xb,
  kInadequateSecurity = 0xc,
  kHttp11Required = 0xd,
};

// "PROTOCOL_ERROR", or "UNKNOWN" for a code RFC 9113 does not define (peers may send any).
std::string_view errorCodeName(ErrorCode code);

// The stream id type of both sessions: positive, odd for streams the client opened.
using StreamId = int32_t;

}  // namespace outrigger::http2
