// Engine behaviour on a manual clock: lifecycles, business time, pauses,
// retargets, reopen, update cycles, late and duplicate events, paging
// ladders, determinism and state round trips.
#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "sla/calendar/calendar.hpp"
#include "sla/engine/engine.hpp"
#include "sla/policy/loader.hpp"
#include "sla/testing/engine_harness.hpp"

namespace {

using sla::EpochMillis;
using sla::engine::Engine;
using sla::engine::EventKind;
using sla::engine::Output;
using sla::engine::PageOutput;
using sla::engine::SlaKind;
using sla::engine::SlaOutput;
using sla::engine::TicketEvent;
using sla::testing::at;
using sla::testing::iso;
using sla::testing::event;
// Drives an engine like the daemon would, but on a simulated clock that
// jumps to every timer: outputs carry exact fire times.
using Harness = sla::testing::EngineHarness;

constexpr std::int64_t kMin = 60'000;
constexpr std::int64_t kHour = 60 * kMin;

// Options that keep little: a closed ticket is dropped, and events are
// folded, `horizon` after the fact (retention and lateness both).
sla::engine::EngineOptions keep_for(std::int64_t horizon) {
  sla::engine::EngineOptions o;
  o.retention_ms = horizon;
  o.max_lateness_ms = horizon;
  return o;
}

// A policy exercising most rules. `biz` is Mon-Fri 09:00-17:00 UTC.
constexpr const char* kPolicy = R"(
version: 1
policy_id: engine-test
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
        update:     {every: 30m, calendar: 24x7}
      P2:
        response:   {within: 8h, calendar: biz}
        resolution: {within: 2bd, calendar: biz}
      P3:
        response:   {within: 3h, calendar: 24x7}
  silver:
    severities:
      P1:
        response:
          in_hours:    {within: 30m, calendar: biz}
          after_hours: {within: 2h, calendar: 24x7}
warnings: [50%, 75%, -10m]
after_breach: {repeat: 1h, times: 2}
pause_on: [pending_customer, on_hold]
on_retarget: keep_elapsed
on_reopen: {resolution: resume}
escalations:
  - name: gold-p1
    match: {plan: gold, severity: P1, metric: resolution}
    steps:
      - {at: 30m, notify: [lead]}
      - {at: breach, notify: [t3], page: true}
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
  targets:
    t3: {rotation: primary, ack_timeout: 10m, then: {rotation: secondary, ack_timeout: 10m}, repeat: 1}
)";

std::shared_ptr<const sla::policy::Policy> load(const char* yaml = kPolicy) {
  return sla::testing::load_policy_text(yaml, "engine-test.yaml");
}

// Ticket T1, gold P1, opened at `t0` and answered a minute later: its
// resolution clock (4h) breaches at t0 + 4h, where gold-p1's last step pages t3.
void open_gold_p1_responded(Harness& h, EpochMillis t0) {
  h.send(event("e1", "T1", t0, EventKind::kOpened, "gold", "P1"));
  h.send(event("e2", "T1", t0 + kMin, EventKind::kResponded));
}

TEST(Engine, ResponseWarningsBreachAndRemindersOn24x7) {
  Harness h(load());
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("e1", "T1", t0, EventKind::kOpened, "gold", "P3"));
  h.run_until(t0 + 10 * kHour);
  // 3h target: 50% = 1h30, 75% = 2h15, -10m = 2h50, breach 3h, reminders 4h, 5h.
  const std::vector<std::pair<std::string, EpochMillis>> expected = {
      {"T1/response/0/warning/50%", t0 + 90 * kMin},   {"T1/response/0/warning/75%", t0 + 135 * kMin},
      {"T1/response/0/warning/-10m", t0 + 170 * kMin}, {"T1/response/0/breached/0", t0 + 3 * kHour},
      {"T1/response/0/breached/1", t0 + 4 * kHour},    {"T1/response/0/breached/2", t0 + 5 * kHour},
  };
  ASSERT_EQ(h.out.size(), expected.size()) << ::testing::PrintToString(h.ids());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& s = std::get<SlaOutput>(h.out[i]);
    EXPECT_EQ(s.event_id, expected[i].first);
    EXPECT_EQ(iso(s.fired_at), iso(expected[i].second)) << s.event_id;
    EXPECT_EQ(s.deadline, t0 + 3 * kHour);
    EXPECT_EQ(s.target_ms, 3 * kHour);
    EXPECT_EQ(s.plan, "gold");
    EXPECT_EQ(s.tenant_id, "acme");
  }
  EXPECT_EQ(std::get<SlaOutput>(h.out[4]).reminder, 1u);
  EXPECT_EQ(std::get<SlaOutput>(h.out[0]).threshold, "50%");
  EXPECT_FALSE(h.engine.next_due().has_value());  // nothing left to fire
}

TEST(Engine, MetBeforeDeadlineStopsTheClock) {
  Harness h(load());
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("e1", "T1", t0, EventKind::kOpened, "gold", "P3"));
  h.send(event("e2", "T1", t0 + 100 * kMin, EventKind::kResponded));
  h.run_until(t0 + 48 * kHour);
  EXPECT_EQ(h.ids(), (std::vector<std::string>{"T1/response/0/warning/50%", "T1/response/0/met/0"}));
  const auto* met = h.find("T1/response/0/met/0");
  ASSERT_NE(met, nullptr);
  EXPECT_EQ(met->elapsed_ms, 100 * kMin);
  EXPECT_EQ(met->kind, SlaKind::kMet);
  auto view = h.engine.ticket("T1", h.now);
  ASSERT_TRUE(view);
  ASSERT_EQ(view->clocks.size(), 1u);
  EXPECT_EQ(view->clocks[0].state, sla::engine::ClockState::kMet);
  ASSERT_EQ(view->history.size(), 1u);
  EXPECT_EQ(view->history[0].outcome, "met");
}

TEST(Engine, BusinessHoursDeadlineSkipsTheWeekend) {
  Harness h(load());
  // Friday 15:00 UTC; 8h of Mon-Fri 09-17 -> 2h Friday + 6h Monday = Monday 15:00.
  const EpochMillis t0 = at("2026-04-10T15:00:00Z");
  h.send(event("e1", "T1", t0, EventKind::kOpened, "gold", "P2"));
  h.run_until(at("2026-04-13T15:00:00Z"));
  const auto* breach = h.find("T1/response/0/breached/0");
  ASSERT_NE(breach, nullptr);
  EXPECT_EQ(iso(breach->fired_at), "2026-04-13T15:00:00Z");
  EXPECT_EQ(iso(breach->deadline.value_or(0)), "2026-04-13T15:00:00Z");
  // 50% = 4h counted: 2h Friday + 2h Monday -> Monday 11:00.
  const auto* w50 = h.find("T1/response/0/warning/50%");
  ASSERT_NE(w50, nullptr);
  EXPECT_EQ(iso(w50->fired_at), "2026-04-13T11:00:00Z");
  // The 2bd resolution target = 16h: Fri 2h + Mon 8h + Tue 6h -> Tuesday 15:00.
  auto view = h.engine.ticket("T1", at("2026-04-11T12:00:00Z"));
  ASSERT_TRUE(view);
  for (const auto& c : view->clocks) {
    if (c.metric == sla::policy::Metric::kResolution) {
      ASSERT_TRUE(c.deadline);
      EXPECT_EQ(iso(*c.deadline), "2026-04-14T15:00:00Z");
      EXPECT_EQ(c.pause_reason, sla::engine::PauseReason::kOutsideHours);  // Saturday
      EXPECT_EQ(c.state, sla::engine::ClockState::kPaused);
    }
  }
}

TEST(Engine, InHoursAndAfterHoursVariants) {
  Harness h(load());
  // Opened Monday 10:00 (open): 30 min on biz.
  h.send(event("a1", "IN", at("2026-04-06T10:00:00Z"), EventKind::kOpened, "silver", "P1"));
  // Opened Monday 20:00 (closed): 2h on 24x7.
  h.send(event("b1", "OUT", at("2026-04-06T20:00:00Z"), EventKind::kOpened, "silver", "P1"));
  h.run_until(at("2026-04-07T12:00:00Z"));
  ASSERT_NE(h.find("IN/response/0/breached/0"), nullptr);
  EXPECT_EQ(iso(h.find("IN/response/0/breached/0")->fired_at), "2026-04-06T10:30:00Z");
  ASSERT_NE(h.find("OUT/response/0/breached/0"), nullptr);
  EXPECT_EQ(iso(h.find("OUT/response/0/breached/0")->fired_at), "2026-04-06T22:00:00Z");
}

TEST(Engine, StatusPauseMovesTheDeadline) {
  Harness h(load());
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("e1", "T1", t0, EventKind::kOpened, "gold", "P1"));
  h.send(event("e2", "T1", t0 + 5 * kMin, EventKind::kResponded));
  h.send(event("e3", "T1", t0 + 1 * kHour, EventKind::kStatusChanged, "pending_customer"));
  auto view = h.engine.ticket("T1", t0 + 2 * kHour);
  ASSERT_TRUE(view);
  bool saw = false;
  for (const auto& c : view->clocks) {
    if (c.metric == sla::policy::Metric::kResolution) {
      saw = true;
      EXPECT_EQ(c.state, sla::engine::ClockState::kPaused);
      EXPECT_EQ(c.pause_reason, sla::engine::PauseReason::kStatus);
      EXPECT_EQ(c.pause_status, "pending_customer");
      EXPECT_EQ(c.elapsed_ms, 1 * kHour);
      EXPECT_FALSE(c.deadline.has_value());
    }
  }
  EXPECT_TRUE(saw);
  // Paused for 3h, then 3h of the 4h target remain.
  h.send(event("e4", "T1", t0 + 4 * kHour, EventKind::kStatusChanged, "open"));
  h.run_until(t0 + 8 * kHour);
  const auto* breach = h.find("T1/resolution/0/breached/0");
  ASSERT_NE(breach, nullptr);
  EXPECT_EQ(iso(breach->fired_at), iso(t0 + 7 * kHour));
  // Response never pauses and was met.
  EXPECT_NE(h.find("T1/response/0/met/0"), nullptr);
}

TEST(Engine, RetargetKeepElapsedBreachesAtOnceWithoutSkippedWarnings) {
  Harness h(load());
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("e1", "T1", t0, EventKind::kOpened, "gold", "P3"));  // 3h on 24x7
  h.run_until(t0 + 80 * kMin);                                    // before 50% (90m)
  ASSERT_TRUE(h.out.empty());
  h.send(event("e2", "T1", t0 + 80 * kMin, EventKind::kSeverityChanged, "P1"));  // 1h target, 80m elapsed
  EXPECT_EQ(h.ids(), (std::vector<std::string>{"T1/response/0/breached/0"}));
  EXPECT_EQ(h.find("T1/response/0/breached/0")->fired_at, t0 + 80 * kMin);
  EXPECT_EQ(h.find("T1/response/0/breached/0")->target_ms, 1 * kHour);
  EXPECT_EQ(h.find("T1/response/0/breached/0")->severity, "P1");
  // The P1 clocks that P3 lacked start at the change.
  h.run_until(t0 + 80 * kMin + 4 * kHour);
  const auto* res = h.find("T1/resolution/0/breached/0");
  ASSERT_NE(res, nullptr);
  EXPECT_EQ(res->fired_at, t0 + 80 * kMin + 4 * kHour);
}

TEST(Engine, RetargetRestartStartsANewCycle) {
  std::string yaml = kPolicy;
  yaml.replace(yaml.find("on_retarget: keep_elapsed"), 25, "on_retarget: restart");
  Harness h(load(yaml.c_str()));
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("e1", "T1", t0, EventKind::kOpened, "gold", "P3"));
  h.send(event("e2", "T1", t0 + 80 * kMin, EventKind::kSeverityChanged, "P1"));
  h.run_until(t0 + 80 * kMin + 1 * kHour);
  const auto* breach = h.find("T1/response/1/breached/0");
  ASSERT_NE(breach, nullptr);
  EXPECT_EQ(breach->fired_at, t0 + 140 * kMin);
  EXPECT_EQ(h.find("T1/response/0/breached/0"), nullptr);
}

TEST(Engine, UpdateCyclesRestartOnAgentUpdate) {
  Harness h(load());
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("e1", "T1", t0, EventKind::kOpened, "gold", "P1"));
  h.send(event("e2", "T1", t0 + 1 * kMin, EventKind::kResponded));
  h.send(event("e3", "T1", t0 + 20 * kMin, EventKind::kAgentUpdated));  // cycle 0 met
  h.run_until(t0 + 20 * kMin + 30 * kMin);                            // cycle 1 breaches at +50m
  EXPECT_NE(h.find("T1/update/0/met/0"), nullptr);
  EXPECT_NE(h.find("T1/update/0/warning/50%"), nullptr);
  const auto* b = h.find("T1/update/1/breached/0");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->fired_at, t0 + 50 * kMin);
  EXPECT_EQ(b->cycle, 1u);
  // Resolve stops updates (no more cycles), and meets resolution.
  h.send(event("e4", "T1", t0 + 60 * kMin, EventKind::kResolved));
  const std::size_t n = h.out.size();
  h.run_until(t0 + 10 * kHour);
  EXPECT_EQ(h.out.size(), n);
  EXPECT_NE(h.find("T1/resolution/0/met/0"), nullptr);
}

