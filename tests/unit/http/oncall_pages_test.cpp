// The on-call view (oncall_json over a real policy: current and next
// responder, handoffs, overrides, targets) and a ticket's paging ladders in
// ticket_json (state, last responder, ack deadline) over a real engine.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sla/calendar/calendar.hpp"
#include "sla/engine/engine.hpp"
#include "sla/http/views.hpp"
#include "sla/policy/loader.hpp"
#include "sla/testing/engine_harness.hpp"

namespace {

using nlohmann::json;
using sla::EpochMillis;
using sla::engine::EventKind;
using sla::engine::TicketEvent;

constexpr std::int64_t kMin = 60'000;

// Rotation "primary" hands off Mondays 10:00 UTC (ana from 2026-04-06, then
// luis); "secondary" is sofia, with an override by max on 2026-04-08.
constexpr const char* kPolicy = R"(
version: 1
policy_id: oncall-test
plans:
  gold:
    severities:
      P1:
        response: {within: 1h, calendar: 24x7}
escalations:
  - name: wake
    match: {plan: gold, severity: P1, metric: response}
    steps:
      - {at: breach, notify: [ops], page: true}
paging:
  rotations:
    primary:
      timezone: UTC
      members: [ana, luis]
      shift: 1w
      handoff: {weekday: mon, time: "10:00"}
      start: "2026-04-06"
    secondary:
      timezone: UTC
      members: [sofia]
      shift: 1w
      handoff: {weekday: mon, time: "10:00"}
      overrides:
        - {member: max, from: "2026-04-08T00:00", to: "2026-04-09T00:00"}
  targets:
    ops: {rotation: primary, ack_timeout: 10m, then: {rotation: secondary, ack_timeout: 15m}, repeat: 1}
)";

using sla::testing::at;

std::shared_ptr<const sla::policy::Policy> load() {
  return sla::testing::load_policy_text(kPolicy, "oncall-test.yaml");
}

const json& named(const json& list, const std::string& name) {
  for (const auto& x : list) {
    if (x["name"] == name) return x;
  }
  static const json kNone;
  ADD_FAILURE() << "no " << name << " in " << list.dump();
  return kNone;
}

TEST(OnCallJson, CurrentAndNextWithHandoffsAndOverrides) {
  const auto policy = load();
  const json j = sla::http::oncall_json(*policy, at("2026-04-07T12:00:00Z"));
  EXPECT_EQ(j["at"], "2026-04-07T12:00:00Z");
  const json& primary = named(j["rotations"], "primary");
  EXPECT_EQ(primary["current"]["member"], "ana");
  EXPECT_EQ(primary["current"]["from"], "2026-04-06T10:00:00Z");
  EXPECT_EQ(primary["current"]["until"], "2026-04-13T10:00:00Z");
  EXPECT_EQ(primary["current"]["overridden"], false);
  EXPECT_EQ(primary["next"]["member"], "luis");
  EXPECT_EQ(primary["next"]["from"], "2026-04-13T10:00:00Z");
  EXPECT_EQ(primary["timezone"], "UTC");
  EXPECT_EQ(primary["members"], json::array({"ana", "luis"}));
  // The override is ahead: listed, not active; sofia hands to max at its start.
  const json& secondary = named(j["rotations"], "secondary");
  EXPECT_EQ(secondary["current"]["member"], "sofia");
  EXPECT_EQ(secondary["current"]["until"], "2026-04-08T00:00:00Z");
  EXPECT_EQ(secondary["next"]["member"], "max");
  EXPECT_EQ(secondary["next"]["overridden"], true);
  ASSERT_EQ(secondary["overrides"].size(), 1u);
  EXPECT_EQ(secondary["overrides"][0]["active"], false);
  // During the override, and after it (when it is no longer listed).
  const json during = named(sla::http::oncall_json(*policy, at("2026-04-08T06:00:00Z"))["rotations"], "secondary");
  EXPECT_EQ(during["current"]["member"], "max");
  EXPECT_EQ(during["current"]["overridden"], true);
  EXPECT_EQ(during["next"]["member"], "sofia");
  EXPECT_EQ(during["next"]["from"], "2026-04-09T00:00:00Z");
  EXPECT_EQ(during["overrides"][0]["active"], true);
  const json after = named(sla::http::oncall_json(*policy, at("2026-04-10T00:00:00Z"))["rotations"], "secondary");
  EXPECT_TRUE(after["overrides"].empty());
  // A week later luis has primary.
  EXPECT_EQ(named(sla::http::oncall_json(*policy, at("2026-04-14T00:00:00Z"))["rotations"], "primary")["current"]["member"],
            "luis");
  // Targets: who each level would page now.
  const json& ops = named(j["targets"], "ops");
  ASSERT_EQ(ops["levels"].size(), 2u);
  EXPECT_EQ(ops["levels"][0]["responder"], "ana");
  EXPECT_EQ(ops["levels"][1]["responder"], "sofia");
  EXPECT_EQ(ops["levels"][1]["ack_timeout"], "15m");
  EXPECT_EQ(ops["repeat"], 1);
}

