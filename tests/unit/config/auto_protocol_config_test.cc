// `protocol: auto` (TLS only: ALPN decides): accepted with tls, rendered back, and refused
// without it with the reason; the defaults block is checked once merged into an upstream.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "proxy/config/render.h"
#include "tests/unit/config/config_test_util.h"

namespace outrigger::config {
namespace {

using ::testing::ElementsAre;
using testing::errorsOf;
using ::testing::HasSubstr;
using testing::withListener;

// Upstream "u" on lines 5-7, with `extra` (indented by 4) from line 8 on.
std::string withUpstream(std::string_view extra) {
  return withListener("upstreams:\n  u:\n    endpoints: [ \"10.0.0.1:443\" ]\n" +
                      std::string(extra));
}

TEST(AutoProtocolConfigTest, AutoWithTlsIsAccepted) {
  const LoadResult r = testing::load(withUpstream("    protocol: auto\n    tls: {}\n"));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  EXPECT_EQ(r.config->upstreams[0].protocol, UpstreamProtocol::kAuto);
  EXPECT_THAT(renderConfigYaml(*r.config), HasSubstr("protocol: auto"));
}

TEST(AutoProtocolConfigTest, AutoWithoutTlsSaysWhy) {
  EXPECT_THAT(errorsOf(withUpstream("    protocol: auto\n")),
              ElementsAre("test.yaml:8:15: upstreams.u.protocol: auto needs tls, and upstream "
                          "'u' has none: the upstream picks h2 or http/1.1 through ALPN, which "
                          "only a TLS handshake carries; without TLS use http2 (h2c with prior "
                          "knowledge) or http1"));
}

TEST(AutoProtocolConfigTest, AutoInDefaultsIsCheckedPerUpstream) {
  const std::string yaml = withListener(
      "defaults: { protocol: auto }\n"
      "upstreams:\n"
      "  u: { endpoints: [ \"10.0.0.1:443\" ], tls: {} }\n"
      "  plain: { endpoints: [ \"10.0.0.2:80\" ] }\n");
  const std::vector<std::string> errors = errorsOf(yaml);
  ASSERT_EQ(errors.size(), 1u);
  // Where `auto` is written, naming the upstream that inherits it without tls.
  EXPECT_THAT(errors[0], HasSubstr("test.yaml:5:23: defaults.protocol: auto needs tls, and "
                                   "upstream 'plain' has none"));
}

}  // namespace
}  // namespace outrigger::config
