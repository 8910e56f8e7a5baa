// A response head borrows its names and values from the bytes fed to the parser: they are
// views into those bytes while the handler writes the head on, and are copied into the
// head's store only when a head is split across feeds, or when the handler takes them
// (move, swap, copy).
// Each test scribbles over the fed bytes once feed() returns, as the next read would.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/http/parser.h"

namespace outrigger::http {
namespace {

constexpr std::string_view kResponse =
    "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/plain\r\n"
    "X-Long-Header-Name: a value that is long enough to be split in many places\r\n"
    "Content-Length: 5\r\n"
    "\r\n"
    "hello";

using Pairs = std::vector<std::pair<std::string, std::string>>;

const Pairs kExpected = {
    {"Content-Type", "text/plain"},
    {"X-Long-Header-Name", "a value that is long enough to be split in many places"},
    {"Content-Length", "5"}};

Pairs pairsOf(const Headers& headers) {
  Pairs out;
  for (const HeaderView& h : headers) out.emplace_back(h.name, h.value);
  return out;
}

class Recorder : public ResponseHandler {
 public:
  ParserAction onResponseHead(ResponseHead& head) override {
    last_head = &head;
    at_head = pairsOf(head.headers);
    for (const HeaderView& h : head.headers) {
      borrowed += h.value.data() >= fed && h.value.data() < fed + fed_size;
    }
    if (set_on_head) head.headers.set("Content-Type", std::string("application/json"));
    if (grow_on_head) head.headers.add("X-Added", std::string(8192, 'x'));  // moves the store
    if (take_headers) taken.swap(head.headers);
    return ParserAction::kContinue;
  }
  ParserAction onResponseBody(std::string_view chunk) override {
    body.append(chunk);
    return ParserAction::kContinue;
  }
  ParserAction onResponseComplete() override { return ParserAction::kContinue; }

  // Feeds `bytes` from a buffer of their own, then overwrites that buffer.
  ParseResult feed(ResponseParser& parser, std::string_view bytes) {
    std::string buffer(bytes);
    fed = buffer.data();
    fed_size = buffer.size();
    const ParseResult result = parser.feed(buffer.data(), buffer.size());
    std::memset(buffer.data(), '#', buffer.size());
    return result;
  }

  const ResponseHead* last_head = nullptr;
  Pairs at_head;
  Headers taken;
  std::string body;
  bool set_on_head = false;
  bool grow_on_head = false;
  bool take_headers = false;
  const char* fed = nullptr;
  size_t fed_size = 0;
  int borrowed = 0;
};

TEST(ResponseBorrowTest, TheHeadBorrowsTheBytesFedForTheCallbackOnly) {
  Recorder recorder;
  ResponseParser parser(recorder, ParserLimits{});
  recorder.feed(parser, kResponse);
  EXPECT_EQ(recorder.at_head, kExpected);
  EXPECT_EQ(recorder.borrowed, 3);  // no value copied before the handler saw it
  ASSERT_NE(recorder.last_head, nullptr);
  EXPECT_TRUE(recorder.last_head->headers.empty());  // nothing left pointing at the bytes
  EXPECT_EQ(recorder.body, "hello");
}

TEST(ResponseBorrowTest, AHeadSplitAcrossFeedsIsOwnedBetweenThem) {
  // The first feed ends inside the head: what it borrowed is copied before the bytes go.
  const size_t split = kResponse.find("enough");
  Recorder recorder;
  ResponseParser parser(recorder, ParserLimits{});
  recorder.feed(parser, kResponse.substr(0, split));
  recorder.feed(parser, kResponse.substr(split));
  EXPECT_EQ(recorder.at_head, kExpected);
  EXPECT_EQ(recorder.borrowed, 1);  // Content-Length's value, from the second feed
}

TEST(ResponseBorrowTest, AHeadSplitAnywhereAcrossFeedsIsAssembledRight) {
  const std::string_view head_bytes = kResponse.substr(0, kResponse.find("hello"));
  for (size_t split = 1; split < head_bytes.size(); ++split) {
    Recorder recorder;
    ResponseParser parser(recorder, ParserLimits{});
    recorder.feed(parser, kResponse.substr(0, split));
    recorder.feed(parser, kResponse.substr(split));
    EXPECT_EQ(recorder.at_head, kExpected) << "split at " << split;
    EXPECT_EQ(recorder.body, "hello") << "split at " << split;
  }
}

TEST(ResponseBorrowTest, HeadersTakenFromTheHeadInTheCallbackAreOwned) {
  // As the stale-if-error copy takes them.
  Recorder recorder;
  recorder.take_headers = true;
  ResponseParser parser(recorder, ParserLimits{});
  recorder.feed(parser, kResponse);
  EXPECT_EQ(pairsOf(recorder.taken), kExpected);
  Headers copied;
  {
    struct CopyOut : Recorder {
      Headers* into = nullptr;
      ParserAction onResponseHead(ResponseHead& head) override {
        *into = head.headers;
        return Recorder::onResponseHead(head);
      }
    } copy_out;
    copy_out.into = &copied;
    ResponseParser other(copy_out, ParserLimits{});
    copy_out.feed(other, kResponse);
  }
  EXPECT_EQ(pairsOf(copied), kExpected);
}

TEST(ResponseBorrowTest, AGrowthOfTheStoreLeavesBorrowedViewsAlone) {
  Recorder recorder;
  recorder.grow_on_head = true;
  recorder.take_headers = true;  // after the growth
  ResponseParser parser(recorder, ParserLimits{});
  recorder.feed(parser, kResponse);
  Pairs expected = kExpected;
  expected.emplace_back("X-Added", std::string(8192, 'x'));
  EXPECT_EQ(pairsOf(recorder.taken), expected);
}

TEST(ResponseBorrowTest, AValueSetInTheCallbackIsCopiedNotBorrowed) {
  // Only the parser's pieces are borrowed: a value the handler sets may be a temporary.
  Recorder recorder;
  recorder.set_on_head = true;
  recorder.take_headers = true;
  ResponseParser parser(recorder, ParserLimits{});
  recorder.feed(parser, kResponse);
  Pairs expected = kExpected;
  expected[0].second = "application/json";
  EXPECT_EQ(pairsOf(recorder.taken), expected);
}

}  // namespace
}  // namespace outrigger::http
