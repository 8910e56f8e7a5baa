#include "proxy/log/access_log.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace outrigger::log {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

AccessLogEntry sampleEntry() {
  AccessLogEntry e;
  e.time_micros = 1795385400123456;  // 2026-11-22T22:10:00.123456Z
  e.request_id = "req-1";
  e.listener = "outbound";
  e.method = "GET";
  e.path = "/users/7";
  e.upstream = "users";
  e.endpoint = "10.0.0.7:8080";
  e.status = 200;
  e.attempts = 2;
  e.duration_ms = 12.345;
  e.bytes_in = 0;
  e.bytes_out = 512;
  e.protocol = "HTTP/1.1";
  return e;
}

std::string format(const AccessLogEntry& e) {
  std::string out;
  formatAccessLogLine(e, out);
  return out;
}

std::string json(std::string_view value) {
  std::string out;
  appendJsonString(value, out);
  return out;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A fresh path in the test temp dir, removed at the end of the test.
class TempPath {
 public:
  explicit TempPath(const std::string& name)
      : path_(::testing::TempDir() + "outrigger_" + std::to_string(::getpid()) + "_" + name) {
    ::unlink(path_.c_str());
  }
  ~TempPath() { ::unlink(path_.c_str()); }
  const std::string& str() const { return path_; }

 private:
  std::string path_;
};

TEST(AccessLogFormatTest, OneLineForASampleEntry) {
  EXPECT_EQ(format(sampleEntry()),
            "{\"time\":\"2026-11-22T22:10:00.123Z\",\"request_id\":\"req-1\","
            "\"listener\":\"outbound\",\"method\":\"GET\",\"path\":\"/users/7\","
            "\"upstream\":\"users\",\"endpoint\":\"10.0.0.7:8080\",\"status\":200,"
            "\"reason\":\"\",\"error\":\"\",\"attempts\":2,\"duration_ms\":12.345,\"bytes_in\":0,"
            "\"bytes_out\":512,\"protocol\":\"HTTP/1.1\",\"grpc_status\":null,"
            "\"trace_id\":\"\",\"span_id\":\"\"}\n");
}

TEST(AccessLogFormatTest, GrpcStatusIsANumber) {
  AccessLogEntry e = sampleEntry();
  e.protocol = "HTTP/2";
  e.grpc_status = 14;
  EXPECT_THAT(format(e), HasSubstr(",\"protocol\":\"HTTP/2\",\"grpc_status\":14,"));
  e.grpc_status = 0;
  EXPECT_THAT(format(e), HasSubstr(",\"grpc_status\":0,"));
}

TEST(AccessLogFormatTest, TraceIdAndSpanIdEndTheLine) {
  AccessLogEntry e = sampleEntry();
  e.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  e.span_id = "00f067aa0ba902b7";
  EXPECT_THAT(format(e), ::testing::EndsWith("\"grpc_status\":null,\"trace_id\":"
                                             "\"4bf92f3577b34da6a3ce929d0e0e4736\","
                                             "\"span_id\":\"00f067aa0ba902b7\"}\n"));
}

TEST(AccessLogFormatTest, LocalReply) {
  AccessLogEntry e = sampleEntry();
  e.upstream = "";
  e.endpoint = "";
  e.status = 404;
  e.reason = "no_route";
  e.attempts = 0;
  const std::string line = format(e);
  EXPECT_THAT(line, HasSubstr("\"upstream\":\"\",\"endpoint\":\"\",\"status\":404,"
                              "\"reason\":\"no_route\",\"error\":\"\",\"attempts\":0,"));
}

TEST(AccessLogFormatTest, DurationHasThreeDecimals) {
  AccessLogEntry e = sampleEntry();
  auto duration = [&](double ms) {
    e.duration_ms = ms;
    const std::string line = format(e);
    const size_t start = line.find("\"duration_ms\":") + 14;
    return line.substr(start, line.find(',', start) - start);
  };
  EXPECT_EQ(duration(0), "0.000");
  EXPECT_EQ(duration(1.5), "1.500");
  EXPECT_EQ(duration(0.0004), "0.000");  // below half a microsecond
  EXPECT_EQ(duration(0.0006), "0.001");  // rounded to the microsecond
  EXPECT_EQ(duration(30000.007), "30000.007");
  EXPECT_EQ(duration(-5), "0.000");  // never negative
  EXPECT_EQ(duration(std::nan("")), "0.000");
}

TEST(AccessLogFormatTest, ZeroTimeMeansNow) {
  AccessLogEntry e = sampleEntry();
  e.time_micros = 0;
  const std::string line = format(e);
  EXPECT_THAT(line, Not(HasSubstr("1970-")));
  EXPECT_THAT(line, HasSubstr("{\"time\":\"20"));
}

TEST(AccessLogFormatTest, ErrorDetail) {
  AccessLogEntry e = sampleEntry();
  e.status = 502;
  e.reason = "connect_failed";
  e.error = "connect: ECONNREFUSED";
  EXPECT_THAT(format(e), HasSubstr("\"reason\":\"connect_failed\",\"error\":\"connect: "
                                   "ECONNREFUSED\",\"attempts\":2,"));
}

TEST(AccessLogFormatTest, LargeCounters) {
  AccessLogEntry e = sampleEntry();
  e.bytes_in = 18446744073709551615ull;
  EXPECT_THAT(format(e), HasSubstr("\"bytes_in\":18446744073709551615,"));
}

TEST(AccessLogFormatTest, WritingIntoABufferGivesTheSameLineWithinTheRoomAsked) {
  AccessLogEntry e = sampleEntry();
  const std::string path(40, '\x01');  // every byte escaped: the longest form
  e.path = path;                        // a view: the string must outlive the entry
  e.error = "caf\xc3\xa9 \"x\"";
  const size_t room = maxAccessLogLineLength(e);
  std::vector<char> buffer(room + 1, '#');
  char* end = writeAccessLogLine(e, buffer.data());
  ASSERT_LE(static_cast<size_t>(end - buffer.data()), room);
  EXPECT_EQ(buffer[room], '#');  // nothing written past the room asked for
  EXPECT_EQ(std::string(buffer.data(), end), format(e));
}

TEST(JsonStringTest, PlainTextIsQuoted) { EXPECT_EQ(json("abc /x?y=1"), "\"abc /x?y=1\""); }

TEST(JsonStringTest, QuotesAndBackslashesAreEscaped) { EXPECT_EQ(json("a\"b\\c"), R"("a\"b\\c")"); }

TEST(JsonStringTest, ControlCharactersAreEscaped) {
  EXPECT_EQ(json("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(json(std::string_view("\x00\x01\x1f\x7f", 4)), R"("\u0000\u0001\u001f\u007f")");
}

TEST(JsonStringTest, ValidUtf8PassesThrough) {
  EXPECT_EQ(json("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80"),
            "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80\"");
}

TEST(JsonStringTest, InvalidUtf8BytesAreEscaped) {
  EXPECT_EQ(json("\xff"), R"("\u00ff")");
  EXPECT_EQ(json("a\xc3"), R"("a\u00c3")");                              // truncated at the end
  EXPECT_EQ(json("\xc0\x80"), R"("\u00c0\u0080")");                      // overlong NUL
  EXPECT_EQ(json("\xed\xa0\x80"), R"("\u00ed\u00a0\u0080")");            // UTF-16 surrogate
  EXPECT_EQ(json("\xf4\x90\x80\x80"), R"("\u00f4\u0090\u0080\u0080")");  // above U+10FFFF
  EXPECT_EQ(json("\x80x"), R"("\u0080x")");                              // lone continuation byte
}

// How one byte alone between plain ASCII must come out (it is never valid UTF-8 alone).
std::string expectedLoneByte(unsigned char c) {
  switch (c) {
    case '"':
      return R"(\")";
    case '\\':
      return R"(\\)";
    case '\n':
      return R"(\n)";
    case '\r':
      return R"(\r)";
    case '\t':
      return R"(\t)";
    case '\b':
      return R"(\b)";
    case '\f':
      return R"(\f)";
    default:
      break;
  }
  if (c >= 0x20 && c < 0x7F) return std::string(1, static_cast<char>(c));
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("\\u00") + kHex[c >> 4] + kHex[c & 0xF];
}

TEST(JsonStringTest, EveryByteAtEveryPositionOfValuesOfEveryLength) {
  // Values are scanned a word or half-words at a time, with overlapping reads at the end: a
  // byte that needs escaping must be caught wherever it sits, whatever the length.
  for (size_t length = 1; length <= 25; ++length) {
    for (int c = 0; c < 256; ++c) {
      for (size_t at = 0; at < length; ++at) {
        std::string value(length, 'a');
        value[at] = static_cast<char>(c);
        const std::string expected = "\"" + std::string(at, 'a') +
                                     expectedLoneByte(static_cast<unsigned char>(c)) +
                                     std::string(length - 1 - at, 'a') + "\"";
        ASSERT_EQ(json(value), expected) << "byte " << c << " at " << at << " of " << length;
      }
    }
  }
}

TEST(JsonStringTest, PlainValuesOfEveryLengthPassThrough) {
  std::string value;
  for (size_t length = 0; length <= 40; ++length) {
    ASSERT_EQ(json(value), "\"" + value + "\"") << "length " << length;
    value += static_cast<char>('A' + length % 26);
  }
}

TEST(JsonStringTest, Utf8AcrossAWordBoundaryPassesThrough) {
  const std::string value =
      "abcdef\xe2\x82\xac"
      "ghijklmn\xf0\x9f\x9a\x80";
  EXPECT_EQ(json(value), "\"" + value + "\"");
}

TEST(JsonStringTest, AppendsAfterWhatIsThere) {
  std::string out = "prefix:";
  appendJsonString("a\"b", out);
  EXPECT_EQ(out, R"(prefix:"a\"b")");
}

TEST(JsonStringTest, EscapedFieldsInALine) {
  AccessLogEntry e = sampleEntry();
  e.path = "/a\"b\n";
  e.request_id = "x\\y";
  const std::string line = format(e);
  EXPECT_THAT(line, HasSubstr(R"("path":"/a\"b\n")"));
  EXPECT_THAT(line, HasSubstr(R"("request_id":"x\\y")"));
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(AccessLogTest, FileSinkReceivesLinesAfterFlush) {
  TempPath path("flush.log");
  std::string error;
  auto log = AccessLog::open(config::AccessLogConfig{true, path.str()}, &error);
  ASSERT_NE(log, nullptr) << error;
  AccessLogEntry e = sampleEntry();
  log->write(e);
  e.request_id = "req-2";
  log->write(e);
  log->flush();

  std::vector<std::string> lines = splitLines(readFile(path.str()));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0] + "\n", format(sampleEntry()));
  EXPECT_THAT(lines[1], HasSubstr("\"request_id\":\"req-2\""));
  EXPECT_EQ(log->dropped(), 0u);

  struct stat st {};
  ASSERT_EQ(::stat(path.str().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0600, 0600u);  // 0644 before the umask
  EXPECT_EQ(st.st_mode & 0111, 0u);
}

TEST(AccessLogTest, DestructorWritesWhatIsPending) {
  TempPath path("dtor.log");
  std::string error;
  {
    auto log = AccessLog::open(config::AccessLogConfig{true, path.str()}, &error);
    ASSERT_NE(log, nullptr) << error;
    for (int i = 0; i < 3; ++i) log->write(sampleEntry());
  }
  EXPECT_EQ(splitLines(readFile(path.str())).size(), 3u);
}

TEST(AccessLogTest, AppendsToAnExistingFile) {
  TempPath path("append.log");
  { std::ofstream(path.str()) << "earlier\n"; }
  std::string error;
  auto log = AccessLog::open(config::AccessLogConfig{true, path.str()}, &error);
  ASSERT_NE(log, nullptr) << error;
  log->write(sampleEntry());
  log->flush();
  std::vector<std::string> lines = splitLines(readFile(path.str()));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "earlier");
}

TEST(AccessLogTest, ConcurrentWritersProduceWholeLines) {
  TempPath path("threads.log");
  std::string error;
  auto log = AccessLog::open(config::AccessLogConfig{true, path.str()}, &error);
  ASSERT_NE(log, nullptr) << error;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&log] {
      for (int i = 0; i < 2000; ++i) log->write(sampleEntry());
    });
  }
  for (auto& thread : threads) thread.join();
  log->flush();
  std::vector<std::string> lines = splitLines(readFile(path.str()));
  ASSERT_EQ(lines.size(), 8000u);
  const std::string expected = format(sampleEntry());
  for (const std::string& line : lines) ASSERT_EQ(line + "\n", expected);
}

TEST(AccessLogTest, OffGivesNoLogAndNoError) {
  std::string error = "stale";
  EXPECT_EQ(AccessLog::open(config::AccessLogConfig{false, "stdout"}, &error), nullptr);
  EXPECT_EQ(error, "");
}

TEST(AccessLogTest, UnopenableFileIsAnError) {
  std::string error;
  EXPECT_EQ(AccessLog::open(config::AccessLogConfig{true, "/nonexistent-dir/x/access.log"}, &error),
            nullptr);
  EXPECT_EQ(error,
            "cannot open access log /nonexistent-dir/x/access.log: No such file or directory");
}

// With nobody reading the pipe, the writer blocks; write() must keep returning at once and
// drop lines past the bound, and every line is either delivered or counted as dropped.
TEST(AccessLogTest, StuckSinkDropsLinesInsteadOfBlocking) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  AccessLogOptions options;
  options.max_pending_bytes = 64 * 1024;
  auto log = AccessLog::fromFd(fds[1], /*owns_fd=*/true, options);

  const std::string line = format(sampleEntry());
  const size_t total = 20000;  // ~5 MB: far more than the pipe plus both buffers can hold
  for (size_t i = 0; i < total; ++i) log->write(sampleEntry());
  EXPECT_GT(log->dropped(), 0u);

  size_t received_bytes = 0;
  std::thread reader([&] {
    char buffer[65536];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof(buffer))) > 0;) {
      received_bytes += static_cast<size_t>(n);
    }
  });
  const uint64_t dropped = log->dropped();
  log.reset();  // writes the rest and closes the pipe, which ends the reader
  reader.join();
  ::close(fds[0]);

  EXPECT_EQ(received_bytes % line.size(), 0u);  // whole lines only
  EXPECT_EQ(received_bytes / line.size() + dropped, total);
  EXPECT_LE(received_bytes, 4 * options.max_pending_bytes);
}

