// The pure handler: every route and error path, with fake Deps.
#include "sla/http/handler.hpp"

#include <string>
#include <vector>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <gtest/gtest.h>

#include "sla/calendar/calendar.hpp"

namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;
using sla::http::Deps;
using sla::http::Request;
using sla::http::Response;

struct Calls {
  std::string ticket_id;
  std::int64_t within_ms = -1;
  std::size_t limit = 0;
  std::string validated;
  std::string calendar;
  sla::EpochMillis start = 0;
  sla::calendar::Duration duration;
  sla::http::AtRiskParams filters;
  std::string acked = "-";
  std::string responder;
  std::optional<sla::http::PagesParams> pages;
  std::optional<std::optional<sla::EpochMillis>> oncall_at;
  std::string previewed = "-";
  sla::http::PreviewParams preview;
};

Deps fake_deps(Calls& calls) {
  Deps d;
  d.healthy = [] { return true; };
  d.ready = [] { return sla::http::Readiness{true, ""}; };
  d.metrics_text = [] { return std::string("# TYPE x counter\nx 1\n"); };
  d.ticket = [&calls](std::string_view id) -> std::optional<json> {
    calls.ticket_id = std::string(id);
    if (id == "T-1" || id == "a/b c") return json{{"ticket_id", std::string(id)}};
    return std::nullopt;
  };
  d.at_risk = [&calls](const sla::http::AtRiskParams& p) {
    calls.within_ms = p.within_ms;
    calls.limit = p.limit;
    calls.filters = p;
    return json{{"count", 0}, {"tickets", json::array()}};
  };
  d.ack_page = [&calls](std::string_view page_id, std::string_view responder) -> sla::Result<json> {
    calls.acked = std::string(page_id);
    calls.responder = std::string(responder);
    if (page_id == "bogus") return sla::fail(sla::ErrorCode::kInvalidArgument, "not a page id");
    return json{{"ticket_id", "T-1"}};
  };
  d.pages = [&calls](const sla::http::PagesParams& p) {
    calls.pages = p;
    return json{{"count", 0}, {"pages", json::array()}};
  };
  d.oncall = [&calls](std::optional<sla::EpochMillis> at) {
    calls.oncall_at = at;
    return json{{"rotations", json::array()}};
  };
  d.policy_summary = [] { return json{{"policy_id", "p"}}; };
  d.validate_policy = [&calls](std::string_view text) {
    calls.validated = std::string(text);
    return json{{"ok", text == "good"}, {"errors", json::array()}};
  };
  d.preview_policy = [&calls](std::string_view text, const sla::http::PreviewParams& p) {
    calls.previewed = std::string(text);
    calls.preview = p;
    if (text == "bad") return std::pair<unsigned, json>{422, json{{"ok", false}}};
    return std::pair<unsigned, json>{200, json{{"tickets", 3}}};
  };
  d.deadline = [&calls](std::string_view cal, sla::EpochMillis start,
                        const sla::calendar::Duration& dur) -> sla::Result<sla::EpochMillis> {
    calls.calendar = std::string(cal);
    calls.start = start;
    calls.duration = dur;
    if (cal == "mars") return sla::fail(sla::ErrorCode::kNotFound, "unknown calendar 'mars'");
    return start + dur.millis;
  };
  return d;
}

Request req(bhttp::verb method, std::string target, std::string body = {}) {
  Request r{method, target, 11};
  r.set(bhttp::field::host, "localhost");
  if (!body.empty()) r.body() = std::move(body);
  r.prepare_payload();
  return r;
}

Request authed(bhttp::verb method, std::string target, std::string token, std::string body = {}) {
  Request r = req(method, std::move(target), std::move(body));
  r.set(bhttp::field::authorization, "Bearer " + token);
  return r;
}

json body_json(const Response& res) { return json::parse(res.body()); }

std::string error_of(const Response& res) {
  EXPECT_EQ(res[bhttp::field::content_type], "application/json");
  return body_json(res).at("error").get<std::string>();
}

