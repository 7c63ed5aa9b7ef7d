// Count and request triggers (SPEC 3, round 2): exchanges (an agent reply,
// then the customer's) counted per ticket cycle, steps `at: {exchanges: N}`,
// and `trigger: requested` escalations started by escalation_requested,
// their steps counted from the request on the escalation's calendar. Also:
// they survive recomputation (late events), save/load (format version 5),
// and version 4 states still load.
#include <algorithm>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <string>
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
using sla::engine::SlaKind;
using sla::engine::SlaOutput;
using sla::engine::TicketEvent;
using sla::testing::at;
using sla::testing::event;
// The engine on a simulated clock that jumps to every timer.
using Harness = sla::testing::EngineHarness;

constexpr std::int64_t kMin = 60'000;
constexpr std::int64_t kHour = 60 * kMin;

// `biz` is Mon-Fri 09:00-17:00 UTC. gold P1's resolution clock carries the
// T1 exchange steps and the management request ladder (on biz hours).
constexpr const char* kPolicy = R"(
version: 1
policy_id: exchanges-test
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
        update:     {every: 8h, calendar: 24x7}
        resolution: {within: 3d, calendar: 24x7}
      P2:
        response:   {within: 8h, calendar: 24x7}
        resolution: {within: none, calendar: 24x7}
      P3:
        response:   {within: 8h, calendar: 24x7}
on_reopen: {resolution: resume}
escalations:
  - name: t1
    match: {plan: gold, severity: P1, metric: resolution}
    steps:
      - {at: {exchanges: 2}, notify: [t2]}
      - {at: {exchanges: 3}, notify: [t3], page: true}
  - name: t1-response
    match: {plan: gold, severity: P3, metric: response}
    steps:
      - {at: {exchanges: 2}, notify: [t2]}
  - name: mgmt
    trigger: requested
    calendar: biz
    match: {plan: gold, metric: resolution}
    steps:
      - {at: 0m, notify: [manager]}
      - {at: 2h, notify: [director], page: true}
paging:
  targets:
    t3: {member: ana, ack_timeout: 10m}
    director: {member: dora, ack_timeout: 15m}
)";

std::shared_ptr<const sla::policy::Policy> load(const char* yaml = kPolicy) {
  return sla::testing::load_policy_text(yaml, "exchanges-test.yaml");
}

const EpochMillis kT0 = at("2026-04-06T10:00:00Z");  // a Monday

TEST(Exchanges, TheSecondBackAndForthEscalatesOnceAndTheThirdPages) {
  Harness h(load());
  h.send(event("o", "A", kT0, EventKind::kOpened, "gold", "P1"));
  // A customer reply before any agent reply completes nothing.
  h.send(event("c0", "A", kT0 + 1 * kMin, EventKind::kCustomerReplied));
  h.send(event("r", "A", kT0 + 5 * kMin, EventKind::kResponded));
  h.send(event("c1", "A", kT0 + 20 * kMin, EventKind::kCustomerReplied));  // exchange 1
  EXPECT_EQ(h.engine.ticket("A", h.now)->exchanges, 1u);
  EXPECT_FALSE(h.engine.ticket("A", h.now)->awaiting_customer);
  // Two agent replies and two customer replies in a row: one exchange.
  h.send(event("u1", "A", kT0 + 30 * kMin, EventKind::kAgentUpdated));
  h.send(event("u2", "A", kT0 + 31 * kMin, EventKind::kAgentUpdated));
  EXPECT_TRUE(h.engine.ticket("A", h.now)->awaiting_customer);
  EXPECT_TRUE(h.escalations().empty());
  h.send(event("c2", "A", kT0 + 40 * kMin, EventKind::kCustomerReplied));  // exchange 2
  h.send(event("c3", "A", kT0 + 41 * kMin, EventKind::kCustomerReplied));  // nothing
  ASSERT_EQ(h.escalations(), std::vector<std::string>{"A/resolution/0/escalated/t1/1"});
  const SlaOutput* s = h.find("A/resolution/0/escalated/t1/1");
  EXPECT_EQ(s->fired_at, kT0 + 40 * kMin);
  EXPECT_EQ(s->trigger, "exchanges");
  EXPECT_EQ(s->exchanges, 2u);
  EXPECT_EQ(s->notify, std::vector<std::string>{"t2"});
  EXPECT_EQ(s->deadline, kT0 + 72 * kHour);  // the clock's own deadline (3d on 24x7)
  EXPECT_FALSE(s->requested_at);
  EXPECT_EQ(h.engine.ticket("A", h.now)->exchanges, 2u);
  h.send(event("r3", "A", kT0 + 50 * kMin, EventKind::kAgentUpdated));
  h.send(event("c4", "A", kT0 + 60 * kMin, EventKind::kCustomerReplied));  // exchange 3: pages t3
  ASSERT_EQ(h.escalations().size(), 2u);
  EXPECT_EQ(h.escalations()[1], "A/resolution/0/escalated/t1/2");
  ASSERT_EQ(h.pages().size(), 1u);
  EXPECT_EQ(h.pages()[0]->page_id, "A/resolution/0/page/t1/2/t3/0/0");
  EXPECT_EQ(h.pages()[0]->fired_at, kT0 + 60 * kMin);
  h.run_until(kT0 + 5 * kHour);
  EXPECT_EQ(h.escalations().size(), 2u);  // nothing more on time alone
}