// Each thread appends to a ring of its own: lines of different threads interleave, but the
// lines of one thread reach the file in the order it wrote them.
TEST(AccessLogTest, EachThreadsLinesArriveInOrder) {
  TempPath path("order.log");
  std::string error;
  AccessLogOptions options;
  options.wake_bytes = 1024;  // many small batches, so that the rings are drained mid-run
  auto log = AccessLog::open(config::AccessLogConfig{true, path.str()}, &error, options);
  ASSERT_NE(log, nullptr) << error;
  constexpr int kThreads = 4;
  constexpr int kLines = 3000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&log, t] {
      for (int i = 0; i < kLines; ++i) {
        const std::string id = std::to_string(t) + "-" + std::to_string(i);
        AccessLogEntry e = sampleEntry();
        e.request_id = id;
        log->write(e);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  log->flush();
  std::vector<int> next(kThreads, 0);
  for (const std::string& line : splitLines(readFile(path.str()))) {
    const size_t at = line.find("\"request_id\":\"") + 14;
    const size_t dash = line.find('-', at);
    const int t = std::stoi(line.substr(at, dash - at));
    const int i = std::stoi(line.substr(dash + 1));
    ASSERT_EQ(i, next[t]) << "thread " << t;
    ++next[t];
  }
  EXPECT_EQ(next, std::vector<int>(kThreads, kLines));
  EXPECT_EQ(log->dropped(), 0u);
}

// flush() reaches the lines another thread wrote before the call, while that thread still
// runs (its ring stays registered), and the same thread's later lines after a second flush.
TEST(AccessLogTest, FlushWritesOtherThreadsLines) {
  TempPath path("other.log");
  std::string error;
  auto log = AccessLog::open(config::AccessLogConfig{true, path.str()}, &error);
  ASSERT_NE(log, nullptr) << error;
  std::promise<void> written, flushed;
  std::thread worker([&] {
    for (int i = 0; i < 5; ++i) log->write(sampleEntry());
    written.set_value();
    flushed.get_future().wait();
    log->write(sampleEntry());
  });
  written.get_future().wait();
  log->flush();
  EXPECT_EQ(splitLines(readFile(path.str())).size(), 5u);
  flushed.set_value();
  worker.join();
  log->flush();
  EXPECT_EQ(splitLines(readFile(path.str())).size(), 6u);
}

// A full ring drops the lines of its own thread only: another thread still gets its lines in.
TEST(AccessLogTest, AFullRingDropsOnlyItsOwnThreadsLines) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  AccessLogOptions options;
  options.max_pending_bytes = 16 * 1024;
  auto log = AccessLog::fromFd(fds[1], /*owns_fd=*/true, options);
  const std::string line = format(sampleEntry());
  // Nobody reads the pipe: this thread's ring and the pipe fill, and lines drop.
  for (int i = 0; i < 2000; ++i) log->write(sampleEntry());
  const uint64_t dropped = log->dropped();
  EXPECT_GT(dropped, 0u);
  std::thread other([&] { log->write(sampleEntry()); });  // an empty ring of its own
  other.join();
  EXPECT_EQ(log->dropped(), dropped);

  size_t received_bytes = 0;
  std::thread reader([&] {
    char buffer[65536];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof(buffer))) > 0;) {
      received_bytes += static_cast<size_t>(n);
    }
  });
  log.reset();
  reader.join();
  ::close(fds[0]);
  EXPECT_EQ(received_bytes / line.size() + dropped, 2001u);
}

}  // namespace
}  // namespace outrigger::log
