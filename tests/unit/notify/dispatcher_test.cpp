#include "sla/notify/dispatcher.hpp"

#include <map>
#include <random>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

// g++ 12 reports a null dereference inside std::map::extract once
// ManualClock::set is inlined (a false positive in libstdc++'s tree code).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include "sla/testing/manual_clock.hpp"
#pragma GCC diagnostic pop

namespace sla::notify {
namespace {

using ::testing::ElementsAre;
using sla::testing::ManualClock;

Destination dest(std::string name, DestinationKind kind, std::uint32_t concurrency = 4) {
  Destination d;
  d.name = std::move(name);
  d.kind = kind;
  d.url = "https://" + d.name + ".example.com/";
  d.routing_key = "rk";
  d.secret = "s";
  d.concurrency = concurrency;
  d.rate_per_second = 1000;
  d.burst = 1000;
  d.backoff_initial_ms = 1000;
  d.backoff_max_ms = 8000;
  d.retry_deadline_ms = 60'000;
  return d;
}

// pd and chat both take every page.
Routes two_destinations() {
  Routes r;
  r.destinations = {dest("pd", DestinationKind::kPagerDuty), dest("chat", DestinationKind::kSlack)};
  Route all;
  all.destinations = {0, 1};
  r.routes.push_back(all);
  return r;
}

Page page(std::string key, PageAction action = PageAction::kTrigger) {
  Page p;
  p.page_id = key + "/0/0";
  p.dedup_key = std::move(key);
  p.ticket_id = "T";
  p.action = action;
  return p;
}

RecordRef at(std::int64_t offset, std::int32_t partition = 0) { return RecordRef{"sla.pages", partition, offset}; }

AttemptResult status(int s, std::string retry_after = "") {
  AttemptResult r;
  r.status = s;
  r.retry_after = std::move(retry_after);
  return r;
}

std::int64_t position(const Dispatcher& d, std::int32_t partition = 0) {
  for (const auto& p : d.positions()) {
    if (p.partition == partition) return p.next_offset;
  }
  return -1;
}

std::string action_of(const Send& s) {
  return nlohmann::json::parse(s.request->body)["event_action"].get<std::string>();
}

TEST(Dispatcher, DeliversToEveryRoutedDestinationBeforeTheOffsetMoves) {
  ManualClock clock(1000);
  Dispatcher d(two_destinations(), 1);
  ASSERT_EQ(d.add(at(0), page("a"), clock.now()).value(), 2u);
  auto sends = d.due(clock.now());
  ASSERT_EQ(sends.size(), 2u);
  EXPECT_EQ(d.in_flight(), 2u);
  EXPECT_TRUE(d.due(clock.now()).empty());  // both in flight
  EXPECT_EQ(position(d), 0);
  ASSERT_TRUE(d.complete(sends[0].job, status(202), clock.now()));
  EXPECT_EQ(position(d), 0);  // one destination still owes it
  const auto out = d.complete(sends[1].job, status(200), clock.now());
  ASSERT_TRUE(out);
  EXPECT_EQ(out->decision.verdict, Verdict::kDelivered);
  EXPECT_EQ(position(d), 1);
  EXPECT_EQ(d.pending(), 0u);
  EXPECT_FALSE(d.complete(sends[1].job, status(200), clock.now()));  // unknown now
}

TEST(Dispatcher, ADeadDestinationHoldsOnlyItselfAndTheCommit) {
  ManualClock clock(0);
  Dispatcher d(two_destinations(), 1);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(d.add(at(i), page("k" + std::to_string(i)), clock.now()));
  std::size_t chat_delivered = 0;
  for (int round = 0; round < 50 && chat_delivered < 20; ++round) {
    for (const auto& s : d.due(clock.now())) {
      if (s.destination == 1) {
        ++chat_delivered;
        ASSERT_TRUE(d.complete(s.job, status(200), clock.now()));
      } else {
        AttemptResult dead;
        dead.error = "connection refused";
        ASSERT_EQ(d.complete(s.job, dead, clock.now())->decision.verdict, Verdict::kRetry);
      }
    }
    clock.advance(100);
  }
  EXPECT_EQ(chat_delivered, 20u);       // chat got everything while pd was down
  EXPECT_EQ(d.pending(1), 0u);
  EXPECT_EQ(d.pending(0), 20u);
  EXPECT_EQ(position(d), 0);            // nothing committable: record 0 is still owed to pd
  // pd comes back: everything drains and the offset moves to the end.
  for (int round = 0; round < 200 && d.pending() > 0; ++round) {
    clock.advance(1000);
    for (const auto& s : d.due(clock.now())) ASSERT_TRUE(d.complete(s.job, status(202), clock.now()));
  }
  EXPECT_EQ(d.pending(), 0u);
  EXPECT_EQ(position(d), 20);
}

TEST(Dispatcher, SameDedupKeyStaysInOrderBehindARetry) {
  ManualClock clock(0);
  Routes r;
  r.destinations = {dest("pd", DestinationKind::kPagerDuty, 8)};
  Route all;
  all.destinations = {0};
  r.routes.push_back(all);
  Dispatcher d(std::move(r), 7);
  ASSERT_TRUE(d.add(at(0), page("inc"), 0));
  ASSERT_TRUE(d.add(at(1), page("inc", PageAction::kAcknowledge), 0));
  ASSERT_TRUE(d.add(at(2), page("inc", PageAction::kResolve), 0));
  auto sends = d.due(0);
  ASSERT_EQ(sends.size(), 1u);  // one lane per key: only the trigger
  EXPECT_EQ(action_of(sends[0]), "trigger");
  const auto retry = d.complete(sends[0].job, status(500), 0);
  ASSERT_EQ(retry->decision.verdict, Verdict::kRetry);
  EXPECT_GE(retry->decision.retry_at, 500);
  EXPECT_LE(retry->decision.retry_at, 1000);
  EXPECT_EQ(d.next_wakeup(0), retry->decision.retry_at);
  EXPECT_TRUE(d.due(retry->decision.retry_at - 1).empty());  // never early
  clock.set(retry->decision.retry_at);
  std::vector<std::string> order;
  while (d.pending() > 0) {
    sends = d.due(clock.now());
    ASSERT_EQ(sends.size(), 1u);
    EXPECT_EQ(sends[0].attempt, order.empty() ? 1u : 0u);
    order.push_back(action_of(sends[0]));
    ASSERT_TRUE(d.complete(sends[0].job, status(202), clock.now()));
  }
  EXPECT_THAT(order, ElementsAre("trigger", "acknowledge", "resolve"));
  EXPECT_EQ(position(d), 3);
}

TEST(Dispatcher, Honours429RetryAfter) {
  ManualClock clock(10'000);
  Dispatcher d(two_destinations(), 3);
  ASSERT_TRUE(d.add(at(0), page("a"), clock.now()));
  for (const auto& s : d.due(clock.now())) {
    const auto out = d.complete(s.job, s.destination == 0 ? status(429, "30") : status(200), clock.now());
    ASSERT_TRUE(out);
  }
  EXPECT_EQ(d.next_wakeup(clock.now()), 40'000);
  clock.advance(29'999);
  EXPECT_TRUE(d.due(clock.now()).empty());
  clock.advance(1);
  const auto sends = d.due(clock.now());
  ASSERT_EQ(sends.size(), 1u);
  EXPECT_EQ(sends[0].destination, 0u);
  ASSERT_TRUE(d.complete(sends[0].job, status(202), clock.now()));
  EXPECT_EQ(position(d), 1);
}

TEST(Dispatcher, RejectedAndExpiredDeliveriesAreDeadLetteredAndReleaseTheOffset) {
  ManualClock clock(0);
  Dispatcher d(two_destinations(), 3);
  ASSERT_TRUE(d.add(at(0), page("a"), 0));
  std::vector<Outcome> outcomes;
  for (const auto& s : d.due(0)) {
    outcomes.push_back(*d.complete(s.job, s.destination == 0 ? status(400) : status(503), 0));
  }
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].decision.verdict, Verdict::kDeadLetter);
  EXPECT_EQ(outcomes[0].decision.reason, "rejected");
  EXPECT_EQ(outcomes[0].record.offset, 0);
  EXPECT_EQ(std::get<Page>(*outcomes[0].item).dedup_key, "a");
  EXPECT_EQ(outcomes[1].decision.verdict, Verdict::kRetry);
  // chat keeps failing until its 60 s retry deadline runs out.
  std::optional<Outcome> last;
  while (auto wake = d.next_wakeup(clock.now())) {
    clock.set(*wake);
    for (const auto& s : d.due(clock.now())) last = d.complete(s.job, status(503), clock.now());
  }
  ASSERT_TRUE(last);
  EXPECT_EQ(last->decision.verdict, Verdict::kDeadLetter);
  EXPECT_EQ(last->decision.reason, "retry_deadline");
  EXPECT_LE(clock.now(), 60'000);
  EXPECT_GE(last->attempts, 5u);  // 1+2+4+8+8+... s with jitter in [d/2, d]
  EXPECT_EQ(position(d), 1);
}

TEST(Dispatcher, RateLimitSpacesRequestsPerDestination) {
  Routes r;
  auto slow = dest("slow", DestinationKind::kSlack, 8);
  slow.rate_per_second = 2;
  slow.burst = 1;
  r.destinations = {slow, dest("fast", DestinationKind::kSlack, 8)};
  Route all;
  all.destinations = {0, 1};
  r.routes.push_back(all);
  Dispatcher d(std::move(r), 5);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(d.add(at(i), page("k" + std::to_string(i)), 0));
  std::map<std::size_t, std::vector<EpochMillis>> sent;
  ManualClock clock(0);
  while (d.pending() > 0) {
    for (const auto& s : d.due(clock.now())) {
      sent[s.destination].push_back(clock.now());
      ASSERT_TRUE(d.complete(s.job, status(200), clock.now()));
    }
    if (auto w = d.next_wakeup(clock.now())) clock.set(*w);
  }
  EXPECT_THAT(sent[0], ElementsAre(0, 500, 1000, 1500));
  EXPECT_THAT(sent[1], ElementsAre(0, 0, 0, 0));  // the other destination is not held back
}

TEST(Dispatcher, UnroutedAndSkippedRecordsAreDoneAtOnce) {
  Routes r = two_destinations();
  r.routes[0].severity.values = {"P1"};
  Dispatcher d(std::move(r), 1);
  Page p1 = page("a");
  p1.severity = "P1";
  ASSERT_EQ(d.add(at(0), p1, 0).value(), 2u);
  ASSERT_EQ(d.add(at(1), page("b"), 0).value(), 0u);  // severity "" matches no route
  d.skip(at(2));
  EXPECT_EQ(position(d), 0);
  for (const auto& s : d.due(0)) ASSERT_TRUE(d.complete(s.job, status(200), 0));
  EXPECT_EQ(position(d), 3);
  Page bad = page("");
  EXPECT_FALSE(d.add(at(3), bad, 0));
}

TEST(Dispatcher, DroppedPartitionForgetsQueuedWorkAndOrphansInFlight) {
  Dispatcher d(two_destinations(), 1);
  ASSERT_TRUE(d.add(at(0, 0), page("a"), 0));
  ASSERT_TRUE(d.add(at(0, 1), page("b"), 0));
  const auto sends = d.due(0);
  ASSERT_EQ(sends.size(), 4u);
  ASSERT_TRUE(d.add(at(1, 0), page("c"), 0));  // queued behind nothing in flight on other lanes
  d.drop_partition("sla.pages", 0);
  EXPECT_EQ(d.positions(), (std::vector<Position>{{"sla.pages", 1, 0}}));
  for (const auto& s : sends) {
    const auto out = d.complete(s.job, status(500), 0);
    ASSERT_TRUE(out);
    EXPECT_EQ(out->orphan, out->record.partition == 0);
  }
  // Partition 0's work is gone (orphans are not retried); partition 1 retries.
  EXPECT_EQ(d.pending(), 2u);
  // Taken back later: offsets start over from what the next poll gives.
  ASSERT_TRUE(d.add(at(0, 0), page("a"), 0));
  EXPECT_EQ(position(d, 0), 0);
}

TEST(Dispatcher, FullWhenADestinationQueueReachesItsBound) {
  Routes r = two_destinations();
  r.destinations[0].max_queue = 3;
  Dispatcher d(std::move(r), 1);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(d.full());
    ASSERT_TRUE(d.add(at(i), page("k" + std::to_string(i)), 0));
  }
  EXPECT_TRUE(d.full());
  for (const auto& s : d.due(0)) ASSERT_TRUE(d.complete(s.job, status(200), 0));
  EXPECT_FALSE(d.full());
}

// Random outcomes on three partitions against a slow reference: the
// committable position of a partition is always the lowest offset with an
// undelivered destination (or past the last record), and everything is
// delivered or dead-lettered exactly once in the end.
TEST(Dispatcher, PositionsNeverPassAnUndeliveredRecordProperty) {
  std::mt19937_64 rng(12345);
  for (int trial = 0; trial < 20; ++trial) {
    Routes r = two_destinations();
    r.destinations.push_back(dest("hook", DestinationKind::kWebhook, 2));
    r.routes[0].destinations = {0, 1};
    Route hooks;
    hooks.tenant.values = {"t1"};
    hooks.destinations = {2};
    r.routes[0].continue_ = true;
    r.routes.push_back(hooks);
    Dispatcher d(std::move(r), rng());
    ManualClock clock(0);
    // reference: (partition, offset) -> destinations still owed
    std::map<std::pair<int, std::int64_t>, std::set<std::size_t>> owed;
    std::map<std::uint64_t, std::size_t> job_dest;
    std::map<int, std::int64_t> next_offset;
    std::map<int, std::int64_t> added;
    std::set<std::pair<std::uint64_t, std::size_t>> finished;
    for (int step = 0; step < 400; ++step) {
      if (step < 300 && rng() % 2 == 0) {
        const int part = static_cast<int>(rng() % 3);
        const std::int64_t off = next_offset[part]++;
        Page p = page("key" + std::to_string(rng() % 10));
        p.tenant_id = rng() % 2 ? "t1" : "t2";
        const auto n = d.add(at(off, part), p, clock.now()).value();
        added[part] = off + 1;
        auto& o = owed[{part, off}];
        o.insert(0);
        o.insert(1);
        if (p.tenant_id == "t1") o.insert(2);
        ASSERT_EQ(n, o.size());
      }
      for (const auto& s : d.due(clock.now())) {
        AttemptResult res;
        switch (rng() % 5) {
          case 0: res.status = 500; break;
          case 1: res.status = 429; res.retry_after = std::to_string(rng() % 3); break;
          case 2: res.status = rng() % 8 == 0 ? 400 : 200; break;
          case 3: res.timed_out = true; break;
          default: res.status = 202;
        }
        const auto out = d.complete(s.job, res, clock.now());
        ASSERT_TRUE(out);
        if (out->decision.verdict != Verdict::kRetry) {
          const auto key = std::make_pair(static_cast<int>(out->record.partition), out->record.offset);
          ASSERT_EQ(owed[key].erase(out->destination), 1u) << "delivered twice";
        }
      }
      for (const auto& pos : d.positions()) {
        std::int64_t expect = added[pos.partition];
        for (const auto& [key, dests] : owed) {
          if (key.first == pos.partition && !dests.empty()) {
            expect = std::min(expect, key.second);
          }
        }
        ASSERT_EQ(pos.next_offset, expect) << "partition " << pos.partition << " step " << step;
      }
      clock.advance(static_cast<EpochMillis>(rng() % 1500));
    }
    // Drain.
    for (int i = 0; i < 100000 && d.pending() > 0; ++i) {
      if (auto w = d.next_wakeup(clock.now())) clock.set(*w);
      for (const auto& s : d.due(clock.now())) {
        const auto out = d.complete(s.job, status(200), clock.now());
        const auto key = std::make_pair(static_cast<int>(out->record.partition), out->record.offset);
        ASSERT_EQ(owed[key].erase(out->destination), 1u);
      }
    }
    EXPECT_EQ(d.pending(), 0u);
    for (const auto& [key, dests] : owed) EXPECT_TRUE(dests.empty());
    for (const auto& pos : d.positions()) EXPECT_EQ(pos.next_offset, added[pos.partition]);
  }
}

}  // namespace
}  // namespace sla::notify