TEST(Exchanges, AMetClockStillTakesItsTicketsExchangesUntilTheTicketIsResolved) {
  Harness h(load());
  h.send(event("o", "A", kT0, EventKind::kOpened, "gold", "P3"));
  h.send(event("r", "A", kT0 + kMin, EventKind::kResponded));  // meets the response clock
  h.send(event("c", "A", kT0 + 2 * kMin, EventKind::kCustomerReplied));
  h.send(event("u", "A", kT0 + 3 * kMin, EventKind::kAgentUpdated));
  h.send(event("c2", "A", kT0 + 4 * kMin, EventKind::kCustomerReplied));
  const SlaOutput* s = h.find("A/response/0/escalated/t1-response/1");
  ASSERT_NE(s, nullptr) << ::testing::PrintToString(h.ids());
  EXPECT_EQ(s->fired_at, kT0 + 4 * kMin);
  EXPECT_FALSE(s->deadline);  // the clock was met: no deadline to show
  EXPECT_EQ(s->elapsed_ms, kMin);  // what it counted until its reply
  // A resolved ticket escalates no more.
  h.send(event("o", "B", kT0, EventKind::kOpened, "gold", "P3"));
  h.send(event("rb", "B", kT0 + 5 * kMin, EventKind::kResponded));
  h.send(event("cb", "B", kT0 + 6 * kMin, EventKind::kCustomerReplied));
  h.send(event("ub", "B", kT0 + 7 * kMin, EventKind::kAgentUpdated));
  h.send(event("xb", "B", kT0 + 8 * kMin, EventKind::kResolved));
  h.send(event("cb2", "B", kT0 + 9 * kMin, EventKind::kCustomerReplied));
  EXPECT_EQ(h.find("B/response/0/escalated/t1-response/1"), nullptr);
}

