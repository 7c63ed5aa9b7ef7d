// GET /v1/reports/compliance and GET /openapi.json in the pure handler.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sla/http/handler.hpp"

namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;

class ReportsApi : public ::testing::Test {
 protected:
  std::optional<sla::report::Query> seen;
  sla::http::Deps deps;
  void SetUp() override {
    deps.compliance = [this](const sla::report::Query& q) -> sla::Result<json> {
      seen = q;
      if (q.tenant && *q.tenant == "busy") return sla::fail(sla::ErrorCode::kUnavailable, "another report");
      return json{{"groups", json::array()}};
    };
  }
  sla::http::Response get(const std::string& target) {
    sla::http::Request r{bhttp::verb::get, target, 11};
    r.set(bhttp::field::host, "localhost");
    r.prepare_payload();
    return sla::http::handle(r, deps);
  }
};

TEST_F(ReportsApi, PassesThePeriodTenantAndGrouping) {
  const auto res = get("/v1/reports/compliance?from=2026-04-01T00:00:00%2B02:00&to=2026-05-01T00:00:00Z"
                       "&tenant=acme&group_by=plan,metric");
  ASSERT_EQ(res.result_int(), 200U) << res.body();
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->from, 1774994400000);  // 2026-03-31T22:00:00Z
  EXPECT_EQ(seen->to, 1777593600000);    // 2026-05-01T00:00:00Z
  EXPECT_EQ(seen->tenant, "acme");
  EXPECT_EQ(seen->group_by, sla::report::kByPlan | sla::report::kByMetric);
}

TEST_F(ReportsApi, PassesTheFiltersAndTheBucket) {
  const auto res = get("/v1/reports/compliance?from=2026-04-01T00:00:00Z&to=2026-04-02T00:00:00Z"
                       "&plan=gold&severity=P1&metric=resolution&bucket=6h");
  ASSERT_EQ(res.result_int(), 200U) << res.body();
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->plan, "gold");
  EXPECT_EQ(seen->severity, "P1");
  EXPECT_EQ(seen->metric, sla::engine::MetricKind::kResolution);
  EXPECT_EQ(seen->bucket_ms, 6 * 3'600'000);
  EXPECT_FALSE(seen->tenant);
  seen.reset();
  // 30 days of 1 h buckets (720) is within the bound.
  EXPECT_EQ(get("/v1/reports/compliance?from=2026-04-01T00:00:00Z&to=2026-05-01T00:00:00Z&bucket=1h").result_int(),
            200U);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->bucket_ms, 3'600'000);
  EXPECT_FALSE(seen->metric);
}

TEST_F(ReportsApi, RefusesWhatItCannotAnswerExactly) {
  for (const char* target : {"/v1/reports/compliance", "/v1/reports/compliance?from=2026-04-01T00:00:00Z",
                             "/v1/reports/compliance?from=2026-05-01T00:00:00Z&to=2026-04-01T00:00:00Z",
                             "/v1/reports/compliance?from=yesterday&to=2026-04-01T00:00:00Z",
                             "/v1/reports/compliance?from=2026-04-01T00:00:00Z&to=2026-05-01T00:00:00Z&group_by=colour",
                             "/v1/reports/compliance?from=2026-04-01T00:00:00Z&to=2026-05-01T00:00:00Z&limit=3",
                             "/v1/reports/compliance?from=2026-04-01T00:00:00Z&from=2026-04-01T00:00:00Z&to=2026-05-01T00:00:00Z",
                             // more than 1000 buckets, no width, a width that is not wall-clock time
                             "/v1/reports/compliance?from=2026-04-01T00:00:00Z&to=2026-05-01T00:00:00Z&bucket=30m",
                             "/v1/reports/compliance?from=2026-04-01T00:00:00Z&to=2026-05-01T00:00:00Z&bucket=0s",
                             "/v1/reports/compliance?from=2026-04-01T00:00:00Z&to=2026-05-01T00:00:00Z&bucket=2bd",
                             "/v1/reports/compliance?from=2026-04-01T00:00:00Z&to=2026-05-01T00:00:00Z&bucket=1h&bucket=1h",
                             "/v1/reports/compliance?from=2026-04-01T00:00:00Z&to=2026-05-01T00:00:00Z&metric=colour",
                             "/v1/reports/compliance?from=2026-04-01T00:00:00Z&to=2026-05-01T00:00:00Z&plan="}) {
    seen.reset();
    const auto res = get(target);
    EXPECT_EQ(res.result_int(), 400U) << target;
    EXPECT_TRUE(json::parse(res.body()).contains("error")) << target;
    EXPECT_FALSE(seen) << target;
  }
}

TEST_F(ReportsApi, UnavailableIs503AndMissingIs501) {
  EXPECT_EQ(get("/v1/reports/compliance?from=2026-04-01T00:00:00Z&to=2026-05-01T00:00:00Z&tenant=busy").result_int(),
            503U);
  deps.compliance = nullptr;
  EXPECT_EQ(get("/v1/reports/compliance?from=2026-04-01T00:00:00Z&to=2026-05-01T00:00:00Z").result_int(), 501U);
}

TEST_F(ReportsApi, OpenApiDocumentDescribesTheRoutes) {
  const auto res = get("/openapi.json");
  ASSERT_EQ(res.result_int(), 200U);
  EXPECT_EQ(res[bhttp::field::content_type], "application/json");
  const auto doc = json::parse(res.body());
  EXPECT_EQ(doc.at("openapi").get<std::string>().substr(0, 2), "3.");
  for (const char* path : {"/healthz", "/readyz", "/metrics", "/v1/tickets", "/v1/tickets/{ticket_id}",
                           "/v1/pages/{page_id}/ack", "/v1/deadline", "/v1/policy", "/v1/policy/validate",
                           "/v1/reports/compliance", "/openapi.json", "/v1/pages", "/v1/oncall", "/ticket", "/oncall",
                           "/pages", "/compliance"}) {
    EXPECT_TRUE(doc.at("paths").contains(path)) << path;
  }
}

}  // namespace
