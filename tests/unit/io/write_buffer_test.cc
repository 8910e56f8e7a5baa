// TcpStream::takeWriteBuffer: a string written out in full comes back, emptied, for the
// next write on any stream of the thread; a bounded number, of head-like sizes, are kept.
// And when writes leave: small ones at the end of the loop turn, together; large ones at once.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "proxy/io/loop.h"
#include "proxy/io/tcp_listener.h"
#include "proxy/io/tcp_stream.h"

namespace outrigger::io {
namespace {

class WriteBufferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    listener_ = std::make_unique<TcpListener>(*loop_, [this](std::unique_ptr<TcpStream> s) {
      stream_ = std::move(s);
      loop_->stop();
    });
    ASSERT_EQ(listener_->listen("127.0.0.1", 0, false), "");
    client_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(listener_->port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(client_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    loop_->run();  // until accepted
    ASSERT_NE(stream_, nullptr);
    // The spare buffers are the thread's: start from none, whatever ran before.
    while (stream_->takeWriteBuffer().capacity() != std::string().capacity()) {
    }
  }
  void TearDown() override {
    stream_.reset();
    listener_.reset();
    ::close(client_);
    loop_.reset();  // aborts if a handle was leaked
  }
  // Reads exactly n bytes the stream sent.
  std::string received(size_t n) {
    std::string bytes(n, '\0');
    size_t got = 0;
    while (got < n) {
      const ssize_t r = ::recv(client_, bytes.data() + got, n - got, 0);
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    bytes.resize(got);
    return bytes;
  }

  std::unique_ptr<Loop> loop_ = std::make_unique<Loop>();
  std::unique_ptr<TcpListener> listener_;
  std::unique_ptr<TcpStream> stream_;
  int client_ = -1;
};

TEST_F(WriteBufferTest, AStringWrittenInFullComesBackEmptyWithItsRoom) {
  EXPECT_EQ(stream_->takeWriteBuffer().capacity(), std::string().capacity());  // none yet
  std::string head = stream_->takeWriteBuffer();
  head.reserve(300);
  head.append("HTTP/1.1 200 OK\r\n\r\n");
  const size_t room = head.capacity();
  stream_->write(std::move(head));
  EXPECT_EQ(received(19), "HTTP/1.1 200 OK\r\n\r\n");

  std::string again = stream_->takeWriteBuffer();
  EXPECT_TRUE(again.empty());
  EXPECT_EQ(again.capacity(), room);
  EXPECT_EQ(stream_->takeWriteBuffer().capacity(), std::string().capacity());  // taken
  again.append("next");
  stream_->write(std::move(again));
  EXPECT_EQ(received(4), "next");
}

TEST_F(WriteBufferTest, NoneTooSmallOrTooLargeIsKept) {
  {
    CorkGuard cork(*stream_);  // one writev for all four
    for (size_t size : {size_t{10}, size_t{64 * 1024}, size_t{200}, size_t{300}}) {
      std::string s;
      s.reserve(size);
      s.append("x");
      stream_->write(std::move(s));
    }
  }
  EXPECT_EQ(received(4), "xxxx");
  // The 10-byte one fits inline and the 64 KiB one is a body's size: only 200 and 300 are
  // kept, in some order.
  const size_t a = stream_->takeWriteBuffer().capacity();
  const size_t b = stream_->takeWriteBuffer().capacity();
  EXPECT_EQ(a + b, 200u + 300u) << a << " " << b;
  EXPECT_EQ(stream_->takeWriteBuffer().capacity(), std::string().capacity());
}

TEST_F(WriteBufferTest, AtMostSixtyFourAreKept) {
  {
    CorkGuard cork(*stream_);
    for (int i = 0; i < 70; ++i) {
      std::string s;
      s.reserve(200);
      s.append("x");
      stream_->write(std::move(s));
    }
  }
  EXPECT_EQ(received(70), std::string(70, 'x'));
  int kept = 0;
  while (stream_->takeWriteBuffer().capacity() != std::string().capacity()) ++kept;
  EXPECT_EQ(kept, 64);
}

TEST_F(WriteBufferTest, SmallWritesOfOneTurnLeaveTogetherWhenItEnds) {
  size_t queued_in_turn = 0;
  loop_->defer([&] {
    stream_->write(std::string("HTTP/1.1 200 OK\r\n"));
    stream_->write(std::string("\r\nbody"));
    queued_in_turn = stream_->queuedBytes();  // held until every event of the turn ran
    loop_->stop();
  });
  loop_->run();
  EXPECT_EQ(queued_in_turn, 23u);
  EXPECT_EQ(stream_->queuedBytes(), 0u);
  EXPECT_EQ(received(23), "HTTP/1.1 200 OK\r\n\r\nbody");
}

TEST_F(WriteBufferTest, CopiedWritesKeepTheirOrderWhereverTheyAreCopied) {
  // A view is copied behind the queued head while it has room, else into a recycled buffer,
  // else (over 16 KiB) into a string of its own: the bytes leave in write order either way.
  std::string head = stream_->takeWriteBuffer();
  head.reserve(64);
  head = "HTTP/1.1 200 OK\r\n\r\n";
  const std::string fits = "fits";
  const std::string spare(3000, 's');
  const std::string large(20 * 1024, 'L');
  const std::string tail = "end";
  std::string expected = head + fits + spare + large + tail + fits;
  loop_->defer([&] {
    stream_->write(std::move(head));
    stream_->write(std::string_view(fits));
    stream_->write(std::string_view(spare));
    stream_->write(std::string_view(large));
    stream_->write(std::string(tail));
    stream_->write(std::string_view(fits));
    loop_->stop();
  });
  loop_->run();
  EXPECT_EQ(received(expected.size()), expected);
}

TEST_F(WriteBufferTest, AWriteClosedInItsOwnTurnStillLeaves) {
  loop_->defer([&] {
    stream_->write(std::string("last words"));
    stream_.reset();  // closes it before the turn ends
    loop_->stop();
  });
  loop_->run();
  EXPECT_EQ(received(10), "last words");
}

TEST_F(WriteBufferTest, ALargeWriteLeavesAtOnce) {
  const std::string body(32 * 1024, 'x');
  size_t queued_in_turn = 0;
  loop_->defer([&] {
    stream_->write(std::string(body));
    // Sent within write(), as far as the socket takes it, so back-pressure sees the
    // socket's own backlog.
    queued_in_turn = stream_->queuedBytes();
    loop_->stop();
  });
  loop_->run();
  EXPECT_LT(queued_in_turn, body.size());
  EXPECT_EQ(received(body.size()), body);
}

}  // namespace
}  // namespace outrigger::io
