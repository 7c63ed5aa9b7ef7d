// Ticket attributes in the engine (SPEC 3 round 2): plan rules resolve
// targets from them, attributes_changed retargets with keep_elapsed, an
// escalation whose attribute test newly holds starts then (steps already
// passed at once), and the attributes survive recomputation, folding and a
// save/load.
#include <algorithm>
#include <string>
#include <utility>
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
using sla::engine::SlaOutput;
using sla::engine::TicketEvent;

constexpr std::int64_t kMin = 60'000;
constexpr std::int64_t kHour = 60 * kMin;
const EpochMillis t0 = *sla::calendar::parse_rfc3339("2026-04-06T10:00:00Z");

constexpr const char* kPolicy = R"(
version: 1
policy_id: attrs-test
plans:
  pro:
    severities:
      P2:
        response:   {within: 1h, calendar: 24x7}
        resolution: {within: 8h, calendar: 24x7}
    rules:
      - match: {attributes: {channel: chat}}
        response: {within: 15m, calendar: 24x7}
escalations:
  - name: hw
    match: {attributes: {product: hardware}, metric: response}
    steps:
      - {at: 0m, notify: [supplier]}
      - {at: 30m, notify: [supplier-lead]}
)";

std::shared_ptr<const sla::policy::Policy> load() {
  return sla::testing::load_policy_text(kPolicy, "attrs-test.yaml");
}

using Attrs = std::vector<std::pair<std::string, std::string>>;

TicketEvent ev(std::string id, std::string ticket, EpochMillis t, EventKind kind) {
  return sla::testing::event(std::move(id), std::move(ticket), t, kind);
}
TicketEvent open(std::string id, std::string ticket, EpochMillis t, Attrs attrs = {}) {
  TicketEvent e = ev(std::move(id), std::move(ticket), t, EventKind::kOpened);
  e.plan = "pro";
  e.severity = "P2";
  e.status = "open";
  e.attributes = std::move(attrs);
  return e;
}
TicketEvent change(std::string id, std::string ticket, EpochMillis t, Attrs set, std::vector<std::string> removed = {}) {
  TicketEvent e = ev(std::move(id), std::move(ticket), t, EventKind::kAttributesChanged);
  e.attributes = std::move(set);
  e.removed = std::move(removed);
  return e;
}

// Jumps the clock to every timer (sla::testing::EngineHarness).
struct Harness : sla::testing::EngineHarness {
  explicit Harness(sla::engine::EngineOptions o = {}) : EngineHarness(load(), o) {}
  /// At its own time, or arriving at `arrival` when that is later.
  void send(const TicketEvent& e, EpochMillis arrival = 0) { send_late(e, std::max(e.occurred_at, arrival)); }
  /// "id @ +minutes" for every SLA output, in order.
  std::vector<std::string> fired() const {
    std::vector<std::string> v;
    for (const auto& o : out) {
      if (const auto* s = std::get_if<SlaOutput>(&o)) {
        v.push_back(s->event_id + " @+" + std::to_string((s->fired_at - t0) / kMin) + "m");
      }
    }
    return v;
  }
};

using Lines = std::vector<std::string>;

TEST(Attributes, ARuleOnTheOpenedAttributesSetsTheTarget) {
  Harness h;
  h.send(open("a1", "CHAT", t0, {{"channel", "chat"}}));
  h.send(open("b1", "MAIL", t0, {{"channel", "email"}}));
  h.run_until(t0 + 2 * kHour);
  // chat: 15m (the rule); email: the severity's 1h.
  EXPECT_EQ(h.fired(), (Lines{"CHAT/response/0/breached/0 @+15m", "MAIL/response/0/breached/0 @+60m"}));
  const auto v = h.engine.ticket("CHAT", h.now);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->attributes, (Attrs{{"channel", "chat"}}));
  EXPECT_EQ(v->clocks.at(0).target_ms, 15 * kMin);
}

