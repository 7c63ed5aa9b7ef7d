// JSON views over a real engine and policy: ticket, at-risk list, policy
// summary, validation errors, the what-if deadline.
#include "sla/http/views.hpp"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sla/calendar/calendar.hpp"
#include "sla/engine/engine.hpp"
#include "sla/policy/loader.hpp"
#include "sla/testing/engine_harness.hpp"

namespace {

using nlohmann::json;
using sla::EpochMillis;
using sla::engine::EventKind;
using sla::engine::TicketEvent;

constexpr std::int64_t kMin = 60'000;
constexpr std::int64_t kHour = 60 * kMin;

constexpr const char* kPolicy = R"(
version: 1
policy_id: http-test
calendars:
  biz:
    timezone: UTC
    hours:
      mon-fri: ["09:00-17:00"]
plans:
  gold:
    severities:
      P1:
        response:   {within: 1h, calendar: 24x7}
        resolution: {within: 4h, calendar: 24x7}
      P2:
        response:   {within: 8h, calendar: biz}
warnings: [50%]
pause_on: [pending_customer]
)";

using sla::testing::at;

std::shared_ptr<const sla::policy::Policy> load() {
  return sla::testing::load_policy_text(kPolicy, "http-test.yaml");
}

TicketEvent opened(std::string id, EpochMillis t, std::string severity) {
  return sla::testing::event(id + "-open", id, t, EventKind::kOpened, "gold", std::move(severity));
}

TEST(Views, TicketJsonShowsClocksDeadlinesAndFiredItems) {
  sla::engine::Engine engine(load());
  std::vector<sla::engine::Output> out;
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");  // a Monday
  ASSERT_TRUE(engine.apply(opened("T-1", t0, "P1"), t0, out));
  engine.advance(t0 + 40 * kMin, out);  // past the 50% response warning

  auto view = engine.ticket("T-1", t0 + 40 * kMin);
  ASSERT_TRUE(view);
  const json j = sla::http::ticket_json(*view, t0 + 40 * kMin);
  EXPECT_EQ(j["ticket_id"], "T-1");
  EXPECT_EQ(j["tenant_id"], "acme");
  EXPECT_EQ(j["plan"], "gold");
  EXPECT_EQ(j["severity"], "P1");
  EXPECT_EQ(j["opened_at"], "2026-04-06T10:00:00Z");
  EXPECT_EQ(j["now"], "2026-04-06T10:40:00Z");
  ASSERT_TRUE(j["clocks"].is_array());
  const json* response = nullptr;
  for (const auto& c : j["clocks"]) {
    if (c["metric"] == "response") response = &c;
  }
  ASSERT_NE(response, nullptr) << j.dump(2);
  EXPECT_EQ((*response)["state"], "running");
  EXPECT_EQ((*response)["deadline"], "2026-04-06T11:00:00Z");
  EXPECT_EQ((*response)["target_ms"], kHour);
  EXPECT_EQ((*response)["elapsed_ms"], 40 * kMin);
  EXPECT_EQ((*response)["remaining_ms"], 20 * kMin);
  EXPECT_EQ((*response)["deadline_in_ms"], 20 * kMin);
  EXPECT_TRUE((*response)["pause_reason"].is_null());
  ASSERT_TRUE((*response)["fired"].is_array());
  EXPECT_FALSE((*response)["fired"].empty()) << j.dump(2);
  EXPECT_TRUE(j["history"].is_array());
  EXPECT_TRUE(j["pages"].is_array());
  // Serialisable as-is.
  EXPECT_FALSE(j.dump().empty());
}