TEST(Exchanges, AReopenCountsAgainButEachStepFiresOncePerClockCycle) {
  Harness h(load());
  h.send(event("o", "A", kT0, EventKind::kOpened, "gold", "P1"));
  for (int k = 0; k < 2; ++k) {
    h.send(event("r" + std::to_string(k), "A", kT0 + (10 * k + 1) * kMin, EventKind::kResponded));
    h.send(event("c" + std::to_string(k), "A", kT0 + (10 * k + 5) * kMin, EventKind::kCustomerReplied));
  }
  EXPECT_EQ(h.escalations().size(), 1u);
  h.send(event("res", "A", kT0 + kHour, EventKind::kResolved));
  // A resolved ticket counts nothing.
  h.send(event("r9", "A", kT0 + kHour + kMin, EventKind::kAgentUpdated));
  h.send(event("c9", "A", kT0 + kHour + 2 * kMin, EventKind::kCustomerReplied));
  EXPECT_EQ(h.engine.ticket("A", h.now)->exchanges, 2u);
  h.send(event("re", "A", kT0 + 2 * kHour, EventKind::kReopened));
  EXPECT_EQ(h.engine.ticket("A", h.now)->exchanges, 0u);  // a new cycle of the ticket
  for (int k = 0; k < 2; ++k) {
    h.send(event("x" + std::to_string(k), "A", kT0 + 2 * kHour + (10 * k + 1) * kMin, EventKind::kAgentUpdated));
    h.send(event("y" + std::to_string(k), "A", kT0 + 2 * kHour + (10 * k + 5) * kMin, EventKind::kCustomerReplied));
  }
  EXPECT_EQ(h.engine.ticket("A", h.now)->exchanges, 2u);
  // on_reopen resumes the resolution clock: the same cycle 0, whose step
  // already fired: not again.
  EXPECT_EQ(h.escalations().size(), 1u);
}

TEST(Exchanges, AMatchThatStartsHoldingLaterFiresTheStepsAlreadyReached) {
  Harness h(load());
  h.send(event("o", "A", kT0, EventKind::kOpened, "gold", "P2"));
  for (int k = 0; k < 2; ++k) {
    h.send(event("r" + std::to_string(k), "A", kT0 + (10 * k + 1) * kMin, EventKind::kResponded));
    h.send(event("c" + std::to_string(k), "A", kT0 + (10 * k + 5) * kMin, EventKind::kCustomerReplied));
  }
  EXPECT_TRUE(h.escalations().empty());  // P2 has no exchange steps
  h.send(event("s", "A", kT0 + kHour, EventKind::kSeverityChanged, "P1"));
  ASSERT_EQ(h.escalations(), std::vector<std::string>{"A/resolution/0/escalated/t1/1"});
  EXPECT_EQ(h.find("A/resolution/0/escalated/t1/1")->fired_at, kT0 + kHour);
  EXPECT_TRUE(h.pages().empty());  // the third exchange has not happened
}

TEST(Requested, ARequestStartsTheLadderOnItsCalendarOncePerTicketCycle) {
  Harness h(load());
  // Friday 16:00: 0m fires at once, 2h of biz time is Monday 10:00.
  const EpochMillis fri = at("2026-04-10T16:00:00Z");
  h.send(event("o", "A", fri - kHour, EventKind::kOpened, "gold", "P2"));
  h.run_until(fri);
  EXPECT_TRUE(h.escalations().empty());  // nothing without a request
  h.send(event("q", "A", fri, EventKind::kEscalationRequested, "ops@acme", "ESCALATION: stores offline"));
  ASSERT_EQ(h.escalations(), std::vector<std::string>{"A/resolution/0/escalated/mgmt/1"});
  const SlaOutput* s = h.find("A/resolution/0/escalated/mgmt/1");
  EXPECT_EQ(s->fired_at, fri);
  EXPECT_EQ(s->trigger, "requested");
  EXPECT_EQ(s->requested_by, "ops@acme");
  EXPECT_EQ(s->reason, "ESCALATION: stores offline");
  EXPECT_EQ(s->requested_at, fri);
  EXPECT_FALSE(s->deadline);  // open-ended resolution clock
  auto v = h.engine.ticket("A", h.now);
  EXPECT_EQ(v->escalation_requested_at, fri);
  EXPECT_EQ(v->escalation_requested_by, "ops@acme");
  EXPECT_EQ(v->escalation_reason, "ESCALATION: stores offline");
  EXPECT_EQ(v->next_due, at("2026-04-10T23:00:00Z"));  // the response breach (8h 24x7) comes first
  // A second request in the same cycle starts nothing and moves nothing.
  h.send(event("q2", "A", fri + 30 * kMin, EventKind::kEscalationRequested, "ceo@acme", "again"));
  h.run_until(at("2026-04-13T09:59:00Z"));
  EXPECT_EQ(h.escalations().size(), 1u);
  h.run_until(at("2026-04-13T12:00:00Z"));
  ASSERT_EQ(h.escalations().size(), 2u);
  EXPECT_EQ(h.find("A/resolution/0/escalated/mgmt/2")->fired_at, at("2026-04-13T10:00:00Z"));
  EXPECT_EQ(h.find("A/resolution/0/escalated/mgmt/2")->requested_by, "ops@acme");
  ASSERT_EQ(h.pages().size(), 1u);
  EXPECT_EQ(h.pages()[0]->responder, "dora");
  EXPECT_EQ(h.pages()[0]->fired_at, at("2026-04-13T10:00:00Z"));
}

