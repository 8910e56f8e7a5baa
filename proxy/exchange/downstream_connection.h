#pragma once
// One connection from the app, whatever protocol it speaks, as its worker sees it: started
// once, asked to wind down on drain or when its listener goes away.

namespace outrigger::exchange {

class DownstreamConnection {
 public:
  virtual ~DownstreamConnection() = default;
  virtual void start() = 0;
  // Stop taking new requests; close once those under way are answered.
  virtual void closeWhenIdle() = 0;
};

}  // namespace outrigger::exchange
