#pragma once

// One accepted TCP connection: parses requests with llhttp, answers them in order, and owns
// its libuv handles. Freed only after both handles' close callbacks have run.

#include <llhttp.h>
#include <uv.h>

#include <cstdint>
#include <string>
#include <vector>

#include "buffers.h"
#include "handlers.h"
#include "http_text.h"
#include "request.h"
#include "routes.h"

namespace mock_upstream {

class Server;

class Connection {
 public:
  Connection(Server& server, uint64_t id);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Accepts the pending connection on `listener` and starts reading. On failure it closes
  // itself; either way the connection now owns its lifetime.
  void start(uv_stream_t* listener);
  // Closes now, dropping unsent output (server shutdown, write errors).
  void abort();

  uint64_t id() const { return id_; }

  // Intrusive list of the server's connections.
  Connection* prev = nullptr;
  Connection* next = nullptr;

 private:
  enum class Phase {
    kOpen,       // reading and answering requests
    kLingering,  // output flushed and FIN sent; discarding input until EOF or a timeout
    kClosing,    // uv_close called on both handles
  };
  // A response that is still being produced after its request completed.
  enum class Streaming { kNone, kDelay, kBytes, kStream, kDrip };
  enum class CloseMode { kGraceful, kReset };

  ~Connection();

  // libuv callbacks.
  static void onAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void onRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void onWrite(uv_write_t* req, int status);
  static void onShutdown(uv_shutdown_t* req, int status);
  static void onTimer(uv_timer_t* timer);
  static void onClosed(uv_handle_t* handle);

  // llhttp callbacks.
  static const llhttp_settings_t kParserSettings;
  static llhttp_settings_t makeParserSettings();
  static int onMessageBegin(llhttp_t* parser);
  static int onUrl(llhttp_t* parser, const char* at, size_t size);
  static int onHeaderField(llhttp_t* parser, const char* at, size_t size);
  static int onHeaderFieldComplete(llhttp_t* parser);
  static int onHeaderValue(llhttp_t* parser, const char* at, size_t size);
  static int onHeaderValueComplete(llhttp_t* parser);
  static int onHeadersComplete(llhttp_t* parser);
  static int onBody(llhttp_t* parser, const char* at, size_t size);
  static int onMessageComplete(llhttp_t* parser);

  // Input, in connection.cc.
  void handleRead(ssize_t nread, const uv_buf_t* buf);
  void handleEnd(int status);
  void parse(ReadChunk* chunk, const char* data, size_t size);
  void handleParseError(llhttp_errno_t error);
  void resumeParsing();
  void updateReading();
  bool checkHeadLimit();

  // Output and closing, in connection.cc.
  void flush();
  void handleWritten(int status);
  void closeAfterFlush(CloseMode mode);
  void finishCloseIfFlushed();
  void startLinger();
  void closeHandles(CloseMode mode);

  // Responses, in connection_responses.cc.
  void beginRequest();
  void requestBody(const char* data, size_t size);
  bool completeRequest();  // true while the response goes on asynchronously
  void queueReply(Reply reply);
  void queueHead(std::string head);
  void startEcho();
  void finishEcho();
  bool startBytes();
  bool startStream();
  bool startDrip();
  void queueStreamPiece();
  void pump();
  void timerFired();
  void finishStreaming();
  Persistence persistence() const;
  bool bodyAllowed() const { return !request_.isHead(); }
  bool canChunk() const { return request_.isHttp11(); }

  Server& server_;
  const uint64_t id_;
  uv_tcp_t tcp_;
  uv_timer_t timer_;
  uv_write_t writeReq_;
  uv_shutdown_t shutdownReq_;
  int openHandles_ = 0;
  bool counted_ = false;  // counted in MockState's open connections

  llhttp_t parser_;
  Request request_;
  Route route_;
  ReadChunk* readChunk_ = nullptr;   // the stream's reusable read buffer
  ReadChunk* parseChunk_ = nullptr;  // chunk being parsed, or null for pendingInput_
  std::string pendingInput_;         // bytes received while the parser is paused

  OutputQueue output_;
  std::vector<uv_buf_t> bufs_;

  Phase phase_ = Phase::kOpen;
  bool reading_ = false;
  bool paused_ = false;   // a streaming response holds the parser at a request boundary
  bool inParse_ = false;  // inside llhttp_execute: flush once it returns
  bool stopped_ = false;  // no more requests will be parsed on this connection
  bool closeWhenFlushed_ = false;
  CloseMode closeMode_ = CloseMode::kGraceful;
  bool requestOpen_ = false;      // between message begin and message complete
  bool responseStarted_ = false;  // bytes of the current request's response are queued
  bool peerEnded_ = false;        // EOF seen: close straight after the flush, no lingering
  int errorStatus_ = 400;

  Streaming streaming_ = Streaming::kNone;
  uint64_t streamTotal_ = 0;
  uint64_t streamSent_ = 0;
  uint64_t bodyBytes_ = 0;
  uint64_t bodyHash_ = kFnvOffset;
};

}  // namespace mock_upstream
