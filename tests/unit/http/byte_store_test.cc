// ByteStore: appends copy in place until full, then grow; a move or swap keeps the
// bytes where they are (Headers' views rely on it).
#include "proxy/http/byte_store.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>

namespace outrigger::http {
namespace {

std::string_view bytesOf(const ByteStore& store) {
  return std::string_view(store.data(), store.size());
}

TEST(ByteStoreTest, AppendsAndGrows) {
  ByteStore store;
  EXPECT_EQ(store.capacity(), 0u);
  store.append("abc");
  store.append("");
  const std::string long_piece(500, 'x');
  store.append(long_piece);
  EXPECT_EQ(bytesOf(store), "abc" + long_piece);
  EXPECT_GE(store.capacity(), 503u);
}

TEST(ByteStoreTest, AppendingItsOwnBytesWhileGrowingIsSafe) {
  ByteStore store;
  store.reserve(8);
  store.append("12345678");      // full
  store.append(bytesOf(store));  // grows; the source is the old bytes
  EXPECT_EQ(bytesOf(store), "1234567812345678");
}

TEST(ByteStoreTest, MoveAndSwapKeepTheAddressCopyDoesNot) {
  ByteStore a;
  a.append("hello");
  const char* address = a.data();
  ByteStore moved(std::move(a));
  EXPECT_EQ(moved.data(), address);
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
  ByteStore other;
  other.append("x");
  other.swap(moved);
  EXPECT_EQ(other.data(), address);
  ByteStore copy = other;
  EXPECT_NE(copy.data(), address);
  EXPECT_EQ(bytesOf(copy), "hello");
}

TEST(ByteStoreTest, ClearKeepsTheRoomReleaseGivesItBack) {
  ByteStore store;
  store.append(std::string(300, 'y'));
  const size_t room = store.capacity();
  store.clear();
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.capacity(), room);
  store.release();
  EXPECT_EQ(store.capacity(), 0u);
}

}  // namespace
}  // namespace outrigger::http
