// sla::views::preview_policy on a seed policy (deploy/policies/trading-bot.yaml)
// against a candidate edited from it, with the expected moves derived by hand
// from the seed's text in the comments.
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "sla/calendar/calendar.hpp"
#include "sla/engine/engine.hpp"
#include "sla/policy/loader.hpp"
#include "sla/views/preview.hpp"

namespace {

using sla::EpochMillis;
using sla::views::PreviewChange;

std::string seed_text(const std::string& name) {
  std::ifstream in(std::string(SLA_SOURCE_DIR) + "/deploy/policies/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::shared_ptr<const sla::policy::Policy> load(const std::string& text) {
  std::vector<sla::policy::LoadError> errors;
  sla::policy::LoadOptions opts;
  auto p = sla::policy::load_policy(text, opts, errors);
  for (const auto& e : errors) ADD_FAILURE() << sla::policy::format(e);
  return p;
}

void replace(std::string& s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  ASSERT_NE(pos, std::string::npos) << from;
  s.replace(pos, from.size(), to);
}

EpochMillis at(const char* rfc3339) { return *sla::calendar::parse_rfc3339(rfc3339); }

constexpr std::int64_t kHour = 3'600'000;

std::vector<std::string> open_tickets(const std::shared_ptr<const sla::policy::Policy>& p, EpochMillis opened,
                                      EpochMillis now) {
  sla::engine::Engine e(p);
  std::vector<sla::engine::Output> out;
  const std::vector<std::pair<std::string, std::string>> tickets{{"T-1", "P1"}, {"T-2", "P3"}, {"T-3", "P4"}, {"T-4", "P2"}};
  for (const auto& [id, sev] : tickets) {
    sla::engine::TicketEvent ev;
    ev.event_id = id + "/open";
    ev.ticket_id = id;
    ev.tenant_id = "acme";
    ev.kind = sla::engine::EventKind::kOpened;
    ev.plan = "standard";
    ev.severity = sev;
    ev.occurred_at = opened;
    EXPECT_TRUE(e.apply(ev, opened, out));
  }
  e.advance(now, out);
  std::vector<std::string> saved;
  for (const auto& id : e.ticket_ids()) saved.push_back(e.save_ticket(id));
  return saved;
}

// (ticket, what, metric) -> the change; each is expected once here.
std::map<std::tuple<std::string, std::string, std::string>, PreviewChange> by_key(const sla::views::PreviewResult& r) {
  std::map<std::tuple<std::string, std::string, std::string>, PreviewChange> m;
  for (const auto& c : r.changes) {
    EXPECT_TRUE(m.emplace(std::make_tuple(c.ticket_id, c.what, c.metric), c).second)
        << "twice: " << c.ticket_id << " " << c.what << " " << c.metric << " " << c.id;
  }
  return m;
}

TEST(PolicyPreview, TradingBotCandidateMovesExactlyTheHandDerivedItems) {
  const std::string seed = seed_text("trading-bot.yaml");
  auto current = load(seed);
  ASSERT_NE(current, nullptr);
  // The candidate: P1 reaction 1h -> 2h (still 24x7); P4 reaction 3bd -> 2bd;
  // P1's "unresolved after the workaround time" step 4h -> 6h; P2's
  // "unresolved" ladder removed. P3 is untouched.
  std::string cand = seed;
  replace(cand, "response:   {within: 1h, calendar: 24x7}", "response:   {within: 2h, calendar: 24x7}");
  replace(cand, "      P4:\n        response:   {within: 3bd}", "      P4:\n        response:   {within: 2bd}");
  replace(cand, "      - {at: 4h, notify: [cto, rnd-team]}", "      - {at: 6h, notify: [cto, rnd-team]}");
  replace(cand,
          "  - name: p2-unresolved\n    match: {severity: P2, metric: resolution}\n    steps:\n"
          "      - {at: 12h, notify: [cto, rnd-team]}     # 1 business day of cet-support\n",
          "");
  auto candidate = load(cand);
  ASSERT_NE(candidate, nullptr);

  // Opened Monday 2026-03-02 10:00Z (11:00 in Warsaw, CET: the hotline is
  // open 08:00-20:00 Mon-Fri); previewed half an hour later.
  const EpochMillis opened = at("2026-03-02T10:00:00Z");
  const EpochMillis now = at("2026-03-02T10:30:00Z");
  const auto saved = open_tickets(current, opened, now);
  sla::views::PreviewOptions o;
  o.now = now;
  auto r = sla::views::preview_policy(saved, current, candidate, o);
  ASSERT_TRUE(r) << r.error().message;
  const auto m = by_key(*r);

  auto expect = [&](const std::string& ticket, const std::string& what, const std::string& metric,
                    std::optional<EpochMillis> before, std::optional<EpochMillis> after) {
    const auto it = m.find({ticket, what, metric});
    ASSERT_NE(it, m.end()) << ticket << " " << what << " " << metric;
    EXPECT_EQ(it->second.before, before) << ticket << " " << what << " " << metric;
    EXPECT_EQ(it->second.after, after) << ticket << " " << what << " " << metric;
  };
  // T-1 (P1): reaction "1h" on 24x7 from 10:00Z: 11:00Z; with 2h: 12:00Z.
  // The breach and "no reply in time -> support coordinator" (at: breach)
  // move with it; "unresolved after 4h" fires at 4h of the resolution clock
  // (24x7): 14:00Z; with 6h: 16:00Z. Workaround 4h and resolution 24h stay.
  expect("T-1", "deadline", "response", at("2026-03-02T11:00:00Z"), at("2026-03-02T12:00:00Z"));
  EXPECT_EQ(m.at({"T-1", "deadline", "response"}).target_before, 1 * kHour);
  EXPECT_EQ(m.at({"T-1", "deadline", "response"}).target_after, 2 * kHour);
  expect("T-1", "breached", "response", at("2026-03-02T11:00:00Z"), at("2026-03-02T12:00:00Z"));
  expect("T-1", "escalated", "response", at("2026-03-02T11:00:00Z"), at("2026-03-02T12:00:00Z"));
  expect("T-1", "escalated", "resolution", at("2026-03-02T14:00:00Z"), at("2026-03-02T16:00:00Z"));
  // T-3 (P4): reaction 3bd = 36h of cet-support (12h days) from Mon 11:00
  // local: Mon 9h, Tue 12h, Wed 12h, Thu 3h -> Thu 11:00 local = 10:00Z on
  // 2026-03-05. 2bd = 24h: Mon 9h, Tue 12h, Wed 3h -> 10:00Z on 2026-03-04.
  expect("T-3", "deadline", "response", at("2026-03-05T10:00:00Z"), at("2026-03-04T10:00:00Z"));
  expect("T-3", "breached", "response", at("2026-03-05T10:00:00Z"), at("2026-03-04T10:00:00Z"));
  expect("T-3", "escalated", "response", at("2026-03-05T10:00:00Z"), at("2026-03-04T10:00:00Z"));
  // T-4 (P2): "unresolved after 1 day" (12h of cet-support on the
  // resolution clock): Mon 9h, Tue 3h -> Tue 11:00 local = 10:00Z; the
  // candidate has no such step: removed.
  expect("T-4", "escalated", "resolution", at("2026-03-03T10:00:00Z"), std::nullopt);
  EXPECT_EQ(m.at({"T-4", "escalated", "resolution"}).kind, PreviewChange::Kind::kRemoved);
  // T-2 (P3) keeps everything.
  for (const auto& c : r->changes) EXPECT_NE(c.ticket_id, "T-2") << c.what << " " << c.id;

  EXPECT_EQ(r->changes.size(), 8u);
  EXPECT_EQ(r->moved, 7u);
  EXPECT_EQ(r->removed, 1u);
  EXPECT_EQ(r->added, 0u);
  EXPECT_EQ(r->tickets, 4u);
  EXPECT_EQ(r->tickets_changed, 3u);
  EXPECT_EQ(r->fired_at_once, 0u);
  EXPECT_TRUE(r->complete);

  // The definitions alone: P1 response, P4 response.
  const auto t = sla::views::target_changes(*current, *candidate);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].severity, "P1");
  EXPECT_EQ(t[0].before, "1h (24x7)");
  EXPECT_EQ(t[0].after, "2h (24x7)");
  EXPECT_EQ(t[1].severity, "P4");
  EXPECT_EQ(t[1].before, "3bd (cet-support)");
  EXPECT_EQ(t[1].after, "2bd (cet-support)");
}