TEST(Engine, ReopenResumesResolutionWithElapsedKept) {
  Harness h(load());
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("e1", "T1", t0, EventKind::kOpened, "gold", "P1"));
  h.send(event("e2", "T1", t0 + 1 * kMin, EventKind::kResponded));
  h.send(event("e3", "T1", t0 + 1 * kHour, EventKind::kResolved));
  h.send(event("e4", "T1", t0 + 5 * kHour, EventKind::kReopened));
  h.run_until(t0 + 12 * kHour);
  // 1h counted before the resolve; 3h more after the reopen at +5h -> +8h.
  const auto* b = h.find("T1/resolution/0/breached/0");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->fired_at, t0 + 8 * kHour);
  EXPECT_EQ(b->cycle, 0u);
  // response: ignore on reopen (stays met).
  EXPECT_EQ(h.find("T1/response/0/breached/0"), nullptr);
}

TEST(Engine, LateRespondedBeforeTheTimerPreventsTheBreach) {
  Harness h(load());
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("e1", "T1", t0, EventKind::kOpened, "gold", "P3"));
  h.run_until(t0 + 2 * kHour);
  // Responded at +2h50 (the -10m warning time) but delivered first... then an
  // earlier status event arrives out of order: the ticket is recomputed.
  h.send(event("e3", "T1", t0 + 170 * kMin, EventKind::kResponded));
  h.send_late(event("e2", "T1", t0 + 30 * kMin, EventKind::kStatusChanged, "on_hold"), t0 + 171 * kMin);
  h.run_until(t0 + 10 * kHour);
  EXPECT_EQ(h.find("T1/response/0/breached/0"), nullptr);
  EXPECT_NE(h.find("T1/response/0/met/0"), nullptr);
  EXPECT_EQ(h.engine.stats().out_of_order, 1u);
}

TEST(Engine, LateEventRecomputesAndNeverDuplicatesOutputs) {
  Harness h(load());
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("e1", "T1", t0, EventKind::kOpened, "gold", "P1"));
  h.send(event("e2", "T1", t0 + 1 * kMin, EventKind::kResponded));
  h.run_until(t0 + 3 * kHour);  // resolution: 50% at 2h, 75% at 3h
  ASSERT_NE(h.find("T1/resolution/0/warning/75%"), nullptr);
  const std::size_t before = h.out.size();
  // A pause from +1h to +2h arrives late: the deadline moves from +4h to +5h.
  h.send_late(event("p1", "T1", t0 + 1 * kHour, EventKind::kStatusChanged, "on_hold"), t0 + 3 * kHour);
  h.send_late(event("p2", "T1", t0 + 2 * kHour, EventKind::kStatusChanged, "open"), t0 + 3 * kHour);
  // Nothing new yet (warnings already sent are not sent again).
  for (std::size_t i = before; i < h.out.size(); ++i) {
    ADD_FAILURE() << "unexpected " << sla::engine::output_id(h.out[i]);
  }
  h.run_until(t0 + 4 * kHour + 30 * kMin);
  EXPECT_EQ(h.find("T1/resolution/0/breached/0"), nullptr);  // not at +4h any more
  h.run_until(t0 + 5 * kHour);
  ASSERT_NE(h.find("T1/resolution/0/breached/0"), nullptr);
  EXPECT_EQ(h.find("T1/resolution/0/breached/0")->fired_at, t0 + 5 * kHour);
  const auto all = h.ids();
  std::set<std::string> unique(all.begin(), all.end());
  EXPECT_EQ(unique.size(), h.out.size());
}

TEST(Engine, DuplicateEventIdsHaveNoEffect) {
  Harness h(load());
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("e1", "T1", t0, EventKind::kOpened, "gold", "P1"));
  h.send(event("e2", "T1", t0 + kMin, EventKind::kAgentUpdated));
  h.send(event("e2", "T1", t0 + 2 * kMin, EventKind::kAgentUpdated));  // same id
  EXPECT_EQ(h.engine.stats().duplicates, 1u);
  auto view = h.engine.ticket("T1", h.now);
  for (const auto& c : view->clocks) {
    if (c.metric == sla::policy::Metric::kUpdate) {
      EXPECT_EQ(c.cycle, 1u);
    }
  }
}

TEST(Engine, UnknownPlanOrSeverityIsRejectedWithoutState) {
  Engine e(load());
  std::vector<Output> out;
  auto r = e.apply(event("e1", "T1", 1000, EventKind::kOpened, "platinum", "P1"), 1000, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, sla::ErrorCode::kNotFound);
  EXPECT_NE(r.error().message.find("platinum"), std::string::npos);
  r = e.apply(event("e2", "T1", 1000, EventKind::kOpened, "gold", "P9"), 1000, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(e.ticket_count(), 0u);
  ASSERT_TRUE(e.apply(event("e3", "T1", 1000, EventKind::kOpened, "gold", "P1"), 1000, out));
  EXPECT_FALSE(e.apply(event("e4", "T1", 2000, EventKind::kSeverityChanged, "P7"), 2000, out));
}

TEST(Engine, EscalationPagesClimbTheLadderUntilAcked) {
  Harness h(load());
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");  // Monday 10:00: ana's week starts
  open_gold_p1_responded(h, t0);
  h.run_until(t0 + 4 * kHour + 15 * kMin);
  EXPECT_NE(h.find("T1/resolution/0/escalated/gold-p1/1"), nullptr);
  ASSERT_NE(h.find("T1/resolution/0/escalated/gold-p1/2"), nullptr);
  auto pages = h.pages();
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_EQ(pages[0]->page_id, "T1/resolution/0/page/gold-p1/2/t3/0/0");
  EXPECT_EQ(pages[0]->rotation, "primary");
  EXPECT_EQ(pages[0]->responder, "ana");
  EXPECT_EQ(pages[0]->fired_at, t0 + 4 * kHour);
  EXPECT_EQ(pages[0]->ack_deadline, t0 + 4 * kHour + 10 * kMin);
  EXPECT_EQ(pages[1]->rotation, "secondary");
  EXPECT_EQ(pages[1]->responder, "sofia");
  EXPECT_EQ(pages[1]->level, 1u);
  EXPECT_EQ(pages[1]->fired_at, t0 + 4 * kHour + 10 * kMin);
  h.send(event("ack", "T1", t0 + 4 * kHour + 15 * kMin, EventKind::kPageAcknowledged, pages[1]->page_id, "sofia"));
  h.run_until(t0 + 24 * kHour);
  EXPECT_EQ(h.pages().size(), 2u);
  const auto v = h.engine.ticket("T1", h.now);
  ASSERT_EQ(v->pages.size(), 1u);
  EXPECT_EQ(v->pages[0].state, "acknowledged");
  EXPECT_EQ(v->pages[0].acked_by, "sofia");
  EXPECT_EQ(v->pages[0].acked_at, t0 + 4 * kHour + 15 * kMin);
}

TEST(Engine, WhoAcknowledgedSurvivesRecomputeAndRestore) {
  // Responder and page ids are free text: a responder that looks like a
  // packed length ("12:x") and a page id of another ladder must not confuse it.
  Harness h(load());
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  open_gold_p1_responded(h, t0);
  h.run_until(t0 + 4 * kHour + 5 * kMin);
  const auto pages = h.pages();
  ASSERT_EQ(pages.size(), 1u);
  h.send(event("bogus", "T1", t0 + 4 * kHour + 6 * kMin, EventKind::kPageAcknowledged, "T1/response/0/page/x/0/0", "eve"));
  EXPECT_FALSE(h.engine.ticket("T1", h.now)->pages[0].acked_at);
  h.send(event("ack", "T1", t0 + 4 * kHour + 7 * kMin, EventKind::kPageAcknowledged, pages[0]->page_id, "12:x"));
  // A late event before the ack recomputes the ticket from its events.
  h.send_late(event("late", "T1", t0 + 2 * kHour, EventKind::kStatusChanged, "open"), h.now);
  h.run_until(t0 + 24 * kHour);
  EXPECT_EQ(h.pages().size(), 1u);
  auto v = h.engine.ticket("T1", h.now);
  ASSERT_EQ(v->pages.size(), 1u);
  EXPECT_EQ(v->pages[0].acked_by, "12:x");
  EXPECT_EQ(v->pages[0].acked_at, t0 + 4 * kHour + 7 * kMin);
  // Saved and loaded (format version 6) into another engine: the same.
  const std::string bytes = h.engine.save_ticket("T1");
  ASSERT_EQ(bytes[0], '\x06');
  Engine e2(load());
  ASSERT_TRUE(e2.load_ticket(bytes));
  v = e2.ticket("T1", h.now);
  ASSERT_EQ(v->pages.size(), 1u);
  EXPECT_EQ(v->pages[0].state, "acknowledged");
  EXPECT_EQ(v->pages[0].acked_by, "12:x");
  EXPECT_EQ(v->pages[0].acked_at, t0 + 4 * kHour + 7 * kMin);
  EXPECT_EQ(e2.save_ticket("T1"), bytes);
}

TEST(Engine, AnAckAfterTheCycleEndedIsStillRecorded) {
  // The resolution clock's ladder pages; resolving ends the cycle (and the
  // ladder, "resolved"); the on-call's ack arrives a minute later.
  Harness h(load());
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  open_gold_p1_responded(h, t0);
  h.run_until(t0 + 4 * kHour + 5 * kMin);
  const auto pages = h.pages();
  ASSERT_EQ(pages.size(), 1u);
  h.send(event("e3", "T1", t0 + 4 * kHour + 6 * kMin, EventKind::kResolved));
  h.send(event("ack", "T1", t0 + 4 * kHour + 7 * kMin, EventKind::kPageAcknowledged, pages[0]->page_id, "ana"));
  const auto v = h.engine.ticket("T1", h.now);
  ASSERT_EQ(v->pages.size(), 1u);
  EXPECT_NE(v->pages[0].state, "acknowledged");  // the first reason stays
  EXPECT_EQ(v->pages[0].acked_by, "ana");
  EXPECT_EQ(v->pages[0].acked_at, t0 + 4 * kHour + 7 * kMin);
}

TEST(Engine, UnackedLadderRepeatsThenStops) {
  Harness h(load());
  const EpochMillis t0 = at("2026-04-13T10:00:00Z");  // luis's week
  open_gold_p1_responded(h, t0);
  h.run_until(t0 + 24 * kHour);
  auto pages = h.pages();
  // 2 levels x (1 + repeat 1) = 4 pages, 10 min apart.
  ASSERT_EQ(pages.size(), 4u);
  for (std::size_t i = 0; i < pages.size(); ++i) {
    EXPECT_EQ(pages[i]->fired_at, t0 + 4 * kHour + static_cast<std::int64_t>(i) * 10 * kMin);
    EXPECT_EQ(pages[i]->level, i % 2);
    EXPECT_EQ(pages[i]->attempt, i / 2);
    EXPECT_EQ(pages[i]->responder, i % 2 == 0 ? "luis" : "sofia");
    EXPECT_EQ(pages[i]->dedup_key, "T1/resolution/0/page/gold-p1/2/t3");
  }
}

TEST(Engine, ResolutionStopsTheLadder) {
  Harness h(load());
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  open_gold_p1_responded(h, t0);
  h.run_until(t0 + 4 * kHour + 5 * kMin);
  ASSERT_EQ(h.pages().size(), 1u);
  h.send(event("e3", "T1", t0 + 4 * kHour + 5 * kMin, EventKind::kResolved));
  h.run_until(t0 + 24 * kHour);
  EXPECT_EQ(h.pages().size(), 1u);
}

// gold P3's response clock (3h, 24x7) pages t3 at once; `stop_on` as given.
std::shared_ptr<const sla::policy::Policy> with_response_ladder(const std::string& stop_on) {
  std::string yaml = kPolicy;
  const std::string anchor = "paging:\n  rotations:";
  const auto pos = yaml.find(anchor);
  EXPECT_NE(pos, std::string::npos);
  yaml.insert(pos, "  - name: p3-now\n    match: {plan: gold, severity: P3, metric: response}\n" + stop_on +
                       "    steps:\n      - {at: 0m, notify: [t3], page: true}\n");
  return load(yaml.c_str());
}

TEST(PageLifecycle, AMetClockDoesNotStopItsLadderAnAckDoesThenTheResolutionClosesIt) {
  Harness h(with_response_ladder(""));
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");  // ana's week
  h.send(event("o", "A", t0, EventKind::kOpened, "gold", "P3"));
  h.send(event("r", "A", t0 + 5 * kMin, EventKind::kResponded));  // a reply to the customer: not an ack
  h.run_until(t0 + 15 * kMin);
  const auto pages = h.pages();
  ASSERT_EQ(pages.size(), 2u);  // 10:00 ana, 10:10 sofia: still paging after the met
  EXPECT_EQ(pages[1]->responder, "sofia");
  const std::string dedup = pages[0]->dedup_key;
  const std::string second = pages[1]->page_id;  // (h.out grows: no pointers kept past a send)
  EXPECT_EQ(h.engine.ticket("A", h.now)->pages[0].state, "paging");
  h.send(event("ack", "A", t0 + 15 * kMin, EventKind::kPageAcknowledged, second, "sofia"));
  h.run_until(t0 + 2 * kHour);
  EXPECT_EQ(h.pages().size(), 2u);
  const auto acks = h.pages(sla::engine::PageAction::kAcknowledge);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0]->page_id, "A/response/0/page/p3-now/1/t3/acknowledge");
  EXPECT_EQ(acks[0]->dedup_key, dedup);
  EXPECT_EQ(acks[0]->responder, "sofia");
  EXPECT_EQ(acks[0]->fired_at, t0 + 15 * kMin);
  EXPECT_FALSE(acks[0]->ack_deadline);
  EXPECT_TRUE(h.pages(sla::engine::PageAction::kResolve).empty());
  // Resolving closes the incident (acknowledged or not), once; closing after it adds nothing.
  h.send(event("res", "A", t0 + 3 * kHour, EventKind::kResolved));
  h.send(event("cl", "A", t0 + 4 * kHour, EventKind::kClosed));
  const auto res = h.pages(sla::engine::PageAction::kResolve);
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res[0]->page_id, "A/response/0/page/p3-now/1/t3/resolve");
  EXPECT_EQ(res[0]->fired_at, t0 + 3 * kHour);
  EXPECT_EQ(res[0]->responder, "sofia");  // the last page's
}

