#pragma once
// TcpStream's state and the libuv callbacks that drive it: reading (plain and TLS), the
// write queue and its flush, connect, shutdown, linger and close. Only tcp_stream.cc
// includes it; the public half of TcpStream is there.

#include <sys/socket.h>
#include <uv.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "proxy/io/loop.h"
#include "proxy/io/spare_write_buffers.h"
#include "proxy/io/tcp_stream.h"
#include "proxy/io/tls_session.h"

namespace outrigger::io {

inline constexpr size_t kReadBufferSize = 64 * 1024;
inline constexpr uint64_t kLingerMillis = 2000;
// Writes up to this size wait for the end of the loop turn (see TurnEndTask); a larger
// backlog, a streamed body, goes out at once so back-pressure sees the socket's own state.
inline constexpr size_t kTurnEndFlushLimit = 16 * 1024;
// write(string_view) copies into the last queued buffer while it stays within this size
// (the largest a kept spare buffer may be), else into another spare buffer.
inline constexpr size_t kCoalesceLimit = kMaxSpareWriteBufferCapacity;

// One read buffer per thread: libuv delivers each read before allocating the next, and
// handlers consume (or copy) the bytes inside the callback.
inline thread_local char tReadBuffer[kReadBufferSize];
// Plaintext decrypted from one read of a TLS stream, handed to the handler in one call.
inline thread_local std::string tPlainBuffer;

// Streams of this thread's loop in a graceful close (still writing, or lingering), for
// abandonLingering(). Defined in tcp_stream.cc.
extern thread_local std::set<TcpStream::Impl*> tLingering;

struct TcpStream::Impl {
  explicit Impl(Loop& loop)
      : flush_task(loop, this, [](void* self) { static_cast<Impl*>(self)->flush(); }) {}