TicketEvent event(std::string id, EventKind kind, EpochMillis t) {
  TicketEvent e = sla::testing::event(std::move(id), "T-1", t, kind);
  e.plan = "gold";
  e.severity = "P1";
  e.status = "open";
  return e;
}

json ladder(const sla::engine::Engine& engine, EpochMillis now) {
  auto v = engine.ticket("T-1", now);
  EXPECT_TRUE(v);
  const json j = sla::http::ticket_json(*v, now);
  EXPECT_EQ(j["pages"].size(), 1u) << j.dump(2);
  return j["pages"].empty() ? json() : j["pages"][0];
}

TEST(TicketJson, PageLaddersShowStateResponderAndAckDeadline) {
  sla::engine::Engine engine(load());
  std::vector<sla::engine::Output> out;
  const EpochMillis t0 = at("2026-04-07T12:00:00Z");
  ASSERT_TRUE(engine.apply(event("open", EventKind::kOpened, t0), t0, out));
  engine.advance(t0 + 60 * kMin, out);  // breach: page level 0 (ana)
  json l = ladder(engine, t0 + 61 * kMin);
  EXPECT_EQ(l["state"], "paging");
  EXPECT_EQ(l["metric"], "response");
  EXPECT_EQ(l["cycle"], 0);
  EXPECT_EQ(l["pages_sent"], 1);
  EXPECT_EQ(l["pages_total"], 4);
  EXPECT_EQ(l["last_page"]["responder"], "ana");
  EXPECT_EQ(l["last_page"]["rotation"], "primary");
  EXPECT_EQ(l["last_page"]["level"], 0);
  EXPECT_EQ(l["last_page"]["at"], "2026-04-07T13:00:00Z");
  EXPECT_EQ(l["last_page"]["ack_deadline"], "2026-04-07T13:10:00Z");
  EXPECT_EQ(l["next_page_at"], "2026-04-07T13:10:00Z");
  EXPECT_TRUE(l["acked"].is_null());

  engine.advance(t0 + 71 * kMin, out);  // no ack: level 1 (sofia)
  l = ladder(engine, t0 + 71 * kMin);
  EXPECT_EQ(l["pages_sent"], 2);
  EXPECT_EQ(l["last_page"]["responder"], "sofia");
  EXPECT_EQ(l["last_page"]["level"], 1);
  EXPECT_EQ(l["last_page"]["at"], "2026-04-07T13:10:00Z");
  EXPECT_EQ(l["last_page"]["ack_deadline"], "2026-04-07T13:25:00Z");

  TicketEvent ack = event("ack", EventKind::kPageAcknowledged, t0 + 72 * kMin);
  ack.page_id = l["key"].get<std::string>() + "/1/0";
  ack.responder = "sofia";
  ASSERT_TRUE(engine.apply(ack, t0 + 72 * kMin, out));
  l = ladder(engine, t0 + 73 * kMin);
  EXPECT_EQ(l["state"], "acknowledged");
  EXPECT_EQ(l["stopped"], true);
  EXPECT_TRUE(l["next_page_at"].is_null());
  EXPECT_EQ(l["last_page"]["responder"], "sofia");
  EXPECT_EQ(l["acked"]["by"], "sofia");
  EXPECT_EQ(l["acked"]["at"], "2026-04-07T13:12:00Z");

  // The reason and the acknowledger survive the engine's own save and load.
  sla::engine::Engine reloaded(load());
  ASSERT_TRUE(reloaded.load_ticket(engine.save_ticket("T-1")));
  const json r = ladder(reloaded, t0 + 73 * kMin);
  EXPECT_EQ(r["state"], "acknowledged");
  EXPECT_EQ(r["acked"], l["acked"]);
}

TEST(TicketJson, ALadderGoesOnAfterItsClockIsMetAndStopsWhenResolved) {
  sla::engine::Engine engine(load());
  std::vector<sla::engine::Output> out;
  const EpochMillis t0 = at("2026-04-07T12:00:00Z");
  ASSERT_TRUE(engine.apply(event("open", EventKind::kOpened, t0), t0, out));
  engine.advance(t0 + 60 * kMin, out);
  TicketEvent responded = event("resp", EventKind::kResponded, t0 + 62 * kMin);
  ASSERT_TRUE(engine.apply(responded, t0 + 62 * kMin, out));
  // A reply to the customer is not an acknowledgement (SPEC 3): still paging.
  json l = ladder(engine, t0 + 63 * kMin);
  EXPECT_EQ(l["state"], "paging");
  EXPECT_EQ(l["pages_sent"], 1);
  ASSERT_TRUE(engine.apply(event("res", EventKind::kResolved, t0 + 64 * kMin), t0 + 64 * kMin, out));
  l = ladder(engine, t0 + 65 * kMin);
  EXPECT_EQ(l["state"], "resolved");
}

}  // namespace