TEST(PageLifecycle, StopOnMetEndsTheLadderWithItsClockAndResolvesTheIncident) {
  Harness h(with_response_ladder("    stop_on: [met]\n"));
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("o", "A", t0, EventKind::kOpened, "gold", "P3"));
  h.send(event("r", "A", t0 + 5 * kMin, EventKind::kResponded));
  h.run_until(t0 + 2 * kHour);
  EXPECT_EQ(h.pages().size(), 1u);
  const auto res = h.pages(sla::engine::PageAction::kResolve);
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res[0]->fired_at, t0 + 5 * kMin);
  EXPECT_EQ(h.engine.ticket("A", h.now)->pages[0].state, "cycle_ended");
  // A ladder that never paged has no incident: nothing to resolve.
  Harness q(with_response_ladder("    stop_on: [met]\n"));
  q.send(event("o", "B", t0, EventKind::kOpened, "gold", "P1"));
  q.send(event("res", "B", t0 + kMin, EventKind::kResolved));
  EXPECT_TRUE(q.out.empty() || q.pages(sla::engine::PageAction::kResolve).empty());
}

TEST(LateMatch, ATicketRaisedAfterItsReplyPagesTheNewSeveritysOnCallNow) {
  // gold P2 has no response ladder; P3's pages at 0m. Answered at P2, then
  // raised to P3: the P3 on-call is paged at the change (SPEC 3 round 2).
  Harness h(with_response_ladder(""));
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("o", "A", t0, EventKind::kOpened, "gold", "P2"));
  h.send(event("r", "A", t0 + 5 * kMin, EventKind::kResponded));
  EXPECT_TRUE(h.pages().empty());
  h.send(event("s", "A", t0 + kHour, EventKind::kSeverityChanged, "P3"));
  const auto* step = h.find("A/response/0/escalated/p3-now/1");
  ASSERT_NE(step, nullptr) << ::testing::PrintToString(h.ids());
  EXPECT_EQ(step->fired_at, t0 + kHour);
  auto pages = h.pages();
  ASSERT_EQ(pages.size(), 1u);
  EXPECT_EQ(pages[0]->page_id, "A/response/0/page/p3-now/1/t3/0/0");
  EXPECT_EQ(pages[0]->fired_at, t0 + kHour);
  EXPECT_EQ(pages[0]->responder, "ana");
  // Down and up again: the step fired once per cycle, nothing new.
  h.send(event("s2", "A", t0 + kHour + kMin, EventKind::kSeverityChanged, "P2"));
  h.send(event("s3", "A", t0 + kHour + 2 * kMin, EventKind::kSeverityChanged, "P3"));
  h.send(event("ack", "A", t0 + kHour + 3 * kMin, EventKind::kPageAcknowledged, "A/response/0/page/p3-now/1/t3/0/0", "ana"));
  h.run_until(t0 + 3 * kHour);
  EXPECT_EQ(h.pages().size(), 1u);
  // A late event before the change recomputes the ticket: the same outputs.
  const auto ids = h.ids();
  h.send_late(event("st", "A", t0 + 30 * kMin, EventKind::kStatusChanged, "open"), h.now);
  EXPECT_EQ(h.ids(), ids);
  // A resolved ticket raised later pages nobody.
  h.send(event("o", "B", t0, EventKind::kOpened, "gold", "P2"));
  h.send(event("res", "B", t0 + 3 * kHour + kMin, EventKind::kResolved));
  h.send(event("sb", "B", t0 + 3 * kHour + 2 * kMin, EventKind::kSeverityChanged, "P3"));
  EXPECT_EQ(h.find("B/response/0/escalated/p3-now/1"), nullptr);
}

TEST(PageLifecycle, StopOnNamesWhatItDoesNotKnow) {
  std::string yaml = kPolicy;
  const std::string anchor = "      - {at: 30m, notify: [lead]}\n      - {at: breach";
  const auto pos = yaml.find(anchor);
  ASSERT_NE(pos, std::string::npos);
  const std::size_t at_line = pos - std::string("    steps:\n").size();
  yaml.insert(at_line, "    stop_on: [met, breached]\n");
  const auto line = static_cast<int>(std::count(yaml.begin(), yaml.begin() + static_cast<std::ptrdiff_t>(at_line), '\n')) + 1;
  std::vector<sla::policy::LoadError> errors;
  sla::policy::LoadOptions opts;
  opts.file = "engine-test.yaml";
  EXPECT_FALSE(sla::policy::load_policy(yaml, opts, errors));
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].message.find("stop_on: unknown event 'breached'"), std::string::npos) << errors[0].message;
  EXPECT_EQ(errors[0].line, line);
  EXPECT_EQ(errors[0].column, 20);  // the 'breached' entry
}

// A random ticket stream for the property tests.
std::vector<TicketEvent> random_stream(std::mt19937_64& rng, int tickets, EpochMillis t0) {
  std::vector<TicketEvent> evs;
  const std::vector<std::pair<std::string, std::string>> opens = {
      {"gold", "P1"}, {"gold", "P2"}, {"gold", "P3"}, {"silver", "P1"}};
  int id = 0;
  // Appended rather than "e" + to_string(): g++ 12 at -O3 reports a false
  // -Wrestrict on the operator+ form (GCC bug 105651).
  auto next_id = [&id] {
    std::string s = "e";
    s += std::to_string(id++);
    return s;
  };
  for (int k = 0; k < tickets; ++k) {
    const std::string tk = "T" + std::to_string(k);
    EpochMillis t = t0 + static_cast<EpochMillis>(rng() % (72 * 3600)) * 1000;
    const auto& o = opens[rng() % opens.size()];
    evs.push_back(event(next_id(), tk, t, EventKind::kOpened, o.first, o.second));
    const int n = static_cast<int>(rng() % 8);
    for (int j = 0; j < n; ++j) {
      t += static_cast<EpochMillis>(1 + rng() % (3 * 3600)) * 1000;  // strictly increasing per ticket
      const auto pick = rng() % 9;
      TicketEvent e;
      switch (pick) {
        case 0: e = event("", tk, t, EventKind::kResponded); break;
        case 1: e = event("", tk, t, EventKind::kAgentUpdated); break;
        case 2: e = event("", tk, t, EventKind::kStatusChanged, "pending_customer"); break;
        case 3: e = event("", tk, t, EventKind::kStatusChanged, "open"); break;
        case 4: e = event("", tk, t, EventKind::kSeverityChanged, rng() % 2 ? "P1" : "P3"); break;
        case 5: e = event("", tk, t, EventKind::kResolved); break;
        case 6: e = event("", tk, t, EventKind::kReopened); break;
        case 7: e = event("", tk, t, EventKind::kWorkaroundProvided); break;
        default: e = event("", tk, t, EventKind::kPageAcknowledged); break;
      }
      e.event_id = next_id();
      if (e.kind == EventKind::kSeverityChanged && o.first == "silver") e.severity = "P1";
      evs.push_back(e);
    }
  }
  std::stable_sort(evs.begin(), evs.end(),
                   [](const TicketEvent& a, const TicketEvent& b) { return a.occurred_at < b.occurred_at; });
  return evs;
}

std::vector<std::string> run_exact(const std::shared_ptr<const sla::policy::Policy>& p,
                                   const std::vector<TicketEvent>& evs, EpochMillis end,
                                   std::map<std::string, EpochMillis>* fired = nullptr) {
  Harness h(p);
  for (const auto& e : evs) h.send(e);
  h.run_until(end);
  std::vector<std::string> lines;
  for (const auto& o : h.out) {
    lines.push_back(sla::engine::output_id(o));
    if (fired != nullptr) {
      const EpochMillis f = std::visit([](const auto& x) { return x.fired_at; }, o);
      fired->emplace(sla::engine::output_id(o), f);
    }
  }
  return lines;
}

TEST(EngineProperty, ReplayIsDeterministic) {
  auto p = load();
  std::mt19937_64 rng(7);
  auto evs = random_stream(rng, 300, at("2026-04-06T00:00:00Z"));
  const EpochMillis end = at("2026-04-20T00:00:00Z");
  EXPECT_EQ(run_exact(p, evs, end), run_exact(p, evs, end));
}

// Coarse, irregular advance() calls (a busy daemon) produce exactly the same
// outputs as exact timer firing, and never fire anything early.
TEST(EngineProperty, CoarseAdvanceMatchesExactFiringAndNeverFiresEarly) {
  auto p = load();
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    std::mt19937_64 rng(seed);
    auto evs = random_stream(rng, 200, at("2026-04-06T00:00:00Z"));
    const EpochMillis end = at("2026-04-20T00:00:00Z");
    std::map<std::string, EpochMillis> exact_fired;
    auto exact = run_exact(p, evs, end, &exact_fired);

    Engine e(p);
    std::vector<Output> out;
    EpochMillis now = evs.front().occurred_at;
    std::size_t i = 0;
    while (now < end) {
      now += static_cast<EpochMillis>(rng() % 600'000) + 1;  // up to 10 min per tick
      while (i < evs.size() && evs[i].occurred_at <= now) {
        // Events are delivered when the tick reaches them: advance first so
        // timers due before the event fire before it is applied.
        e.advance(evs[i].occurred_at, out);
        ASSERT_TRUE(e.apply(evs[i], evs[i].occurred_at, out));
        ++i;
      }
      e.advance(now, out);
    }
    std::multiset<std::string> a(exact.begin(), exact.end());
    std::multiset<std::string> b;
    for (const auto& o : out) {
      b.insert(sla::engine::output_id(o));
      const EpochMillis f = std::visit([](const auto& x) { return x.fired_at; }, o);
      auto it = exact_fired.find(sla::engine::output_id(o));
      if (it != exact_fired.end()) {
        EXPECT_GE(f, it->second) << "fired early: " << sla::engine::output_id(o);
      }
    }
    std::vector<std::string> only_exact, only_coarse;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only_exact));
    std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(only_coarse));
    EXPECT_TRUE(only_exact.empty() && only_coarse.empty())
        << "seed " << seed << " only exact: " << ::testing::PrintToString(only_exact)
        << " only coarse: " << ::testing::PrintToString(only_coarse);
  }
}

TEST(EngineProperty, OutOfOrderDeliveryConvergesToTheInOrderResult) {
  // Each ticket's events delivered newest first (tickets interleaved at
  // random), all in one late batch, give exactly the outputs of delivering
  // them in order: until `opened` arrives no clock runs, and when it does the
  // ticket is recomputed from the complete, ordered history.
  auto p = load();
  std::mt19937_64 rng(11);
  auto evs = random_stream(rng, 100, at("2026-04-06T00:00:00Z"));
  const EpochMillis end = at("2026-04-25T00:00:00Z");
  const EpochMillis deliver = evs.back().occurred_at;
  std::map<std::string, std::vector<TicketEvent>> per_ticket;
  for (const auto& e : evs) per_ticket[e.ticket_id].push_back(e);
  std::vector<std::vector<TicketEvent>> queues;
  for (auto& [id, q] : per_ticket) queues.push_back(q);  // each back() is the newest
  std::vector<TicketEvent> shuffled;
  while (!queues.empty()) {
    const std::size_t k = rng() % queues.size();
    shuffled.push_back(queues[k].back());
    queues[k].pop_back();
    if (queues[k].empty()) queues.erase(queues.begin() + static_cast<std::ptrdiff_t>(k));
  }
  ASSERT_EQ(shuffled.size(), evs.size());

  auto run = [&](const std::vector<TicketEvent>& in) {
    Engine e(p);
    std::vector<Output> out;
    for (const auto& x : in) EXPECT_TRUE(e.apply(x, deliver, out));
    for (auto due = e.next_due(); due && *due <= end; due = e.next_due()) e.advance(std::max(*due, deliver), out);
    std::multiset<std::string> ids;
    for (const auto& o : out) ids.insert(sla::engine::output_id(o));
    return ids;
  };
  const auto a = run(evs);
  const auto b = run(shuffled);
  std::vector<std::string> only_a, only_b;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only_a));
  std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(only_b));
  EXPECT_TRUE(only_a.empty() && only_b.empty())
      << "in order only: " << ::testing::PrintToString(only_a) << " shuffled only: " << ::testing::PrintToString(only_b);
}

// Every field of an output, for exact comparisons.
std::string dump(const Output& o) {
  std::string s;
  auto add = [&s](const auto&... parts) { ((s += ::testing::PrintToString(parts), s += '|'), ...); };
  if (const auto* x = std::get_if<SlaOutput>(&o)) {
    add("sla", x->event_id, x->ticket_id, x->tenant_id, x->plan, x->severity, static_cast<int>(x->metric), x->cycle,
        x->deadline, x->fired_at, x->elapsed_ms, x->target_ms, static_cast<int>(x->kind), x->threshold, x->reminder,
        x->step, x->notify, x->page);
  } else {
    const auto& p = std::get<PageOutput>(o);
    add("page", p.page_id, p.dedup_key, p.ticket_id, p.tenant_id, p.plan, p.severity, static_cast<int>(p.metric),
        p.cycle, p.target, p.rotation, p.responder, p.level, p.attempt, p.ack_deadline, p.high_urgency, p.fired_at);
  }
  return s;
}