  uv_tcp_t tcp;
  uv_connect_t connect_req;
  uv_write_t write_req;
  uv_shutdown_t shutdown_req;
  uv_timer_t linger_timer;
  StreamHandler* handler = nullptr;  // null once the owner let go
  std::vector<std::string> pending;
  std::vector<std::string> inflight;
  std::vector<uv_buf_t> bufs;
  size_t pending_bytes = 0;
  size_t inflight_bytes = 0;
  int open_handles = 1;
  bool write_in_flight = false;
  int corked = 0;  // nesting depth of cork()
  bool closing = false;
  bool graceful = false;  // closeGracefully() was called
  bool reset_on_close = false;
  bool linger_timer_open = false;
  bool reading = false;
  bool ended = false;               // EOF or error seen: reading cannot restart
  bool half_close_wanted = false;   // shutdownWrite(): send a FIN once the queue is written
  bool half_closed = false;         // that FIN's shutdown request was made
  std::unique_ptr<TlsSession> tls;  // set for a TLS connection
  bool handshaking = false;         // TLS: connected, handshake not finished
  std::string no_failure;
  TurnEndTask flush_task;  // a flush held back until the loop turn ends

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp); }
  uv_handle_t* handle() { return reinterpret_cast<uv_handle_t*>(&tcp); }

  static void onClosed(uv_handle_t* h) {
    auto* self = static_cast<Impl*>(h->data);
    if (--self->open_handles == 0) delete self;
  }

  void close() {
    if (closing) return;
    // What was written before the close leaves first, as it would have without the wait
    // for the turn's end.
    if (flush_task.pending()) {
      flush_task.cancel();
      flush();
    }
    closing = true;
    handler = nullptr;
    tLingering.erase(this);
    if (linger_timer_open) uv_close(reinterpret_cast<uv_handle_t*>(&linger_timer), onClosed);
    if (reset_on_close && uv_is_active(handle())) {
      if (uv_tcp_close_reset(&tcp, onClosed) == 0) return;
    }
    uv_close(handle(), onClosed);
  }

  bool hasQueued() const { return tls ? tls->hasOutput() : !pending.empty(); }

  void recycleInflight() {
    for (auto& s : inflight) keepSpareWriteBuffer(s);
    inflight.clear();
  }

  // Encrypted at once into the session's own buffer, then flushed like any write.
  void writeTls(std::string_view data) {
    pending_bytes += data.size();
    if (!tls->write(data)) {
      deferError(kTlsError, [](Impl* self, int error) { self->fail(error); });
      return;
    }
    requestFlush();
  }

  // Flushes at the end of this loop turn, or now: for TLS, for a large backlog, and
  // outside the loop's run().
  void requestFlush() {
    if (write_in_flight || corked || closing) return;
    if (tls || pending_bytes > kTurnEndFlushLimit || !flush_task.schedule()) flush();
  }

  void flush() {
    if (write_in_flight || corked || closing || !hasQueued()) return;
    if (tls) {
      // Everything written since the last flush was encrypted into one buffer.
      inflight.clear();
      inflight.push_back(tls->takeOutput());
    } else {
      inflight.swap(pending);
    }
    inflight_bytes = pending_bytes;
    pending_bytes = 0;
    bufs.clear();
    size_t total = 0;
    for (auto& s : inflight) {
      bufs.push_back(uv_buf_init(s.data(), static_cast<unsigned>(s.size())));
      total += s.size();
    }
    // Most writes fit in the socket buffer. Writing them at once saves libuv's write
    // request, a loop turn for its callback and an epoll_ctl per write (uv_write re-arms
    // the watcher when its queue drains).
    const int written = uv_try_write(stream(), bufs.data(), static_cast<unsigned>(bufs.size()));
    if (written >= 0 && static_cast<size_t>(written) == total) {
      recycleInflight();
      inflight_bytes = 0;
      if (graceful) startShutdown();
      else if (half_close_wanted) startHalfClose();
      return;
    }
    if (written < 0 && written != UV_EAGAIN) {
      inflight.clear();
      inflight_bytes = 0;
      // Never call the handler from inside the write() its owner is making.
      deferError(written, [](Impl* self, int error) { self->fail(error); });
      return;
    }
    if (written > 0) skipWritten(static_cast<size_t>(written));
    write_in_flight = true;
    int rc =
        uv_write(&write_req, stream(), bufs.data(), static_cast<unsigned>(bufs.size()), onWritten);
    if (rc != 0) {
      write_in_flight = false;
      inflight.clear();
      inflight_bytes = 0;
      deferError(rc, [](Impl* self, int error) { self->fail(error); });
    }
  }

  // Drops the first `n` bytes, already sent, from bufs (inflight still owns the memory).
  void skipWritten(size_t n) {
    inflight_bytes = inflight_bytes > n ? inflight_bytes - n : 0;
    size_t first = 0;
    while (n > 0 && n >= bufs[first].len) n -= bufs[first++].len;
    bufs.erase(bufs.begin(), bufs.begin() + static_cast<std::ptrdiff_t>(first));
    bufs.front().base += n;
    bufs.front().len -= n;
  }

  // Runs report(self, error) on a later loop turn, unless the stream is closed by then.
  void deferError(int error, void (*report)(Impl*, int)) {
    struct Pending {
      uv_timer_t timer;
      Impl* impl;
      int error;
      void (*report)(Impl*, int);
    };
    auto* p = new Pending{{}, this, error, report};
    open_handles++;  // keeps this Impl alive until the report ran
    uv_timer_init(tcp.loop, &p->timer);
    p->timer.data = p;
    uv_timer_start(
        &p->timer,
        [](uv_timer_t* t) {
          auto* report_job = static_cast<Pending*>(t->data);
          Impl* self = report_job->impl;
          if (!self->closing) report_job->report(self, report_job->error);
          uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) {
            auto* done = static_cast<Pending*>(h->data);
            Impl* owner = done->impl;
            delete done;
            if (--owner->open_handles == 0) delete owner;
          });
        },
        0, 0);
  }

  void fail(int error) {
    if (graceful) {
      close();
      return;
    }
    endReading(error);
  }

  static void onWritten(uv_write_t* req, int status) {
    auto* self = static_cast<Impl*>(req->data);
    self->write_in_flight = false;
    self->recycleInflight();
    self->inflight_bytes = 0;
    if (self->closing) return;
    if (status < 0) {
      self->fail(status);
      return;
    }
    if (self->hasQueued()) {
      self->flush();
      // Written at once (flush began the shutdown of a graceful close itself), or not.
      if (self->write_in_flight || self->closing || self->graceful) return;
    }
    if (self->graceful) {
      self->startShutdown();
      return;
    }
    if (self->half_close_wanted) self->startHalfClose();
    if (self->handler) self->handler->onStreamDrained();
  }

  // A FIN after everything queued, with reading left as it is (shutdownWrite()).
  void startHalfClose() {
    if (half_closed || closing || graceful) return;
    half_closed = true;
    // Nothing is queued or in flight when this is called, so the FIN goes at once:
    // uv_shutdown would wait a loop turn for writability, re-arming the watcher twice (two
    // epoll_ctl per half-close, which an L4 tunnel makes for every connection).
    uv_os_fd_t fd = -1;
    if (uv_fileno(reinterpret_cast<const uv_handle_t*>(stream()), &fd) == 0) {
      if (::shutdown(fd, SHUT_WR) == 0) return;
      deferError(-errno, [](Impl* self, int error) { self->fail(error); });
      return;
    }
    const int rc = uv_shutdown(&shutdown_req, stream(), [](uv_shutdown_t* req, int status) {
      auto* self = static_cast<Impl*>(req->data);
      if (self->closing || self->graceful || status == 0) return;
      self->fail(status);
    });
    if (rc != 0) deferError(rc, [](Impl* self, int error) { self->fail(error); });
  }

  void startShutdown() {
    // A FIN already sent (shutdownWrite) leaves nothing to wait for, and nor does a peer
    // whose end was read: no unread byte can turn the close into a reset, so close() sends
    // the FIN without the shutdown's system call, epoll_ctl and loop turn (an L4 tunnel
    // pays them for every connection).
    if (half_closed || ended) {
      close();
      return;
    }
    if (uv_shutdown(&shutdown_req, stream(), onShutdown) != 0) close();
  }

  static void onShutdown(uv_shutdown_t* req, int status) {
    auto* self = static_cast<Impl*>(req->data);
    if (self->closing) return;
    if (status < 0 || self->ended) {
      self->close();
      return;
    }
    // Read and discard what the peer still sends, so closing with unread bytes does not
    // turn into a reset that destroys the reply we just sent.
    uv_timer_init(self->tcp.loop, &self->linger_timer);
    self->linger_timer.data = self;
    self->linger_timer_open = true;
    self->open_handles++;
    uv_timer_start(
        &self->linger_timer, [](uv_timer_t* t) { static_cast<Impl*>(t->data)->close(); },
        kLingerMillis, 0);
    uv_read_start(self->stream(), allocBuffer, onRead);
  }

  static void allocBuffer(uv_handle_t* h, size_t, uv_buf_t* buf) {
    auto* self = static_cast<Impl*>(h->data);
    if (!self->tls && !self->graceful && !self->closing && self->handler) {
      const auto [room, size] = self->handler->readSpace();
      if (room != nullptr && size > 0) {
        *buf = uv_buf_init(room, static_cast<unsigned>(size));
        return;
      }
    }
    *buf = uv_buf_init(tReadBuffer, kReadBufferSize);
  }

  static void onRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
    auto* self = static_cast<Impl*>(s->data);
    if (self->closing) return;
    EventTimeScope event_time;  // one clock reading for everything this read sets off
    if (self->graceful) {
      if (nread < 0) self->close();
      return;
    }
    if (self->tls) {
      self->onTlsRead(buf->base, nread);
      return;
    }
    if (nread > 0) {
      if (self->handler) self->handler->onStreamData(buf->base, static_cast<size_t>(nread));
    } else if (nread == 0) {
      // Nothing to read after all: a handler that lent its memory hears so.
      if (self->handler && buf->base != tReadBuffer) self->handler->onStreamData(buf->base, 0);
    } else if (nread < 0) {
      self->endReading(nread == UV_EOF ? 0 : static_cast<int>(nread));
    }
  }

  static void onConnected(uv_connect_t* req, int status) {
    auto* self = static_cast<Impl*>(req->data);
    if (self->closing || !self->handler) return;
    if (status == 0) uv_tcp_nodelay(&self->tcp, 1);
    if (status == 0 && self->tls) {
      // The handshake reads on its own; the owner's reading starts after it.
      self->handshaking = true;
      uv_read_start(self->stream(), allocBuffer, onRead);
      self->advanceHandshake();
      return;
    }
    self->handler->onStreamConnected(status);
  }

  // ---- TLS ----

  void advanceHandshake() {
    const TlsSession::Progress progress = tls->handshake();
    flush();  // our next flight, if the handshake produced one
    if (progress == TlsSession::Progress::kPending) return;
    handshaking = false;
    if (!reading) uv_read_stop(stream());
    if (progress == TlsSession::Progress::kFailed) ended = true;
    if (handler)
      handler->onStreamConnected(progress == TlsSession::Progress::kDone ? 0 : kTlsError);
  }

  void onTlsRead(const char* data, ssize_t nread) {
    if (nread < 0) {
      if (handshaking) {
        handshaking = false;
        uv_read_stop(stream());
        ended = true;
        if (handler)
          handler->onStreamConnected(nread == UV_EOF ? kTlsError : static_cast<int>(nread));
        return;
      }
      endReading(nread == UV_EOF ? 0 : static_cast<int>(nread));
      return;
    }
    tls->receive(data, static_cast<size_t>(nread));
    if (handshaking) {
      advanceHandshake();
      return;
    }
    decryptAndDeliver();
  }

  void decryptAndDeliver() {
    std::string& plain = tPlainBuffer;
    plain.clear();
    const TlsSession::ReadState state = tls->read(plain);
    flush();  // a key update may need an answer
    if (!plain.empty() && handler) {
      handler->onStreamData(plain.data(), plain.size());
      if (closing) return;
    }
    if (state == TlsSession::ReadState::kClosed) {
      endReading(0);  // close_notify: an orderly end, like a FIN
    } else if (state == TlsSession::ReadState::kFailed) {
      endReading(kTlsError);
    }
  }

  void endReading(int error) {
    uv_read_stop(stream());
    reading = false;
    ended = true;
    if (handler) handler->onStreamEnd(error);
  }
};

}  // namespace outrigger::io
