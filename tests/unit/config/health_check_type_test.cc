// health_check.type (issues 17 and 18): its default follows who uses the upstream, what
// --print-config shows, a path with type: tcp against its exact message, and type: grpc
// (its service, and the HTTP/2 it needs).

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
using testing::load;
using ::testing::Not;

// A tcp listener on upstream "cache", an HTTP route on "web", a CONNECT route on "api",
// each with the health check `check`.
std::string threeUsers(const std::string& check) {
  return "listeners:\n"
         "  - { name: redis, listen: 127.0.0.1:0, protocol: tcp, upstream: cache }\n"
         "  - name: app\n"
         "    listen: 127.0.0.1:0\n"
         "    routes:\n"
         "      - { host: web, upstream: web }\n"
         "      - { host: api.example, upstream: api, connect: true }\n"
         "upstreams:\n"
         "  cache: { endpoints: [ \"10.0.0.1:6379\" ], health_check: " +
         check +
         " }\n"
         "  web: { endpoints: [ \"10.0.0.2:80\" ], health_check: " +
         check +
         " }\n"
         "  api: { endpoints: [ \"10.0.0.3:443\" ], health_check: " +
         check + " }\n";
}

HealthCheckType typeOf(const LoadResult& r, size_t upstream) {
  return r.config->upstreams[upstream].policies.health_check->type;
}

TEST(HealthCheckTypeTest, WithNoTypeByteTunnelsGetATcpCheckAndHttpRoutesAnHttpOne) {
  const LoadResult r = load(threeUsers("{ interval: 5s }"));
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(typeOf(r, 0), HealthCheckType::kTcp);   // cache: a tcp listener's
  EXPECT_EQ(typeOf(r, 1), HealthCheckType::kHttp);  // web: an HTTP route's
  EXPECT_EQ(typeOf(r, 2), HealthCheckType::kTcp);   // api: a CONNECT route's
  const std::string rendered = renderConfigYaml(*r.config, RenderOptions{});
  EXPECT_THAT(rendered, HasSubstr("type: tcp"));
  EXPECT_THAT(rendered, HasSubstr("type: http"));
  const LoadResult again = load(rendered);
  ASSERT_TRUE(again.errors.empty());
  EXPECT_EQ(typeOf(again, 0), HealthCheckType::kTcp);
  EXPECT_EQ(typeOf(again, 1), HealthCheckType::kHttp);
}

TEST(HealthCheckTypeTest, AnUpstreamAnHttpRouteAlsoUsesKeepsTheHttpCheck) {
  const LoadResult r = load(
      "listeners:\n"
      "  - { name: redis, listen: 127.0.0.1:0, protocol: tcp, upstream: u }\n"
      "  - { name: app, listen: 127.0.0.1:0, routes: [ { upstream: u } ] }\n"
      "upstreams:\n  u: { endpoints: [ \"10.0.0.1:80\" ], health_check: {} }\n");
  ASSERT_TRUE(r.errors.empty());
  EXPECT_EQ(typeOf(r, 0), HealthCheckType::kHttp);
}

TEST(HealthCheckTypeTest, AWrittenTypeOrPathWins) {
  const LoadResult typed = load(threeUsers("{ type: http }"));
  ASSERT_TRUE(typed.errors.empty());
  EXPECT_EQ(typeOf(typed, 0), HealthCheckType::kHttp);
  const LoadResult with_path = load(threeUsers("{ path: /ping }"));
  ASSERT_TRUE(with_path.errors.empty());
  EXPECT_EQ(typeOf(with_path, 0), HealthCheckType::kHttp);
  const LoadResult tcp = load(threeUsers("{ type: tcp }"));
  ASSERT_TRUE(tcp.errors.empty());
  EXPECT_EQ(typeOf(tcp, 1), HealthCheckType::kTcp);
  EXPECT_THAT(renderConfigYaml(*tcp.config, RenderOptions{}), Not(HasSubstr("path: /health")));
}