// apply_batch() is apply() one event after the other: same outputs in the
// same order, same errors for the same events, same saved states and stats,
// over random streams with duplicates, late (out-of-order) events, unknown
// plans and severities, in batches of random sizes, with the plain clock and
// with the catching-up (event time) clock.
TEST(EngineProperty, ApplyBatchEqualsApplyingOneByOne) {
  auto p = load();
  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    std::mt19937_64 rng(seed * 7919);
    const EpochMillis t0 = at("2026-04-06T00:00:00Z");
    auto evs = random_stream(rng, 150, t0);
    // Unknown plans and severities, on new and on known tickets.
    for (int k = 0; k < 25; ++k) {
      const EpochMillis t = t0 + static_cast<EpochMillis>(rng() % (80 * 3600)) * 1000;
      const std::string tk = "T" + std::to_string(rng() % 170);  // some tickets unknown
      const std::string id = "bad" + std::to_string(k);
      switch (rng() % 4) {
        case 0: evs.push_back(event(id, tk, t, EventKind::kOpened, "bronze", "P1")); break;
        case 1: evs.push_back(event(id, tk, t, EventKind::kOpened, "gold", "P9")); break;
        case 2: evs.push_back(event(id, tk, t, EventKind::kSeverityChanged, "P9")); break;
        default: evs.push_back(event(id, tk, t, EventKind::kPlanChanged, rng() % 2 ? "bronze" : "silver")); break;
      }
    }
    std::stable_sort(evs.begin(), evs.end(),
                     [](const TicketEvent& a, const TicketEvent& b) { return a.occurred_at < b.occurred_at; });
    // Duplicates (same id, re-delivered a little later) and late events
    // (neighbours swapped, some moved far back).
    for (std::size_t i = 0; i + 1 < evs.size(); ++i) {
      if (rng() % 10 == 0) std::swap(evs[i], evs[i + 1]);
    }
    for (int k = 0; k < 40; ++k) {
      const std::size_t from = rng() % evs.size();
      const std::size_t to = std::min(evs.size(), from + 1 + rng() % 50);
      evs.insert(evs.begin() + static_cast<std::ptrdiff_t>(to), evs[from]);
    }
    for (int k = 0; k < 20; ++k) {
      const std::size_t from = rng() % evs.size();
      const std::size_t to = from - std::min<std::size_t>(from, rng() % 300);
      auto e = evs[from];
      evs.erase(evs.begin() + static_cast<std::ptrdiff_t>(from));
      evs.insert(evs.begin() + static_cast<std::ptrdiff_t>(to), e);
    }

    for (const bool at_event_time : {false, true}) {
      sla::engine::EngineOptions opts;
      opts.max_lateness_ms = 3 * kHour;  // folding and too-late rejections inside batches too
      Engine one(p, opts);
      Engine batched(p, opts);
      std::vector<Output> out_one, out_batched;
      std::vector<std::pair<std::size_t, std::string>> err_one, err_batched;
      sla::engine::BatchTime clock_one, clock_batched;
      std::size_t accepted_one = 0, accepted_batched = 0;
      std::vector<sla::engine::Rejected> rejected;
      for (std::size_t i = 0; i < evs.size();) {
        const std::size_t n = std::min<std::size_t>(evs.size() - i, 1 + rng() % (rng() % 4 == 0 ? 400 : 40));
        // Received a little after the newest event so far (some events in the future: clock skew).
        EpochMillis now = 0;
        for (std::size_t j = i; j < i + n; ++j) now = std::max(now, evs[j].occurred_at);
        now -= static_cast<EpochMillis>(rng() % 2) * 20 * kMin;
        clock_one.now = clock_batched.now = now;
        clock_one.at_event_time = clock_batched.at_event_time = at_event_time;
        // One by one, as apply_batch documents.
        for (std::size_t j = i; j < i + n; ++j) {
          const EpochMillis et = std::max(clock_one.event_time, std::min(evs[j].occurred_at, now));
          auto r = one.apply(evs[j], at_event_time ? et : now, out_one);
          if (r) {
            clock_one.event_time = et;
            ++accepted_one;
          } else {
            err_one.emplace_back(j, r.error().message);
          }
        }
        rejected.clear();
        accepted_batched +=
            batched.apply_batch(std::span<const TicketEvent>(evs.data() + i, n), clock_batched, out_batched, rejected);
        for (auto& r : rejected) {
          EXPECT_TRUE(r.error.reason == "unknown_plan_or_severity" || r.error.reason == "too_late") << r.error.message;
          err_batched.emplace_back(i + r.index, r.error.message);
        }
        EXPECT_EQ(clock_one.event_time, clock_batched.event_time);
        one.advance(now, out_one);
        batched.advance(now, out_batched);
        i += n;
      }
      EXPECT_GT(err_one.size(), 5U);
      EXPECT_EQ(err_one, err_batched) << "seed " << seed;
      EXPECT_EQ(accepted_one, accepted_batched);
      ASSERT_EQ(out_one.size(), out_batched.size()) << "seed " << seed;
      for (std::size_t k = 0; k < out_one.size(); ++k) {
        ASSERT_EQ(dump(out_one[k]), dump(out_batched[k])) << "seed " << seed << " output " << k;
      }
      auto ids = one.ticket_ids();
      auto ids_batched = batched.ticket_ids();
      std::sort(ids.begin(), ids.end());
      std::sort(ids_batched.begin(), ids_batched.end());
      ASSERT_EQ(ids, ids_batched);
      for (const auto& id : ids) EXPECT_EQ(one.save_ticket(id), batched.save_ticket(id)) << id;
      EXPECT_EQ(one.take_dirty(), batched.take_dirty());
      const auto& a = one.stats();
      const auto& b = batched.stats();
      EXPECT_EQ(a.events_applied, b.events_applied);
      EXPECT_EQ(a.duplicates, b.duplicates);
      EXPECT_GT(a.duplicates, 0U);
      EXPECT_EQ(a.out_of_order, b.out_of_order);
      EXPECT_GT(a.out_of_order, 0U);
      EXPECT_EQ(a.too_late, b.too_late);
      EXPECT_GT(a.too_late, 0U);
      EXPECT_EQ(a.folded, b.folded);
      EXPECT_GT(a.folded, 0U);
      EXPECT_EQ(a.outputs, b.outputs);
      EXPECT_EQ(one.next_due(), batched.next_due());
    }
  }
}

// take_dirty_snapshots() gives the tickets take_dirty() names, each with the
// view ticket() gives (less history, pages and fired names) and the state
// save_ticket() gives: two engines fed the same random stream, one read each
// way after every batch. The view is reused across tickets with different
// numbers of clocks, so stale fields would show.
TEST(EngineProperty, DirtySnapshotsEqualTakeDirtyThenTicketThenSave) {
  auto p = load();
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    std::mt19937_64 rng(seed * 104729);
    const EpochMillis t0 = at("2026-04-06T00:00:00Z");
    auto evs = random_stream(rng, 120, t0);
    std::stable_sort(evs.begin(), evs.end(),
                     [](const TicketEvent& a, const TicketEvent& b) { return a.occurred_at < b.occurred_at; });
    sla::engine::EngineOptions opts;
    opts.retention_ms = 2 * kHour;  // some tickets dropped between reads
    opts.max_lateness_ms = 2 * kHour;
    Engine plain(p, opts);
    Engine snap(p, opts);
    std::vector<Output> out;
    std::size_t snapshots = 0;
    std::size_t with_deadline = 0;
    for (std::size_t i = 0; i < evs.size();) {
      const std::size_t n = std::min<std::size_t>(evs.size() - i, 1 + rng() % 60);
      EpochMillis now = 0;
      for (std::size_t j = i; j < i + n; ++j) now = std::max(now, evs[j].occurred_at);
      for (std::size_t j = i; j < i + n; ++j) {
        (void)plain.apply(evs[j], now, out);
        (void)snap.apply(evs[j], now, out);
      }
      now += static_cast<EpochMillis>(rng() % 90) * kMin;  // timers fire between reads
      plain.advance(now, out);
      snap.advance(now, out);
      i += n;

      std::map<std::string, std::pair<sla::engine::TicketView, std::string>> expected;
      for (const auto& id : plain.take_dirty()) {
        auto view = plain.ticket(id, now);
        if (!view) continue;  // removed since it changed
        expected.emplace(id, std::make_pair(std::move(*view), plain.save_ticket(id)));
      }
      std::set<std::string> seen;
      snap.take_dirty_snapshots(now, [&](const sla::engine::TicketView& v, std::string&& state) {
        ASSERT_TRUE(seen.insert(v.ticket_id).second) << "reported twice: " << v.ticket_id;
        auto it = expected.find(v.ticket_id);
        ASSERT_NE(it, expected.end()) << "not dirty: " << v.ticket_id;
        const auto& [want, want_state] = it->second;
        EXPECT_EQ(state, want_state) << v.ticket_id;
        EXPECT_EQ(v.tenant_id, want.tenant_id);
        EXPECT_EQ(v.plan, want.plan);
        EXPECT_EQ(v.severity, want.severity);
        EXPECT_EQ(v.status, want.status);
        EXPECT_EQ(v.closed, want.closed);
        EXPECT_EQ(v.resolved, want.resolved);
        EXPECT_EQ(v.opened_at, want.opened_at);
        EXPECT_EQ(v.next_due, want.next_due);
        // The full view: sla.deadlines snapshots are every instance's ticket view.
        ASSERT_EQ(v.history.size(), want.history.size()) << v.ticket_id;
        for (std::size_t k = 0; k < v.history.size(); ++k) {
          EXPECT_EQ(v.history[k].metric, want.history[k].metric);
          EXPECT_EQ(v.history[k].cycle, want.history[k].cycle);
          EXPECT_EQ(v.history[k].ended_at, want.history[k].ended_at);
          EXPECT_EQ(v.history[k].outcome, want.history[k].outcome);
        }
        ASSERT_EQ(v.pages.size(), want.pages.size()) << v.ticket_id;
        for (std::size_t k = 0; k < v.pages.size(); ++k) {
          EXPECT_EQ(v.pages[k].key, want.pages[k].key);
          EXPECT_EQ(v.pages[k].pages_sent, want.pages[k].pages_sent);
          EXPECT_EQ(v.pages[k].stopped, want.pages[k].stopped);
          EXPECT_EQ(v.pages[k].state, want.pages[k].state) << v.ticket_id;
          EXPECT_EQ(v.pages[k].responder, want.pages[k].responder);
          EXPECT_EQ(v.pages[k].last_page_at, want.pages[k].last_page_at);
          EXPECT_EQ(v.pages[k].next_page_at, want.pages[k].next_page_at);
        }
        ASSERT_EQ(v.clocks.size(), want.clocks.size()) << v.ticket_id;
        for (std::size_t k = 0; k < v.clocks.size(); ++k) {
          const auto& a = v.clocks[k];
          const auto& b = want.clocks[k];
          EXPECT_EQ(a.metric, b.metric);
          EXPECT_EQ(a.cycle, b.cycle);
          EXPECT_EQ(a.state, b.state);
          EXPECT_EQ(a.pause_reason, b.pause_reason);
          EXPECT_EQ(a.pause_status, b.pause_status);
          EXPECT_EQ(a.elapsed_ms, b.elapsed_ms);
          EXPECT_EQ(a.target_ms, b.target_ms);
          EXPECT_EQ(a.deadline, b.deadline);
          EXPECT_EQ(a.calendar, b.calendar);
          EXPECT_EQ(a.fired, b.fired);
          with_deadline += a.deadline.has_value() ? 1U : 0U;
        }
        ++snapshots;
      });
      EXPECT_EQ(seen.size(), expected.size()) << "seed " << seed;
      EXPECT_EQ(plain.take_dropped(), snap.take_dropped());
    }
    EXPECT_TRUE(snap.take_dirty().empty()) << "take_dirty_snapshots clears the set";
    EXPECT_GT(snapshots, 100U);
    EXPECT_GT(with_deadline, 50U);
  }
}

TEST(EngineState, SaveAndLoadContinuesExactly) {
  auto p = load();
  std::mt19937_64 rng(3);
  auto evs = random_stream(rng, 150, at("2026-04-06T00:00:00Z"));
  const EpochMillis mid = evs[evs.size() / 2].occurred_at;
  const EpochMillis end = at("2026-04-20T00:00:00Z");
  auto uninterrupted = run_exact(p, evs, end);

  Harness a(p);
  std::size_t i = 0;
  for (; i < evs.size() && evs[i].occurred_at <= mid; ++i) a.send(evs[i]);
  a.run_until(mid);
  // Move every ticket to a fresh engine through its serialised state.
  Harness b(p);
  b.now = a.now;
  b.out = a.out;
  for (const auto& id : a.engine.ticket_ids()) {
    const std::string bytes = a.engine.save_ticket(id);
    ASSERT_FALSE(bytes.empty());
    ASSERT_TRUE(b.engine.load_ticket(bytes));
    EXPECT_EQ(b.engine.save_ticket(id), bytes);  // byte-identical round trip
  }
  for (; i < evs.size(); ++i) b.send(evs[i]);
  b.run_until(end);
  // Per ticket the sequence of outputs is identical (across tickets, equal
  // due times may fire in another order after a reload).
  auto by_ticket = [](const std::vector<std::string>& ids) {
    std::map<std::string, std::vector<std::string>> m;
    for (const auto& id : ids) m[id.substr(0, id.find('/'))].push_back(id);
    return m;
  };
  std::vector<std::string> resumed;
  for (const auto& o : b.out) resumed.push_back(sla::engine::output_id(o));
  EXPECT_EQ(by_ticket(resumed), by_ticket(uninterrupted));
}

