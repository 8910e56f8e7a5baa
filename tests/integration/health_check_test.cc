// Active health checks through the real binary: mock-upstream's /health is toggled with
// POST /__health/fail and /__health/ok, and the test watches traffic, metrics and the log.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>

#include "tests/integration/proxy_fixture.h"

namespace outrigger::testing {
namespace {

constexpr const char* kFastChecks =
    "    health_check: { path: /health, interval: 100ms, timeout: 100ms, "
    "unhealthy_threshold: 2, healthy_threshold: 1 }\n";

size_t countOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

bool toggleHealth(const MockUpstream& mock, const std::string& state) {
  auto r = httpRequest(mock.port(), "POST", "/__health/" + state);
  return r && r->status == 200;
}

class HealthCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(a_.ok() && b_.ok()) << "mock-upstream did not start";
    std::string yaml = proxyConfig(a_.address(), kFastChecks);
    const std::string one = "[ \"" + a_.address() + "\" ]";
    yaml.replace(yaml.find(one), one.size(),
                 "[ \"" + a_.address() + "\", \"" + b_.address() + "\" ]");
    proxy_ = std::make_unique<OutriggerProcess>(dir_, yaml);
    ASSERT_TRUE(proxy_->ok()) << proxy_->log();
  }

  std::optional<double> healthy(const MockUpstream& mock) {
    return proxy_->metric("outrigger_endpoint_healthy",
                          {{"upstream", "mock"}, {"endpoint", mock.address()}});
  }

  TempDir dir_;
  MockUpstream a_{dir_, "a"};
  MockUpstream b_{dir_, "b"};
  std::unique_ptr<OutriggerProcess> proxy_;
};

