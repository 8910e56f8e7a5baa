#include "proxy/http/upgrade.h"

#include <gtest/gtest.h>

namespace outrigger::http {
namespace {

RequestHead requestWith(std::initializer_list<std::pair<const char*, const char*>> fields) {
  RequestHead head;
  head.method = "GET";
  head.target = "/chat";
  for (const auto& [name, value] : fields) head.headers.add(name, value);
  return head;
}

TEST(UpgradeTest, ARequestAsksForTheFirstUpgradeTokenWhenConnectionListsUpgrade) {
  EXPECT_EQ(requestedUpgrade(
                requestWith({{"Connection", "keep-alive, Upgrade"}, {"Upgrade", "WebSocket"}})),
            "websocket");
  EXPECT_EQ(requestedUpgrade(requestWith({{"Connection", "upgrade"}, {"Upgrade", "foo/2, bar"}})),
            "foo/2");
  // Upgrade without Connection: upgrade asks for nothing (a proxy must not act on it).
  EXPECT_EQ(requestedUpgrade(requestWith({{"Upgrade", "websocket"}})), "");
  EXPECT_EQ(requestedUpgrade(requestWith({{"Connection", "upgrade"}})), "");
}

TEST(UpgradeTest, OnlyListedTokensAreAllowedAndH2cNever) {
  const std::vector<std::string> allowed = {"websocket", "h2c"};
  EXPECT_TRUE(upgradeAllowed("websocket", allowed));
  EXPECT_FALSE(upgradeAllowed("h2c", allowed));
  EXPECT_FALSE(upgradeAllowed("foo", allowed));
  EXPECT_FALSE(upgradeAllowed("websocket", {}));
  EXPECT_FALSE(upgradeAllowed("", allowed));
}

TEST(UpgradeTest, TheUpstreamRequestCarriesTheUpgradeOnlyWhenAllowed) {
  RequestHead head = requestWith({{"Connection", "Upgrade"}, {"Upgrade", "websocket"}});
  std::string out;
  appendUpgradeFields(head, out);
  EXPECT_EQ(out, "");
  head.upgrade = "websocket";
  appendUpgradeFields(head, out);
  EXPECT_EQ(out, "Connection: upgrade\r\nUpgrade: websocket\r\n");
}

TEST(UpgradeTest, TheSwitchingHeadKeepsEndToEndFieldsAndSaysUpgrade) {
  ResponseHead head;
  head.status = 101;
  head.headers.add("Upgrade", "websocket");
  head.headers.add("Connection", "Upgrade, X-Hop");
  head.headers.add("X-Hop", "1");
  head.headers.add("Sec-WebSocket-Accept", "abc=");
  std::string out;
  appendSwitchingHead(head, out);
  EXPECT_EQ(out,
            "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: abc=\r\n"
            "Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
}

}  // namespace
}  // namespace outrigger::http