TEST(EngineState, CorruptStateIsRejected) {
  Engine e(load());
  EXPECT_FALSE(e.load_ticket(""));
  EXPECT_FALSE(e.load_ticket("\x07garbage"));
  std::vector<Output> out;
  ASSERT_TRUE(e.apply(event("e1", "T1", 1775469600000, EventKind::kOpened, "gold", "P1"), 1775469600000, out));
  std::string bytes = e.save_ticket("T1");
  EXPECT_FALSE(e.load_ticket(bytes.substr(0, bytes.size() - 3)));
  EXPECT_FALSE(e.load_ticket(bytes + "x"));
}

TEST(EngineState, FoldingKeepsResults) {
  auto p = load();
  std::mt19937_64 rng(5);
  auto evs = random_stream(rng, 60, at("2026-04-06T00:00:00Z"));
  const EpochMillis end = at("2026-04-20T00:00:00Z");
  sla::engine::EngineOptions small;
  small.max_lateness_ms = 30 * kMin;  // in-order events: folding changes nothing
  Harness a(p);
  Harness b(p, small);
  for (const auto& e : evs) {
    a.send(e);
    b.send(e);
  }
  a.run_until(end);
  b.run_until(end);
  EXPECT_EQ(a.ids(), b.ids());
}

TEST(EngineState, UnknownFormatVersionIsRejected) {
  Engine e(load());
  std::vector<Output> out;
  ASSERT_TRUE(e.apply(event("e1", "T1", 1775469600000, EventKind::kOpened, "gold", "P1"), 1775469600000, out));
  std::string bytes = e.save_ticket("T1");
  ASSERT_EQ(bytes[0], '\x06');  // format version 6
  bytes[0] = '\x07';
  const auto r = e.load_ticket(bytes);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("version"), std::string::npos);
}

// Version 1 states written by the engine before the rework (commit 0b49d4d)
// for three tickets of kPolicy, with what that engine showed for them at
// kV1Now: T1 gold P1 responded then on_hold, T2 gold P3 closed, T3 gold P1
// past its resolution breach with a paging ladder running.
struct V1Clock {
  int metric, state;
  EpochMillis deadline;  // -1: none
  std::int64_t elapsed;
  std::size_t fired;
};
struct V1Fixture {
  const char* id;
  const char* hex;
  EpochMillis next_due;  // -1: none
  std::size_t pages;
  std::vector<V1Clock> clocks;
  std::vector<std::pair<int, std::string>> history;
};
constexpr EpochMillis kV1Now = 1775484300000LL;
const std::vector<V1Fixture>& v1_fixtures() {
  static const std::vector<V1Fixture> f = {
      {"T1",
         "010254310461636d650301000080f4e0a3ac6780b2f3a4ac6704676f6c64025031076f6e5f686f6c6401010200000080"
         "bab70380f4e0a3ac6780b2f3a4ac67809f4900feffffffffffffffff0101010101000080dddb0180f4e0a3ac6780b2f3"
         "a4ac6780be920105feffffffffffffffff01000100000000000080b2f3a4ac670000feffffffffffffffff0101010101"
         "000080e8dd0d80f4e0a3ac6780b2f3a4ac6780be920100feffffffffffffffff0101000080f4e0a3ac678093aaa4ac67"
         "809f49036d657400ffffffffffffffffff010380f4e0a3ac67000000a78a95aafbe084ce080c676f6c641f50311f6f70"
         "656e8093aaa4ac67000101da8d95aafb8085ce080080b2f3a4ac670002038d9195aafba085ce08076f6e5f686f6c6400"
         "03c1eb86c1ba93e1f04a8d99f9a5a4e8a2d820d6b094f2abbaefa85200",
       -1LL, 0, {{0, 2, -1LL, 600000, 0}, {1, 1, -1LL, 1200000, 2}, {3, 1, -1LL, 1200000, 0}}, {{0, "met"}}},
      {"T2",
         "010254320461636d650201000180f4e0a3ac67c0c385a4ac6704676f6c64025033046f70656e01010300000080aea60a"
         "80f4e0a3ac67c0c385a4ac67c0cf2400feffffffffffffffff010001000000000000c0c385a4ac670000feffffffffff"
         "ffffff010001000000000000c0c385a4ac670000feffffffffffffffff010001000000000000c0c385a4ac670000feff"
         "ffffffffffffff0101000080f4e0a3ac67c0c385a4ac67c0cf240963616e63656c6c656400ffffffffffffffffff0102"
         "80f4e0a3ac67000000fcfcb5aafbe080d3080c676f6c641f50331f6f70656ec0c385a4ac670001099587b6aafbc081d3"
         "0800000000",
       1775556300000LL, 0, {{0, 4, -1LL, 300000, 0}}, {{0, "cancelled"}}},
      {"T3",
         "010254330461636d650101000080f4e0a3ac6780f4e0a3ac6704676f6c64025031046f70656e01010100010080bab703"
         "80f4e0a3ac6780f4e0a3ac67003f80ae98a7ac6701010100010080dddb0180f4e0a3ac6780f4e0a3ac67003f80d1bca5"
         "ac67000100000000000080f4e0a3ac670000feffffffffffffffff0101010100010080e8dd0d80f4e0a3ac6780f4e0a3"
         "ac6700cf0180dcbeb1ac670000ffffffffffffffffff010180f4e0a3ac67000000d9d0a9aafbe09fd1080c676f6c641f"
         "50311f6f70656e0013d7b3dbccacfaf998ce01ccb5a9e0c7aca6e7ff018cc09595adbacad0de0191bcaa868b90c1f799"
         "01cf85af8cd6c5fdabc801d6e6c89bd8cea6946ff294e3b18ad088dc8701828ce1a8defdef913ae596beb9aff88bcee9"
         "019c82af8cd6a5fdabc801b293beb9afd88bcee901e8f2eeb3a7b28dee35b58caf8cd685feabc801ff8fbeb9afb88bce"
         "e9018ffae684a8f2bdc54781d289b7ec94fefee101e6e9b48f9afdaba231a3e3c89bd8aea6946f92c5f3e1fdefcac504"
         "012154332f7265736f6c7574696f6e2f302f706167652f676f6c642d70312f322f7433027433030080fb87b2ac670100",
       1775484600000LL, 1, {{0, 3, 1775473200000LL, 14700000, 6}, {1, 3, 1775471400000LL, 14700000, 6}, {3, 3, 1775484000000LL, 14700000, 6}}, {}},
  };
  return f;
}

std::string from_hex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

TEST(EngineState, Version1StatesLoadAsTheOldEngineShowedThem) {
  // That engine dropped closed tickets 24 h after their last event; this one
  // keeps them for the lateness horizon if longer: the old figures with a
  // one-day horizon.
  sla::engine::EngineOptions one_day;
  one_day.max_lateness_ms = 24 * kHour;
  Engine e(load(), one_day);
  for (const auto& f : v1_fixtures()) {
    const std::string v1 = from_hex(f.hex);
    ASSERT_EQ(v1[0], '\x01');
    ASSERT_TRUE(e.load_ticket(v1)) << f.id;
    const auto v = e.ticket(f.id, kV1Now);
    ASSERT_TRUE(v) << f.id;
    EXPECT_EQ(v->next_due.value_or(-1), f.next_due) << f.id;
    EXPECT_EQ(v->pages.size(), f.pages) << f.id;
    ASSERT_EQ(v->clocks.size(), f.clocks.size()) << f.id;
    for (std::size_t i = 0; i < f.clocks.size(); ++i) {
      const auto& c = v->clocks[i];
      EXPECT_EQ(static_cast<int>(c.metric), f.clocks[i].metric) << f.id << " clock " << i;
      EXPECT_EQ(static_cast<int>(c.state), f.clocks[i].state) << f.id << " clock " << i;
      EXPECT_EQ(c.deadline.value_or(-1), f.clocks[i].deadline) << f.id << " clock " << i;
      EXPECT_EQ(c.elapsed_ms, f.clocks[i].elapsed) << f.id << " clock " << i;
      EXPECT_EQ(c.fired.size(), f.clocks[i].fired) << f.id << " clock " << i;
    }
    ASSERT_EQ(v->history.size(), f.history.size()) << f.id;
    for (std::size_t i = 0; i < f.history.size(); ++i) {
      EXPECT_EQ(static_cast<int>(v->history[i].metric), f.history[i].first) << f.id;
      EXPECT_EQ(v->history[i].outcome, f.history[i].second) << f.id;
    }
    // Saved again as version 6, and that round-trips byte for byte.
    const std::string v2 = e.save_ticket(f.id);
    ASSERT_EQ(v2[0], '\x06');
    Engine e2(load());
    ASSERT_TRUE(e2.load_ticket(v2)) << f.id;
    EXPECT_EQ(e2.save_ticket(f.id), v2) << f.id;
  }
}

// A version 3 state (written by the engine of commit 4832549): T1 gold P1,
// responded, its resolution ladder paged ana then sofia, and sofia's page
// was acknowledged at kV3Now (that engine kept no responder).
constexpr EpochMillis kV3Now = 1775484900000LL;
constexpr const char* kV3AckedLadder =
    "030254310461636d650301000080f4e0a3ac67c0caacb2ac6704676f6c64025031046f70656e0b01010200000080bab70380"
    "f4e0a3ac67c0caacb2ac67c0a90700feffffffffffffffff0101010100010080dddb0180f4e0a3ac67c0caacb2ac67c0d6cb"
    "0e3f80d1bca5ac6701010100010080e8dd0d80f4e0a3ac67c0caacb2ac67c0d6cb0ecf0180dcbeb1ac6701000080f4e0a3ac"
    "67c09de8a3ac67c0a9070000ffffffffffffffffff010380f4e0a3ac6700000083f1e6a9fbe09ec7080c676f6c641f50311f"
    "6f70656ec09de8a3ac67000101b6f4e6a9fb809fc70800c0caacb2ac6700020a82ed95aa90c3f091e7012554312f7265736f"
    "6c7574696f6e2f302f706167652f676f6c642d70312f322f74332f312f30000f0000056d65742f3001000a62726561636865"
    "642f3001000a62726561636865642f3101000a62726561636865642f3201000c7761726e696e672f2d31306d01000b776172"
    "6e696e672f35302501000b7761726e696e672f37352503000a62726561636865642f30030013657363616c617465642f676f"
    "6c642d70312f31030013657363616c617465642f676f6c642d70312f32030015706167652f676f6c642d70312f322f74332f"
    "302f30030015706167652f676f6c642d70312f322f74332f312f3003000c7761726e696e672f2d31306d03000b7761726e69"
    "6e672f35302503000b7761726e696e672f37352500012154312f7265736f6c7574696f6e2f302f706167652f676f6c642d70"
    "312f322f74330274330300809ad1b2ac67020200";

TEST(EngineState, Version3StatesLoadWithTheirAcknowledgements) {
  Engine e(load());
  const std::string v3 = from_hex(kV3AckedLadder);
  ASSERT_EQ(v3[0], '\x03');
  ASSERT_TRUE(e.load_ticket(v3));
  auto v = e.ticket("T1", kV3Now);
  ASSERT_EQ(v->pages.size(), 1u);
  EXPECT_EQ(v->pages[0].state, "acknowledged");
  EXPECT_EQ(v->pages[0].pages_sent, 2u);
  EXPECT_FALSE(v->pages[0].acked_at);  // not stored before version 4
  // A late event recomputes the ticket from its retained events: the old
  // acknowledgement (a bare page id) still stops the ladder, now with its
  // time, and no page is sent again.
  std::vector<Output> out;
  auto late = event("late", "T1", kV3Now - 3 * kHour, EventKind::kStatusChanged, "open");
  ASSERT_TRUE(e.apply(late, kV3Now, out));
  for (EpochMillis t = kV3Now; t <= kV3Now + 24 * kHour; t += 5 * kMin) e.advance(t, out);
  // (The acknowledge record, which version 3 did not send, may come now.)
  for (const auto& o : out) {
    const auto* pg = std::get_if<PageOutput>(&o);
    EXPECT_FALSE(pg && pg->action == sla::engine::PageAction::kTrigger) << sla::engine::output_id(o);
  }
  v = e.ticket("T1", kV3Now);
  EXPECT_EQ(v->pages[0].state, "acknowledged");
  EXPECT_EQ(v->pages[0].acked_at, kV3Now);
  EXPECT_EQ(v->pages[0].acked_by, "");
  const std::string v5 = e.save_ticket("T1");
  ASSERT_EQ(v5[0], '\x06');  // saved as the current version
  Engine e2(load());
  ASSERT_TRUE(e2.load_ticket(v5));
  EXPECT_EQ(e2.save_ticket("T1"), v5);
}