TEST(Views, PausedClockHasAReasonAndNoDeadline) {
  sla::engine::Engine engine(load());
  std::vector<sla::engine::Output> out;
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  ASSERT_TRUE(engine.apply(opened("T-2", t0, "P1"), t0, out));
  TicketEvent pause;
  pause.event_id = "T-2-pause";
  pause.ticket_id = "T-2";
  pause.tenant_id = "acme";
  pause.occurred_at = t0 + 10 * kMin;
  pause.kind = EventKind::kStatusChanged;
  pause.status = "pending_customer";
  ASSERT_TRUE(engine.apply(pause, t0 + 10 * kMin, out));
  const json j = sla::http::ticket_json(*engine.ticket("T-2", t0 + 20 * kMin), t0 + 20 * kMin);
  for (const auto& c : j["clocks"]) {
    if (c["state"] != "paused") continue;
    EXPECT_EQ(c["pause_reason"], "status") << c.dump();
    EXPECT_EQ(c["pause_status"], "pending_customer");
    EXPECT_TRUE(c["deadline"].is_null());
    EXPECT_TRUE(c["deadline_in_ms"].is_null());
    // Its timeline: 10 minutes counted, then paused by the status until now.
    const json want = json::array({
        {{"from", "2026-04-06T10:00:00Z"}, {"to", "2026-04-06T10:10:00Z"}, {"ms", 10 * kMin}, {"kind", "counted"},
         {"status", nullptr}},
        {{"from", "2026-04-06T10:10:00Z"}, {"to", "2026-04-06T10:20:00Z"}, {"ms", 10 * kMin}, {"kind", "status"},
         {"status", "pending_customer"}},
    });
    EXPECT_EQ(c["stretches"], want) << c.dump(2);
    EXPECT_EQ(c["stretches_truncated"], false);
    return;
  }
  ADD_FAILURE() << "no paused clock: " << j.dump(2);
}

TEST(Views, AtRiskJsonSortsLimitsAndGroups) {
  const EpochMillis now = at("2026-04-06T10:00:00Z");
  using sla::engine::AtRisk;
  using sla::engine::MetricKind;
  std::vector<AtRisk> items{
      {"T-3", MetricKind::kResolution, now + 30 * kMin, "gold", "P1"},
      {"T-1", MetricKind::kResponse, now - 5 * kMin, "gold", "P1"},
      {"T-2", MetricKind::kResponse, now + 10 * kMin, "silver", "P2"},
      {"T-4", MetricKind::kResponse, now + 50 * kMin, "gold", "P1"},
  };
  const json j = sla::http::at_risk_json(items, now, kHour, 3);
  EXPECT_EQ(j["count"], 3);
  EXPECT_EQ(j["within_ms"], kHour);
  ASSERT_EQ(j["tickets"].size(), 3u);
  EXPECT_EQ(j["tickets"][0]["ticket_id"], "T-1");
  EXPECT_EQ(j["tickets"][0]["overdue"], true);
  EXPECT_EQ(j["tickets"][0]["deadline_in_ms"], -5 * kMin);
  EXPECT_EQ(j["tickets"][0]["deadline"], "2026-04-06T09:55:00Z");
  EXPECT_EQ(j["tickets"][1]["ticket_id"], "T-2");
  EXPECT_EQ(j["tickets"][2]["ticket_id"], "T-3");
  EXPECT_EQ(j["tickets"][2]["metric"], "resolution");
  EXPECT_EQ(j["by_plan_severity"],
            (json::array({json{{"plan", "gold"}, {"severity", "P1"}, {"at_risk", 2}, {"overdue", 1}},
                          json{{"plan", "silver"}, {"severity", "P2"}, {"at_risk", 1}, {"overdue", 0}}})));
}

TEST(Views, AtRiskFromTheEngine) {
  sla::engine::Engine engine(load());
  std::vector<sla::engine::Output> out;
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  ASSERT_TRUE(engine.apply(opened("A", t0, "P1"), t0, out));
  const json j = sla::http::at_risk_json(engine.at_risk(t0, kHour, 100), t0, kHour, 100);
  ASSERT_GE(j["count"].get<int>(), 1) << j.dump(2);
  EXPECT_EQ(j["tickets"][0]["ticket_id"], "A");
  EXPECT_EQ(j["tickets"][0]["deadline"], "2026-04-06T11:00:00Z");
}

TEST(Views, PolicyJson) {
  auto p = load();
  const json j = sla::http::policy_json(*p);
  EXPECT_EQ(j["policy_id"], "http-test");
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["summary"], p->summary());
  ASSERT_EQ(j["plans"].size(), 1u);
  EXPECT_EQ(j["plans"][0]["name"], "gold");
  EXPECT_EQ(j["plans"][0]["severities"], (json::array({"P1", "P2"})));
  EXPECT_EQ(j["calendars"], (json::array({"24x7", "biz"})));
}

