#pragma once
// Internal to proxy/http2: the nghttp2 callbacks of SessionCore (session_callbacks.cc). Each
// finds the SessionCore in user_data and turns what nghttp2 reports into the core's hooks,
// in outrigger terms; readBody feeds a stream's SendQueue to nghttp2.

#include <nghttp2/nghttp2.h>

#include "proxy/http2/session_core.h"

namespace outrigger::http2 {

struct SessionCore::Callbacks {
  static SessionCore& core(void* user_data);
  static int beginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* ud);
  static int header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                    size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void* ud);
  static int frameRecv(nghttp2_session*, const nghttp2_frame* frame, void* ud);
  static int dataChunk(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
                       void* ud);
  static int streamClose(nghttp2_session*, int32_t id, uint32_t error_code, void* ud);
  static int frameSent(nghttp2_session*, const nghttp2_frame* frame, void* ud);
  static int frameNotSent(nghttp2_session*, const nghttp2_frame* frame, int, void* ud);
  static int error(nghttp2_session*, int, const char* msg, size_t len, void* ud);
  static ssize_t readBody(nghttp2_session*, int32_t id, uint8_t* buf, size_t length,
                          uint32_t* flags, nghttp2_data_source*, void* ud);
  static nghttp2_session_callbacks* make();
};

}  // namespace outrigger::http2
