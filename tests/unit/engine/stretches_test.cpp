// A clock's counted and paused stretches (ClockView::stretches) against a
// brute-force reference: stepping minute by minute over the ticket's status
// history (from the raw events) and the target's calendar. Random streams
// with late events and folding, the bounds, and save/load.
#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sla/calendar/calendar.hpp"
#include "sla/engine/engine.hpp"
#include "sla/policy/loader.hpp"
#include "sla/testing/engine_harness.hpp"

namespace {

using sla::EpochMillis;
using sla::engine::ClockStretch;
using sla::engine::ClockView;
using sla::engine::Engine;
using sla::engine::EventKind;
using sla::engine::Output;
using sla::engine::StretchKind;
using sla::engine::TicketEvent;

constexpr std::int64_t kMin = 60'000;
constexpr std::int64_t kHour = 60 * kMin;

using sla::testing::at;

// `shop`: Mon-Sat 08:00-18:00 UTC, a closure on Saturdays 10:00-11:00, a
// weekday holiday (Wed 2026-04-08) and a Saturday one (2026-04-11, over the
// closure). Gold P2 counts response and resolution on it; P1 on 24x7.
constexpr const char* kPolicy = R"(
version: 1
policy_id: stretches-test
calendars:
  shop:
    timezone: UTC
    hours:
      mon-sat: ["08:00-18:00"]
    holidays:
      - {name: "Midweek", date: "2026-04-08"}
      - {name: "Saturday", date: "2026-04-11"}
    closures:
      - {weekday: sat, hours: "10:00-11:00"}
plans:
  gold:
    severities:
      P1:
        response:   {within: 2h, calendar: 24x7}
        resolution: {within: 8h, calendar: 24x7}
      P2:
        response:   {within: 16h, calendar: shop}
        resolution: {within: 5bd, calendar: shop}
pause_on: [pending_customer, on_hold]
on_reopen: {response: resume, resolution: resume}
)";

std::shared_ptr<const sla::policy::Policy> load() {
  return sla::testing::load_policy_text(kPolicy, "stretches-test.yaml");
}

// Opened: gold at severity `status` (P2 by default); any other kind: that
// status.
TicketEvent ev(const std::string& id, const std::string& ticket, EpochMillis t, EventKind kind,
               std::string status = {}) {
  if (kind == EventKind::kOpened) {
    return sla::testing::event(id, ticket, t, kind, "gold", status.empty() ? "P2" : status);
  }
  TicketEvent e = sla::testing::event(id, ticket, t, kind);
  e.status = std::move(status);
  return e;
}

// pause_on applies to update, workaround and resolution (SPEC 2.3).
bool pauses(sla::engine::MetricKind m, const std::string& s) {
  return m != sla::engine::MetricKind::kResponse && (s == "pending_customer" || s == "on_hold");
}

// What the clock did in the minute starting at `t`, by brute force.
StretchKind reference_kind(sla::engine::MetricKind m, const sla::calendar::Calendar& cal, const std::string& status,
                           EpochMillis t) {
  if (pauses(m, status)) return StretchKind::kStatus;
  switch (cal.closed_reason(t)) {
    case sla::calendar::Calendar::ClosedReason::kOpen: return StretchKind::kCounted;
    case sla::calendar::Calendar::ClosedReason::kHoliday: return StretchKind::kHoliday;
    default: return StretchKind::kOutsideHours;
  }
}

// Whether clock `m` runs during the minute starting at `t`: from the open
// until met (responded, for response) or resolved, again from a reopen of a
// resolved ticket (on_reopen: resume for both).
bool running(const std::vector<TicketEvent>& events, sla::engine::MetricKind m, EpochMillis t) {
  bool live = false, resolved = false;
  for (const auto& e : events) {
    if (e.occurred_at > t) break;
    switch (e.kind) {
      case EventKind::kOpened: live = true; break;
      case EventKind::kResponded: live = live && m != sla::engine::MetricKind::kResponse; break;
      case EventKind::kResolved: resolved = true; live = false; break;
      case EventKind::kReopened:
        if (resolved) live = true;
        resolved = false;
        break;
      default: break;
    }
  }
  return live;
}

// The ticket's status during the minute starting at `t` (events in time
// order; the last one at or before `t` wins).
std::string status_at(const std::vector<TicketEvent>& events, EpochMillis t) {
  std::string s;
  for (const auto& e : events) {
    if (e.occurred_at > t) break;
    if (e.kind == EventKind::kOpened) s = "open";
    if (e.kind == EventKind::kStatusChanged) s = e.status;
  }
  return s;
}