TEST(Requested, ResolutionStopsItAndAReopenTakesANewRequest) {
  Harness h(load());
  h.send(event("o", "A", kT0, EventKind::kOpened, "gold", "P2"));
  h.send(event("q", "A", kT0 + kMin, EventKind::kEscalationRequested, "c", "r"));
  h.send(event("res", "A", kT0 + kHour, EventKind::kResolved));
  h.run_until(kT0 + 48 * kHour);
  EXPECT_EQ(h.escalations(), std::vector<std::string>{"A/resolution/0/escalated/mgmt/1"});  // 2h step never due
  h.send(event("re", "A", kT0 + 49 * kHour, EventKind::kReopened));
  EXPECT_FALSE(h.engine.ticket("A", h.now)->escalation_requested_at);
  h.send(event("q2", "A", kT0 + 50 * kHour, EventKind::kEscalationRequested, "c2", "r2"));
  // The reopened clock resumes cycle 0 (on_reopen resume): step 1 was sent
  // in it; step 2 counts 2 biz hours from the new request (Wed 12:00 -> 14:00).
  h.run_until(kT0 + 60 * kHour);
  ASSERT_EQ(h.escalations().size(), 2u);
  const SlaOutput* s = h.find("A/resolution/0/escalated/mgmt/2");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->fired_at, kT0 + 52 * kHour);
  EXPECT_EQ(s->requested_by, "c2");
  // A request on a ticket without a matching clock (P3 has no resolution) does nothing.
  h.send(event("o3", "B", kT0 + 60 * kHour, EventKind::kOpened, "gold", "P3"));
  h.send(event("q3", "B", kT0 + 60 * kHour, EventKind::kEscalationRequested, "c", "r"));
  h.run_until(kT0 + 80 * kHour);
  EXPECT_EQ(h.escalations().size(), 2u);
}