TEST_F(HealthCheckTest, FailingEndpointIsTakenOutAndComesBack) {
  // Both endpoints are probed, and both start healthy.
  ASSERT_TRUE(eventually([&] { return a_.hits("/health") > 0 && b_.hits("/health") > 0; }));
  EXPECT_EQ(healthy(a_), 1);
  EXPECT_EQ(healthy(b_), 1);

  ASSERT_TRUE(toggleHealth(a_, "fail"));
  ASSERT_TRUE(eventually([&] { return healthy(a_) == 0; })) << proxy_->log();
  EXPECT_EQ(healthy(b_), 1);
  EXPECT_EQ(countOf(proxy_->log(), "upstream mock: endpoint " + a_.address() +
                                       " is now unhealthy (2 failed checks, last: status 503)"),
            1u)
      << proxy_->log();

  HttpConnection c(proxy_->port("main"));
  const long a_before = a_.hits("/get");
  const long b_before = b_.hits("/get");
  for (int i = 0; i < 10; ++i) {
    auto r = c.request("GET", "/get");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(a_.hits("/get"), a_before);
  EXPECT_EQ(b_.hits("/get"), b_before + 10);
  EXPECT_EQ(proxy_->metric("outrigger_health_panic_total", {{"upstream", "mock"}}).value_or(0), 0);

  ASSERT_TRUE(toggleHealth(a_, "ok"));
  ASSERT_TRUE(eventually([&] { return healthy(a_) == 1; })) << proxy_->log();
  EXPECT_EQ(countOf(proxy_->log(), "upstream mock: endpoint " + a_.address() +
                                       " is healthy again (1 check passed)"),
            1u)
      << proxy_->log();
  const long a_back = a_.hits("/get");
  const long b_back = b_.hits("/get");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(c.request("GET", "/get")->status, 200);
  EXPECT_EQ(a_.hits("/get") - a_back, 5);  // round robin over both again
  EXPECT_EQ(b_.hits("/get") - b_back, 5);
}

TEST(HealthCheckPanicTest, WithNoHealthyEndpointRequestsAreStillServed) {
  TempDir dir;
  MockUpstream mock(dir);
  ASSERT_TRUE(mock.ok());
  ASSERT_TRUE(toggleHealth(mock, "fail"));
  // From `defaults:` this time: it is merged under every upstream.
  OutriggerProcess proxy(dir, proxyConfig(mock.address(), "", "",
                                          "defaults:\n"
                                          "  health_check: { interval: 100ms, timeout: 100ms, "
                                          "unhealthy_threshold: 2, healthy_threshold: 1 }\n"));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  ASSERT_TRUE(eventually([&] {
    return proxy.metric("outrigger_endpoint_healthy",
                        {{"upstream", "mock"}, {"endpoint", mock.address()}}) == 0;
  })) << proxy.log();

  for (int i = 0; i < 3; ++i) {
    auto r = httpRequest(proxy.port("main"), "GET", "/get");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_FALSE(r->hasHeader("x-outrigger-reason"));
  }
  EXPECT_EQ(mock.hits("/get"), 3);
  EXPECT_EQ(proxy.metric("outrigger_health_panic_total", {{"upstream", "mock"}}), 3);
  EXPECT_NE(proxy.log().find("upstream mock: no endpoint is healthy"), std::string::npos)
      << proxy.log();
}

TEST(HealthCheckPanicTest, SilentEndpointIsMarkedUnhealthyByTimeout) {
  TempDir dir;
  MockUpstream mock(dir);
  ASSERT_TRUE(mock.ok());
  // /delay/1000 answers after a second, far past the 100ms timeout.
  OutriggerProcess proxy(
      dir, proxyConfig(mock.address(),
                       "    health_check: { path: /delay/1000, interval: 200ms, timeout: 100ms, "
                       "unhealthy_threshold: 1 }\n"));
  ASSERT_TRUE(proxy.ok()) << proxy.log();
  ASSERT_TRUE(eventually([&] {
    return proxy.metric("outrigger_endpoint_healthy",
                        {{"upstream", "mock"}, {"endpoint", mock.address()}}) == 0;
  })) << proxy.log();
  EXPECT_NE(proxy.log().find("last: no response within 100ms"), std::string::npos) << proxy.log();
}

// Runs the binary with --check on a config; returns the exit code and the output.
int checkConfig(const TempDir& dir, const std::string& yaml, std::string* output) {
  dir.write("check.yaml", yaml);
  return runOutrigger("--check -c " + dir.file("check.yaml"), output);
}

TEST(HealthCheckConfigTest, TimeoutLongerThanIntervalIsRejected) {
  TempDir dir;
  std::string out;
  EXPECT_EQ(
      checkConfig(dir,
                  proxyConfig("10.0.0.1:8080", "    health_check: { interval: 1s, timeout: 2s }\n"),
                  &out),
      2);
  EXPECT_NE(out.find(dir.file("check.yaml") +
                     ":10:44: upstreams.mock.health_check.timeout: must not be longer than "
                     "interval (1s), got '2s'"),
            std::string::npos)
      << out;
}

TEST(HealthCheckConfigTest, EveryProblemIsListedWithItsPosition) {
  TempDir dir;
  std::string out;
  EXPECT_EQ(checkConfig(dir,
                        proxyConfig("10.0.0.1:8080",
                                    "    health_check:\n"
                                    "      path: health\n"
                                    "      interval: 0s\n"
                                    "      healthy_threshold: 0\n"
                                    "      unhealthy_treshold: 2\n"),
                        &out),
            2);
  const std::string file = dir.file("check.yaml");
  for (const std::string& expected : {
           file + ":11:13: upstreams.mock.health_check.path: must start with '/', got 'health'",
           file + ":12:17: upstreams.mock.health_check.interval: must be greater than 0, got '0s'",
           file + ":13:26: upstreams.mock.health_check.healthy_threshold: healthy_threshold "
                  "must be at least 1",
           file + ":14:7: upstreams.mock.health_check: unknown key 'unhealthy_treshold' (did you "
                  "mean 'unhealthy_threshold'?)",
       }) {
    EXPECT_NE(out.find(expected), std::string::npos) << expected << "\n" << out;
  }
}

TEST(HealthCheckConfigTest, EveryKeyIsOptional) {
  TempDir dir;
  std::string out;
  EXPECT_EQ(checkConfig(dir, proxyConfig("10.0.0.1:8080", "    health_check: {}\n"), &out), 0)
      << out;
  // A short interval alone is fine: the 1s default timeout shrinks to fit it.
  EXPECT_EQ(checkConfig(dir,
                        proxyConfig("10.0.0.1:8080", "", "",
                                    "defaults: { health_check: { interval: 500ms } }\n"),
                        &out),
            0)
      << out;
}

}  // namespace
}  // namespace outrigger::testing
