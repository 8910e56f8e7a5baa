// fallback.response for gRPC (issue 17, item 5): the gRPC form (grpc_status, grpc_message)
// is read, rendered back and checked key by key, and a route that matches gRPC requests is
// refused any other form, each problem reported at its position saying why.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "proxy/config/grpc_fallback.h"
#include "proxy/config/render.h"
#include "proxy/config/route_policy.h"
#include "tests/unit/config/config_test_util.h"

namespace outrigger::config {
namespace {

using ::testing::ElementsAre;
using testing::errorsOf;
using ::testing::HasSubstr;

// Upstream "greeter" (lines 1-4, its fallback on line 4), then a listener whose route is on
// line 9, column 9.
std::string config(std::string_view fallback, std::string_view route) {
  return "upstreams:\n"
         "  greeter:\n"
         "    endpoints: [ \"10.0.0.1:50051\" ]\n"
         "    " +
         std::string(fallback) +
         "\n"
         "listeners:\n"
         "  - name: out\n"
         "    listen: 127.0.0.1:0\n"
         "    routes:\n"
         "      - " +
         std::string(route) + "\n";
}

constexpr std::string_view kGrpcRoute =
    "{ upstream: greeter, match: { headers: { content-type: application/grpc } } }";

TEST(GrpcFallbackConfigTest, TheGrpcFormIsHttp200TrailersOnly) {
  const LoadResult r = testing::load(
      config("fallback: { response: { grpc_status: unavailable, grpc_message: \"degraded\" } }",
             kGrpcRoute));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  const StaticResponseConfig& s = *r.config->upstreams[0].policies.fallback.response;
  ASSERT_TRUE(s.grpc_status);
  EXPECT_EQ(*s.grpc_status, http::GrpcStatus::kUnavailable);
  EXPECT_EQ(s.grpc_message, "degraded");
  EXPECT_EQ(s.status, 200);
  EXPECT_EQ(s.content_type, "application/grpc");
  EXPECT_EQ(s.body, "");
}

TEST(GrpcFallbackConfigTest, AGrpcStatusMayBeANumberAndRendersAsItsName) {
  const LoadResult r =
      testing::load(config("fallback: { response: { grpc_status: 8 } }", "{ upstream: greeter }"));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  const std::string yaml = renderConfigYaml(*r.config);
  EXPECT_THAT(yaml, HasSubstr("grpc_status: resource_exhausted"));
  const LoadResult again = testing::load(yaml);
  ASSERT_TRUE(again.ok()) << again.formatErrors() << yaml;
  EXPECT_EQ(again.config->upstreams[0].policies.fallback, r.config->upstreams[0].policies.fallback);
}

TEST(GrpcFallbackConfigTest, AGrpcRouteIsRefusedAnHttpFallbackAtItsMatch) {
  EXPECT_THAT(
      errorsOf(config("fallback: { response: { status: 503, body: '{\"degraded\":true}' } }",
                      kGrpcRoute)),
      ElementsAre("test.yaml:9:30: listeners[0].routes[0].match: the route matches gRPC requests "
                  "(content-type application/grpc), but upstreams.greeter.fallback.response is "
                  "an HTTP 503 reply that a gRPC client cannot read; give grpc_status (and "
                  "grpc_message) for the HTTP 200 trailers-only form, or set the route's "
                  "fallback.response: off"));
}

TEST(GrpcFallbackConfigTest, AGrpcRoutesOwnHttpResponseIsReportedWhereItIsWritten) {
  EXPECT_THAT(
      errorsOf(config("timeouts: { connect: 1s }",
                      "{ upstream: greeter, match: { headers: { content-type: application/grpc } "
                      "}, fallback: { response: { status: 503 } } }")),
      ElementsAre(HasSubstr("test.yaml:9:108: listeners[0].routes[0].fallback.response: the "
                            "route matches gRPC requests (content-type application/grpc), but "
                            "its fallback.response is an HTTP 503 reply")));
}

TEST(GrpcFallbackConfigTest, AGrpcRouteMayTurnTheUpstreamsHttpFallbackOffOrReplaceIt) {
  const std::string http = "fallback: { response: { status: 503, body: x } }";
  EXPECT_TRUE(testing::load(config(http,
                                   "{ upstream: greeter, match: { headers: { content-type: "
                                   "application/grpc } }, fallback: { response: off } }"))
                  .ok());
  const LoadResult r = testing::load(
      config(http,
             "{ upstream: greeter, match: { headers: { content-type: application/grpc } }, "
             "fallback: { response: { grpc_status: unavailable } } }"));
  ASSERT_TRUE(r.ok()) << r.formatErrors();
  const FallbackConfig merged = effectiveFallback(r.config->upstreams[0].policies.fallback,
                                                  r.config->listeners[0].routes[0].fallback);
  ASSERT_TRUE(merged.response);
  EXPECT_EQ(merged.response->status, 200);  // not the upstream's 503
  EXPECT_EQ(merged.response->body, "");     // nor its body
  EXPECT_EQ(merged.response->grpc_status, http::GrpcStatus::kUnavailable);
}

TEST(GrpcFallbackConfigTest, ARouteThatDoesNotMatchGrpcKeepsAnHttpFallback) {
  EXPECT_TRUE(
      testing::load(config("fallback: { response: { status: 503 } }", "{ upstream: greeter }"))
          .ok());
}

TEST(GrpcFallbackConfigTest, KeysThatCannotGoWithGrpcStatusAreEachReported) {
  EXPECT_THAT(
      errorsOf(config("fallback: { response: { grpc_status: unavailable, status: 503, body: x, "
                      "content_type: application/json } }",
                      "{ upstream: greeter }")),
      ElementsAre("test.yaml:4:63: upstreams.greeter.fallback.response.status: with grpc_status "
                  "the reply is HTTP 200 and trailers-only, the only failure a gRPC client "
                  "reads; remove status (or set it to 200)",
                  "test.yaml:4:74: upstreams.greeter.fallback.response.body: with grpc_status "
                  "the reply is trailers-only and has no body (a gRPC client reads a body as "
                  "length-prefixed messages); put the text in grpc_message",
                  "test.yaml:4:91: upstreams.greeter.fallback.response.content_type: with "
                  "grpc_status the content_type must be application/grpc (or "
                  "application/grpc+proto...): a gRPC client rejects any other, got "
                  "'application/json'"));
}

TEST(GrpcFallbackConfigTest, AnUnknownCodeNameGetsAHint) {
  EXPECT_THAT(errorsOf(config("fallback: { response: { grpc_status: unavailible } }",
                              "{ upstream: greeter }")),
              ElementsAre(HasSubstr("upstreams.greeter.fallback.response.grpc_status: expected a "
                                    "gRPC status name (unavailable, resource_exhausted...) or its "
                                    "number 0-16, got 'unavailible' (did you mean "
                                    "'unavailable'?)")));
  EXPECT_THAT(
      errorsOf(config("fallback: { response: { grpc_status: 17 } }", "{ upstream: greeter }")),
      ElementsAre(HasSubstr("fallback.response.grpc_status")));
}

TEST(GrpcFallbackConfigTest, AGrpcMessageNeedsAGrpcStatus) {
  EXPECT_THAT(errorsOf(config("fallback: { response: { status: 503, grpc_message: down } }",
                              "{ upstream: greeter }")),
              ElementsAre("test.yaml:4:27: upstreams.greeter.fallback.response: grpc_message "
                          "needs grpc_status beside it (the gRPC form of the reply)"));
}

}  // namespace
}  // namespace outrigger::config
