// The sidecar drain (DESIGN §7): on SIGTERM or POST /drain, /ready turns 503 while the app
// keeps being served — in-flight and new requests alike — until it has been quiet for
// drain.grace or drain.timeout passes; then outrigger exits 0.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <future>
#include <string>

#include "tests/integration/proxy_fixture.h"

namespace outrigger::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

class DrainTest : public ProxyTest {
 protected:
  int readyStatus() {
    auto r = httpRequest(proxy_->adminPort(), "GET", "/ready");
    return r ? r->status : 0;
  }
};

TEST_F(DrainTest, KeepsServingTheAppUntilQuietForGraceThenExits0) {
  startProxy("", "", "drain: { grace: 400ms, timeout: 20s }\n");
  HttpConnection app(port_);
  ASSERT_EQ(app.request("GET", "/get")->status, 200);
  auto in_flight = std::async(std::launch::async, [this] { return get("/delay/300"); });
  ASSERT_TRUE(eventually([&] { return mock_->hits("/delay/300") == 1; }));

  proxy_->signal(SIGTERM);
  EXPECT_TRUE(eventually([&] { return readyStatus() == 503; }));
  EXPECT_EQ(metricOr0("outrigger_draining", {}), 1);

  // The app still works: on its open connection (told to reconnect), and on new ones.
  auto on_open = app.request("GET", "/get");
  ASSERT_TRUE(on_open);
  EXPECT_EQ(on_open->status, 200);
  EXPECT_EQ(on_open->header("Connection"), "close");
  for (int i = 0; i < 5; ++i) {
    auto fresh = get("/get");
    ASSERT_TRUE(fresh);
    EXPECT_EQ(fresh->status, 200);
  }
  auto finished = in_flight.get();
  ASSERT_TRUE(finished);
  EXPECT_EQ(finished->status, 200);

  // Once nothing is open or in flight, outrigger waits out the grace and exits 0.
  const auto quiet = Clock::now();
  EXPECT_EQ(proxy_->wait(milliseconds(5000)), 0) << proxy_->log();
  const long took = elapsedMs(quiet);
  EXPECT_GE(took, 350);
  EXPECT_LT(took, 2000);
  EXPECT_EQ(mock_->hits("/get"), 7);
}

TEST_F(DrainTest, AnOpenIdleConnectionHoldsTheDrainUntilTheTimeout) {
  startProxy("", "", "drain: { grace: 100ms, timeout: 800ms }\n");
  HttpConnection app(port_);
  ASSERT_EQ(app.request("GET", "/get")->status, 200);  // then idle, but open
  const auto start = Clock::now();
  proxy_->signal(SIGTERM);
  EXPECT_EQ(proxy_->wait(milliseconds(5000)), 0) << proxy_->log();
  const long took = elapsedMs(start);
  EXPECT_GE(took, 750);
  EXPECT_LT(took, 2500);
  EXPECT_TRUE(app.waitForClose(milliseconds(1000)));
}

TEST_F(DrainTest, PostDrainStartsTheSameDrain) {
  startProxy("", "", "drain: { grace: 200ms, timeout: 10s }\n");
  auto r = httpRequest(proxy_->adminPort(), "POST", "/drain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202);
  EXPECT_EQ(readyStatus(), 503);
  EXPECT_EQ(get("/get")->status, 200);  // still serving
  EXPECT_EQ(proxy_->wait(milliseconds(5000)), 0) << proxy_->log();
}

TEST_F(DrainTest, ASecondSignalExitsAtOnce) {
  startProxy("", "", "drain: { grace: 10s, timeout: 30s }\n");
  HttpConnection app(port_);
  ASSERT_EQ(app.request("GET", "/get")->status, 200);
  proxy_->signal(SIGTERM);
  ASSERT_TRUE(eventually([&] { return readyStatus() == 503; }));
  const auto start = Clock::now();
  proxy_->signal(SIGINT);
  EXPECT_EQ(proxy_->wait(milliseconds(3000)), 0);
  EXPECT_LT(elapsedMs(start), 1000);
}

TEST_F(DrainTest, SigtermAfterPostDrainDoesNotCutTheDrainShort) {
  // A preStop hook that calls /drain, then the kubelet's SIGTERM: one drain, not an exit.
  startProxy("", "", "drain: { grace: 300ms, timeout: 20s }\n");
  auto app = std::make_unique<HttpConnection>(port_);
  ASSERT_EQ(app->request("GET", "/get")->status, 200);
  ASSERT_EQ(httpRequest(proxy_->adminPort(), "POST", "/drain")->status, 202);
  proxy_->signal(SIGTERM);
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_TRUE(proxy_->process().running());
  EXPECT_EQ(get("/get")->status, 200);
  app.reset();  // the app closes its last connection
  EXPECT_EQ(proxy_->wait(milliseconds(5000)), 0) << proxy_->log();
}

TEST_F(DrainTest, ReloadIsRefusedWhileDraining) {
  startProxy("", "", "drain: { grace: 5s, timeout: 10s }\n");
  HttpConnection app(port_);
  ASSERT_EQ(app.request("GET", "/get")->status, 200);
  proxy_->signal(SIGTERM);
  ASSERT_TRUE(eventually([&] { return readyStatus() == 503; }));
  auto r = httpRequest(proxy_->adminPort(), "POST", "/reload");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_THAT(r->body, ::testing::HasSubstr("draining"));
}

}  // namespace
}  // namespace outrigger::testing
