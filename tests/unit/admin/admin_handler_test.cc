#include "proxy/admin/admin_handler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace outrigger::admin {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

AdminRequest get(std::string path) { return AdminRequest{"GET", std::move(path), "", "", true, ""}; }

class AdminHandlerTest : public ::testing::Test {
 protected:
  metrics::Metrics metrics_;
  AdminHandler handler_{metrics_};
};

TEST_F(AdminHandlerTest, MetricsServesThePrometheusTextFormat) {
  metrics_.upstream("a").countRequest(200, milliseconds(1));
  AdminResponse response = handler_.handle(get("/metrics"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(response.body,
              HasSubstr("outrigger_requests_total{code=\"200\",upstream=\"a\"} 1\n"));
  EXPECT_THAT(response.body, HasSubstr("process_resident_memory_bytes "));
}

TEST_F(AdminHandlerTest, Healthz) {
  AdminResponse response = handler_.handle(get("/healthz"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok\n");
  EXPECT_EQ(response.content_type, "text/plain; charset=utf-8");
}

TEST_F(AdminHandlerTest, ReadyFollowsTheFlag) {
  EXPECT_FALSE(handler_.ready());
  AdminResponse before = handler_.handle(get("/ready"));
  EXPECT_EQ(before.status, 503);
  EXPECT_EQ(before.body, "not ready\n");

  handler_.setReady(true);
  AdminResponse serving = handler_.handle(get("/ready"));
  EXPECT_EQ(serving.status, 200);
  EXPECT_EQ(serving.body, "ready\n");

  handler_.setReady(false);  // draining
  EXPECT_EQ(handler_.handle(get("/ready")).status, 503);
}

TEST_F(AdminHandlerTest, IndexListsTheEndpoints) {
  AdminResponse response = handler_.handle(get("/help"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/plain; charset=utf-8");
  EXPECT_THAT(response.body, HasSubstr("GET /metrics"));
  EXPECT_THAT(response.body, HasSubstr("GET /healthz"));
  EXPECT_THAT(response.body, HasSubstr("GET /ready"));
}

TEST_F(AdminHandlerTest, UnknownPathIs404) {
  EXPECT_EQ(handler_.handle(get("/nope")).status, 404);
  EXPECT_EQ(handler_.handle(get("/metrics/")).status, 404);
  EXPECT_EQ(handler_.handle(get("")).status, 404);
}

TEST_F(AdminHandlerTest, WrongMethodIs405WithAllow) {
  AdminResponse response = handler_.handle(AdminRequest{"POST", "/metrics", "", "", true, ""});
  EXPECT_EQ(response.status, 405);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].name, "Allow");
  EXPECT_EQ(response.headers[0].value, "GET");
}

TEST_F(AdminHandlerTest, MethodIsCaseSensitive) {
  EXPECT_EQ(handler_.handle(AdminRequest{"get", "/healthz", "", "", true, ""}).status, 405);
}

TEST_F(AdminHandlerTest, AddedRouteIsServedAndListed) {
  AdminRequest seen;
  handler_.addRoute("POST", "/reload",
                    [&seen](const AdminRequest& request) {
                      seen = request;
                      return textResponse(200, "reloaded\n");
                    },
                    {"reload the config", false});

  AdminResponse response =
      handler_.handle(AdminRequest{"POST", "/reload", "dry_run=1", "{}", true, ""});
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "reloaded\n");
  EXPECT_EQ(seen.query, "dry_run=1");
  EXPECT_EQ(seen.body, "{}");
  EXPECT_THAT(handler_.handle(get("/help")).body, HasSubstr("POST /reload"));
  EXPECT_EQ(handler_.handle(get("/reload")).status, 405);
}

TEST_F(AdminHandlerTest, SameMethodAndPathOnTwoMethodsListsBothInAllow) {
  handler_.addRoute("POST", "/ready", [](const AdminRequest&) { return textResponse(200, ""); });
  AdminResponse response = handler_.handle(AdminRequest{"DELETE", "/ready", "", "", true, ""});
  EXPECT_EQ(response.status, 405);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].value, "GET, POST");
}

TEST_F(AdminHandlerTest, AddRouteReplacesAnExistingRoute) {
  handler_.addRoute("GET", "/healthz",
                    [](const AdminRequest&) { return textResponse(200, "x\n"); });
  EXPECT_EQ(handler_.handle(get("/healthz")).body, "x\n");
}

TEST_F(AdminHandlerTest, LoopbackOnlyRouteRejectsRemoteCallers) {
  handler_.addRoute("POST", "/drain",
                    [](const AdminRequest&) { return textResponse(202, "draining\n"); },
                    {"start draining", true});
  AdminResponse remote = handler_.handle(AdminRequest{"POST", "/drain", "", "", false, ""});
  EXPECT_EQ(remote.status, 403);
  AdminResponse local = handler_.handle(AdminRequest{"POST", "/drain", "", "", true, ""});
  EXPECT_EQ(local.status, 202);
}

TEST_F(AdminHandlerTest, RemoteCallerWithTheAdminTokenMayMutate) {
  handler_.addRoute("POST", "/drain",
                    [](const AdminRequest&) { return textResponse(202, "draining\n"); },
                    {"start draining", true});
  AdminRequest remote{"POST", "/drain", "", "", false, ""};
  remote.authorization = "Bearer s3cret";
  EXPECT_EQ(handler_.handle(remote).status, 403);  // no token configured: loopback only

  handler_.setToken("s3cret");
  EXPECT_EQ(handler_.handle(remote).status, 202);
  remote.authorization = "Bearer s3cre";
  EXPECT_EQ(handler_.handle(remote).status, 403);
  remote.authorization = "Bearer s3cretX";
  EXPECT_EQ(handler_.handle(remote).status, 403);
  remote.authorization = "";
  EXPECT_EQ(handler_.handle(remote).status, 403);
  EXPECT_EQ(handler_.handle(AdminRequest{"POST", "/drain", "", "", true, ""}).status, 202);
}

TEST_F(AdminHandlerTest, RootIsTheHtmlStatusPage) {
  AdminResponse response = handler_.handle(get("/"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(response.body, HasSubstr("<html"));
}

TEST_F(AdminHandlerTest, RouteWithoutDescriptionIsNotListed) {
  handler_.addRoute("GET", "/hidden", [](const AdminRequest&) { return textResponse(200, ""); });
  EXPECT_THAT(handler_.handle(get("/help")).body, Not(HasSubstr("/hidden")));
  EXPECT_EQ(handler_.handle(get("/hidden")).status, 200);
}

}  // namespace
}  // namespace outrigger::admin