TEST(Engine, RetargetAddsTheClocksTheNewSeverityHas) {
  // gold P3 has only a response clock; P1 adds update and resolution.
  Harness h(load());
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("a", "A", t0, EventKind::kOpened, "gold", "P3"));
  ASSERT_EQ(h.engine.ticket("A", h.now)->clocks.size(), 1u);
  h.send(event("b", "A", t0 + 10 * kMin, EventKind::kSeverityChanged, "P1"));
  const auto v = h.engine.ticket("A", h.now);
  ASSERT_EQ(v->clocks.size(), 3u);
  EXPECT_EQ(v->clocks[0].metric, sla::policy::Metric::kResponse);
  EXPECT_EQ(v->clocks[1].metric, sla::policy::Metric::kUpdate);
  EXPECT_EQ(v->clocks[2].metric, sla::policy::Metric::kResolution);
  const std::string bytes = h.engine.save_ticket("A");
  Engine e2(load());
  ASSERT_TRUE(e2.load_ticket(bytes));
  EXPECT_EQ(e2.save_ticket("A"), bytes);
  EXPECT_EQ(e2.ticket("A", h.now)->clocks.size(), 3u);
}

TEST(Engine, DirtyTicketsAreReportedOnceAcrossDropAndSlotReuse) {
  Harness h(load(), keep_for(kHour));
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("a1", "A", t0, EventKind::kOpened, "gold", "P3"));
  (void)h.engine.take_dirty();
  h.send(event("a2", "A", t0 + kMin, EventKind::kClosed));  // A dirty again
  h.run_until(t0 + 2 * kHour);                          // A dropped, its slot freed
  EXPECT_EQ(h.engine.ticket_count(), 0u);
  h.send(event("b1", "B", t0 + 2 * kHour, EventKind::kOpened, "gold", "P3"));  // reuses the slot
  auto dirty = h.engine.take_dirty();
  std::sort(dirty.begin(), dirty.end());
  EXPECT_EQ(dirty, (std::vector<std::string>{"A", "B"}));
  EXPECT_TRUE(h.engine.take_dirty().empty());
}

// `count` tickets S0, S1, ... opened at `t` on gold/`severity`, each with a
// status of its own ("status-<i>"): that many new strings to intern, which
// makes the engine sweep its interned strings. `close`: each closed at once.
void open_with_own_statuses(Harness& h, EpochMillis t, int count, const char* severity, bool close) {
  for (int i = 0; i < count; ++i) {
    const std::string id = "S" + std::to_string(i);
    h.send(event(id + "-o", id, t, EventKind::kOpened, "gold", severity));
    h.send(event(id + "-s", id, t, EventKind::kStatusChanged, "status-" + std::to_string(i)));
    if (close) h.send(event(id + "-c", id, t, EventKind::kClosed));
  }
}

TEST(Engine, FreeFormStringsSurviveInterningSweeps) {
  // Thousands of distinct statuses, tenants and page ids make the engine
  // sweep its interned strings several times; every ticket must still show
  // its own values afterwards (and ASAN sees no dangling atom).
  Harness h(load(), keep_for(kMin));
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  constexpr int kTickets = 6000;
  for (int i = 0; i < kTickets; ++i) {
    const std::string id = "T" + std::to_string(i);
    auto open = event(id + "-o", id, t0 + i, EventKind::kOpened, "gold", "P3");
    open.tenant_id = "tenant-" + std::to_string(i);
    h.send(open);
    h.send(event(id + "-s", id, t0 + i, EventKind::kStatusChanged, "status-" + std::to_string(i)));
    h.send(event(id + "-p", id, t0 + i, EventKind::kPageAcknowledged, id + "/page-" + std::to_string(i)));
    if (i % 2 == 1) h.send(event(id + "-c", id, t0 + i, EventKind::kClosed));  // dropped a minute later
  }
  h.run_until(t0 + kTickets + 2 * kMin);
  EXPECT_EQ(h.engine.ticket_count(), static_cast<std::size_t>(kTickets / 2));
  for (int i = 0; i < kTickets; i += 2) {
    const std::string id = "T" + std::to_string(i);
    const auto v = h.engine.ticket(id, h.now);
    ASSERT_TRUE(v) << id;
    EXPECT_EQ(v->tenant_id, "tenant-" + std::to_string(i));
    EXPECT_EQ(v->status, "status-" + std::to_string(i));
    EXPECT_EQ(v->plan, "gold");
    EXPECT_EQ(v->severity, "P3");
    // A duplicate of the page ack is still recognised after the sweeps.
    const auto before = h.engine.stats().duplicates;
    h.send(event(id + "-p", id, h.now, EventKind::kPageAcknowledged, id + "/page-" + std::to_string(i)));
    EXPECT_EQ(h.engine.stats().duplicates, before + 1);
  }
  // A new ticket opened after the sweeps interns plan and severity again.
  h.send(event("N-o", "N", h.now, EventKind::kOpened, "gold", "P1"));
  EXPECT_EQ(h.engine.ticket("N", h.now)->clocks.size(), 3u);
}

TEST(Engine, OutputIdsStayExactWhenTheirInternedPartsAreSweptAndReused) {
  // An output id's last part ("met/0", "warning/50%") is interned once and
  // its atom cached. Once every ticket holding it is gone, a sweep frees
  // that atom and later strings take its number: the next output must still
  // carry its own id (and not be taken for one already emitted).
  Harness h(load(), keep_for(kMin));
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("a-o", "A", t0, EventKind::kOpened, "gold", "P3"));
  h.run_until(t0 + 90 * kMin);  // P3 response 3h: the 50% warning
  h.send(event("a-r", "A", h.now, EventKind::kResponded));
  h.send(event("a-c", "A", h.now, EventKind::kClosed));
  EXPECT_EQ(h.ids(), (std::vector<std::string>{"A/response/0/warning/50%", "A/response/0/met/0"}));
  h.run_until(h.now + 2 * kMin);
  ASSERT_EQ(h.engine.ticket_count(), 0u);  // A dropped: nothing holds its id parts
  // Thousands of free-form statuses: sweeps free A's parts, and new strings
  // (more than were freed) reuse every freed atom number.
  const EpochMillis t1 = h.now;
  open_with_own_statuses(h, t1, 9000, "P3", true);
  h.run_until(t1 + 2 * kMin);
  h.out.clear();
  const EpochMillis t2 = h.now;
  h.send(event("b-o", "B", t2, EventKind::kOpened, "gold", "P3"));
  h.run_until(t2 + 90 * kMin);
  h.send(event("b-r", "B", h.now, EventKind::kResponded));
  EXPECT_EQ(h.ids(), (std::vector<std::string>{"B/response/0/warning/50%", "B/response/0/met/0"}));
}

TEST(Engine, OpensAfterASweepReadTheirOwnPlanAndSeverity) {
  // An opened event's packed argument ("plan, severity, status") is interned
  // once per distinct triple and its atom remembered. Once the only ticket
  // holding it is gone, a sweep frees that atom and new strings reuse its
  // number: a later open of the same triple must still read its own plan and
  // severity.
  Harness h(load(), keep_for(kMin));
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("a-o", "A", t0, EventKind::kOpened, "gold", "P3"));
  h.send(event("a-c", "A", t0, EventKind::kClosed));
  h.run_until(t0 + 2 * kMin);
  ASSERT_EQ(h.engine.ticket_count(), 0u);
  const EpochMillis t1 = h.now;
  open_with_own_statuses(h, t1, 6000, "P1", false);  // past the first sweep (4096 strings), then new strings
  h.send(event("b-o", "B", t1, EventKind::kOpened, "gold", "P3"));
  const auto v = h.engine.ticket("B", h.now);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->plan, "gold");
  EXPECT_EQ(v->severity, "P3");
  EXPECT_EQ(v->status, "open");
  ASSERT_EQ(v->clocks.size(), 1u);  // gold P3: response only
  EXPECT_EQ(v->clocks[0].deadline, t1 + 3 * kHour);
}

TEST(Engine, PolicyReloadRebindsClocksAndCancelsVanishedTargets) {
  // The same policy with gold P1 response 2h (was 1h) and no update target.
  std::string yaml = kPolicy;
  const std::string p1 =
      "        response:   {within: 1h, calendar: 24x7}\n"
      "        resolution: {within: 4h, calendar: 24x7}\n"
      "        update:     {every: 30m, calendar: 24x7}\n";
  const auto pos = yaml.find(p1);
  ASSERT_NE(pos, std::string::npos);
  yaml.replace(pos, p1.size(),
               "        response:   {within: 2h, calendar: 24x7}\n"
               "        resolution: {within: 4h, calendar: 24x7}\n");
  const auto reloaded = load(yaml.c_str());
  ASSERT_TRUE(reloaded);

  sla::engine::EngineOptions small;
  small.max_lateness_ms = 2 * kMin;  // the ticket folds: its base snapshot is rebound too
  Harness h(load(), small);
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("o", "A", t0, EventKind::kOpened, "gold", "P1"));
  for (int i = 0; i < 6; ++i) {
    h.send(event("s" + std::to_string(i), "A", t0 + (i + 1) * kMin, EventKind::kStatusChanged,
              i % 2 == 0 ? "in_progress" : "open"));
  }
  h.run_until(t0 + 10 * kMin);
  h.engine.set_policy(reloaded, h.now, h.out);
  auto v = h.engine.ticket("A", h.now);
  ASSERT_TRUE(v);
  ASSERT_EQ(v->clocks.size(), 3u);
  EXPECT_EQ(v->clocks[0].metric, sla::policy::Metric::kResponse);
  EXPECT_EQ(v->clocks[0].deadline, t0 + 2 * kHour);
  EXPECT_EQ(v->clocks[1].metric, sla::policy::Metric::kUpdate);
  EXPECT_EQ(v->clocks[1].state, sla::engine::ClockState::kCancelled);
  ASSERT_FALSE(v->history.empty());
  EXPECT_EQ(v->history.back().outcome, "cancelled");
  // A late event recomputes from the (rebound) base snapshot: same view.
  h.send_late(event("late", "A", t0 + 4 * kMin + 30 * 1000, EventKind::kStatusChanged, "open"), t0 + 11 * kMin);
  v = h.engine.ticket("A", h.now);
  EXPECT_EQ(v->clocks[0].deadline, t0 + 2 * kHour);
  h.run_until(t0 + 3 * kHour);
  EXPECT_EQ(h.find("A/response/0/breached/0") != nullptr, true);
  EXPECT_EQ(h.find("A/response/0/breached/0")->fired_at, t0 + 2 * kHour);
  for (const auto& id : h.ids()) EXPECT_EQ(id.find("A/update/"), std::string::npos) << id;
}

TEST(Engine, AtRiskListsSoonestDeadlinesFirst) {
  Harness h(load());
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("a", "A", t0, EventKind::kOpened, "gold", "P3"));             // response +3h
  h.send(event("b", "B", t0 + 10 * kMin, EventKind::kOpened, "gold", "P1"));  // response +1h10
  auto risk = h.engine.at_risk(t0 + 10 * kMin, 2 * kHour, 10);
  ASSERT_EQ(risk.size(), 2u);  // B response (+1h10) and B update (+40m)
  EXPECT_EQ(risk[0].ticket_id, "B");
  EXPECT_EQ(risk[0].metric, sla::policy::Metric::kUpdate);
  EXPECT_EQ(risk[1].metric, sla::policy::Metric::kResponse);
  EXPECT_EQ(h.engine.at_risk(t0 + 10 * kMin, 10 * kHour, 1).size(), 1u);
}

TEST(Engine, ClosedTicketsAreDroppedAfterRetention) {
  Harness h(load(), keep_for(kHour));
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("a", "A", t0, EventKind::kOpened, "gold", "P3"));
  h.send(event("b", "A", t0 + kMin, EventKind::kClosed));
  EXPECT_EQ(h.engine.ticket_count(), 1u);
  h.run_until(t0 + 2 * kHour);
  EXPECT_EQ(h.engine.ticket_count(), 0u);
  EXPECT_EQ(h.engine.take_dropped(), std::vector<std::string>{"A"});
}

// ---------------------------------------------------------------------------
// Bounds that never change meaning (SPEC 5.3) and one rebase routine for
// retarget and reload (SPEC 3).

// gold P3's response target (3h) as `within`, the rest of kPolicy unchanged.
std::shared_ptr<const sla::policy::Policy> with_p3_response(const std::string& within) {
  std::string yaml = kPolicy;
  const std::string p3 = "        response:   {within: 3h, calendar: 24x7}\n  silver:";
  const auto pos = yaml.find(p3);
  EXPECT_NE(pos, std::string::npos);
  yaml.replace(pos, p3.size(), "        response:   {within: " + within + ", calendar: 24x7}\n  silver:");
  return load(yaml.c_str());
}