TEST(Attributes, MovingChatToEmailRetargetsKeepingTheElapsedTime) {
  Harness h;
  h.send(open("a1", "T", t0, {{"channel", "chat"}, {"region", "eu"}}));
  h.send(change("a2", "T", t0 + 10 * kMin, {{"channel", "email"}}));
  h.run_until(t0 + 2 * kHour);
  // 10m counted under 15m, then the 1h target: due at +60m, not +15m.
  EXPECT_EQ(h.fired(), (Lines{"T/response/0/breached/0 @+60m"}));
  const auto v = h.engine.ticket("T", h.now);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->attributes, (Attrs{{"channel", "email"}, {"region", "eu"}}));
}

TEST(Attributes, MovingToChatPastItsTargetBreachesAtOnce) {
  Harness h;
  h.send(open("a1", "T", t0));
  h.send(change("a2", "T", t0 + 20 * kMin, {{"channel", "chat"}}));
  h.run_until(t0 + 2 * kHour);
  // 20m counted is past chat's 15m: the breach fires at the change, once.
  EXPECT_EQ(h.fired(), (Lines{"T/response/0/breached/0 @+20m"}));
}

TEST(Attributes, AnEscalationWhoseTestNewlyHoldsStartsThenWithPassedStepsAtOnce) {
  Harness h;
  h.send(open("a1", "T", t0));
  h.send(change("a2", "T", t0 + 40 * kMin, {{"product", "hardware"}}));
  h.run_until(t0 + 3 * kHour);
  // Both steps (0m, 30m) were passed on the running response clock at +40m.
  EXPECT_EQ(h.fired(), (Lines{"T/response/0/escalated/hw/1 @+40m", "T/response/0/escalated/hw/2 @+40m",
                              "T/response/0/breached/0 @+60m"}));
}

TEST(Attributes, AMetClockFiresTheStepsItHadReachedWhenTheTestStartsHolding) {
  Harness h;
  h.send(open("a1", "T", t0));
  h.send(ev("a2", "T", t0 + 5 * kMin, EventKind::kResponded));
  h.send(change("a3", "T", t0 + 40 * kMin, {{"product", "hardware"}}));
  h.run_until(t0 + 3 * kHour);
  // Met at 5m counted: the 0m step was reached, the 30m one never.
  EXPECT_EQ(h.fired(), (Lines{"T/response/0/met/0 @+5m", "T/response/0/escalated/hw/1 @+40m"}));
}

TEST(Attributes, RemovingTheAttributeStopsTheEscalationsLaterSteps) {
  Harness h;
  h.send(open("a1", "T", t0, {{"product", "hardware"}}));
  h.send(change("a2", "T", t0 + 10 * kMin, {}, {"product"}));
  h.run_until(t0 + 3 * kHour);
  EXPECT_EQ(h.fired(), (Lines{"T/response/0/escalated/hw/1 @+0m", "T/response/0/breached/0 @+60m"}));
  const auto v = h.engine.ticket("T", h.now);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->attributes.empty());
}

TEST(Attributes, ALateAttributesChangeIsAppliedAsIfInTime) {
  Harness timely, late;
  timely.send(open("a1", "T", t0, {{"channel", "chat"}}));
  timely.send(change("a2", "T", t0 + 10 * kMin, {{"channel", "email"}}));
  TicketEvent a3 = ev("a3", "T", t0 + 12 * kMin, EventKind::kStatusChanged);
  a3.status = "open";
  timely.send(a3);
  timely.run_until(t0 + 2 * kHour);

  late.send(open("a1", "T", t0, {{"channel", "chat"}}));
  late.send(a3);
  late.send(change("a2", "T", t0 + 10 * kMin, {{"channel", "email"}}), t0 + 13 * kMin);  // arrives after a3
  late.run_until(t0 + 2 * kHour);
  EXPECT_EQ(late.fired(), timely.fired());
  EXPECT_EQ(late.fired(), (Lines{"T/response/0/breached/0 @+60m"}));
}