// Checks one clock's stretches minute by minute; `events` are the ticket's,
// sorted by time. Returns the minutes counted.
std::int64_t check_clock(const ClockView& c, const sla::calendar::Calendar& cal, const std::vector<TicketEvent>& events,
                         EpochMillis end, const std::string& where) {
  std::int64_t counted = 0;
  if (c.stretches.empty()) {
    // Only when the whole cycle is older than the status changes kept.
    EXPECT_TRUE(c.stretches_truncated) << where;
    return 0;
  }
  if (!c.stretches_truncated) {
    EXPECT_EQ(c.stretches.front().from, c.started_at) << where;
  }
  EXPECT_EQ(c.stretches.back().to, end) << where;
  for (std::size_t i = 0; i < c.stretches.size(); ++i) {
    const ClockStretch& s = c.stretches[i];
    EXPECT_LT(s.from, s.to) << where;
    if (i > 0) {
      EXPECT_EQ(c.stretches[i - 1].to, s.from) << where << " gap before stretch " << i;
      const ClockStretch& p = c.stretches[i - 1];
      EXPECT_FALSE(p.kind == s.kind && p.status == s.status) << where << " unmerged at " << i;
    }
    for (EpochMillis t = s.from; t < s.to; t += kMin) {
      const std::string status = status_at(events, t);
      const StretchKind want =
          running(events, c.metric, t) ? reference_kind(c.metric, cal, status, t) : StretchKind::kStopped;
      if (want != s.kind || (want == StretchKind::kStatus && status != s.status)) {
        ADD_FAILURE() << where << " at " << sla::calendar::format_rfc3339(t) << ": stretch says "
                      << sla::engine::to_string(s.kind) << " " << s.status << ", reference "
                      << sla::engine::to_string(want) << " " << status;
        return counted;
      }
      if (s.kind == StretchKind::kCounted) counted += kMin;
    }
  }
  return counted;
}

// A random ticket: opened at a random minute, 0..n status changes (some to
// pausing statuses), maybe responded, maybe resolved; minute-aligned.
std::vector<TicketEvent> random_ticket(std::mt19937_64& rng, const std::string& id, EpochMillis t0, int max_changes,
                                       int& seq) {
  static const char* kStatuses[] = {"pending_customer", "open", "on_hold", "in_progress", "pending_customer"};
  std::vector<TicketEvent> evs;
  EpochMillis t = t0 + static_cast<EpochMillis>(rng() % (5 * 24 * 60)) * kMin;
  evs.push_back(ev("e" + std::to_string(seq++), id, t, EventKind::kOpened, rng() % 4 == 0 ? "P1" : "P2"));
  const int n = static_cast<int>(rng() % static_cast<std::uint64_t>(max_changes + 1));
  for (int j = 0; j < n; ++j) {
    t += static_cast<EpochMillis>(1 + rng() % (10 * 60)) * kMin;
    evs.push_back(ev("e" + std::to_string(seq++), id, t, EventKind::kStatusChanged, kStatuses[rng() % 5]));
    if (rng() % 15 == 0) evs.push_back(ev("e" + std::to_string(seq++), id, t, EventKind::kResponded));
  }
  // Resolved, maybe reopened (the clocks resume) and resolved again.
  for (int round = 0; round < 2 && rng() % 3 != 0; ++round) {
    t += static_cast<EpochMillis>(1 + rng() % 600) * kMin;
    evs.push_back(ev("e" + std::to_string(seq++), id, t, EventKind::kResolved));
    if (rng() % 2 == 0) break;
    t += static_cast<EpochMillis>(1 + rng() % 600) * kMin;
    evs.push_back(ev("e" + std::to_string(seq++), id, t, EventKind::kReopened));
    t += static_cast<EpochMillis>(1 + rng() % 300) * kMin;
    evs.push_back(ev("e" + std::to_string(seq++), id, t, EventKind::kStatusChanged, "on_hold"));
  }
  return evs;
}

struct Delivered {
  TicketEvent e;
  EpochMillis arrival;
};