TEST(PolicyPreview, ASeedAgainstItselfMovesNothing) {
  for (const char* name : {"trading-bot.yaml", "trackmyvend.yaml", "loyalty-cashier.yaml", "sample.yaml"}) {
    auto p = load(seed_text(name));
    ASSERT_NE(p, nullptr) << name;
    sla::views::PreviewOptions o;
    o.now = at("2026-03-02T10:30:00Z");
    const std::vector<std::string> none;
    auto r = sla::views::preview_policy(none, p, p, o);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->changes.size(), 0u) << name;
    EXPECT_TRUE(sla::views::target_changes(*p, *p).empty()) << name;
  }
}

TEST(PolicyPreview, TheSwitchFiringAtOnceIsCountedAndAnExpiredBudgetSaysPartial) {
  const std::string seed = seed_text("trading-bot.yaml");
  auto current = load(seed);
  std::string cand = seed;
  // P1 reaction 1h -> 15m: at 10:30Z a ticket opened at 10:00Z is already
  // past it, so the switch breaches at once (and escalates at the breach).
  replace(cand, "response:   {within: 1h, calendar: 24x7}", "response:   {within: 15m, calendar: 24x7}");
  auto candidate = load(cand);
  ASSERT_NE(candidate, nullptr);
  const EpochMillis now = at("2026-03-02T10:30:00Z");
  const auto saved = open_tickets(current, at("2026-03-02T10:00:00Z"), now);
  sla::views::PreviewOptions o;
  o.now = now;
  auto r = sla::views::preview_policy(saved, current, candidate, o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->fired_at_once, 2u);  // T-1's breach and its escalation step
  const auto m = by_key(*r);
  // The breach is stamped when the new target ran out (10:15Z), before the
  // switch: it fires at once.
  EXPECT_EQ(m.at({"T-1", "breached", "response"}).after, at("2026-03-02T10:15:00Z"));
  EXPECT_EQ(m.at({"T-1", "breached", "response"}).before, at("2026-03-02T11:00:00Z"));

  o.budget = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  o.horizon_ms = 400LL * 24 * kHour;
  r = sla::views::preview_policy(saved, current, candidate, o);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->complete);
}

}  // namespace