TEST(Attributes, SaveAndLoadKeepTheAttributes) {
  Harness a, b;
  for (Harness* h : {&a, &b}) h->send(open("a1", "T", t0, {{"channel", "chat"}}));
  const std::string saved = a.engine.save_ticket("T");
  Harness restored;
  restored.now = a.now;
  ASSERT_TRUE(restored.engine.load_ticket(saved));
  for (Harness* h : {&b, &restored}) {
    h->send(change("a2", "T", t0 + 10 * kMin, {{"product", "hardware"}}));
    h->run_until(t0 + 2 * kHour);
  }
  EXPECT_EQ(restored.fired(), b.fired());
  // The chat rule's 15m target; the hw steps from +10m on (a breached clock keeps counting).
  EXPECT_EQ(b.fired(), (Lines{"T/response/0/escalated/hw/1 @+10m", "T/response/0/breached/0 @+15m",
                              "T/response/0/escalated/hw/2 @+30m"}));
  const auto v = restored.engine.ticket("T", restored.now);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->attributes, (Attrs{{"channel", "chat"}, {"product", "hardware"}}));
}

TEST(Attributes, FoldedEventsKeepTheirAttributesForRecomputation) {
  sla::engine::EngineOptions o;
  o.max_lateness_ms = kHour;
  Harness h(o);
  h.send(open("a1", "T", t0, {{"channel", "chat"}}));
  // Status changes every 20 minutes for 6 hours: the open (and its
  // attributes) is folded into the base snapshot.
  for (int i = 1; i <= 18; ++i) {
    TicketEvent s = ev("s" + std::to_string(i), "T", t0 + i * 20 * kMin, EventKind::kStatusChanged);
    s.status = i % 2 == 0 ? "open" : "on_hold";
    h.send(s);
  }
  // A late event within the horizon recomputes from the base snapshot.
  TicketEvent late = ev("late", "T", t0 + 355 * kMin, EventKind::kStatusChanged);
  late.status = "open";
  h.send(late, t0 + 361 * kMin);
  const auto v = h.engine.ticket("T", h.now);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->attributes, (Attrs{{"channel", "chat"}}));
  EXPECT_EQ(v->clocks.at(0).target_ms, 15 * kMin);  // the chat rule's target, still
  EXPECT_EQ(h.engine.stats().out_of_order, 1U);
  EXPECT_GT(h.engine.stats().folded, 0U);
  // And after a save and load.
  Engine other(load(), o);
  ASSERT_TRUE(other.load_ticket(h.engine.save_ticket("T")));
  EXPECT_EQ(other.ticket("T", h.now)->attributes, (Attrs{{"channel", "chat"}}));
}

TEST(Attributes, StateFormatSixAppendsTheAttributesAndFiveStillLoads) {
  Harness h;
  h.send(open("a1", "T", t0, {{"channel", "chat"}}));
  const std::string v6 = h.engine.save_ticket("T");
  ASSERT_EQ(v6[0], '\x06');
  Engine other(load());
  ASSERT_TRUE(other.load_ticket(v6));
  EXPECT_EQ(other.save_ticket("T"), v6);  // byte for byte
  // A version 5 state is version 6 without the two attribute strings at the
  // end: a ticket saved by the previous engine loads with no attributes.
  Harness plain;
  plain.send(open("a1", "P", t0));
  const std::string p6 = plain.engine.save_ticket("P");
  ASSERT_EQ(p6.substr(p6.size() - 2), std::string(2, '\0'));
  std::string p5 = p6.substr(0, p6.size() - 2);
  p5[0] = '\x05';
  Engine old(load());
  ASSERT_TRUE(old.load_ticket(p5));
  EXPECT_TRUE(old.ticket("P", t0)->attributes.empty());
  EXPECT_EQ(old.save_ticket("P"), p6);
}

TEST(Attributes, ATicketWithoutAttributesCostsNothingMore) {
  Harness h;
  h.send(open("a1", "PLAIN", t0));
  h.send(open("b1", "ATTRS", t0, {{"channel", "chat"}}));
  // The cold part (and the attributes' bytes) only for the ticket that has some.
  EXPECT_LT(h.engine.ticket_bytes("PLAIN"), h.engine.ticket_bytes("ATTRS"));
  EXPECT_LE(h.engine.ticket_bytes("PLAIN"), 512U);
}

}  // namespace
