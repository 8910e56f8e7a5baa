// A head read straight into the store of the head the parser fills (Headers::readSpace):
// names and values become views into the bytes read, however the reads split the head, and
// the bytes stay valid while the parse walks them, even when a header added meanwhile grows
// the store. (A use of the freed read buffer is caught by the ASan build of these tests.)
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proxy/http/parser.h"

namespace outrigger::http {
namespace {

constexpr std::string_view kRequest =
    "GET /items?id=7 HTTP/1.1\r\n"
    "Host: app.internal:8080\r\n"
    "X-Long-Header-Name: a value that is long enough to be split in many places\r\n"
    "Accept: */*\r\n"
    "Content-Length: 5\r\n"
    "\r\n"
    "hello";

using Pairs = std::vector<std::pair<std::string, std::string>>;

class Recorder : public RequestHandler {
 public:
  explicit Recorder(RequestHead& head) : head_(head) {}
  ParserAction onRequestHead(RequestHead& head) override {
    ++heads;
    headers.clear();
    for (const HeaderView& h : head.headers) headers.emplace_back(h.name, h.value);
    target = head.target;
    if (read_from != nullptr) {
      for (const HeaderView& h : head.headers) {
        in_place += h.value.data() >= read_from && h.value.data() < read_from + read_size;
      }
    }
    if (grow_on_head) head.headers.add("X-Added", std::string(8192, 'x'));  // moves the store
    return ParserAction::kContinue;
  }
  ParserAction onRequestBody(std::string_view chunk) override {
    body.append(chunk);
    return ParserAction::kContinue;
  }
  ParserAction onRequestComplete() override {
    complete = true;
    return ParserAction::kContinue;
  }

  // Reads `bytes` into the head's store, as the socket would, and parses them there.
  ParseResult readInPlace(RequestParser& parser, std::string_view bytes, bool fresh) {
    auto [room, size] = head_.headers.readSpace(bytes.size(), fresh);
    EXPECT_GE(size, bytes.size());
    std::memcpy(room, bytes.data(), bytes.size());
    head_.headers.commitRead(bytes.size());
    read_from = room;
    read_size = bytes.size();
    return parser.feed(room, bytes.size());
  }

  RequestHead& head_;
  Pairs headers;
  std::string target;
  std::string body;
  bool complete = false;
  int heads = 0;
  bool grow_on_head = false;
  const char* read_from = nullptr;
  size_t read_size = 0;
  int in_place = 0;
};

const Pairs kExpected = {{"Host", "app.internal:8080"},
                         {"X-Long-Header-Name",
                          "a value that is long enough to be split in many places"},
                         {"Accept", "*/*"},
                         {"Content-Length", "5"}};

TEST(ReadInPlaceTest, NamesAndValuesAreViewsIntoTheBytesRead) {
  RequestHead head;
  Recorder recorder(head);
  RequestParser parser(recorder, ParserLimits{});
  parser.lendHead(&head);
  const ParseResult result = recorder.readInPlace(parser, kRequest, true);
  EXPECT_EQ(result.status, ParseStatus::kOk);
  EXPECT_EQ(recorder.headers, kExpected);
  EXPECT_EQ(recorder.target, "/items?id=7");
  EXPECT_EQ(recorder.in_place, 4);  // every value, none copied
  EXPECT_EQ(recorder.body, "hello");
  EXPECT_TRUE(recorder.complete);
}

TEST(ReadInPlaceTest, AHeadSplitAnywhereAcrossReadsInPlaceOrCopiedIsAssembledRight) {
  // Each split point, with the second read in place too, or through a buffer of its own
  // (the copying path), and the first read copied then the second in place.
  const std::string_view head_bytes = kRequest.substr(0, kRequest.find("hello"));
  for (size_t split = 1; split < head_bytes.size(); ++split) {
    for (int mode = 0; mode < 3; ++mode) {
      RequestHead head;
      Recorder recorder(head);
      RequestParser parser(recorder, ParserLimits{});
      parser.lendHead(&head);
      const std::string first(kRequest.substr(0, split));
      const std::string second(kRequest.substr(split));
      if (mode == 2) {
        parser.feed(first.data(), first.size());
      } else {
        recorder.readInPlace(parser, first, true);
      }
      if (mode == 1) {
        parser.feed(second.data(), second.size());
      } else {
        recorder.readInPlace(parser, second, false);
      }
      EXPECT_EQ(recorder.headers, kExpected) << "split at " << split << ", mode " << mode;
      EXPECT_EQ(recorder.body, "hello") << "split at " << split << ", mode " << mode;
    }
  }
}

TEST(ReadInPlaceTest, TheBytesReadOutliveAGrowthOfTheStoreDuringTheParse) {
  // The handler adds a large header while the parser still has the body to walk, in the
  // buffer the store just moved out of.
  RequestHead head;
  Recorder recorder(head);
  recorder.grow_on_head = true;
  RequestParser parser(recorder, ParserLimits{});
  parser.lendHead(&head);
  recorder.readInPlace(parser, kRequest, true);
  EXPECT_EQ(recorder.body, "hello");
  EXPECT_TRUE(recorder.complete);
  EXPECT_EQ(head.headers.get("X-Added")->size(), 8192u);
  EXPECT_EQ(*head.headers.get("Host"), "app.internal:8080");
}

TEST(ReadInPlaceTest, ASecondRequestInTheSameReadIsParsedFromItToo) {
  // The second head begins (and clears the head) while the parser is still walking the
  // read: the bytes read must stay put.
  RequestHead head;
  Recorder recorder(head);
  RequestParser parser(recorder, ParserLimits{});
  parser.lendHead(&head);
  const std::string both = std::string(kRequest) + "GET /next HTTP/1.1\r\nHost: other\r\n\r\n";
  recorder.readInPlace(parser, both, true);
  EXPECT_EQ(recorder.heads, 2);
  EXPECT_EQ(recorder.headers, (Pairs{{"Host", "other"}}));
  EXPECT_EQ(recorder.target, "/next");
  EXPECT_EQ(recorder.in_place, 5);  // four values of the first head, one of the second
}

TEST(ReadInPlaceTest, AFreshReadForgetsTheLastHeadAndANewOneStartsClean) {
  RequestHead head;
  Recorder recorder(head);
  RequestParser parser(recorder, ParserLimits{});
  parser.lendHead(&head);
  recorder.readInPlace(parser, kRequest, true);
  recorder.headers.clear();
  const std::string_view next = "GET /b HTTP/1.1\r\nHost: b\r\n\r\n";
  recorder.readInPlace(parser, next, true);
  EXPECT_EQ(recorder.headers, (Pairs{{"Host", "b"}}));
  EXPECT_EQ(recorder.target, "/b");
}

}  // namespace
}  // namespace outrigger::http
