#include "proxy/app/protocol_sniffer.h"

#include <prometheus/gauge.h>

#include "proxy/http2/preface.h"

namespace outrigger::app {

ProtocolSniffer::ProtocolSniffer(io::Loop& loop, std::unique_ptr<io::TcpStream> stream,
                                 Duration timeout, prometheus::Gauge* connections,
                                 DecidedFn decided)
    : stream_(std::move(stream)),
      timeout_(timeout),
      connections_(connections),
      decided_(std::move(decided)),
      timer_(loop, [this] { give(AppProtocol::kHttp1, /*keep=*/false); }) {}

ProtocolSniffer::~ProtocolSniffer() {
  if (counted_) connections_->Decrement();  // the worker closed it before it said
}

void ProtocolSniffer::start() {
  if (connections_ != nullptr) {
    connections_->Increment();
    counted_ = true;
  }
  stream_->setHandler(this);
  timer_.start(timeout_);
  stream_->startReading();
}

void ProtocolSniffer::onStreamData(const char* data, size_t len) {
  if (!decided_) return;
  first_.append(data, len);
  switch (http2::matchClientPreface(first_)) {
    case http2::PrefaceMatch::kNeedMore:
      return;  // a preface split over reads: rare, but the decision waits for all 24 bytes
    case http2::PrefaceMatch::kHttp2:
      give(AppProtocol::kHttp2, /*keep=*/true);
      return;
    case http2::PrefaceMatch::kNotHttp2:
      give(AppProtocol::kHttp1, /*keep=*/true);
      return;
  }
}

void ProtocolSniffer::give(AppProtocol protocol, bool keep) {
  if (!decided_) return;
  timer_.stop();
  auto decided = std::move(decided_);
  decided_ = nullptr;
  std::unique_ptr<io::TcpStream> stream = std::move(stream_);
  if (stream) stream->setHandler(nullptr);
  if (!keep) stream.reset();  // a silent or closed connection: nothing to serve
  decided(*this, protocol, std::move(stream), std::move(first_));
  // After the session that took over counted itself: the count never dips meanwhile.
  if (counted_) connections_->Decrement();
  counted_ = false;
}

}  // namespace outrigger::app