class HandlerTest : public ::testing::Test {
 protected:
  Calls calls;
  Deps deps = fake_deps(calls);
  Response get(std::string target) {
    return sla::http::handle(req(bhttp::verb::get, std::move(target)), deps);
  }
  Response post(std::string target, std::string body) {
    return sla::http::handle(req(bhttp::verb::post, std::move(target), std::move(body)), deps);
  }
};

TEST_F(HandlerTest, Healthz) {
  auto res = get("/healthz");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(body_json(res)["status"], "ok");
  EXPECT_TRUE(res.keep_alive());
  EXPECT_EQ(res.version(), 11u);
  deps.healthy = [] { return false; };
  EXPECT_EQ(get("/healthz").result_int(), 503u);
}

TEST_F(HandlerTest, ReadyzReportsTheReason) {
  EXPECT_EQ(get("/readyz").result_int(), 200u);
  deps.ready = [] { return sla::http::Readiness{false, "redis unreachable"}; };
  auto res = get("/readyz");
  EXPECT_EQ(res.result_int(), 503u);
  EXPECT_EQ(body_json(res)["reason"], "redis unreachable");
}

TEST_F(HandlerTest, MetricsIsPrometheusText) {
  auto res = get("/metrics");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(res[bhttp::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(res.body(), "# TYPE x counter\nx 1\n");
}

TEST_F(HandlerTest, DashboardPagesLoadOnlyTheirOwnAssets) {
  for (const char* page : {"/", "/ticket", "/oncall", "/pages", "/compliance"}) {
    auto res = get(page);
    ASSERT_EQ(res.result_int(), 200u) << page;
    EXPECT_EQ(res[bhttp::field::content_type], "text/html; charset=utf-8");
    const std::string& html = res.body();
    EXPECT_NE(html.find("<script src=\"/assets/dashboard.js\" defer></script>"), std::string::npos) << page;
    EXPECT_NE(html.find("<link rel=\"stylesheet\" href=\"/assets/dashboard.css\">"), std::string::npos) << page;
    // No inline script or style, nothing from another origin.
    EXPECT_EQ(html.find("<script>"), std::string::npos) << page;
    EXPECT_EQ(html.find("<style"), std::string::npos) << page;
    EXPECT_EQ(html.find("style="), std::string::npos) << page;
    EXPECT_EQ(html.find("http://"), std::string::npos) << page;
    EXPECT_EQ(html.find("https://"), std::string::npos) << page;
    // Links between the pages.
    for (const char* href : {"href=\"/\"", "href=\"/pages\"", "href=\"/oncall\"", "href=\"/compliance\""}) {
      EXPECT_NE(html.find(href), std::string::npos) << page << " " << href;
    }
    const std::string csp(res["Content-Security-Policy"]);
    EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
    EXPECT_EQ(res["X-Content-Type-Options"], "nosniff");
  }
  auto js = get("/assets/dashboard.js");
  ASSERT_EQ(js.result_int(), 200u);
  EXPECT_EQ(js[bhttp::field::content_type], "text/javascript; charset=utf-8");
  // Server values go in as text: the script never parses HTML.
  EXPECT_EQ(js.body().find("innerHTML"), std::string::npos);
  EXPECT_EQ(js.body().find("outerHTML"), std::string::npos);
  EXPECT_EQ(js.body().find("insertAdjacentHTML"), std::string::npos);
  EXPECT_EQ(js.body().find("document.write"), std::string::npos);
  EXPECT_NE(js.body().find("/v1/tickets?"), std::string::npos);
  EXPECT_NE(js.body().find("/v1/oncall"), std::string::npos);
  EXPECT_NE(js.body().find("/v1/pages?"), std::string::npos);
  auto css = get("/assets/dashboard.css");
  ASSERT_EQ(css.result_int(), 200u);
  EXPECT_EQ(css[bhttp::field::content_type], "text/css; charset=utf-8");
  EXPECT_EQ(get("/assets/other.js").result_int(), 404u);
  EXPECT_EQ(post("/ticket", "").result_int(), 405u);
  // The dashboard itself is public; its data calls carry the token.
  deps.bearer_tokens = {"secret"};
  EXPECT_EQ(get("/").result_int(), 200u);
  EXPECT_EQ(get("/assets/dashboard.js").result_int(), 200u);
}

TEST_F(HandlerTest, UnackedPages) {
  auto res = get("/v1/pages?state=unacked");
  ASSERT_EQ(res.result_int(), 200u);
  ASSERT_TRUE(calls.pages);
  EXPECT_EQ(calls.pages->state, "unacked");
  EXPECT_EQ(calls.pages->limit, 100u);
  EXPECT_FALSE(calls.pages->tenant);
  EXPECT_EQ(get("/v1/pages?state=unacked&limit=5000&tenant=acme%20co").result_int(), 200u);
  EXPECT_EQ(calls.pages->limit, 1000u);
  EXPECT_EQ(calls.pages->tenant, "acme co");
  EXPECT_EQ(get("/v1/pages").result_int(), 200u);  // unacked is the default (and only) state
  for (const char* bad : {"/v1/pages?state=acked", "/v1/pages?state=unacked&state=unacked", "/v1/pages?limit=0",
                          "/v1/pages?limit=x", "/v1/pages?tenant=", "/v1/pages?what=1", "/v1/pages?state=%zz"}) {
    auto r = get(bad);
    EXPECT_EQ(r.result_int(), 400u) << bad;
    EXPECT_FALSE(error_of(r).empty());
  }
  EXPECT_EQ(post("/v1/pages", "").result_int(), 405u);
  deps.pages = nullptr;
  EXPECT_EQ(get("/v1/pages?state=unacked").result_int(), 501u);
}

TEST_F(HandlerTest, OnCall) {
  ASSERT_EQ(get("/v1/oncall").result_int(), 200u);
  ASSERT_TRUE(calls.oncall_at);
  EXPECT_FALSE(*calls.oncall_at);  // now
  ASSERT_EQ(get("/v1/oncall?at=2026-12-24T09%3A30%3A00Z").result_int(), 200u);
  EXPECT_EQ(*calls.oncall_at, *sla::calendar::parse_rfc3339("2026-12-24T09:30:00Z"));
  for (const char* bad : {"/v1/oncall?at=tomorrow", "/v1/oncall?at=2026-12-24T09:30:00Z&at=2026-12-24T09:30:00Z",
                          "/v1/oncall?who=x", "/v1/oncall?at=2500-01-01T00:00:00Z"}) {
    auto r = get(bad);
    EXPECT_EQ(r.result_int(), 400u) << bad;
    EXPECT_FALSE(error_of(r).empty());
  }
  EXPECT_EQ(post("/v1/oncall", "").result_int(), 405u);
  deps.oncall = nullptr;
  EXPECT_EQ(get("/v1/oncall").result_int(), 501u);
}

TEST_F(HandlerTest, TicketById) {
  auto res = get("/v1/tickets/T-1");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(body_json(res)["ticket_id"], "T-1");
  EXPECT_EQ(res[bhttp::field::content_type], "application/json");
}

TEST_F(HandlerTest, TicketIdIsPercentDecoded) {
  auto res = get("/v1/tickets/a%2Fb%20c");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(calls.ticket_id, "a/b c");
  EXPECT_EQ(get("/v1/tickets/bad%zz").result_int(), 400u);
  EXPECT_EQ(get("/v1/tickets/bad%2").result_int(), 400u);
}

TEST_F(HandlerTest, UnknownTicketIs404) {
  auto res = get("/v1/tickets/nope");
  EXPECT_EQ(res.result_int(), 404u);
  EXPECT_EQ(error_of(res), "unknown ticket 'nope'");
  EXPECT_EQ(get("/v1/tickets/").result_int(), 404u);
  EXPECT_EQ(get("/v1/tickets/a/b").result_int(), 404u);
}

TEST_F(HandlerTest, AtRiskDefaultsAndParams) {
  EXPECT_EQ(get("/v1/tickets").result_int(), 200u);
  EXPECT_EQ(calls.within_ms, 3'600'000);
  EXPECT_EQ(calls.limit, 100u);
  auto res = get("/v1/tickets?at_risk_within=1h30m&limit=7");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(body_json(res)["count"], 0);
  EXPECT_EQ(calls.within_ms, 90 * 60'000);
  EXPECT_EQ(calls.limit, 7u);
}

TEST_F(HandlerTest, AtRiskFilters) {
  auto res = get("/v1/tickets?tenant=acme%20corp&plan=gold&severity=p1&metric=resolution");
  EXPECT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(calls.filters.tenant, "acme corp");
  EXPECT_EQ(calls.filters.plan, "gold");
  EXPECT_EQ(calls.filters.severity, "p1");
  EXPECT_EQ(calls.filters.metric, "resolution");
  EXPECT_EQ(get("/v1/tickets").result_int(), 200u);
  EXPECT_FALSE(calls.filters.tenant);
  EXPECT_FALSE(calls.filters.metric);
  for (const char* target : {"/v1/tickets?metric=speed", "/v1/tickets?tenant=", "/v1/tickets?plan=a&plan=b"}) {
    calls.within_ms = -1;
    EXPECT_EQ(get(target).result_int(), 400u) << target;
    EXPECT_EQ(calls.within_ms, -1) << target;
  }
}

TEST_F(HandlerTest, PageAck) {
  auto res = post("/v1/pages/T-1%2Fresponse%2F0%2Fpage%2Fs%2Fops%2F0%2F0/ack", R"({"responder":"ann"})");
  EXPECT_EQ(res.result_int(), 202u) << res.body();
  EXPECT_EQ(calls.acked, "T-1/response/0/page/s/ops/0/0");
  EXPECT_EQ(calls.responder, "ann");
  EXPECT_EQ(post("/v1/pages/x/ack", "").result_int(), 202u);
  EXPECT_EQ(calls.responder, "");
  EXPECT_EQ(post("/v1/pages/bogus/ack", "").result_int(), 400u);
  calls.acked = "-";
  EXPECT_EQ(post("/v1/pages/x/ack", "[1]").result_int(), 400u);
  EXPECT_EQ(post("/v1/pages/x/ack", R"({"who":"ann"})").result_int(), 400u);
  EXPECT_EQ(calls.acked, "-");
  EXPECT_EQ(get("/v1/pages/x/ack").result_int(), 405u);
}

TEST_F(HandlerTest, AtRiskLimitIsCapped) {
  EXPECT_EQ(get("/v1/tickets?limit=5000").result_int(), 200u);
  EXPECT_EQ(calls.limit, 1000u);
  EXPECT_EQ(get("/v1/tickets?limit=99999999999999999999999").result_int(), 200u);
  EXPECT_EQ(calls.limit, 1000u);
}

TEST_F(HandlerTest, AtRiskBadParamsAre400) {
  for (const char* target :
       {"/v1/tickets?at_risk_within=soon", "/v1/tickets?at_risk_within=", "/v1/tickets?at_risk_within=2bd",
        "/v1/tickets?at_risk_within=nbd", "/v1/tickets?at_risk_within=-1h",
        "/v1/tickets?at_risk_within=9999d", "/v1/tickets?limit=0", "/v1/tickets?limit=-3",
        "/v1/tickets?limit=ten", "/v1/tickets?limit=", "/v1/tickets?limit=5x", "/v1/tickets?color=red",
        "/v1/tickets?limit=1&limit=2", "/v1/tickets?at_risk_within=%zz"}) {
    calls.within_ms = -1;
    auto res = get(target);
    EXPECT_EQ(res.result_int(), 400u) << target;
    EXPECT_FALSE(error_of(res).empty()) << target;
    EXPECT_EQ(calls.within_ms, -1) << target << ": deps must not be called";
  }
  EXPECT_NE(error_of(get("/v1/tickets?at_risk_within=soon")).find("at_risk_within"), std::string::npos);
}

TEST_F(HandlerTest, Deadline) {
  auto res = post("/v1/deadline", R"({"calendar":"biz","start":"2026-04-06T16:00:00Z","duration":"4h"})");
  ASSERT_EQ(res.result_int(), 200u) << res.body();
  EXPECT_EQ(calls.calendar, "biz");
  EXPECT_EQ(calls.start, sla::calendar::parse_rfc3339("2026-04-06T16:00:00Z").value());
  EXPECT_EQ(calls.duration, sla::calendar::Duration::fixed(4 * 3'600'000));
  EXPECT_EQ(body_json(res), (json{{"deadline", "2026-04-06T20:00:00Z"}}));
}

TEST_F(HandlerTest, DeadlineBadInputIs400WithAClearMessage) {
  struct Case {
    const char* body;
    const char* needle;
  };
  for (const auto& c : {
           Case{"not json", "JSON object"},
           Case{"[1,2]", "JSON object"},
           Case{R"({"start":"2026-04-06T16:00:00Z","duration":"4h"})", "'calendar'"},
           Case{R"({"calendar":"biz","start":12,"duration":"4h"})", "'start'"},
           Case{R"({"calendar":"biz","start":"yesterday","duration":"4h"})", "bad start"},
           Case{R"({"calendar":"biz","start":"2026-04-06T16:00:00Z","duration":"4 hours"})", "bad duration"},
           Case{R"({"calendar":"biz","start":"2026-04-06T16:00:00Z","duration":"4h","x":1})",
                "unknown field 'x'"},
       }) {
    auto res = post("/v1/deadline", c.body);
    EXPECT_EQ(res.result_int(), 400u) << c.body;
    EXPECT_NE(error_of(res).find(c.needle), std::string::npos) << c.body << " -> " << res.body();
  }
}

TEST_F(HandlerTest, DeadlineUnknownCalendarIs404) {
  auto res = post("/v1/deadline", R"({"calendar":"mars","start":"2026-04-06T16:00:00Z","duration":"4h"})");
  EXPECT_EQ(res.result_int(), 404u);
  EXPECT_EQ(error_of(res), "unknown calendar 'mars'");
}

TEST_F(HandlerTest, Policy) {
  auto res = get("/v1/policy");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(body_json(res)["policy_id"], "p");
}

TEST_F(HandlerTest, PolicyValidatePassesTheBody) {
  auto res = post("/v1/policy/validate", "good");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(calls.validated, "good");
  EXPECT_EQ(body_json(res)["ok"], true);
  EXPECT_EQ(body_json(post("/v1/policy/validate", "bad"))["ok"], false);
}

TEST_F(HandlerTest, PolicyPreviewPassesTheBodyAndQuery) {
  auto res = post("/v1/policy/preview", "candidate");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_EQ(body_json(res)["tickets"], 3);
  EXPECT_EQ(calls.previewed, "candidate");
  EXPECT_EQ(calls.preview.horizon_ms, 30LL * 24 * 3'600'000);  // defaults
  EXPECT_EQ(calls.preview.limit, 1000u);
  EXPECT_EQ(post("/v1/policy/preview?horizon=7d&limit=5", "c").result_int(), 200u);
  EXPECT_EQ(calls.preview.horizon_ms, 7LL * 24 * 3'600'000);
  EXPECT_EQ(calls.preview.limit, 5u);
  EXPECT_EQ(post("/v1/policy/preview", "bad").result_int(), 422u);  // the callback's status
}

TEST_F(HandlerTest, PolicyPreviewBadQueryIs400BeforeAnyWork) {
  for (const char* q : {"?horizon=2bd", "?horizon=0m", "?horizon=367d", "?horizon=x", "?limit=0", "?limit=10001",
                        "?limit=5x", "?limit=-1", "?at=now"}) {
    calls.previewed = "-";
    auto res = post(std::string("/v1/policy/preview") + q, "c");
    EXPECT_EQ(res.result_int(), 400u) << q;
    EXPECT_FALSE(error_of(res).empty()) << q;
    EXPECT_EQ(calls.previewed, "-") << q << ": the callback must not run";
  }
  EXPECT_EQ(get("/v1/policy/preview").result_int(), 405u);
}

TEST_F(HandlerTest, WrongMethodIs405WithAllow) {
  struct Case {
    bhttp::verb method;
    const char* target;
    const char* allow;
  };
  for (const auto& c :
       {Case{bhttp::verb::post, "/healthz", "GET"}, Case{bhttp::verb::delete_, "/readyz", "GET"},
        Case{bhttp::verb::put, "/metrics", "GET"}, Case{bhttp::verb::post, "/", "GET"},
        Case{bhttp::verb::post, "/v1/tickets", "GET"}, Case{bhttp::verb::post, "/v1/tickets/T-1", "GET"},
        Case{bhttp::verb::get, "/v1/deadline", "POST"}, Case{bhttp::verb::post, "/v1/policy", "GET"},
        Case{bhttp::verb::get, "/v1/policy/validate", "POST"}}) {
    auto res = sla::http::handle(req(c.method, c.target), deps);
    EXPECT_EQ(res.result_int(), 405u) << c.target;
    EXPECT_EQ(res[bhttp::field::allow], c.allow) << c.target;
    EXPECT_FALSE(error_of(res).empty());
  }
}

TEST_F(HandlerTest, UnknownRoutesAre404) {
  for (const char* target : {"/nope", "/healthz/", "/v1", "/v1/", "/v1/ticket", "/v2/tickets", "/metricsx"}) {
    auto res = get(target);
    EXPECT_EQ(res.result_int(), 404u) << target;
    EXPECT_FALSE(error_of(res).empty());
  }
}

TEST_F(HandlerTest, AuthOffByDefault) { EXPECT_EQ(get("/v1/policy").result_int(), 200u); }

TEST_F(HandlerTest, BearerTokensGuardV1Only) {
  deps.bearer_tokens = {"alpha", "beta"};
  auto res = get("/v1/policy");
  EXPECT_EQ(res.result_int(), 401u);
  EXPECT_EQ(res[bhttp::field::www_authenticate], "Bearer realm=\"sla-timer\"");
  EXPECT_EQ(error_of(res), "missing bearer token");

  auto bad = sla::http::handle(authed(bhttp::verb::get, "/v1/policy", "gamma"), deps);
  EXPECT_EQ(bad.result_int(), 401u);
  EXPECT_NE(std::string(bad[bhttp::field::www_authenticate]).find("invalid_token"), std::string::npos);

  Request basic = req(bhttp::verb::get, "/v1/policy");
  basic.set(bhttp::field::authorization, "Basic YWxwaGE6");
  EXPECT_EQ(sla::http::handle(basic, deps).result_int(), 401u);

  EXPECT_EQ(sla::http::handle(authed(bhttp::verb::get, "/v1/policy", "alpha"), deps).result_int(), 200u);
  EXPECT_EQ(sla::http::handle(authed(bhttp::verb::get, "/v1/tickets/T-1", "beta"), deps).result_int(), 200u);
  Request lower = req(bhttp::verb::get, "/v1/policy");
  lower.set(bhttp::field::authorization, "bearer alpha");
  EXPECT_EQ(sla::http::handle(lower, deps).result_int(), 200u);
  // A prefix of a token is not the token.
  EXPECT_EQ(sla::http::handle(authed(bhttp::verb::get, "/v1/policy", "alph"), deps).result_int(), 401u);

  // Unknown /v1 routes do not reveal themselves to the unauthenticated.
  EXPECT_EQ(get("/v1/secret").result_int(), 401u);
  // Probes and metrics stay open for the orchestrator and Prometheus.
  EXPECT_EQ(get("/healthz").result_int(), 200u);
  EXPECT_EQ(get("/readyz").result_int(), 200u);
  EXPECT_EQ(get("/metrics").result_int(), 200u);
}

TEST_F(HandlerTest, AnEmptyConfiguredTokenMatchesNothing) {
  deps.bearer_tokens = {""};
  Request blank = req(bhttp::verb::get, "/v1/policy");
  blank.set(bhttp::field::authorization, "Bearer   ");
  EXPECT_EQ(sla::http::handle(blank, deps).result_int(), 401u);
}

TEST_F(HandlerTest, OversizeBodyIs413) {
  deps.limits.max_body_bytes = 16;
  auto res = post("/v1/policy/validate", std::string(17, 'x'));
  EXPECT_EQ(res.result_int(), 413u);
  EXPECT_NE(error_of(res).find("limit of 16"), std::string::npos);
  EXPECT_TRUE(calls.validated.empty());
  EXPECT_EQ(post("/v1/policy/validate", std::string(16, 'x')).result_int(), 200u);
}

TEST_F(HandlerTest, MissingDepsAre501) {
  Deps empty;
  for (const char* target :
       {"/healthz", "/readyz", "/metrics", "/v1/tickets/x", "/v1/tickets", "/v1/policy"}) {
    auto res = sla::http::handle(req(bhttp::verb::get, target), empty);
    EXPECT_EQ(res.result_int(), 501u) << target;
    EXPECT_FALSE(error_of(res).empty());
  }
  EXPECT_EQ(sla::http::handle(req(bhttp::verb::post, "/v1/deadline", "{}"), empty).result_int(), 501u);
  EXPECT_EQ(sla::http::handle(req(bhttp::verb::post, "/v1/policy/validate", "x"), empty).result_int(), 501u);
}

TEST_F(HandlerTest, ThrowingDepsAre500) {
  deps.policy_summary = []() -> json { throw std::runtime_error("boom"); };
  auto res = get("/v1/policy");
  EXPECT_EQ(res.result_int(), 500u);
  EXPECT_NE(error_of(res).find("boom"), std::string::npos);
}

TEST_F(HandlerTest, InvalidUtf8IsReplacedNotThrown) {
  deps.ticket = [](std::string_view) -> std::optional<json> { return json{{"ticket_id", "\xff\xfe"}}; };
  auto res = get("/v1/tickets/x");
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_NE(res.body().find("\xEF\xBF\xBD"), std::string::npos);
}

TEST_F(HandlerTest, KeepAliveAndVersionFollowTheRequest) {
  Request r = req(bhttp::verb::get, "/healthz");
  r.keep_alive(false);
  EXPECT_FALSE(sla::http::handle(r, deps).keep_alive());
  Request old{bhttp::verb::get, "/nope", 10};
  auto res = sla::http::handle(old, deps);
  EXPECT_EQ(res.version(), 10u);
  EXPECT_FALSE(res.keep_alive());
}

TEST(StatusFor, MapsErrorCodes) {
  using sla::ErrorCode;
  EXPECT_EQ(sla::http::status_for(ErrorCode::kInvalidArgument), 400u);
  EXPECT_EQ(sla::http::status_for(ErrorCode::kOutOfRange), 400u);
  EXPECT_EQ(sla::http::status_for(ErrorCode::kNotFound), 404u);
  EXPECT_EQ(sla::http::status_for(ErrorCode::kUnavailable), 503u);
  EXPECT_EQ(sla::http::status_for(ErrorCode::kInternal), 500u);
}

TEST(PercentDecode, Decodes) {
  EXPECT_EQ(sla::http::percent_decode("a%20b%2f"), "a b/");
  EXPECT_EQ(sla::http::percent_decode("plain+"), "plain+");
  EXPECT_FALSE(sla::http::percent_decode("%"));
  EXPECT_FALSE(sla::http::percent_decode("%4"));
  EXPECT_FALSE(sla::http::percent_decode("%g0"));
}

}  // namespace