TEST(EngineReload, ATighterTargetBreachesAtOnceAndRecordsIt) {
  // Before: a reload marked every item the clock had passed as fired, the
  // breach included, without recording it: the ticket then reported `met`.
  const auto tight = with_p3_response("1h");
  ASSERT_TRUE(tight);
  Harness h(load());
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("o", "A", t0, EventKind::kOpened, "gold", "P3"));
  h.send(event("s", "A", t0 + 2 * kHour, EventKind::kStatusChanged, "in_progress"));  // 2h counted
  h.run_until(t0 + 2 * kHour + 10 * kMin);
  EXPECT_EQ(h.ids(), (std::vector<std::string>{"A/response/0/warning/50%"}));  // 1h30 of 3h
  h.out.clear();
  h.engine.set_policy(tight, h.now, h.out);
  // The breach fires once, at once; the warnings it skipped (75% = 45m,
  // -10m = 50m of the new 1h) are not sent.
  EXPECT_EQ(h.ids(), (std::vector<std::string>{"A/response/0/breached/0"}));
  ASSERT_NE(h.find("A/response/0/breached/0"), nullptr);
  EXPECT_EQ(h.find("A/response/0/breached/0")->target_ms, 1 * kHour);
  EXPECT_EQ(h.engine.ticket("A", h.now)->clocks[0].state, sla::engine::ClockState::kBreached);
  h.send(event("r", "A", t0 + 2 * kHour + 20 * kMin, EventKind::kResponded));
  // The reply ends the breached cycle: a met after its breach, never a plain met.
  const auto* met = h.find("A/response/0/met/0");
  ASSERT_NE(met, nullptr) << ::testing::PrintToString(h.ids());
  EXPECT_TRUE(met->after_breach);
  const auto v = h.engine.ticket("A", h.now);
  ASSERT_EQ(v->history.size(), 1u);
  EXPECT_EQ(v->history[0].outcome, "breached");
}

TEST(Engine, AClockMetAfterItsBreachSaysSoOnceAndStaysBreached) {
  // gold P3 response 3h on 24x7: breached at 13:00, replied at 14:10.
  Harness h(load());
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("o", "A", t0, EventKind::kOpened, "gold", "P3"));
  h.run_until(t0 + 3 * kHour);
  ASSERT_NE(h.find("A/response/0/breached/0"), nullptr);
  h.send(event("r", "A", t0 + 4 * kHour + 10 * kMin, EventKind::kResponded));
  const auto* met = h.find("A/response/0/met/0");
  ASSERT_NE(met, nullptr);
  EXPECT_TRUE(met->after_breach);
  EXPECT_EQ(met->fired_at, t0 + 4 * kHour + 10 * kMin);
  EXPECT_EQ(met->elapsed_ms, 4 * kHour + 10 * kMin);  // time to respond, past the 3h target
  EXPECT_EQ(met->started_at, t0);
  // A late duplicate of the reply and a second reply emit nothing more.
  const std::size_t n = h.out.size();
  h.send_late(event("r", "A", t0 + 4 * kHour + 10 * kMin, EventKind::kResponded), h.now);
  h.send(event("r2", "A", t0 + 5 * kHour, EventKind::kResponded));
  EXPECT_EQ(h.out.size(), n);
  EXPECT_EQ(h.engine.ticket("A", h.now)->history[0].outcome, "breached");
  // An in-time reply is a plain met.
  h.send(event("o2", "B", t0 + 5 * kHour, EventKind::kOpened, "gold", "P3"));
  h.send(event("r3", "B", t0 + 6 * kHour, EventKind::kResponded));
  ASSERT_NE(h.find("B/response/0/met/0"), nullptr);
  EXPECT_FALSE(h.find("B/response/0/met/0")->after_breach);
}

TEST(EngineReload, ABreachPassedSinceTheLastEventFiresAtItsInstantWithoutStaleWarnings) {
  // No event since the open: the clock counted 2h by the reload. Before, the
  // reload sent the new 75% and -10m warnings in a burst with the breach.
  const auto tight = with_p3_response("1h");
  ASSERT_TRUE(tight);
  Harness h(load());
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("o", "A", t0, EventKind::kOpened, "gold", "P3"));
  h.run_until(t0 + 2 * kHour);
  h.out.clear();
  h.engine.set_policy(tight, h.now, h.out);
  EXPECT_EQ(h.ids(), (std::vector<std::string>{"A/response/0/breached/0"}));
  ASSERT_NE(h.find("A/response/0/breached/0"), nullptr);
  EXPECT_EQ(h.find("A/response/0/breached/0")->fired_at, t0 + 1 * kHour);
  // Reminders follow the new target: breach+1h (2h counted) was passed by
  // the reload and is skipped; breach+2h fires when due.
  h.run_until(t0 + 4 * kHour);
  EXPECT_EQ(h.ids(), (std::vector<std::string>{"A/response/0/breached/0", "A/response/0/breached/2"}));
  EXPECT_EQ(h.find("A/response/0/breached/2")->fired_at, t0 + 3 * kHour);
}

TEST(EngineReload, RetargetAndReloadWithTheSameNumbersAgree) {
  // A severity change onto the same numbers and a reload onto a tighter
  // target take the same path: both breach at once.
  Harness a(load());
  Harness b(load());
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  a.send(event("o", "A", t0, EventKind::kOpened, "gold", "P3"));
  a.send(event("s", "A", t0 + 80 * kMin, EventKind::kSeverityChanged, "P1"));  // 1h target
  b.send(event("o", "A", t0, EventKind::kOpened, "gold", "P3"));
  b.send(event("s", "A", t0 + 80 * kMin, EventKind::kStatusChanged, "in_progress"));
  b.engine.set_policy(with_p3_response("1h"), b.now, b.out);
  EXPECT_EQ(a.ids(), b.ids());
  EXPECT_EQ(a.ids(), (std::vector<std::string>{"A/response/0/breached/0"}));
}

TEST(EngineArithmetic, HugeDurationsNeverReachTheEngine) {
  // Each duration fits in 64 bits; target + `breach+D` and target + 2 x
  // repeat do not. Wrapped, they were negative counted times: the step and
  // the reminders fired at once at open. The loader refuses each of them
  // (SPEC 5.3: no counted time over 1000 years, kMaxCountedMillis), so no
  // sum the engine forms from a loaded policy can overflow; the engine's
  // sums saturate besides. (This test used to run the engine on the policy
  // and skip itself when the loader refused it: since the loader checks,
  // it only ever skipped.)
  std::string yaml = kPolicy;
  yaml.replace(yaml.find("after_breach: {repeat: 1h, times: 2}"), 36,
               "after_breach: {repeat: 58000000000d, times: 2}");
  yaml.replace(yaml.find("- {at: breach, notify: [t3], page: true}"), 40,
               "- {at: breach+58000000000d, notify: [t3], page: true}");
  yaml.replace(yaml.find("resolution: {within: 4h, calendar: 24x7}"), 40,
               "resolution: {within: 58000000000d, calendar: 24x7}");
  std::vector<sla::policy::LoadError> errors;
  sla::policy::LoadOptions opts;
  opts.file = "huge.yaml";
  EXPECT_FALSE(sla::policy::load_policy(yaml, opts, errors));
  std::string all;
  for (const auto& e : errors) all += sla::policy::format(e) + "\n";
  EXPECT_GE(errors.size(), 3u) << all;
  for (const auto& e : errors) {
    EXPECT_EQ(e.file, "huge.yaml");
    EXPECT_GT(e.line, 0) << sla::policy::format(e);
  }
}

TEST(EngineReasons, RejectionsCarryTheirDlqReason) {
  Engine e(load());
  std::vector<Output> out;
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  auto r = e.apply(event("o", "A", t0, EventKind::kOpened, "bronze", "P1"), t0, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(sla::engine::dlq_reason(r.error()), "unknown_plan_or_severity");
  r = e.apply(event("o", "A", t0, EventKind::kOpened, "gold", "P9"), t0, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(sla::engine::dlq_reason(r.error()), "unknown_plan_or_severity");
  EXPECT_EQ(sla::engine::dlq_reason(sla::Error{sla::ErrorCode::kInternal, "x"}), "rejected");
}

TEST(EngineReasons, OpensAreCheckedAgainstTheReloadedPolicy) {
  // The engine remembers the (plan, severity) pairs it admitted opens for;
  // a reload that drops one must reject the next open naming it.
  std::string yaml = kPolicy;
  const std::string p3 = "      P3:\n        response:   {within: 3h, calendar: 24x7}\n";
  const auto pos = yaml.find(p3);
  ASSERT_NE(pos, std::string::npos);
  yaml.erase(pos, p3.size());
  const auto without_p3 = load(yaml.c_str());
  ASSERT_TRUE(without_p3);
  Engine e(load());
  std::vector<Output> out;
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  ASSERT_TRUE(e.apply(event("a", "A", t0, EventKind::kOpened, "gold", "P3"), t0, out));
  ASSERT_TRUE(e.apply(event("b", "B", t0, EventKind::kOpened, "gold", "P1"), t0, out));
  e.set_policy(without_p3, t0, out);
  auto r = e.apply(event("c", "C", t0, EventKind::kOpened, "gold", "P3"), t0, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(sla::engine::dlq_reason(r.error()), "unknown_plan_or_severity");
  EXPECT_TRUE(e.apply(event("d", "D", t0, EventKind::kOpened, "gold", "P1"), t0, out));
}

// A policy where one escalation step hangs on resolution under two
// severities: a severity change (keep_elapsed) passes the step again.
constexpr const char* kTwoSeverities = R"(
version: 1
policy_id: two-severities
plans:
  gold:
    severities:
      P1:
        resolution: {within: 400h, calendar: 24x7}
        update:     {every: 30m, calendar: 24x7}
      P2:
        resolution: {within: 500h, calendar: 24x7}
        update:     {every: 30m, calendar: 24x7}
on_retarget: keep_elapsed
escalations:
  - name: res
    match: {plan: gold, metric: resolution}
    steps:
      - {at: 30m, notify: [lead]}
)";

TEST(EngineBounds, OutputIdsAreExactForTheTicketsWholeLife) {
  // Before: 512 output ids per ticket were remembered; past that the step
  // fired at 30m was forgotten and a retarget sent it again, with another
  // fired_at. Also with a short horizon (the ticket folds and prunes ids).
  for (const std::int64_t lateness : {7 * 24 * kHour, 2 * kHour}) {
    sla::engine::EngineOptions o;
    o.max_lateness_ms = lateness;
    Harness h(load(kTwoSeverities), o);
    const EpochMillis t0 = at("2026-04-06T10:00:00Z");
    h.send(event("o", "A", t0, EventKind::kOpened, "gold", "P1"));
    for (int i = 1; i <= 700; ++i) h.send(event("u" + std::to_string(i), "A", t0 + i * 10 * kMin, EventKind::kAgentUpdated));
    ASSERT_GT(h.out.size(), 700u);
    std::size_t before = h.out.size();
    h.send(event("sev", "A", t0 + 7001 * kMin, EventKind::kSeverityChanged, "P2"));
    h.send(event("sev2", "A", t0 + 7002 * kMin, EventKind::kSeverityChanged, "P1"));
    std::map<std::string, int> seen;
    for (const auto& id : h.ids()) ++seen[id];
    for (const auto& [id, n] : seen) EXPECT_EQ(n, 1) << id << " lateness " << lateness;
    EXPECT_EQ(seen.count("A/resolution/0/escalated/res/1"), 1u);
    EXPECT_EQ(h.out.size(), before) << "the step is not sent again";
    // And the ticket stays within a few KB when the horizon is short.
    if (lateness < kHour * 24) {
      EXPECT_LT(h.engine.ticket_bytes("A"), 4096u);
    }
  }
}

TEST(EngineBounds, AResponseAfterManyLaterEventsMeetsItsClockExactly) {
  // Before: past 64 retained events the oldest were folded and a late
  // event was applied at the snapshot's time: the response counted 70 min.
  Harness h(load());
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("o", "A", t0, EventKind::kOpened, "gold", "P3"));  // response 3h
  for (int i = 1; i <= 150; ++i) {
    h.send(event("s" + std::to_string(i), "A", t0 + 60 * kMin + i * 1000, EventKind::kStatusChanged,
              i % 2 == 1 ? "in_progress" : "open"));
  }
  h.send_late(event("r", "A", t0 + 30 * kMin, EventKind::kResponded), t0 + 70 * kMin);
  ASSERT_NE(h.find("A/response/0/met/0"), nullptr) << ::testing::PrintToString(h.ids());
  EXPECT_EQ(h.find("A/response/0/met/0")->elapsed_ms, 30 * kMin);
  EXPECT_EQ(h.find("A/response/0/met/0")->fired_at, t0 + 30 * kMin);
  h.run_until(t0 + 10 * kHour);
  EXPECT_EQ(h.ids(), (std::vector<std::string>{"A/response/0/met/0"}));
  EXPECT_EQ(h.engine.stats().too_late, 0u);
}

TEST(EngineBounds, ADuplicateAfterManyOtherEventsIsRecognised) {
  // Before: 128 folded event ids were remembered; a redelivery past that
  // was applied again (here: pausing the resolution clock for good).
  Harness h(load());
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("o", "A", t0, EventKind::kOpened, "gold", "P1"));
  const auto pause = event("p", "A", t0 + kMin, EventKind::kStatusChanged, "pending_customer");
  h.send(pause);
  h.send(event("q", "A", t0 + 2 * kMin, EventKind::kStatusChanged, "open"));
  for (int i = 1; i <= 300; ++i) h.send(event("u" + std::to_string(i), "A", t0 + 2 * kMin + i * 1000, EventKind::kAgentUpdated));
  const auto view_before = h.engine.ticket("A", h.now);
  const auto dups = h.engine.stats().duplicates;
  h.send_late(pause, h.now);
  EXPECT_EQ(h.engine.stats().duplicates, dups + 1);
  const auto view_after = h.engine.ticket("A", h.now);
  ASSERT_EQ(view_after->clocks.size(), view_before->clocks.size());
  for (std::size_t i = 0; i < view_after->clocks.size(); ++i) {
    EXPECT_EQ(view_after->clocks[i].state, view_before->clocks[i].state) << i;
    EXPECT_EQ(view_after->clocks[i].deadline, view_before->clocks[i].deadline) << i;
  }
  EXPECT_EQ(view_after->status, "open");
}