TEST(HealthCheckTypeTest, APathWithTypeTcpAndAnUnknownTypeAreErrors) {
  EXPECT_THAT(
      errorsOf("listeners:\n  - { name: l, listen: 127.0.0.1:0, routes: [ { upstream: u } ] }\n"
               "upstreams:\n  u:\n    endpoints: [ \"10.0.0.1:80\" ]\n"
               "    health_check: { type: tcp, path: /x }\n"),
      ElementsAre("test.yaml:6:38: upstreams.u.health_check.path: applies only to type: http; "
                  "a tcp check only connects"));
  EXPECT_THAT(
      errorsOf("listeners:\n  - { name: l, listen: 127.0.0.1:0, routes: [ { upstream: u } ] }\n"
               "upstreams:\n  u:\n    endpoints: [ \"10.0.0.1:80\" ]\n"
               "    health_check: { type: udp }\n"),
      ElementsAre(HasSubstr("upstreams.u.health_check.type: ")));
}

// One HTTP upstream `u` with the given protocol and health check.
std::string grpcUpstream(const std::string& protocol, const std::string& check) {
  return "listeners:\n  - { name: l, listen: 127.0.0.1:0, routes: [ { upstream: u } ] }\n"
         "upstreams:\n  u:\n    endpoints: [ \"10.0.0.1:50051\" ]\n"
         "    protocol: " +
         protocol + "\n    health_check: " + check + "\n";
}

TEST(HealthCheckTypeTest, AGrpcCheckNamesItsServiceAndSurvivesARender) {
  const LoadResult r = load(grpcUpstream("http2", "{ type: grpc, service: greeter.Greeter }"));
  ASSERT_TRUE(r.errors.empty());
  const HealthCheckConfig& check = *r.config->upstreams[0].policies.health_check;
  EXPECT_EQ(check.type, HealthCheckType::kGrpc);
  EXPECT_EQ(check.service, "greeter.Greeter");
  const std::string rendered = renderConfigYaml(*r.config, RenderOptions{});
  EXPECT_THAT(rendered, HasSubstr("type: grpc"));
  EXPECT_THAT(rendered, HasSubstr("service: greeter.Greeter"));
  EXPECT_THAT(rendered, Not(HasSubstr("path: /health")));
  const LoadResult again = load(rendered);
  ASSERT_TRUE(again.errors.empty());
  EXPECT_EQ(*again.config->upstreams[0].policies.health_check, check);
  // Without a service, the server as a whole is asked about; auto may carry it too.
  const LoadResult whole = load(grpcUpstream("http2", "{ type: grpc }"));
  ASSERT_TRUE(whole.errors.empty());
  EXPECT_EQ(whole.config->upstreams[0].policies.health_check->service, "");
  EXPECT_TRUE(
      load(grpcUpstream("auto\n    tls: { verify: false }", "{ type: grpc }")).errors.empty());
}

TEST(HealthCheckTypeTest, AGrpcCheckNeedsHttp2AndTakesNoPathAndOnlyItTakesAService) {
  EXPECT_THAT(errorsOf(grpcUpstream("http1", "{ type: grpc }")),
              ElementsAre("test.yaml:7:27: upstreams.u.health_check.type: type: grpc needs "
                          "protocol: http2 or auto on upstream 'u': the gRPC health check is an "
                          "HTTP/2 call"));
  EXPECT_THAT(errorsOf(grpcUpstream("http2", "{ type: grpc, path: /health }")),
              ElementsAre(HasSubstr("upstreams.u.health_check.path: applies only to type: http; "
                                    "a grpc check calls /grpc.health.v1.Health/Check")));
  EXPECT_THAT(errorsOf(grpcUpstream("http2", "{ path: /health, service: x }")),
              ElementsAre(HasSubstr("upstreams.u.health_check.service: applies only to type: "
                                    "grpc")));
}

}  // namespace
}  // namespace outrigger::config
