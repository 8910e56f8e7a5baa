#include "proxy/io/tcp_stream.h"

#include <uv.h>

#include <set>

#include "proxy/io/tcp_stream_impl.h"

namespace outrigger::io {

// Streams of this thread's loop in a graceful close, for abandonLingering().
thread_local std::set<TcpStream::Impl*> tLingering;

TcpStream::TcpStream(Loop& loop) : impl_(new Impl(loop)) {
  uv_tcp_init(loop.raw(), &impl_->tcp);
  impl_->tcp.data = impl_;
  impl_->connect_req.data = impl_;
  impl_->write_req.data = impl_;
  impl_->shutdown_req.data = impl_;
}

TcpStream::~TcpStream() {
  if (impl_) impl_->close();
}

void TcpStream::setHandler(StreamHandler* handler) { impl_->handler = handler; }

void TcpStream::connect(const SocketAddress& address) {
  int rc = uv_tcp_connect(&impl_->connect_req, &impl_->tcp, address.get(), Impl::onConnected);
  if (rc != 0) {
    // Report on a later turn, like a real connect failure.
    impl_->deferError(rc, [](Impl* self, int error) {
      if (self->handler) self->handler->onStreamConnected(error);
    });
  }
}

void TcpStream::connectTls(const SocketAddress& address, TlsConnect tls) {
  impl_->tls = std::make_unique<TlsSession>(std::move(tls.context), tls.server_name,
                                            std::move(tls.session_key), tls.alpn);
  connect(address);
}

bool TcpStream::isTls() const { return impl_->tls != nullptr; }

const std::string& TcpStream::tlsFailure() const {
  return impl_->tls ? impl_->tls->failure() : impl_->no_failure;
}

bool TcpStream::tlsVerifyFailed() const { return impl_->tls && impl_->tls->verifyFailed(); }

bool TcpStream::tlsResumed() const { return impl_->tls && impl_->tls->resumed(); }

std::string_view TcpStream::tlsAlpn() const {
  return impl_->tls ? impl_->tls->alpn() : std::string_view();
}

void TcpStream::startReading() {
  if (impl_->closing || impl_->reading || impl_->ended) return;
  if (impl_->handshaking) {
    impl_->reading = true;  // the handshake already reads
    return;
  }
  if (uv_read_start(impl_->stream(), Impl::allocBuffer, Impl::onRead) == 0) impl_->reading = true;
}

void TcpStream::stopReading() {
  if (!impl_->reading) return;
  impl_->reading = false;
  if (!impl_->handshaking) uv_read_stop(impl_->stream());
}

bool TcpStream::reading() const { return impl_->reading; }

void TcpStream::write(std::string data) {
  if (impl_->closing || impl_->half_close_wanted || data.empty()) return;
  if (impl_->tls) {
    impl_->writeTls(data);
    keepSpareWriteBuffer(data);
    return;
  }
  impl_->pending_bytes += data.size();
  impl_->pending.push_back(std::move(data));
  impl_->requestFlush();
}

void TcpStream::write(std::string_view data) {
  if (impl_->closing || impl_->half_close_wanted || data.empty()) return;
  if (impl_->tls) {
    impl_->writeTls(data);
    return;
  }
  // Grown rather than split: the spare buffers grow to what a head and its body need, and
  // both leave in one write().
  std::vector<std::string>& pending = impl_->pending;
  if (pending.empty() || pending.back().size() + data.size() > kCoalesceLimit) {
    pending.push_back(data.size() > kCoalesceLimit ? std::string() : takeSpareWriteBuffer());
  }
  pending.back().append(data);
  impl_->pending_bytes += data.size();
  impl_->requestFlush();
}

std::string TcpStream::takeWriteBuffer() { return takeSpareWriteBuffer(); }

void TcpStream::cork() { impl_->corked++; }

void TcpStream::uncork() {
  if (impl_->corked > 0 && --impl_->corked == 0) impl_->requestFlush();
}

size_t TcpStream::queuedBytes() const { return impl_->pending_bytes + impl_->inflight_bytes; }

void TcpStream::shutdownWrite() {
  Impl& impl = *impl_;
  if (impl.closing || impl.half_close_wanted) return;
  // TLS closes its direction with close_notify before the FIN (an L4 tunnel's half-close).
  if (impl.tls && !impl.handshaking) impl.tls->shutdown();
  impl.half_close_wanted = true;
  if (impl.flush_task.pending()) {
    impl.flush_task.cancel();
    impl.flush();
  } else if (impl.tls) {
    impl.flush();  // the close_notify just queued
  }
  if (!impl.write_in_flight && !impl.hasQueued()) impl.startHalfClose();
}

SocketAddress TcpStream::peerAddress() const {
  SocketAddress a;
  int len = sizeof(a.storage);
  uv_tcp_getpeername(&impl_->tcp, reinterpret_cast<sockaddr*>(&a.storage), &len);
  return a;
}

void TcpStream::setResetOnClose() { impl_->reset_on_close = true; }

void TcpStream::closeGracefully(std::unique_ptr<TcpStream> stream) {
  Impl* impl = stream->impl_;
  stream->impl_ = nullptr;  // the wrapper no longer closes it
  impl->handler = nullptr;
  impl->graceful = true;
  impl->corked = 0;
  impl->reading = false;
  uv_read_stop(impl->stream());
  if (impl->closing) return;
  tLingering.insert(impl);
  if (impl->tls && !impl->handshaking && !impl->ended) impl->tls->shutdown();  // close_notify
  if (impl->write_in_flight || impl->hasQueued()) {
    impl->flush();
    return;
  }
  impl->startShutdown();
}

int TcpStream::adopt(int fd) {
  int rc = uv_tcp_open(&impl_->tcp, fd);
  if (rc == 0) uv_tcp_nodelay(&impl_->tcp, 1);
  return rc;
}

std::string errorName(int error) { return error == kTlsError ? "TLS_ERROR" : uv_err_name(error); }
std::string errorMessage(int error) {
  return error == kTlsError ? "TLS failure" : uv_strerror(error);
}

void TcpStream::abandonLingering() {
  const std::vector<Impl*> lingering(tLingering.begin(), tLingering.end());
  for (Impl* impl : lingering) impl->close();  // close() takes each out of tLingering
}

}  // namespace outrigger::io