TEST(CountAndRequest, LateEventsRecomputeToTheSameOutputs) {
  Harness h(load());
  h.send(event("o", "A", kT0, EventKind::kOpened, "gold", "P1"));
  h.send(event("r", "A", kT0 + kMin, EventKind::kResponded));
  h.send(event("c", "A", kT0 + 2 * kMin, EventKind::kCustomerReplied));
  h.send(event("q", "A", kT0 + 3 * kMin, EventKind::kEscalationRequested, "x", "y"));
  h.send(event("u", "A", kT0 + 4 * kMin, EventKind::kAgentUpdated));
  h.send(event("c2", "A", kT0 + 5 * kMin, EventKind::kCustomerReplied));
  h.run_until(kT0 + 4 * kHour);
  const auto before = h.ids();
  ASSERT_EQ(h.escalations().size(), 3u);  // t1/1, mgmt/1, mgmt/2
  // A late status change before all of it: recomputed, nothing new or repeated.
  h.apply_now(event("late", "A", kT0 + 30'000, EventKind::kStatusChanged, "open"));
  EXPECT_EQ(h.ids(), before);
  // A late customer reply between the agent update and its reply completes
  // the second exchange earlier; its step was sent already: nothing new.
  h.apply_now(event("c1b", "A", kT0 + 4 * kMin + 30'000, EventKind::kCustomerReplied));
  EXPECT_EQ(h.ids(), before);
  // A late agent reply earlier than the first customer reply changes nothing either.
  h.apply_now(event("r0", "A", kT0 + 90'000, EventKind::kAgentUpdated));
  EXPECT_EQ(h.escalations().size(), 3u);
}

TEST(CountAndRequest, StateRoundTripsAsVersion5AndVersion4Loads) {
  Harness h(load());
  h.send(event("o", "A", kT0, EventKind::kOpened, "gold", "P1"));
  h.send(event("r", "A", kT0 + kMin, EventKind::kResponded));
  h.send(event("c", "A", kT0 + 2 * kMin, EventKind::kCustomerReplied));
  h.send(event("u", "A", kT0 + 3 * kMin, EventKind::kAgentUpdated));
  h.send(event("q", "A", kT0 + 4 * kMin, EventKind::kEscalationRequested, "12:x", "why"));
  const std::string bytes = h.engine.save_ticket("A");
  ASSERT_EQ(bytes[0], '\x06');  // saved as the current version (6 appends attributes to 5)
  Harness g(load());
  ASSERT_TRUE(g.engine.load_ticket(bytes));
  g.now = h.now;
  auto v = g.engine.ticket("A", h.now);
  EXPECT_EQ(v->exchanges, 1u);
  EXPECT_TRUE(v->awaiting_customer);
  EXPECT_EQ(v->escalation_requested_at, kT0 + 4 * kMin);
  EXPECT_EQ(v->escalation_requested_by, "12:x");
  EXPECT_EQ(v->escalation_reason, "why");
  EXPECT_EQ(g.engine.save_ticket("A"), bytes);
  // The second exchange after the restore escalates, as it would have.
  g.send(event("c2", "A", kT0 + 5 * kMin, EventKind::kCustomerReplied));
  EXPECT_NE(g.find("A/resolution/0/escalated/t1/1"), nullptr);
  // Folded state (the lateness horizon passed) keeps them too.
  sla::engine::EngineOptions opts;
  opts.max_lateness_ms = kHour;
  Harness f(load(), opts);
  f.send(event("o", "B", kT0, EventKind::kOpened, "gold", "P1"));
  f.send(event("r", "B", kT0 + kMin, EventKind::kResponded));
  f.send(event("c", "B", kT0 + 2 * kMin, EventKind::kCustomerReplied));
  f.send(event("q", "B", kT0 + 3 * kMin, EventKind::kEscalationRequested, "by", "why"));
  for (int k = 0; k < 6; ++k) f.send(event("s" + std::to_string(k), "B", kT0 + (k + 2) * kHour, EventKind::kStatusChanged, k % 2 == 0 ? "on_hold" : "open"));
  const std::string folded = f.engine.save_ticket("B");
  Harness f2(load(), opts);
  ASSERT_TRUE(f2.engine.load_ticket(folded));
  f2.now = f.now;
  f2.send(event("u", "B", kT0 + 9 * kHour, EventKind::kAgentUpdated));
  f2.send(event("c2", "B", kT0 + 9 * kHour + kMin, EventKind::kCustomerReplied));
  EXPECT_NE(f2.find("B/resolution/0/escalated/t1/1"), nullptr) << ::testing::PrintToString(f2.ids());
  EXPECT_EQ(f2.engine.ticket("B", f2.now)->escalation_requested_by, "by");

  // Version 4 (no exchanges, no requests, no attributes): the same bytes
  // without the six trailing zero bytes of those sections and the two of
  // version 6's attributes.
  Harness p(load());
  p.send(event("o", "C", kT0, EventKind::kOpened, "gold", "P1"));
  std::string v5 = p.engine.save_ticket("C");
  ASSERT_EQ(v5.substr(v5.size() - 8), std::string(8, '\0'));
  std::string v4 = v5.substr(0, v5.size() - 8);
  v4[0] = '\x04';
  Engine e4(load());
  ASSERT_TRUE(e4.load_ticket(v4));
  EXPECT_EQ(e4.save_ticket("C"), v5);
}

// Random tickets with replies, customer replies, requests, severity changes,
// resolutions and reopens: delivered in order, or each ticket newest first
// in one late batch (recomputed from the ordered history), the same outputs
// with the same bytes of the fields that say why; replayed twice, the same.
TEST(CountAndRequest, OutOfOrderDeliveryAndReplayGiveTheSameOutputs) {
  auto p = load();
  std::mt19937_64 rng(17);
  const EventKind kinds[] = {EventKind::kResponded,       EventKind::kAgentUpdated,     EventKind::kCustomerReplied,
                             EventKind::kCustomerReplied, EventKind::kEscalationRequested, EventKind::kSeverityChanged,
                             EventKind::kResolved,        EventKind::kReopened};
  std::vector<TicketEvent> evs;
  for (int k = 0; k < 60; ++k) {
    const std::string id = "R" + std::to_string(k);
    EpochMillis t = kT0 + static_cast<EpochMillis>(rng() % 600) * kMin;
    evs.push_back(event(id + "-0", id, t, EventKind::kOpened, "gold", k % 2 == 0 ? "P1" : "P2"));
    for (int j = 1; j < 14; ++j) {
      t += static_cast<EpochMillis>(1 + rng() % 240) * kMin;
      const EventKind kind = kinds[rng() % std::size(kinds)];
      evs.push_back(event(id + "-" + std::to_string(j), id, t, kind, kind == EventKind::kSeverityChanged ? (rng() % 2 ? "P1" : "P2") : "by" + std::to_string(j), "why"));
    }
  }
  std::stable_sort(evs.begin(), evs.end(), [](const TicketEvent& a, const TicketEvent& b) { return a.occurred_at < b.occurred_at; });
  const EpochMillis deliver = evs.back().occurred_at;
  const EpochMillis end = deliver + 30 * 24 * kHour;
  std::map<std::string, std::vector<TicketEvent>> per_ticket;
  for (const auto& e : evs) per_ticket[e.ticket_id].push_back(e);
  std::vector<TicketEvent> shuffled;
  for (auto& [id, q] : per_ticket) shuffled.insert(shuffled.end(), q.rbegin(), q.rend());

  auto run = [&](const std::vector<TicketEvent>& in, bool late) {
    Engine e(p);
    std::vector<Output> out;
    EpochMillis now = 0;
    for (const auto& x : in) {
      if (!late) {
        for (auto due = e.next_due(); due && *due <= x.occurred_at; due = e.next_due()) e.advance(*due, out);
      }
      now = late ? deliver : x.occurred_at;
      EXPECT_TRUE(e.apply(x, now, out));
    }
    for (auto due = e.next_due(); due && *due <= end; due = e.next_due()) e.advance(std::max(*due, now), out);
    std::multiset<std::string> ids;
    for (const auto& o : out) {
      std::string line = sla::engine::output_id(o);
      if (const auto* s = std::get_if<SlaOutput>(&o); s && s->kind == SlaKind::kEscalated) {
        line += "|" + s->trigger + "|" + std::to_string(s->exchanges) + "|" + s->requested_by + "|" + s->reason + "|" +
                std::to_string(s->requested_at.value_or(0));
      }
      ids.insert(line);
    }
    return ids;
  };
  const auto a = run(evs, false);
  const auto b = run(shuffled, true);
  std::size_t triggered = 0;
  for (const auto& line : a) triggered += line.find("|exchanges|") != std::string::npos || line.find("|requested|") != std::string::npos;
  EXPECT_GT(triggered, 20u) << "the stream should exercise both triggers";
  std::vector<std::string> only_a, only_b;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(only_a));
  std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(only_b));
  EXPECT_TRUE(only_a.empty() && only_b.empty())
      << "in order only: " << ::testing::PrintToString(only_a) << " late only: " << ::testing::PrintToString(only_b);
  EXPECT_EQ(run(evs, false), a);
}

}  // namespace