TEST(Views, ValidatePolicyReportsPositions) {
  sla::policy::LoadOptions opts;
  opts.file = "upload.yaml";
  const json good = sla::http::validate_policy_json(kPolicy, opts);
  EXPECT_EQ(good, (json{{"ok", true}, {"errors", json::array()}}));

  const json bad = sla::http::validate_policy_json("version: 1\npolicy_id: x\nplans:\n  gold: 7\n", opts);
  EXPECT_EQ(bad["ok"], false);
  ASSERT_FALSE(bad["errors"].empty());
  const auto& e = bad["errors"][0];
  EXPECT_EQ(e["file"], "upload.yaml");
  EXPECT_GT(e["line"].get<int>(), 0);
  EXPECT_GT(e["column"].get<int>(), 0);
  EXPECT_FALSE(e["message"].get<std::string>().empty());

  const json garbage = sla::http::validate_policy_json("{{{{", opts);
  EXPECT_EQ(garbage["ok"], false);
  EXPECT_FALSE(garbage["errors"].empty());
}

// SPEC 5.3: a policy sent over HTTP never makes the service read a file,
// even when the caller's options carry a reader.
TEST(Views, ValidatePolicyNeverReadsFiles) {
  sla::policy::LoadOptions opts;
  opts.file = "upload.yaml";
  int reads = 0;
  opts.read_file = [&reads](const std::string&) -> sla::Result<std::string> {
    ++reads;
    return std::string("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n");
  };
  const json j = sla::http::validate_policy_json(
      "version: 1\npolicy_id: x\ncalendars:\n  biz: {timezone: UTC, hours: {mon-fri: [\"09:00-17:00\"]}, "
      "ics: holidays.ics}\nplans:\n  gold: {severities: {P1: {response: {within: 1h}}}}\n",
      opts);
  EXPECT_EQ(reads, 0);
  EXPECT_EQ(j["ok"], false);
  ASSERT_EQ(j["errors"].size(), 1u);
  EXPECT_NE(j["errors"][0]["message"].get<std::string>().find("ICS files are only read for a policy loaded from its own folder"),
            std::string::npos);
}

TEST(Views, PolicyDeadline) {
  auto p = load();
  const auto friday_4pm = at("2026-04-10T16:00:00Z");
  auto d = sla::http::policy_deadline(*p, "biz", friday_4pm, sla::calendar::Duration::fixed(2 * kHour));
  ASSERT_TRUE(d);
  EXPECT_EQ(sla::calendar::format_rfc3339(*d), "2026-04-13T10:00:00Z");

  auto unknown = sla::http::policy_deadline(*p, "mars", friday_4pm, sla::calendar::Duration::fixed(kHour));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, sla::ErrorCode::kNotFound);
  EXPECT_NE(unknown.error().message.find("biz"), std::string::npos);

  auto far =
      sla::http::policy_deadline(*p, "24x7", friday_4pm, sla::calendar::Duration::fixed(INT64_MAX / 2));
  ASSERT_FALSE(far);
  EXPECT_EQ(far.error().code, sla::ErrorCode::kOutOfRange);
}

}  // namespace

namespace {

// The ticket view shows the exchanges of the ticket's cycle and its
// escalation request (issue 17), null when there is none.
TEST(HttpViews, TicketShowsExchangesAndTheEscalationRequest) {
  sla::engine::TicketView v;
  v.ticket_id = "T-3";
  v.opened = true;
  v.exchanges = 2;
  v.awaiting_customer = true;
  const EpochMillis now = 1775476800000;  // 2026-04-06T12:00:00Z
  json j = sla::http::ticket_json(v, now);
  EXPECT_EQ(j["exchanges"], 2);
  EXPECT_EQ(j["awaiting_customer"], true);
  EXPECT_TRUE(j["escalation_request"].is_null()) << j.dump();
  v.escalation_requested_at = now - 30 * kMin;
  v.escalation_requested_by = "cfo@acme";
  v.escalation_reason = "ESCALATION: stores offline";
  j = sla::http::ticket_json(v, now);
  EXPECT_EQ(j["escalation_request"],
            json({{"at", "2026-04-06T11:30:00Z"}, {"by", "cfo@acme"}, {"reason", "ESCALATION: stores offline"}}))
      << j.dump();
}

}  // namespace
