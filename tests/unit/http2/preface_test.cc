#include "proxy/http2/preface.h"

#include <gtest/gtest.h>

#include <string>

namespace outrigger::http2 {
namespace {

TEST(ClientPreface, WholePrefaceIsHttp2EvenWithFramesAfterIt) {
  EXPECT_EQ(matchClientPreface(kClientPreface), PrefaceMatch::kHttp2);
  EXPECT_EQ(matchClientPreface(std::string(kClientPreface) + "\x00\x00\x00\x04"),
            PrefaceMatch::kHttp2);
}

TEST(ClientPreface, EveryProperPrefixNeedsMoreBytes) {
  for (size_t n = 0; n < kClientPreface.size(); ++n) {
    EXPECT_EQ(matchClientPreface(kClientPreface.substr(0, n)), PrefaceMatch::kNeedMore) << n;
  }
}

TEST(ClientPreface, Http1RequestsAreToldApartAtTheFirstDifferentByte) {
  EXPECT_EQ(matchClientPreface("GET / HTTP/1.1\r\n"), PrefaceMatch::kNotHttp2);
  EXPECT_EQ(matchClientPreface("P"), PrefaceMatch::kNeedMore);
  EXPECT_EQ(matchClientPreface("POST / HTTP/1.1\r\n"), PrefaceMatch::kNotHttp2);
  // An HTTP/1 request that looks like the preface up to the version is still HTTP/1.
  EXPECT_EQ(matchClientPreface("PRI * HTTP/1.1\r\n\r\n"), PrefaceMatch::kNotHttp2);
}

}  // namespace
}  // namespace outrigger::http2