// Feeds the tickets' events by arrival time (each up to 2h late), firing
// timers on the way, and checks every clock of every ticket at `end`.
void run_and_check(std::uint64_t seed, int tickets, int max_changes, sla::engine::EngineOptions opts,
                   bool round_trip) {
  auto p = load();
  std::mt19937_64 rng(seed);
  const EpochMillis t0 = at("2026-04-04T00:00:00Z");
  std::map<std::string, std::vector<TicketEvent>> per_ticket;
  std::vector<Delivered> all;
  int seq = 0;
  for (int k = 0; k < tickets; ++k) {
    const std::string id = "T" + std::to_string(k);
    per_ticket[id] = random_ticket(rng, id, t0, max_changes, seq);
    for (const auto& e : per_ticket[id]) {
      all.push_back(Delivered{e, e.occurred_at + static_cast<EpochMillis>(rng() % 3 == 0 ? rng() % 120 : 0) * kMin});
    }
  }
  std::stable_sort(all.begin(), all.end(), [](const Delivered& a, const Delivered& b) { return a.arrival < b.arrival; });
  Engine engine(p, opts);
  std::vector<Output> out;
  for (const auto& d : all) {
    engine.advance(d.arrival, out);
    const auto r = engine.apply(d.e, d.arrival, out);
    ASSERT_TRUE(r) << r.error().message;
  }
  const EpochMillis end = all.back().arrival + 3 * kHour;
  engine.advance(end, out);
  Engine reloaded(p, opts);
  std::size_t checked = 0;
  std::size_t truncated = 0;
  std::size_t resumed = 0;  // clocks with a stopped stretch: resumed by a reopen
  for (auto& [id, evs] : per_ticket) {
    std::stable_sort(evs.begin(), evs.end(),
                     [](const TicketEvent& a, const TicketEvent& b) { return a.occurred_at < b.occurred_at; });
    const auto view = engine.ticket(id, end);
    ASSERT_TRUE(view) << id;
    for (const auto& c : view->clocks) {
      const std::string where = "seed " + std::to_string(seed) + " " + id + " " + std::string(sla::policy::to_string(c.metric));
      EpochMillis clock_end = end;
      if (c.state == sla::engine::ClockState::kMet || c.state == sla::engine::ClockState::kCancelled) {
        // Ended: at its cycle's record.
        for (const auto& h : view->history) {
          if (h.metric == c.metric && h.cycle == c.cycle) clock_end = h.ended_at;
        }
      }
      const auto* cal = p->calendar(c.calendar);
      ASSERT_NE(cal, nullptr) << where;
      const std::int64_t counted = check_clock(c, *cal, evs, clock_end, where);
      resumed += std::any_of(c.stretches.begin(), c.stretches.end(),
                             [](const ClockStretch& s) { return s.kind == StretchKind::kStopped; });
      if (c.stretches_truncated) {
        ++truncated;
      } else {
        EXPECT_EQ(counted, c.elapsed_ms) << where;
      }
      ++checked;
    }
    if (round_trip) {
      ASSERT_TRUE(reloaded.load_ticket(engine.save_ticket(id))) << id;
      const auto again = reloaded.ticket(id, end);
      ASSERT_TRUE(again) << id;
      ASSERT_EQ(again->clocks.size(), view->clocks.size()) << id;
      for (std::size_t i = 0; i < view->clocks.size(); ++i) {
        EXPECT_EQ(again->clocks[i].stretches, view->clocks[i].stretches) << id;
        EXPECT_EQ(again->clocks[i].stretches_truncated, view->clocks[i].stretches_truncated) << id;
      }
    }
  }
  EXPECT_GT(checked, 0U);
  if (max_changes <= 12) {
    EXPECT_GT(resumed, 0U) << "seed " << seed << ": no clock was resumed by a reopen";
  }
  if (max_changes > 40 && opts.max_lateness_ms < 24 * kHour) {
    EXPECT_GT(truncated, 0U) << "seed " << seed << ": no ticket outgrew the kept status changes";
  }
}

TEST(ClockStretches, MatchTheMinuteByMinuteReference) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) run_and_check(seed, 25, 12, {}, true);
}

TEST(ClockStretches, SurviveFoldingAndLateEvents) {
  sla::engine::EngineOptions opts;
  opts.max_lateness_ms = 3 * kHour;  // old events fold into the base snapshot
  for (std::uint64_t seed = 11; seed <= 16; ++seed) run_and_check(seed, 20, 12, opts, true);
}

TEST(ClockStretches, OlderFoldedStatusChangesAreSummarisedNotKept) {
  sla::engine::EngineOptions opts;
  opts.max_lateness_ms = 3 * kHour;
  opts.ticket_budget_bytes = 64 * 1024;
  for (std::uint64_t seed = 21; seed <= 23; ++seed) run_and_check(seed, 6, 90, opts, true);
}