TEST(EngineBounds, AnEventOlderThanTheHorizonIsRejectedAsTooLate) {
  sla::engine::EngineOptions o;
  o.max_lateness_ms = 2 * kHour;
  Harness h(load(), o);
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("o", "A", t0, EventKind::kOpened, "gold", "P3"));
  h.send(event("s", "A", t0 + 3 * kHour, EventKind::kStatusChanged, "in_progress"));
  const auto before = h.engine.save_ticket("A");
  std::vector<Output> out;
  // 2h01 older than the newest event: rejected, nothing changed.
  auto r = h.engine.apply(event("r", "A", t0 + 59 * kMin, EventKind::kResponded), h.now, out);
  ASSERT_FALSE(r);
  EXPECT_EQ(sla::engine::dlq_reason(r.error()), "too_late");
  EXPECT_EQ(h.engine.stats().too_late, 1u);
  EXPECT_EQ(h.engine.save_ticket("A"), before);
  EXPECT_TRUE(out.empty());
  // Exactly at the horizon: applied exactly.
  ASSERT_TRUE(h.engine.apply(event("r2", "A", t0 + 1 * kHour, EventKind::kResponded), h.now, out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::get<SlaOutput>(out[0]).event_id, "A/response/0/met/0");
  EXPECT_EQ(std::get<SlaOutput>(out[0]).elapsed_ms, 1 * kHour);
}

TEST(EngineBounds, ATicketOverItsBudgetIsRejectedNeverTrimmed) {
  sla::engine::EngineOptions o;
  o.max_lateness_ms = kHour;
  o.ticket_budget_bytes = 4096;
  Harness h(load(), o);
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  h.send(event("o", "A", t0, EventKind::kOpened, "gold", "P3"));
  std::size_t accepted = 0;
  std::size_t rejected = 0;
  std::vector<Output> out;
  for (int i = 1; i <= 200; ++i) {
    auto r = h.engine.apply(event("s" + std::to_string(i), "A", t0 + i * 1000, EventKind::kStatusChanged,
                               i % 2 == 1 ? "in_progress" : "open"),
                            t0 + i * 1000, out);
    if (r) {
      ++accepted;
    } else {
      EXPECT_EQ(sla::engine::dlq_reason(r.error()), "ticket_budget");
      ++rejected;
    }
    EXPECT_LE(h.engine.ticket_bytes("A"), o.ticket_budget_bytes);
  }
  EXPECT_GT(accepted, 20u);
  EXPECT_GT(rejected, 0u);
  EXPECT_EQ(h.engine.stats().over_budget, rejected);
  // Every accepted event is still there (a duplicate of the first is one).
  const auto dups = h.engine.stats().duplicates;
  ASSERT_TRUE(h.engine.apply(event("s1", "A", t0 + 1000, EventKind::kStatusChanged, "in_progress"), t0 + 200000, out));
  EXPECT_EQ(h.engine.stats().duplicates, dups + 1);
  // Once the early events are older than the horizon they are folded, and
  // the ticket takes events again.
  ASSERT_TRUE(h.engine.apply(event("late", "A", t0 + 2 * kHour, EventKind::kStatusChanged, "open"), t0 + 2 * kHour, out));
  EXPECT_GT(h.engine.stats().folded, 0u);
}

TEST(EngineState, Version3KeepsEmittedIdsAndBaseLaddersAcrossALoad) {
  // A ticket that folded (short horizon), paged, and has emitted ids: saved
  // and loaded into a fresh engine, a redelivered late event re-emits
  // nothing, and the save is byte-identical.
  sla::engine::EngineOptions o;
  o.max_lateness_ms = 3 * kHour;
  Harness a(load(), o);
  const EpochMillis t0 = at("2026-04-06T10:00:00Z");
  a.send(event("o", "A", t0, EventKind::kOpened, "gold", "P1"));
  for (int i = 1; i <= 40; ++i) a.send(event("s" + std::to_string(i), "A", t0 + i * 10 * kMin, EventKind::kStatusChanged, i % 2 ? "in_progress" : "open"));
  a.run_until(t0 + 7 * kHour);
  ASSERT_FALSE(a.pages().empty());
  const std::string bytes = a.engine.save_ticket("A");
  Harness b(load(), o);
  b.now = a.now;
  ASSERT_TRUE(b.engine.load_ticket(bytes));
  EXPECT_EQ(b.engine.save_ticket("A"), bytes);
  b.send_late(event("late", "A", t0 + 390 * kMin, EventKind::kStatusChanged, "in_progress"), a.now);
  b.run_until(a.now);
  EXPECT_TRUE(b.out.empty()) << ::testing::PrintToString(b.ids());
}

// The slow reference for SPEC 5.1 and 5.3: after every step of a delivery
// (time passing, then one event arriving), a fresh engine is fed the events
// accepted so far sorted by (occurred_at, sequence, arrival) and the engine
// under test must have emitted, in that step, exactly the outputs of that
// fresh run that it had not emitted before, with the same bytes. Events more
// than the horizon older than their ticket's newest accepted event are
// rejected (too_late) and duplicates ignored, decided by the reference from
// the rules alone. Streams of 120-200 events per ticket, many arriving after
// more than 128 later events of their ticket.
TEST(EngineProperty, LateDuplicateAndReorderedEventsMatchTheSortedReplay) {
  auto p = load();
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    for (const std::int64_t lateness : {7 * 24 * kHour, 90 * kMin}) {
      std::mt19937_64 rng(seed * 31 + static_cast<std::uint64_t>(lateness % 1000));
      const EpochMillis t0 = at("2026-04-06T08:00:00Z");
      struct Timed {
        EpochMillis arrive;
        TicketEvent e;
      };
      std::vector<Timed> stream;
      int next = 0;
      for (int k = 0; k < 3; ++k) {
        const std::string tk = "T" + std::to_string(k);
        EpochMillis t = t0 + static_cast<EpochMillis>(rng() % 3600) * 1000;
        const char* sev = k == 0 ? "P1" : (k == 1 ? "P3" : "P2");
        std::vector<TicketEvent> evs{event("e" + std::to_string(next++), tk, t, EventKind::kOpened, "gold", sev)};
        const int n = 120 + static_cast<int>(rng() % 80);
        for (int j = 0; j < n; ++j) {
          t += static_cast<EpochMillis>(rng() % 300) * 1000;  // ties too
          TicketEvent e;
          switch (rng() % 12) {
            case 0: e = event("", tk, t, EventKind::kResponded); break;
            case 1: case 2: e = event("", tk, t, EventKind::kAgentUpdated); break;
            case 3: case 4: e = event("", tk, t, EventKind::kStatusChanged, "pending_customer"); break;
            case 5: case 6: e = event("", tk, t, EventKind::kStatusChanged, "open"); break;
            case 7: e = event("", tk, t, EventKind::kSeverityChanged, rng() % 2 ? "P1" : "P3"); break;
            case 8: e = event("", tk, t, EventKind::kResolved); break;
            case 9: e = event("", tk, t, EventKind::kReopened); break;
            case 10: e = event("", tk, t, EventKind::kWorkaroundProvided); break;
            default: e = event("", tk, t, EventKind::kPageAcknowledged); break;
          }
          e.event_id = "e" + std::to_string(next++);
          if (rng() % 3 == 0) e.sequence = rng() % 4;
          evs.push_back(e);
        }
        for (auto& e : evs) {
          // Most arrive on time, some hours late (past > 128 later events),
          // some twice.
          EpochMillis arrive = e.occurred_at;
          if (rng() % 6 == 0) arrive += static_cast<EpochMillis>(rng() % (10 * 3600)) * 1000;
          stream.push_back({arrive, e});
          if (rng() % 10 == 0) stream.push_back({arrive + static_cast<EpochMillis>(rng() % (12 * 3600)) * 1000, e});
        }
      }
      std::stable_sort(stream.begin(), stream.end(), [](const Timed& a, const Timed& b) { return a.arrive < b.arrive; });

      sla::engine::EngineOptions o;
      o.max_lateness_ms = lateness;
      Engine engine(p, o);
      std::set<std::string> emitted;  // by the engine so far
      std::vector<TicketEvent> accepted;
      std::map<std::string, EpochMillis> newest;
      std::set<std::pair<std::string, std::string>> ids;
      std::size_t late_rejected = 0;
      EpochMillis now = t0;
      // The fresh run over what was accepted, up to `until` (advance), or
      // without advancing.
      auto reference = [&](std::optional<EpochMillis> until) {
        std::vector<TicketEvent> sorted = accepted;
        std::stable_sort(sorted.begin(), sorted.end(), [](const TicketEvent& a, const TicketEvent& b) {
          if (a.occurred_at != b.occurred_at) return a.occurred_at < b.occurred_at;
          return a.sequence.value_or(0) < b.sequence.value_or(0);
        });
        Engine fresh(p);
        std::vector<Output> out;
        for (const auto& e : sorted) EXPECT_TRUE(fresh.apply(e, now, out));
        if (until) fresh.advance(*until, out);
        std::map<std::string, std::string> by_id;
        for (const auto& x : out) by_id.emplace(sla::engine::output_id(x), dump(x));
        return by_id;
      };
      auto check_step = [&](const std::vector<Output>& got, const std::map<std::string, std::string>& want,
                            const char* what) {
        std::map<std::string, std::string> fresh_new;
        for (const auto& [id, bytes] : want) {
          if (!emitted.count(id)) fresh_new.emplace(id, bytes);
        }
        std::map<std::string, std::string> got_new;
        for (const auto& x : got) {
          EXPECT_TRUE(got_new.emplace(sla::engine::output_id(x), dump(x)).second) << "twice: " << sla::engine::output_id(x);
          EXPECT_FALSE(emitted.count(sla::engine::output_id(x))) << "re-emitted: " << sla::engine::output_id(x);
        }
        EXPECT_EQ(got_new, fresh_new) << what << " seed " << seed << " lateness " << lateness << " at " << iso(now);
        for (const auto& [id, bytes] : got_new) emitted.insert(id);
        return got_new == fresh_new;
      };
      bool ok = true;
      for (const auto& [arrive, e] : stream) {
        if (!ok) break;
        now = std::max(now, arrive);
        std::vector<Output> out;
        // (When nothing is due, advance() emits nothing and a missed output
        // would show in a later step: the reference is skipped for speed.)
        const bool due = engine.next_due() && *engine.next_due() <= now;
        engine.advance(now, out);
        if (due || !out.empty()) ok = check_step(out, reference(now), "advance") && ok;
        out.clear();
        auto r = engine.apply(e, now, out);
        const bool too_late = newest.count(e.ticket_id) && e.occurred_at < newest[e.ticket_id] - lateness;
        if (too_late) {
          EXPECT_FALSE(r) << e.event_id;
          if (!r) {
            EXPECT_EQ(sla::engine::dlq_reason(r.error()), "too_late");
          }
          ++late_rejected;
          continue;
        }
        ASSERT_TRUE(r) << r.error().message;
        if (ids.insert({e.ticket_id, e.event_id}).second) {
          accepted.push_back(e);
          newest[e.ticket_id] = std::max(newest[e.ticket_id], e.occurred_at);
        }
        ok = check_step(out, reference(std::nullopt), "apply") && ok;
      }
      // And the final states agree.
      Engine fresh(p);
      std::vector<Output> sink;
      auto sorted = accepted;
      std::stable_sort(sorted.begin(), sorted.end(), [](const TicketEvent& a, const TicketEvent& b) {
        return a.occurred_at != b.occurred_at ? a.occurred_at < b.occurred_at : a.sequence.value_or(0) < b.sequence.value_or(0);
      });
      for (const auto& e : sorted) ASSERT_TRUE(fresh.apply(e, now, sink));
      fresh.advance(now, sink);
      for (const std::string tk : {"T0", "T1", "T2"}) {
        const auto a = engine.ticket(tk, now);
        const auto b = fresh.ticket(tk, now);
        ASSERT_TRUE(a && b);
        ASSERT_EQ(a->clocks.size(), b->clocks.size()) << tk;
        for (std::size_t i = 0; i < a->clocks.size(); ++i) {
          EXPECT_EQ(a->clocks[i].state, b->clocks[i].state) << tk;
          EXPECT_EQ(a->clocks[i].cycle, b->clocks[i].cycle) << tk;
          EXPECT_EQ(a->clocks[i].elapsed_ms, b->clocks[i].elapsed_ms) << tk;
          EXPECT_EQ(a->clocks[i].deadline, b->clocks[i].deadline) << tk;
          EXPECT_EQ(a->clocks[i].fired, b->clocks[i].fired) << tk;
        }
        ASSERT_EQ(a->pages.size(), b->pages.size()) << tk;
        for (std::size_t i = 0; i < a->pages.size(); ++i) {
          EXPECT_EQ(a->pages[i].key, b->pages[i].key);
          EXPECT_EQ(a->pages[i].pages_sent, b->pages[i].pages_sent);
          EXPECT_EQ(a->pages[i].stopped, b->pages[i].stopped);
          EXPECT_EQ(a->pages[i].state, b->pages[i].state) << tk;
        }
      }
      if (lateness < kHour * 24) {
        EXPECT_GT(late_rejected, 0u) << seed;
      }
      EXPECT_GT(engine.stats().out_of_order, 20u);
      EXPECT_GT(engine.stats().duplicates, 5u);
    }
  }
}

}  // namespace
