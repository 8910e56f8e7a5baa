#include "proxy/log/logger.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <string_view>

namespace outrigger::log {
namespace {

using config::LogLevel;

// Sends log lines into a pipe for the duration of a test.
class LoggerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::pipe2(fds_, O_NONBLOCK | O_CLOEXEC), 0);
    previous_fd_ = setLogFd(fds_[1]);
    setLogLevel(LogLevel::kInfo);
  }
  void TearDown() override {
    setLogFd(previous_fd_);
    setLogLevel(LogLevel::kInfo);
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  std::string output() {
    std::string out;
    char buffer[8192];
    for (ssize_t n; (n = ::read(fds_[0], buffer, sizeof(buffer))) > 0;) {
      out.append(buffer, static_cast<size_t>(n));
    }
    return out;
  }

  int fds_[2] = {-1, -1};
  int previous_fd_ = -1;
};

// "2026-11-22T22:10:00.123Z": digits where digits belong, separators where they belong.
// (Hand-written because std::regex trips GCC 12's -Wmaybe-uninitialized under sanitizers.)
bool looksLikeTimestamp(std::string_view text) {
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (text.size() != kShape.size()) return false;
  for (size_t i = 0; i < kShape.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return false;
  }
  return true;
}

TEST_F(LoggerTest, LineHasTimestampLevelAndMessage) {
  logf(LogLevel::kInfo, "listening on port %d", 15001);
  const std::string line = output();
  ASSERT_GT(line.size(), 24u);
  EXPECT_TRUE(looksLikeTimestamp(std::string_view(line).substr(0, 24))) << line;
  EXPECT_EQ(line.substr(24), " info listening on port 15001\n");
}

TEST_F(LoggerTest, LevelNames) {
  setLogLevel(LogLevel::kDebug);
  logf(LogLevel::kDebug, "a");
  logf(LogLevel::kWarn, "b");
  logf(LogLevel::kError, "c");
  const std::string out = output();
  EXPECT_NE(out.find("Z debug a\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Z warn b\n"), std::string::npos) << out;
  EXPECT_NE(out.find("Z error c\n"), std::string::npos) << out;
}

TEST_F(LoggerTest, LinesBelowTheLevelAreSkipped) {
  setLogLevel(LogLevel::kWarn);
  EXPECT_FALSE(logEnabled(LogLevel::kInfo));
  EXPECT_TRUE(logEnabled(LogLevel::kError));
  logf(LogLevel::kInfo, "quiet");
  logf(LogLevel::kDebug, "quieter");
  EXPECT_EQ(output(), "");
  logf(LogLevel::kWarn, "loud");
  EXPECT_NE(output().find(" warn loud\n"), std::string::npos);
}

TEST_F(LoggerTest, NewlinesInTheMessageStayOnOneLine) {
  logf(LogLevel::kError, "upstream said: %s", "bad\r\nthing");
  const std::string out = output();
  EXPECT_NE(out.find(" error upstream said: bad  thing\n"), std::string::npos) << out;
  EXPECT_EQ(out.find('\n'), out.size() - 1);
}

TEST_F(LoggerTest, LongMessageIsCut) {
  const std::string long_text(10000, 'x');
  logf(LogLevel::kInfo, "%s", long_text.c_str());
  const std::string out = output();
  EXPECT_LE(out.size(), 4096u);
  EXPECT_GT(out.size(), 4000u);
  EXPECT_EQ(out.substr(out.size() - 5), "x...\n");
}

}  // namespace
}  // namespace outrigger::log