// State saved before format version 4 kept no status changes of the folded
// events: loaded, a clock's stretches start at the base snapshot's time.
// (A version 3 state is made from a version 4 one of a ticket with no
// ladders: the same bytes but the version and the trailing status marks,
// whose length is found as the one cut that loads.)
TEST(ClockStretches, OlderFormatsListStretchesFromTheirBaseSnapshotOn) {
  auto p = load();
  sla::engine::EngineOptions opts;
  opts.max_lateness_ms = kHour;
  Engine engine(p, opts);
  std::vector<Output> out;
  const EpochMillis t0 = at("2026-04-06T09:00:00Z");  // Monday
  std::vector<TicketEvent> evs = {ev("o", "A", t0, EventKind::kOpened)};
  for (int k = 1; k <= 12; ++k) {
    evs.push_back(ev("s" + std::to_string(k), "A", t0 + k * 30 * kMin, EventKind::kStatusChanged,
                     k % 2 == 1 ? "on_hold" : "open"));
  }
  for (const auto& e : evs) ASSERT_TRUE(engine.apply(e, e.occurred_at, out));
  const EpochMillis now = t0 + 7 * kHour;
  const std::string v4 = engine.save_ticket("A");
  ASSERT_EQ(v4[0], '\x06');  // the current version
  const auto full = engine.ticket("A", now);
  ASSERT_TRUE(full);
  ASSERT_EQ(full->clocks.size(), 2U);
  EXPECT_FALSE(full->clocks[1].stretches_truncated);  // the folded status changes were kept
  EXPECT_EQ(full->clocks[1].stretches.front().from, t0);
  std::optional<sla::engine::TicketView> old_view;
  for (std::size_t cut = 2; cut < 200 && !old_view; ++cut) {
    Engine e3(p, opts);
    std::string v3 = v4.substr(0, v4.size() - cut);
    v3[0] = '\x03';
    if (e3.load_ticket(v3)) old_view = e3.ticket("A", now);
  }
  ASSERT_TRUE(old_view) << "no cut of the version 4 state loads as version 3";
  const auto& c = old_view->clocks[1];  // resolution: pauses on on_hold
  EXPECT_TRUE(c.stretches_truncated);
  ASSERT_FALSE(c.stretches.empty());
  EXPECT_GT(c.stretches.front().from, t0);
  // From there on, the same stretches as the engine that kept everything.
  const auto& all = full->clocks[1].stretches;
  auto it = std::find_if(all.begin(), all.end(), [&](const ClockStretch& s) { return s.to > c.stretches.front().from; });
  ASSERT_NE(it, all.end());
  std::vector<ClockStretch> tail(it, all.end());
  tail.front().from = c.stretches.front().from;
  EXPECT_EQ(c.stretches, tail);
}

TEST(ClockStretches, NamesThePausingStatusAndStaysBounded) {
  auto p = load();
  Engine engine(p);
  std::vector<Output> out;
  const EpochMillis t0 = at("2026-04-06T09:00:00Z");  // Monday, shop open
  ASSERT_TRUE(engine.apply(ev("o", "A", t0, EventKind::kOpened), t0, out));
  ASSERT_TRUE(engine.apply(ev("s1", "A", t0 + kHour, EventKind::kStatusChanged, "on_hold"), t0 + kHour, out));
  ASSERT_TRUE(engine.apply(ev("s2", "A", t0 + 2 * kHour, EventKind::kStatusChanged, "pending_customer"), t0 + 2 * kHour, out));
  ASSERT_TRUE(engine.apply(ev("s3", "A", t0 + 3 * kHour, EventKind::kStatusChanged, "open"), t0 + 3 * kHour, out));
  const EpochMillis now = t0 + 10 * kHour;  // 19:00, after closing
  engine.advance(now, out);
  const auto v = engine.ticket("A", now);
  ASSERT_TRUE(v);
  const std::vector<ClockStretch> want = {
      {t0, t0 + kHour, StretchKind::kCounted, ""},
      {t0 + kHour, t0 + 2 * kHour, StretchKind::kStatus, "on_hold"},
      {t0 + 2 * kHour, t0 + 3 * kHour, StretchKind::kStatus, "pending_customer"},
      {t0 + 3 * kHour, t0 + 9 * kHour, StretchKind::kCounted, ""},
      {t0 + 9 * kHour, now, StretchKind::kOutsideHours, ""},
  };
  const std::vector<ClockStretch> response = {
      {t0, t0 + 9 * kHour, StretchKind::kCounted, ""},
      {t0 + 9 * kHour, now, StretchKind::kOutsideHours, ""},
  };
  ASSERT_EQ(v->clocks.size(), 2U);
  EXPECT_EQ(v->clocks[0].stretches, response);  // response does not pause on status
  EXPECT_EQ(v->clocks[1].stretches, want);
  for (const auto& c : v->clocks) EXPECT_FALSE(c.stretches_truncated);
  // A cycle of months on shop hours: ~2 stretches a day, the newest kMaxStretches kept.
  const EpochMillis later = t0 + 200 * 24 * kHour;
  engine.advance(later, out);
  const auto w = engine.ticket("A", later);
  ASSERT_TRUE(w);
  for (const auto& c : w->clocks) {
    EXPECT_EQ(c.stretches.size(), sla::engine::kMaxStretches);
    EXPECT_TRUE(c.stretches_truncated);
    EXPECT_EQ(c.stretches.back().to, later);
  }
}

}  // namespace
