// DeadlineView against an obviously-correct scan over the same snapshots.
#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <tuple>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sla/views/deadline_view.hpp"

namespace {

using sla::engine::ClockState;
using sla::engine::ClockView;
using sla::engine::MetricKind;
using sla::engine::PauseReason;
using sla::views::DeadlineView;
using sla::views::ViewTicket;
using sla::views::ViewUpdate;

ClockView running(MetricKind m, sla::EpochMillis deadline) {
  ClockView c;
  c.metric = m;
  c.state = ClockState::kRunning;
  c.target_ms = 3'600'000;
  c.deadline = deadline;
  return c;
}

ViewUpdate snapshot(const std::string& id, const std::string& tenant, const std::string& plan,
                    const std::string& severity, std::vector<ClockView> clocks, sla::EpochMillis as_of = 1) {
  ViewTicket t;
  t.view.ticket_id = id;
  t.view.tenant_id = tenant;
  t.view.plan = plan;
  t.view.severity = severity;
  t.view.clocks = std::move(clocks);
  t.as_of = as_of;
  return ViewUpdate{id, std::move(t)};
}

sla::views::AtRiskQuery window(sla::EpochMillis now, std::int64_t within_ms, std::size_t limit = 100) {
  sla::views::AtRiskQuery q;
  q.now = now;
  q.within_ms = within_ms;
  q.limit = limit;
  return q;
}

TEST(DeadlineView, TicketLookupReplaceOlderSnapshotsAndDeletion) {
  DeadlineView v;
  std::vector<ViewUpdate> u;
  u.push_back(snapshot("T-1", "acme", "gold", "p1", {running(MetricKind::kResponse, 5000)}, 10));
  u.push_back(snapshot("T-2", "acme", "gold", "p1", {running(MetricKind::kResponse, 6000)}, 10));
  v.apply(u);
  EXPECT_EQ(v.size(), 2u);
  ASSERT_NE(v.ticket("T-1"), nullptr);
  EXPECT_EQ(v.ticket("T-1")->view.tenant_id, "acme");
  EXPECT_EQ(v.ticket("nope"), nullptr);

  u.clear();
  u.push_back(snapshot("T-1", "acme", "gold", "p1", {running(MetricKind::kResponse, 9000)}, 5));  // older: ignored
  u.push_back(snapshot("T-2", "acme", "gold", "p1", {running(MetricKind::kResponse, 7000)}, 11));
  v.apply(u);
  EXPECT_EQ(v.ticket("T-1")->view.clocks[0].deadline, 5000);
  EXPECT_EQ(v.ticket("T-2")->view.clocks[0].deadline, 7000);
  EXPECT_EQ(v.indexed_clocks(), 2u);

  u.clear();
  u.push_back(ViewUpdate{"T-1", std::nullopt});  // tombstone
  auto closed = snapshot("T-2", "acme", "gold", "p1", {running(MetricKind::kResponse, 7000)}, 12);
  closed.ticket->view.closed = true;
  u.push_back(std::move(closed));
  v.apply(u);
  EXPECT_EQ(v.size(), 0u);
  EXPECT_EQ(v.indexed_clocks(), 0u);
  EXPECT_TRUE(v.at_risk(window(0, 1'000'000'000)).items.empty());
}

sla::engine::PageLadderView ladder(const std::string& key, std::uint32_t sent, bool stopped, sla::EpochMillis paged_at) {
  sla::engine::PageLadderView p;
  p.key = key;
  p.target = "ops";
  p.pages_sent = sent;
  p.pages_total = 2;
  p.stopped = stopped;
  p.state = stopped ? "acknowledged" : sent == 0 ? "pending" : sent < 2 ? "paging" : "exhausted";
  if (sent > 0) p.last_page_at = paged_at;
  return p;
}

TEST(DeadlineView, UnackedPagesOldestFirstWithCountsAndTenants) {
  DeadlineView v;
  std::vector<ViewUpdate> u;
  auto a = snapshot("A", "acme", "gold", "p1", {});
  a.ticket->view.pages = {ladder("A/response/0/page/s/ops", 1, false, 300),   // unacked
                          ladder("A/resolution/0/page/s/ops", 2, false, 500),  // exhausted: still unacked
                          ladder("A/response/1/page/s/ops", 1, true, 100)};    // acknowledged
  auto b = snapshot("B", "initech", "gold", "p1", {});
  b.ticket->view.pages = {ladder("B/response/0/page/s/ops", 1, false, 200)};
  auto c = snapshot("C", "acme", "gold", "p1", {});
  c.ticket->view.pages = {ladder("C/response/0/page/s/ops", 0, false, 0)};  // nothing sent yet
  u.push_back(std::move(a));
  u.push_back(std::move(b));
  u.push_back(std::move(c));
  v.apply(u);

  auto r = v.unacked_pages({100, std::nullopt});
  EXPECT_EQ(r.total, 3u);
  EXPECT_EQ(r.matched, 3u);
  ASSERT_EQ(r.items.size(), 3u);
  // B's page (200) is older than A's oldest (300); A's ladders in their order.
  EXPECT_EQ(r.items[0].ticket->view.ticket_id, "B");
  EXPECT_EQ(r.items[1].ticket->view.ticket_id, "A");
  EXPECT_EQ(r.items[1].ladder, 0u);
  EXPECT_EQ(r.items[2].ladder, 1u);
  EXPECT_EQ(v.unacked_pages({1, std::nullopt}).items.size(), 1u);
  EXPECT_EQ(v.unacked_pages({1, std::nullopt}).matched, 3u);

  auto acme = v.unacked_pages({1, std::string("acme")});
  EXPECT_EQ(acme.matched, 2u);
  ASSERT_EQ(acme.items.size(), 1u);
  EXPECT_EQ(acme.items[0].ticket->view.ticket_id, "A");
  EXPECT_EQ(v.unacked_pages({10, std::string("nobody")}).matched, 0u);

  // A's pages acknowledged, B closed: nothing waits.
  u.clear();
  auto a2 = snapshot("A", "acme", "gold", "p1", {}, 2);
  a2.ticket->view.pages = {ladder("A/response/0/page/s/ops", 1, true, 300)};
  u.push_back(std::move(a2));
  u.push_back(ViewUpdate{"B", std::nullopt});
  v.apply(u);
  r = v.unacked_pages({100, std::nullopt});
  EXPECT_EQ(r.total, 0u);
  EXPECT_TRUE(r.items.empty());
}

// A snapshot that leaves every index key as it was (same deadlines, group
// and unacknowledged pages) only replaces the ticket; one that changes any
// of them re-indexes it. Checked in both copies (each apply publishes the
// other one).
TEST(DeadlineView, ReplacingASnapshotReindexesOnlyWhatChanged) {
  DeadlineView v;
  sla::EpochMillis as_of = 1;
  const auto put = [&](ViewUpdate x) {
    std::vector<ViewUpdate> u;
    u.push_back(std::move(x));
    v.apply(u);
  };
  const auto make = [&](const std::string& tenant, const std::string& status, std::vector<ClockView> clocks,
                        bool page_acked) {
    auto x = snapshot("A", tenant, "gold", "p1", std::move(clocks), ++as_of);
    x.ticket->view.status = status;
    x.ticket->view.pages = {ladder("A/response/0/page/s/ops", 1, page_acked, 300)};
    return x;
  };
  const auto at_risk = [&](std::optional<std::string> tenant, sla::EpochMillis within) {
    auto q = window(0, within);
    q.tenant = std::move(tenant);
    return v.at_risk(q).total;
  };
  // Each check twice: once in each copy (a ticket without clocks flips them).
  const auto check = [&](const std::string& status, std::size_t acme_100, std::size_t globex_100,
                         std::size_t any_250, std::size_t unacked) {
    for (int copy = 0; copy < 2; ++copy) {
      SCOPED_TRACE("copy " + std::to_string(copy) + ", status " + status);
      const auto t = v.ticket("A");
      ASSERT_NE(t, nullptr);
      EXPECT_EQ(t->view.status, status);
      EXPECT_EQ(at_risk(std::string("acme"), 100), acme_100);
      EXPECT_EQ(at_risk(std::string("globex"), 100), globex_100);
      EXPECT_EQ(at_risk(std::nullopt, 250), any_250);
      EXPECT_EQ(v.indexed_clocks(), any_250);
      EXPECT_EQ(v.unacked_pages({10, std::nullopt}).total, unacked);
      ++as_of;
      put(snapshot("Z" + std::to_string(as_of), "other", "gold", "p1", {}, as_of));  // one apply: flips
    }
  };
  put(make("acme", "open", {running(MetricKind::kResponse, 100)}, false));
  check("open", 1, 0, 1, 1);
  put(make("acme", "in_progress", {running(MetricKind::kResponse, 100)}, false));  // same keys
  check("in_progress", 1, 0, 1, 1);
  put(make("globex", "in_progress", {running(MetricKind::kResponse, 100)}, false));  // another tenant
  check("in_progress", 0, 1, 1, 1);
  put(make("globex", "in_progress", {running(MetricKind::kResponse, 200)}, false));  // a later deadline
  check("in_progress", 0, 0, 1, 1);
  put(make("globex", "in_progress", {running(MetricKind::kResponse, 200)}, true));  // the page acknowledged
  check("in_progress", 0, 0, 1, 0);
  auto met = running(MetricKind::kResponse, 200);
  met.state = ClockState::kMet;
  put(make("globex", "resolved", {met}, true));  // no longer a candidate
  check("resolved", 0, 0, 0, 0);
}

TEST(DeadlineView, OnlyCountingClocksWithADeadlineAreAtRisk) {
  DeadlineView v;
  auto met = running(MetricKind::kResponse, 1000);
  met.state = ClockState::kMet;
  auto paused_status = running(MetricKind::kResolution, 1000);
  paused_status.state = ClockState::kPaused;
  paused_status.pause_reason = PauseReason::kStatus;
  paused_status.deadline.reset();
  auto after_hours = running(MetricKind::kResolution, 2000);
  after_hours.state = ClockState::kPaused;
  after_hours.pause_reason = PauseReason::kOutsideHours;
  std::vector<ViewUpdate> u;
  u.push_back(snapshot("A", "t", "gold", "p1", {met, paused_status}));
  u.push_back(snapshot("B", "t", "gold", "p1", {after_hours}));
  v.apply(u);
  const auto r = v.at_risk(window(0, 10'000));
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_EQ(r.items[0].ticket_id, "B");
}

struct Ref {
  std::string id, tenant, plan, severity;
  MetricKind metric;
  sla::EpochMillis deadline;
};

TEST(DeadlineView, MatchesABruteForceScanWithFiltersAndTrueTotals) {
  std::mt19937_64 rng(7);
  const std::vector<std::string> tenants{"acme", "globex", "initech"};
  const std::vector<std::string> plans{"gold", "silver"};
  const std::vector<std::string> sevs{"p1", "p2", "p3"};
  DeadlineView v;
  std::map<std::string, ViewUpdate> latest;
  for (int round = 0; round < 20; ++round) {
    std::vector<ViewUpdate> u;
    for (int i = 0; i < 500; ++i) {
      const std::string id = "T-" + std::to_string(rng() % 3000);
      if (rng() % 10 == 0) {
        u.push_back(ViewUpdate{id, std::nullopt});
        continue;
      }
      std::vector<ClockView> clocks;
      clocks.push_back(running(MetricKind::kResponse, static_cast<sla::EpochMillis>(rng() % 100'000)));
      if (rng() % 2) clocks.push_back(running(MetricKind::kResolution, static_cast<sla::EpochMillis>(rng() % 100'000)));
      u.push_back(snapshot(id, tenants[rng() % 3], plans[rng() % 2], sevs[rng() % 3], std::move(clocks),
                           round * 1000 + i));
    }
    for (const auto& x : u) {
      if (!x.ticket) latest.erase(x.ticket_id);
      else latest.insert_or_assign(x.ticket_id, x);
    }
    v.apply(u);
  }
  ASSERT_EQ(v.size(), latest.size());
  std::vector<Ref> all;
  for (const auto& [id, x] : latest) {
    for (const auto& c : x.ticket->view.clocks) {
      all.push_back({id, x.ticket->view.tenant_id, x.ticket->view.plan, x.ticket->view.severity, c.metric, *c.deadline});
    }
  }
  for (int q = 0; q < 200; ++q) {
    sla::views::AtRiskQuery query;
    query.now = static_cast<sla::EpochMillis>(rng() % 100'000);
    query.within_ms = static_cast<std::int64_t>(rng() % 50'000);
    query.limit = 1 + rng() % 50;
    if (rng() % 3 == 0) query.tenant = tenants[rng() % 3];
    if (rng() % 3 == 0) query.plan = plans[rng() % 2];
    if (rng() % 3 == 0) query.severity = sevs[rng() % 3];
    if (rng() % 4 == 0) query.metric = MetricKind::kResolution;
    std::vector<Ref> match;
    std::map<std::pair<std::string, std::string>, std::pair<std::size_t, std::size_t>> by;
    for (const auto& r : all) {
      if (r.deadline > query.now + query.within_ms) continue;
      if (query.tenant && r.tenant != *query.tenant) continue;
      if (query.plan && r.plan != *query.plan) continue;
      if (query.severity && r.severity != *query.severity) continue;
      if (query.metric && r.metric != *query.metric) continue;
      match.push_back(r);
      auto& b = by[{r.plan, r.severity}];
      ++b.first;
      if (r.deadline <= query.now) ++b.second;
    }
    std::sort(match.begin(), match.end(), [](const Ref& a, const Ref& b) { return a.deadline < b.deadline; });
    const auto got = v.at_risk(query);
    ASSERT_EQ(got.total, match.size());
    ASSERT_EQ(got.items.size(), std::min(query.limit, match.size()));
    for (std::size_t i = 0; i < got.items.size(); ++i) {
      // Same deadlines in the same order (ties may list other tickets).
      EXPECT_EQ(got.items[i].deadline, match[i].deadline);
    }
    if (!got.items.empty() && got.items.size() < match.size()) {
      EXPECT_LE(got.items.back().deadline, match[got.items.size()].deadline);
    }
    ASSERT_EQ(got.by_plan_severity.size(), by.size());
    for (const auto& [k, c] : got.by_plan_severity) {
      EXPECT_EQ(c.at_risk, by.at(k).first);
      EXPECT_EQ(c.overdue, by.at(k).second);
    }
  }
}

TEST(DeadlineView, TheOrderDoesNotDependOnArrivalOrder) {
  // Two instances reading the same snapshots in another order answer alike.
  std::vector<ViewUpdate> a, b;
  for (int i = 0; i < 300; ++i) {
    a.push_back(snapshot("T-" + std::to_string(i), "t", "gold", "p1", {running(MetricKind::kResponse, 1000 + i % 7)}));
  }
  b = a;
  std::reverse(b.begin(), b.end());
  DeadlineView va, vb;
  va.apply(a);
  vb.apply(b);
  const auto ra = va.at_risk(window(0, 10'000, 100));
  const auto rb = vb.at_risk(window(0, 10'000, 100));
  ASSERT_EQ(ra.items.size(), 100u);
  for (std::size_t i = 0; i < ra.items.size(); ++i) EXPECT_EQ(ra.items[i].ticket_id, rb.items[i].ticket_id);
}

// The same reference, checked after every batch: the view keeps two copies
// of its index and each apply() publishes the other one, so checking after
// every batch checks both copies. Also older snapshots, closed tickets,
// ticket moves between tenants/plans, paused and met clocks, and the rows
// themselves (ticket, tenant, metric), not only their deadlines.
TEST(DeadlineView, BothCopiesMatchABruteForceScanAfterEveryBatch) {
  std::mt19937_64 rng(11);
  const std::vector<std::string> tenants{"acme", "globex", "initech", "umbrella"};
  const std::vector<std::string> plans{"gold", "silver", "bronze"};
  const std::vector<std::string> sevs{"p1", "p2"};
  DeadlineView v;
  std::map<std::string, ViewTicket> latest;  // the reference: the newest open snapshot per ticket
  for (int round = 0; round < 40; ++round) {
    std::vector<ViewUpdate> u;
    const int n = 1 + static_cast<int>(rng() % 400);
    for (int i = 0; i < n; ++i) {
      const std::string id = "T-" + std::to_string(rng() % 1500);
      if (rng() % 12 == 0) {
        u.push_back(ViewUpdate{id, std::nullopt});
        continue;
      }
      std::vector<ClockView> clocks;
      for (const auto m : {MetricKind::kResponse, MetricKind::kResolution}) {
        if (rng() % 3 == 0) continue;
        auto c = running(m, static_cast<sla::EpochMillis>(rng() % 50'000));
        switch (rng() % 6) {
          case 0: c.state = ClockState::kMet; break;
          case 1: c.state = ClockState::kPaused; c.pause_reason = PauseReason::kStatus; c.deadline.reset(); break;
          case 2: c.state = ClockState::kBreached; break;
          default: break;
        }
        clocks.push_back(c);
      }
      // as_of sometimes older than what the view holds: must be ignored.
      const sla::EpochMillis as_of = round * 1000 + i - static_cast<sla::EpochMillis>(rng() % 3 == 0 ? 5000 : 0);
      auto x = snapshot(id, tenants[rng() % tenants.size()], plans[rng() % plans.size()], sevs[rng() % sevs.size()],
                        std::move(clocks), as_of);
      x.ticket->view.closed = rng() % 15 == 0;
      u.push_back(std::move(x));
    }
    for (const auto& x : u) {
      const auto it = latest.find(x.ticket_id);
      if (it != latest.end() && x.ticket && x.ticket->as_of < it->second.as_of) continue;
      if (!x.ticket || x.ticket->view.closed) {
        if (it != latest.end()) latest.erase(it);
      } else {
        latest.insert_or_assign(x.ticket_id, *x.ticket);
      }
    }
    v.apply(u);

    ASSERT_EQ(v.size(), latest.size()) << "round " << round;
    std::vector<std::tuple<sla::EpochMillis, std::string, MetricKind, std::string, std::string, std::string>> all;
    for (const auto& [id, t] : latest) {
      for (const auto& c : t.view.clocks) {
        if (!sla::views::at_risk_candidate(c)) continue;
        all.emplace_back(*c.deadline, id, c.metric, t.view.tenant_id, t.view.plan, t.view.severity);
      }
    }
    ASSERT_EQ(v.indexed_clocks(), all.size()) << "round " << round;
    for (const auto& [id, t] : latest) {
      const auto got = v.ticket(id);
      ASSERT_NE(got, nullptr) << id;
      EXPECT_EQ(got->as_of, t.as_of) << id;
      EXPECT_EQ(got->view.tenant_id, t.view.tenant_id) << id;
    }
    for (int q = 0; q < 25; ++q) {
      sla::views::AtRiskQuery query;
      query.now = static_cast<sla::EpochMillis>(rng() % 50'000);
      query.within_ms = static_cast<std::int64_t>(rng() % 30'000);
      query.limit = 1 + rng() % 80;
      if (rng() % 3 == 0) query.tenant = tenants[rng() % tenants.size()];
      if (rng() % 3 == 0) query.plan = plans[rng() % plans.size()];
      if (rng() % 3 == 0) query.severity = sevs[rng() % sevs.size()];
      if (rng() % 3 == 0) query.metric = rng() % 2 ? MetricKind::kResolution : MetricKind::kResponse;
      std::vector<std::tuple<sla::EpochMillis, std::string, MetricKind, std::string>> match;
      std::map<std::pair<std::string, std::string>, std::pair<std::size_t, std::size_t>> by;
      std::size_t overdue = 0;
      for (const auto& [deadline, id, metric, tenant, plan, severity] : all) {
        if (deadline > query.now + query.within_ms) continue;
        if (query.tenant && tenant != *query.tenant) continue;
        if (query.plan && plan != *query.plan) continue;
        if (query.severity && severity != *query.severity) continue;
        if (query.metric && metric != *query.metric) continue;
        match.emplace_back(deadline, id, metric, tenant);
        auto& b = by[{plan, severity}];
        ++b.first;
        if (deadline <= query.now) {
          ++b.second;
          ++overdue;
        }
      }
      std::sort(match.begin(), match.end());
      const auto got = v.at_risk(query);
      ASSERT_EQ(got.total, match.size());
      EXPECT_EQ(got.overdue, overdue);
      ASSERT_EQ(got.items.size(), std::min(query.limit, match.size()));
      // Rows: every match strictly before the page's last deadline is on the
      // page (ties at that deadline may be any of the tied ones), sorted.
      if (!got.items.empty()) {
        const sla::EpochMillis last = got.items.back().deadline;
        std::multiset<std::tuple<sla::EpochMillis, std::string, MetricKind, std::string>> want, have;
        for (const auto& m : match) {
          if (std::get<0>(m) < last) want.insert(m);
        }
        for (std::size_t i = 0; i < got.items.size(); ++i) {
          const auto& it = got.items[i];
          if (i > 0) {
            EXPECT_LE(got.items[i - 1].deadline, it.deadline);
          }
          const auto& t = latest.at(it.ticket_id);
          EXPECT_EQ(it.tenant_id, t.view.tenant_id);
          EXPECT_EQ(it.plan, t.view.plan);
          EXPECT_EQ(it.severity, t.view.severity);
          const auto row = std::make_tuple(it.deadline, it.ticket_id, it.metric, it.tenant_id);
          if (it.deadline < last) {
            have.insert(row);
          } else {
            EXPECT_TRUE(std::binary_search(match.begin(), match.end(), row));
          }
        }
        EXPECT_EQ(have, want);
        if (got.items.size() < match.size()) {
          EXPECT_LE(last, std::get<0>(match[got.items.size()]));
        }
      }
      ASSERT_EQ(got.by_plan_severity.size(), by.size());
      for (const auto& [k, c] : got.by_plan_severity) {
        EXPECT_EQ(c.at_risk, by.at(k).first);
        EXPECT_EQ(c.overdue, by.at(k).second);
      }
    }
  }
}

// Readers never see part of a batch: each batch moves every ticket to the
// next generation's deadline (generation g: deadline g), so a query that
// mixes generations, or misses tickets, read a half-applied batch. Batches
// are larger than anything a writer would apply under one hold of a lock.
TEST(DeadlineView, ConcurrentReadersSeeWholeBatchesOnly) {
  constexpr int kTickets = 1000;
  DeadlineView v;
  auto batch = [](int g) {
    std::vector<ViewUpdate> u;
    for (int i = 0; i < kTickets; ++i) {
      u.push_back(snapshot("T-" + std::to_string(i), "t", "gold", "p1",
                           {running(MetricKind::kResponse, 1'000'000 + g)}, g));
    }
    return u;
  };
  auto first = batch(0);
  v.apply(first);
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::atomic<long> queries{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        sla::views::AtRiskQuery q;
        q.now = 0;
        q.within_ms = 10'000'000;
        q.limit = kTickets;
        const auto got = v.at_risk(q);
        bool ok = got.total == static_cast<std::size_t>(kTickets) && got.items.size() == got.total;
        for (const auto& it : got.items) ok = ok && it.deadline == got.items.front().deadline;
        if (!ok) torn.fetch_add(1);
        queries.fetch_add(1);
      }
    });
  }
  for (int g = 1; g <= 40; ++g) {
    auto u = batch(g);
    v.apply(u);
  }
  // Let the readers read the last generation too.
  const long seen = queries.load();
  while (queries.load() < seen + 10) std::this_thread::yield();
  stop.store(true);
  for (auto& t : readers) t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(queries.load(), 10);
  sla::views::AtRiskQuery q;
  q.within_ms = 10'000'000;
  q.limit = 1;
  EXPECT_EQ(v.at_risk(q).items.at(0).deadline, 1'000'040);
}

}  // namespace
