// Headers keep every name and value in one byte store: the views must follow the store
// wherever it moves (growth, copy, move, swap), small stores (inline in the string) included.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "proxy/http/message.h"

namespace outrigger::http {
namespace {

std::string joined(const Headers& headers) {
  std::string out;
  for (const HeaderView& h : headers) out.append(h.name).append(":").append(h.value).append(";");
  return out;
}

TEST(HeadersStoreTest, ViewsFollowTheStoreWhenItGrows) {
  Headers headers;
  headers.add("A", "1");
  for (int i = 0; i < 200; ++i) headers.add("X-Filler-" + std::to_string(i), std::string(50, 'v'));
  EXPECT_EQ(headers[0].name, "A");
  EXPECT_EQ(headers[0].value, "1");
  EXPECT_EQ(*headers.get("x-filler-199"), std::string(50, 'v'));
}

TEST(HeadersStoreTest, SetWithAValueFromTheSameListIsSafe) {
  Headers headers;
  headers.add("Host", "app.internal");
  // The value is a view into the store that set() appends to (and may move).
  headers.set("X-Forwarded-Host", *headers.get("Host"));
  headers.set("Host", "10.0.0.1:8080");
  EXPECT_EQ(joined(headers), "Host:10.0.0.1:8080;X-Forwarded-Host:app.internal;");
}

TEST(HeadersStoreTest, CopyIsIndependentOfTheOriginal) {
  Headers original;
  original.add("A", "1");
  Headers copy = original;
  original.set("A", "changed");
  original.add("B", "2");
  EXPECT_EQ(joined(copy), "A:1;");
  Headers assigned;
  assigned.add("Z", "9");
  assigned = original;
  original.clear();
  EXPECT_EQ(joined(assigned), "A:changed;B:2;");
}

TEST(HeadersStoreTest, MoveAndSwapKeepTheViewsValidForSmallAndLargeStores) {
  for (size_t value_size : {1u, 300u}) {  // inline string buffer, then a heap one
    Headers a;
    a.add("A", std::string(value_size, 'a'));
    Headers b;
    b.add("B", std::string(value_size, 'b'));
    a.swap(b);
    EXPECT_EQ(joined(a), "B:" + std::string(value_size, 'b') + ";");
    EXPECT_EQ(joined(b), "A:" + std::string(value_size, 'a') + ";");
    Headers moved(std::move(a));
    EXPECT_EQ(*moved.get("b"), std::string(value_size, 'b'));
    EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
    Headers assigned;
    assigned = std::move(moved);
    EXPECT_EQ(*assigned.get("b"), std::string(value_size, 'b'));
    std::swap(assigned, b);
    EXPECT_EQ(*assigned.get("a"), std::string(value_size, 'a'));
  }
}

TEST(HeadersStoreTest, AssemblesHeadersFromPiecesAsTheyArrive) {
  Headers headers;
  headers.startHeader();
  headers.extendName("Cont");
  headers.extendName("ent-Type");
  headers.extendValue("text/");
  headers.extendValue("plain  ");
  headers.trimValue(2);
  headers.startHeader();
  headers.extendName("X-Empty");
  EXPECT_EQ(joined(headers), "Content-Type:text/plain;X-Empty:;");
}

TEST(HeadersStoreTest, ClearKeepsCapacityAndReleaseGivesItBack) {
  Headers headers;
  headers.add("A", std::string(1000, 'x'));
  const size_t held = headers.capacityBytes();
  headers.clear();
  EXPECT_TRUE(headers.empty());
  EXPECT_EQ(headers.capacityBytes(), held);
  headers.release();
  EXPECT_LT(headers.capacityBytes(), 100u);
}

}  // namespace
}  // namespace outrigger::http
