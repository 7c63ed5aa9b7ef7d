// Unit tests for sla::timerwheel::TimerWheel: ordering, exactness, handles,
// callbacks that mutate the wheel, cascades across levels and the overflow.
#include "sla/timerwheel/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "test_peer.hpp"

namespace sla::timerwheel {

namespace {

constexpr EpochMillis kStart = 1'790'000'000'000;  // 2026-09
constexpr EpochMillis kMinute = 60'000;
constexpr EpochMillis kDay = 86'400'000;
constexpr EpochMillis kYear = 365 * kDay;

struct Fired {
  std::uint64_t payload;
  EpochMillis deadline;
  EpochMillis now;
};

// Advances and records (payload, deadline, now) for every fired timer.
std::vector<Fired> advance(TimerWheel& w, EpochMillis now) {
  std::vector<Fired> out;
  const std::size_t n = w.advance(now, [&](std::uint64_t p, EpochMillis d, TimerHandle) {
    out.push_back({p, d, now});
  });
  EXPECT_EQ(n, out.size());
  return out;
}

std::vector<std::uint64_t> payloads(const std::vector<Fired>& v) {
  std::vector<std::uint64_t> out;
  for (const auto& f : v) out.push_back(f.payload);
  return out;
}

using P = std::vector<std::uint64_t>;

TEST(TimerWheel, EmptyWheel) {
  TimerWheel w(kStart);
  EXPECT_EQ(w.size(), 0U);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(w.now(), kStart);
  EXPECT_FALSE(w.next_deadline());
  EXPECT_FALSE(w.next_wakeup());
  EXPECT_TRUE(advance(w, kStart + kYear).empty());
  EXPECT_EQ(w.now(), kStart + kYear);
}

TEST(TimerWheel, FiresExactlyAtDeadlineNeverEarly) {
  TimerWheel w(kStart);
  w.schedule(kStart + 1, 1);
  w.schedule(kStart + 64, 2);
  w.schedule(kStart + 4097, 3);
  w.schedule(kStart + 15 * kMinute + 7, 4);
  w.schedule(kStart + 30 * kDay + 3, 5);
  w.schedule(kStart + 700 * kDay + 11, 6);
  for (const EpochMillis d : {kStart + 1, kStart + 64, kStart + 4097, kStart + 15 * kMinute + 7,
                              kStart + 30 * kDay + 3, kStart + 700 * kDay + 11}) {
    ASSERT_EQ(w.next_deadline(), d);
    EXPECT_TRUE(advance(w, d - 1).empty()) << d;
    const auto f = advance(w, d);
    ASSERT_EQ(f.size(), 1U) << d;
    EXPECT_EQ(f[0].deadline, d);
  }
  EXPECT_EQ(w.size(), 0U);
}

TEST(TimerWheel, FiresInDeadlineOrderAcrossOneBigAdvance) {
  TimerWheel w(kStart);
  w.schedule(kStart + 3 * kDay, 3);
  w.schedule(kStart + 5, 1);
  w.schedule(kStart + 2 * kYear, 5);
  w.schedule(kStart + 70, 2);
  w.schedule(kStart + 40 * kDay, 4);
  EXPECT_EQ(payloads(advance(w, kStart + 3 * kYear)), (P{1, 2, 3, 4, 5}));
}

TEST(TimerWheel, EqualDeadlinesFireInScheduleOrder) {
  TimerWheel w(kStart);
  const EpochMillis d = kStart + 5 * kDay + 123;
  // Interleave levels: some scheduled early (coarse level, cascade), some
  // later when the deadline is close (fine level directly).
  w.schedule(d, 1);
  w.schedule(d, 2);
  advance(w, d - 3000);
  w.schedule(d, 3);
  advance(w, d - 10);
  w.schedule(d, 4);
  w.schedule(d - 1, 0);
  EXPECT_EQ(payloads(advance(w, d)), (P{0, 1, 2, 3, 4}));
}

TEST(TimerWheel, PastDeadlineFiresOnNextAdvance) {
  TimerWheel w(kStart);
  advance(w, kStart + 1000);
  w.schedule(kStart + 10, 2);
  w.schedule(kStart - kYear, 1);
  w.schedule(kStart + 1000, 3);  // == now: due
  w.schedule(kStart + 1000, 4);
  EXPECT_EQ(w.next_deadline(), kStart - kYear);
  // Same now again: still fires (past deadlines fire on the next advance).
  const auto f = advance(w, kStart + 1000);
  EXPECT_EQ(payloads(f), (P{1, 2, 3, 4}));
  EXPECT_EQ(f[0].deadline, kStart - kYear);
}

TEST(TimerWheel, EarlierNowIsTreatedAsCurrentNow) {
  TimerWheel w(kStart);
  advance(w, kStart + 500);
  w.schedule(kStart + 600, 1);
  w.schedule(kStart + 100, 2);
  EXPECT_EQ(payloads(advance(w, kStart)), (P{2}));  // only the past one
  EXPECT_EQ(w.now(), kStart + 500);
  EXPECT_EQ(payloads(advance(w, kStart + 600)), (P{1}));
}

TEST(TimerWheel, CancelAndStaleHandles) {
  TimerWheel w(kStart);
  const TimerHandle a = w.schedule(kStart + 100, 1);
  const TimerHandle b = w.schedule(kStart + 100, 2);
  EXPECT_NE(a, b);
  EXPECT_TRUE(a.valid());
  EXPECT_FALSE(TimerHandle{}.valid());
  EXPECT_FALSE(w.cancel(TimerHandle{}));
  EXPECT_FALSE(w.cancel(TimerHandle{0xDEAD'BEEF'0000'1234ULL}));  // index beyond slab
  EXPECT_TRUE(w.cancel(a));
  EXPECT_FALSE(w.cancel(a));  // already cancelled
  EXPECT_FALSE(w.reschedule(a, kStart + 5));
  EXPECT_EQ(w.size(), 1U);
  // The freed slot is reused; the old handle must not reach the new timer.
  const TimerHandle c = w.schedule(kStart + 50, 3);
  EXPECT_EQ(static_cast<std::uint32_t>(c.raw), static_cast<std::uint32_t>(a.raw));
  EXPECT_NE(c, a);
  EXPECT_FALSE(w.cancel(a));
  EXPECT_EQ(w.size(), 2U);
  std::vector<TimerHandle> fired_handles;
  w.advance(kStart + 100, [&](std::uint64_t, EpochMillis, TimerHandle h) { fired_handles.push_back(h); });
  EXPECT_EQ(fired_handles, (std::vector<TimerHandle>{c, b}));
  EXPECT_FALSE(w.cancel(b));  // fired
  EXPECT_FALSE(w.cancel(c));
  EXPECT_FALSE(w.reschedule(c, kStart + 1000));
  EXPECT_EQ(w.size(), 0U);
}

TEST(TimerWheel, StaleHandleAfterManyReusesOfOneSlot) {
  TimerWheel w(kStart);
  std::vector<TimerHandle> old;
  for (int i = 0; i < 1000; ++i) {
    const TimerHandle h = w.schedule(kStart + 10, 1);
    old.push_back(h);
    ASSERT_TRUE(w.cancel(h));
  }
  const TimerHandle live = w.schedule(kStart + 10, 2);
  for (const auto& h : old) EXPECT_FALSE(w.cancel(h));
  EXPECT_EQ(w.size(), 1U);
  EXPECT_EQ(payloads(advance(w, kStart + 10)), (P{2}));
  EXPECT_FALSE(w.cancel(live));
}

TEST(TimerWheel, CancelDuringCallbackOfTimerDueInSameAdvance) {
  TimerWheel w(kStart);
  const TimerHandle a = w.schedule(kStart + 10, 1);
  const TimerHandle b = w.schedule(kStart + 10, 2);  // same deadline, same batch
  const TimerHandle c = w.schedule(kStart + 20, 3);  // later in the same advance
  const TimerHandle d = w.schedule(kStart + 30, 4);
  std::vector<std::uint64_t> seen;
  std::vector<bool> results;
  w.advance(kStart + 100, [&](std::uint64_t p, EpochMillis, TimerHandle h) {
    seen.push_back(p);
    if (p == 1) {
      results.push_back(w.cancel(h));  // itself: already fired, stale
      results.push_back(w.cancel(b));
      results.push_back(w.cancel(c));
      results.push_back(w.cancel(b));
    }
  });
  EXPECT_EQ(seen, (P{1, 4}));
  EXPECT_EQ(results, (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(w.size(), 0U);
  EXPECT_FALSE(w.cancel(a));
  EXPECT_FALSE(w.cancel(d));
  // Freed slots are reusable and the wheel still works.
  w.schedule(kStart + 200, 5);
  w.schedule(kStart + 150, 6);
  EXPECT_EQ(payloads(advance(w, kStart + 200)), (P{6, 5}));
}

TEST(TimerWheel, ScheduleAndRescheduleFromCallback) {
  TimerWheel w(kStart);
  const TimerHandle b = w.schedule(kStart + 10, 2);
  w.schedule(kStart + 10, 1);  // fires after b (scheduled later)
  const TimerHandle e = w.schedule(kStart + 50, 5);
  std::vector<std::uint64_t> seen;
  w.advance(kStart + 100, [&](std::uint64_t p, EpochMillis, TimerHandle) {
    seen.push_back(p);
    if (p == 2) {
      w.schedule(kStart + 20, 3);    // later than current: exact order
      w.schedule(kStart + 1000, 9);  // not due in this advance
      EXPECT_TRUE(w.reschedule(e, kStart + 30));
    }
    if (p == 3) w.schedule(kStart + 5, 4);  // earlier than current: right after
  });
  EXPECT_EQ(seen, (P{2, 1, 3, 4, 5}));
  EXPECT_EQ(w.size(), 1U);
  EXPECT_EQ(w.next_deadline(), kStart + 1000);
  EXPECT_FALSE(w.cancel(b));
}

TEST(TimerWheel, RescheduleDueTimerFromCallbackMovesIt) {
  TimerWheel w(kStart);
  w.schedule(kStart + 10, 1);
  const TimerHandle b = w.schedule(kStart + 10, 2);
  std::vector<std::uint64_t> seen;
  w.advance(kStart + 10, [&](std::uint64_t p, EpochMillis, TimerHandle) {
    seen.push_back(p);
    if (p == 1) {
      EXPECT_TRUE(w.reschedule(b, kStart + 11));  // out of this advance
    }
  });
  EXPECT_EQ(seen, (P{1}));
  EXPECT_EQ(w.size(), 1U);
  EXPECT_EQ(payloads(advance(w, kStart + 11)), (P{2}));
}

TEST(TimerWheel, RescheduleEarlierLaterAndAcrossLevels) {
  TimerWheel w(kStart);
  const TimerHandle a = w.schedule(kStart + 20 * kDay, 1);   // coarse level
  const TimerHandle b = w.schedule(kStart + 30, 2);          // finest level
  const TimerHandle c = w.schedule(kStart + 3 * kMinute, 3);
  EXPECT_TRUE(w.reschedule(a, kStart + 40));                // coarse -> fine
  EXPECT_TRUE(w.reschedule(b, kStart + 400 * kDay));        // fine -> coarse
  EXPECT_TRUE(w.reschedule(c, kStart + 3 * kMinute + 1));   // later, same level
  EXPECT_EQ(w.size(), 3U);
  EXPECT_EQ(w.next_deadline(), kStart + 40);
  EXPECT_TRUE(advance(w, kStart + 30).empty());
  EXPECT_EQ(payloads(advance(w, kStart + 40)), (P{1}));
  // Reschedule after partial cascade: c is now in a finer level.
  advance(w, kStart + 2 * kMinute);
  EXPECT_TRUE(w.reschedule(c, kStart + kMinute));  // into the past: due
  EXPECT_EQ(payloads(advance(w, kStart + 2 * kMinute)), (P{3}));
  EXPECT_TRUE(advance(w, kStart + 400 * kDay - 1).empty());
  EXPECT_EQ(payloads(advance(w, kStart + 400 * kDay)), (P{2}));
}

TEST(TimerWheel, PartlyDueCoarseSlotKeepsLaterTimersFindable) {
  // A coarse slot (65.5 s, split in 256-ms sub-slots) with timers before and
  // after `now`, some in the same sub-slot: the later ones must stay where
  // cancel() will look for them, also from a callback.
  constexpr EpochMillis kSlot = EpochMillis{1} << 16;
  const EpochMillis s = kStart - kStart % kSlot + 3 * kSlot;
  TimerWheel w(s - 1);
  w.schedule(s + 300, 1);
  const TimerHandle u = w.schedule(s + 400, 2);  // same 256-ms sub-slot
  const TimerHandle v = w.schedule(s + 9000, 3);
  std::vector<bool> results;
  const std::size_t n = w.advance(s + 350, [&](std::uint64_t, EpochMillis, TimerHandle) {
    results.push_back(w.cancel(u));
    results.push_back(w.reschedule(v, s + 360));
  });
  EXPECT_EQ(n, 1U);
  EXPECT_EQ(results, (std::vector<bool>{true, true}));
  EXPECT_EQ(w.size(), 1U);
  EXPECT_EQ(w.next_deadline(), s + 360);
  EXPECT_EQ(payloads(advance(w, s + 9000)), (P{3}));
  EXPECT_TRUE(w.empty());
}

TEST(TimerWheel, SparseCoarseSlotFiredWholeStillStopsForEarlierArrivals) {
  // Whole slot due: fired straight from the coarse slot. A callback arming an
  // earlier deadline must still fire before the slot's later timers.
  constexpr EpochMillis kSlot = EpochMillis{1} << 16;
  const EpochMillis s = kStart - kStart % kSlot + 5 * kSlot;
  TimerWheel w(s - 1);
  w.schedule(s + 100, 1);
  w.schedule(s + 5000, 3);
  w.schedule(s + 5000, 4);
  w.schedule(s + 60000, 5);
  std::vector<std::uint64_t> seen;
  w.advance(s + kSlot * 2, [&](std::uint64_t p, EpochMillis, TimerHandle) {
    seen.push_back(p);
    if (p == 1) w.schedule(s + 2000, 2);
  });
  EXPECT_EQ(seen, (P{1, 2, 3, 4, 5}));
}

TEST(TimerWheel, RescheduleCountsAsScheduledNowForTies) {
  TimerWheel w(kStart);
  const TimerHandle a = w.schedule(kStart + 100, 1);
  w.schedule(kStart + 100, 2);
  EXPECT_TRUE(w.reschedule(a, kStart + 100));
  EXPECT_EQ(payloads(advance(w, kStart + 100)), (P{2, 1}));
}

TEST(TimerWheel, FarFutureGoesThroughOverflow) {
  // Deadlines in a later 2^48 ms block (and "never" sentinels) wait in the
  // overflow list.
  constexpr EpochMillis kBlock = EpochMillis{1} << TimerWheelTestPeer::kBlockBits;
  TimerWheel w(kBlock - 10 * kDay);
  w.schedule(kBlock + 5, 3);                   // next block: overflow
  w.schedule(kBlock - 1, 1);                   // this block
  w.schedule(kBlock, 2);                       // overflow, first ms of next block
  w.schedule(kBlock + 3 * kBlock, 5);          // many blocks ahead
  w.schedule(std::numeric_limits<EpochMillis>::max(), 6);
  w.schedule(kBlock + 5, 4);
  EXPECT_EQ(w.size(), 6U);
  EXPECT_EQ(w.next_deadline(), kBlock - 1);
  EXPECT_EQ(payloads(advance(w, kBlock - 1)), (P{1}));
  EXPECT_EQ(w.next_deadline(), kBlock);
  EXPECT_EQ(w.next_wakeup(), kBlock);
  EXPECT_EQ(payloads(advance(w, kBlock)), (P{2}));
  EXPECT_TRUE(advance(w, kBlock + 4).empty());
  EXPECT_EQ(payloads(advance(w, kBlock + 2 * kBlock)), (P{3, 4}));
  EXPECT_EQ(w.next_deadline(), kBlock + 3 * kBlock);
  EXPECT_EQ(payloads(advance(w, kBlock + 3 * kBlock)), (P{5}));
  EXPECT_EQ(w.next_deadline(), std::numeric_limits<EpochMillis>::max());
  EXPECT_EQ(payloads(advance(w, std::numeric_limits<EpochMillis>::max())), (P{6}));
  EXPECT_TRUE(w.empty());
}

TEST(TimerWheel, OverflowJumpFiresInOrderInOneAdvance) {
  TimerWheel w(kStart);
  const EpochMillis far = (EpochMillis{1} << TimerWheelTestPeer::kBlockBits) + 1000;  // overflow
  w.schedule(far + 2, 3);
  w.schedule(far, 1);
  const TimerHandle c = w.schedule(far + 1, 2);
  w.schedule(kStart + kDay, 0);
  const TimerHandle x = w.schedule(far + 7, 99);
  EXPECT_TRUE(w.cancel(x));  // cancel from the overflow list
  EXPECT_TRUE(w.reschedule(c, far + 1));
  EXPECT_EQ(payloads(advance(w, far + 10)), (P{0, 1, 2, 3}));
}

TEST(TimerWheel, NegativeAndZeroCrossingTimes) {
  TimerWheel w(-1000);
  w.schedule(5, 3);
  w.schedule(-1, 2);
  w.schedule(-999, 1);
  w.schedule(0, 4);  // crosses the sign boundary: overflow, still exact
  EXPECT_EQ(payloads(advance(w, -1)), (P{1, 2}));
  EXPECT_EQ(w.next_deadline(), 0);
  EXPECT_EQ(payloads(advance(w, 0)), (P{4}));
  EXPECT_EQ(payloads(advance(w, 10)), (P{3}));
}

TEST(TimerWheel, NextDeadlineIsExactInCoarseBuckets) {
  TimerWheel w(kStart);
  w.schedule(kStart + 20 * kDay + 17, 1);
  w.schedule(kStart + 20 * kDay + 3, 2);
  w.schedule(kStart + 25 * kDay, 3);
  EXPECT_EQ(w.next_deadline(), kStart + 20 * kDay + 3);
  const auto wake = w.next_wakeup();
  ASSERT_TRUE(wake);
  EXPECT_LE(*wake, kStart + 20 * kDay + 3);
  // Following next_wakeup() never fires early and reaches the deadline.
  EpochMillis t = kStart;
  std::size_t steps = 0;
  while (w.size() == 3) {
    t = *w.next_wakeup();
    const auto f = advance(w, t);
    for (const auto& x : f) EXPECT_EQ(x.deadline, t);
    ASSERT_LT(++steps, 20U);
  }
  EXPECT_EQ(t, kStart + 20 * kDay + 3);
}

TEST(TimerWheel, CancelLeavesTombstoneSkippedAndSlotReused) {
  TimerWheel w(kStart);
  const TimerHandle a = w.schedule(kStart + 10 * kMinute, 1);
  w.schedule(kStart + 10 * kMinute, 2);
  EXPECT_TRUE(w.cancel(a));
  EXPECT_EQ(TimerWheelTestPeer::tombstones(w), 1U);
  // The freed slot is reused at once; the old entry, still in the bucket,
  // must neither fire it nor be confused with the new timer's entry.
  const TimerHandle b = w.schedule(kStart + 10 * kMinute, 3);
  EXPECT_EQ(static_cast<std::uint32_t>(b.raw), static_cast<std::uint32_t>(a.raw));
  EXPECT_FALSE(w.cancel(a));
  EXPECT_EQ(w.next_deadline(), kStart + 10 * kMinute);
  EXPECT_EQ(payloads(advance(w, kStart + 10 * kMinute)), (P{2, 3}));
  EXPECT_EQ(TimerWheelTestPeer::tombstones(w), 0U);  // dropped with their buckets
}

TEST(TimerWheel, NextDeadlineSkipsSlotsHoldingOnlyTombstones) {
  TimerWheel w(kStart);
  const TimerHandle a = w.schedule(kStart + 5, 1);                 // finest level
  const TimerHandle b = w.schedule(kStart + 3 * kMinute, 2);       // a 65-s slot
  w.schedule(kStart + 2 * kDay, 3);
  EXPECT_TRUE(w.cancel(a));
  EXPECT_TRUE(w.reschedule(b, kStart + 3 * kDay));
  EXPECT_EQ(w.next_deadline(), kStart + 2 * kDay);
  EXPECT_TRUE(advance(w, kStart + kDay).empty());
  EXPECT_EQ(payloads(advance(w, kStart + 3 * kDay)), (P{3, 2}));
}

TEST(TimerWheel, TombstonesStayBoundedUnderChurnWithoutFiring) {
  // Cancel/reschedule leave tombstones that only a cascade would drop; with
  // deadlines 30 days out nothing cascades here, so compaction must bound
  // them (about size/2 + floor) and keep memory flat, order and handles intact.
  TimerWheel w(kStart);
  constexpr std::size_t kN = 20'000;
  std::vector<TimerHandle> hs(kN);
  auto deadline = [](std::uint64_t i) {
    return kStart + kDay + static_cast<EpochMillis>((i * 7919) % (30 * kDay)) / 1000 * 1000;
  };
  std::uint64_t next = 0;
  for (std::size_t i = 0; i < kN; ++i) {
    hs[i] = w.schedule(deadline(next), next);
    ++next;
  }
  const std::size_t mem = w.memory_bytes();
  std::size_t peak = 0;
  for (std::size_t round = 0; round < 40; ++round) {
    for (std::size_t i = round % 2; i < kN; i += 2) {
      if (i % 4 < 2) {
        ASSERT_TRUE(w.cancel(hs[i]));
        hs[i] = w.schedule(deadline(next), next);
        ++next;
      } else {
        ASSERT_TRUE(w.reschedule(hs[i], deadline(next++)));
      }
      peak = std::max(peak, TimerWheelTestPeer::tombstones(w));
    }
  }
  EXPECT_EQ(w.size(), kN);
  // Over the limit each new tombstone compacts one bucket; a full turn of
  // the buckets drops them all.
  EXPECT_LE(peak, kN / 2 + TimerWheelTestPeer::kStaleFloor + TimerWheelTestPeer::kBuckets);
  EXPECT_GT(peak, kN / 4);  // tombstones did accumulate: the bound was exercised
  EXPECT_LE(w.memory_bytes(), mem + mem / 2);
  EpochMillis last = std::numeric_limits<EpochMillis>::min();
  const std::size_t n = w.advance(kStart + 40 * kDay, [&](std::uint64_t, EpochMillis d, TimerHandle) {
    ASSERT_GE(d, last);
    last = d;
  });
  EXPECT_EQ(n, kN);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(TimerWheelTestPeer::tombstones(w), 0U);
}

TEST(TimerWheel, TombstoneBoundHoldsRightAfterAnAdvance) {
  // Cancels count down a budget of tombstones that need no check, computed
  // at the last check. Firing shrinks the allowance (size/2 + floor) too, so
  // a budget from before an advance() must not carry over: right after
  // 20 000 timers fire, cancelling the 20 000 left compacts as soon as
  // their tombstones pass the new allowance, not thousands of cancels later.
  TimerWheel w(kStart);
  constexpr std::size_t kN = 20'000;
  std::vector<TimerHandle> far(kN);
  for (std::uint64_t i = 0; i < kN; ++i) {
    w.schedule(kStart + 1000, i);
    far[i] = w.schedule(kStart + kDay + static_cast<EpochMillis>((i * 7919) % (29 * kDay)), i);
  }
  ASSERT_TRUE(w.cancel(far[0]));  // a check with all 40 000 pending: a large budget
  EXPECT_EQ(advance(w, kStart + 1000).size(), kN);
  std::ptrdiff_t worst = std::numeric_limits<std::ptrdiff_t>::min();
  std::size_t compactions = 0;
  for (std::size_t i = 1; i < kN; ++i) {
    const std::size_t before = TimerWheelTestPeer::tombstones(w);
    ASSERT_TRUE(w.cancel(far[i]));
    const std::size_t after = TimerWheelTestPeer::tombstones(w);
    if (after <= before) ++compactions;
    const auto allowed = static_cast<std::ptrdiff_t>(w.size() / 2 + TimerWheelTestPeer::kStaleFloor);
    worst = std::max(worst, static_cast<std::ptrdiff_t>(after) - allowed);
  }
  // Past the allowance every cancel compacts a bucket (~130 tombstones each
  // here), so it is overshot by a few at most; a stale budget overshoots by
  // ~4 000.
  EXPECT_GT(compactions, 0U);  // the allowance was reached
  EXPECT_LT(worst, 64);
  EXPECT_TRUE(w.empty());
}

TEST(TimerWheel, GenerationsSurviveGrowthOfTheirArray) {
  // The generations live in one mapping that grows by moving its pages into
  // a larger one (past 2 MiB, 2 MiB aligned): handles issued before each
  // growth keep working, stale ones stay stale, fresh slots start free.
  TimerWheel w(kStart);
  constexpr std::uint64_t kN = 1'200'000;  // 4.8 MB of generations: several moves
  std::vector<TimerHandle> hs;
  hs.reserve(kN);
  for (std::uint64_t i = 0; i < kN; ++i) {
    hs.push_back(w.schedule(kStart + 1 + static_cast<EpochMillis>((i * 7919) % (40 * kDay)), i));
    if (i % 3 == 0 && i >= 3) {
      ASSERT_TRUE(w.cancel(hs[i - 3]));  // cancelled before later growths
    }
  }
  for (std::uint64_t i = 0; i + 3 < kN; ++i) {
    if (i % 3 == 0) {
      ASSERT_FALSE(w.cancel(hs[i])) << i;  // stale across the moves
    } else if (i % 3 == 1) {
      ASSERT_TRUE(w.cancel(hs[i])) << i;  // live across the moves
    }
  }
  std::uint64_t fired = 0;
  std::uint64_t bad = 0;
  w.advance(kStart + 41 * kDay, [&](std::uint64_t p, EpochMillis, TimerHandle) {
    ++fired;
    if (p % 3 == 1 && p + 3 < kN) ++bad;
  });
  EXPECT_EQ(bad, 0U);
  EXPECT_EQ(fired, kN - (kN - 3) / 3 - (kN - 3 + 2) / 3);
  EXPECT_TRUE(w.empty());
}

TEST(TimerWheel, WhollyDueSlotsOfEverySizeFireInDeadlineThenScheduleOrder) {
  // A coarse slot that an advance() passes wholly is sorted by deadline and
  // fired directly (up to 32768 entries): by insertion up to 32, by a radix
  // sort on the deadline's offset bytes above. Random sizes around those
  // limits, random deadlines with many ties, in 65-s (level 2, 2 bytes of
  // offset) and 4.7-h (level 3, 3 bytes) slots, some entries left behind as
  // tombstones by cancels: the order must be (deadline, schedule order).
  // With `arm`, the first callback arms a timer tied with the middle one:
  // the rest of the slot is put back and it fires after every timer of
  // that deadline scheduled before it.
  std::mt19937_64 rng(21);
  for (const unsigned level : {2U, 3U}) {
    const EpochMillis width = EpochMillis{1} << (8 * level);
    for (const std::size_t n : {2U, 17U, 31U, 32U, 33U, 34U, 100U, 255U, 256U, 257U, 1025U, 7000U, 28000U}) {
      for (const EpochMillis distinct : {EpochMillis{3}, EpochMillis{300}, width}) {
       for (const bool arm : {false, true}) {
        // The slot after the start's: every timer lands in it at its level.
        const EpochMillis slot = (kStart / width + 2) * width;
        TimerWheel w(slot - width - width / 2);
        std::vector<std::pair<EpochMillis, std::uint64_t>> want;  // (deadline, payload)
        std::vector<TimerHandle> cancelled;
        for (std::uint64_t i = 0; i < n; ++i) {
          const EpochMillis d = slot + static_cast<EpochMillis>(rng() % static_cast<std::uint64_t>(distinct)) *
                                           (width / distinct);
          w.schedule(d, i);
          want.emplace_back(d, i);
          if (rng() % 8 == 0) cancelled.push_back(w.schedule(d, 1'000'000 + i));
        }
        for (const TimerHandle h : cancelled) ASSERT_TRUE(w.cancel(h));
        std::stable_sort(want.begin(), want.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        const EpochMillis tie = want[n / 2].first;
        constexpr std::uint64_t kArmed = 9'000'000;
        if (arm) {
          auto after = std::upper_bound(want.begin(), want.end(), tie,
                                        [](EpochMillis d, const auto& e) { return d < e.first; });
          want.insert(after, {tie, kArmed});
        }
        std::vector<Fired> got;
        w.advance(slot + 2 * width, [&](std::uint64_t p, EpochMillis d, TimerHandle) {
          if (arm && got.empty() && d < tie) w.schedule(tie, kArmed);
          got.push_back({p, d, 0});
        });
        if (arm && want.front().first == tie) continue;  // no callback before the tie
        ASSERT_EQ(got.size(), want.size()) << "level " << level << " n " << n;
        for (std::size_t i = 0; i < want.size(); ++i) {
          ASSERT_EQ(got[i].payload, want[i].second) << "level " << level << " n " << n << " i " << i;
          ASSERT_EQ(got[i].deadline, want[i].first);
        }
       }
      }
    }
  }
}

TEST(TimerWheel, CompactionKeepsScheduleOrderOfTies) {
  TimerWheel w(kStart);
  const EpochMillis d = kStart + 7 * kDay;
  std::vector<TimerHandle> hs;
  for (std::uint64_t i = 0; i < 3 * TimerWheelTestPeer::kStaleFloor; ++i) hs.push_back(w.schedule(d, i));
  // Cancel two of every three: enough tombstones in that one bucket to
  // compact it, with the survivors interleaved with them.
  for (std::size_t i = 0; i < hs.size(); ++i) {
    if (i % 3 != 1) {
      ASSERT_TRUE(w.cancel(hs[i]));
    }
  }
  EXPECT_LT(TimerWheelTestPeer::tombstones(w), 2 * TimerWheelTestPeer::kStaleFloor);  // compacted
  P expected;
  for (std::uint64_t i = 1; i < hs.size(); i += 3) expected.push_back(i);
  EXPECT_EQ(payloads(advance(w, d)), expected);
}

TEST(TimerWheel, InterruptedSparseSlotKeepsTiesInScheduleOrder) {
  // A callback of a directly fired coarse slot arms a timer tied with a
  // later timer of that slot: the rest of the slot is put back in front of
  // it, so the earlier-scheduled one still fires first.
  constexpr EpochMillis kSlot = EpochMillis{1} << 16;
  const EpochMillis s = kStart - kStart % kSlot + 5 * kSlot;
  TimerWheel w(s - 1);
  w.schedule(s + 100, 1);
  w.schedule(s + 5000, 2);
  std::vector<std::uint64_t> seen;
  w.advance(s + kSlot * 2, [&](std::uint64_t p, EpochMillis, TimerHandle) {
    seen.push_back(p);
    if (p == 1) w.schedule(s + 5000, 3);
  });
  EXPECT_EQ(seen, (P{1, 2, 3}));
}

TEST(TimerWheel, CallbackExceptionKeepsTiesInScheduleOrder) {
  TimerWheel w(kStart);
  for (std::uint64_t i = 0; i < 4; ++i) w.schedule(kStart + 10, i);
  EXPECT_THROW(w.advance(kStart + 10,
                         [&](std::uint64_t p, EpochMillis, TimerHandle) {
                           if (p == 0) w.schedule(kStart + 10, 9);  // due now, armed last
                           if (p == 1) throw std::runtime_error("boom");
                         }),
               std::runtime_error);
  EXPECT_EQ(payloads(advance(w, kStart + 10)), (P{2, 3, 9}));
}

TEST(TimerWheel, CallbackExceptionKeepsRemainingTimers) {
  TimerWheel w(kStart);
  for (std::uint64_t i = 0; i < 4; ++i) w.schedule(kStart + 10, i);
  w.schedule(kStart + 20, 4);
  EXPECT_THROW(w.advance(kStart + 30,
                         [](std::uint64_t p, EpochMillis, TimerHandle) {
                           if (p == 1) throw std::runtime_error("boom");
                         }),
               std::runtime_error);
  EXPECT_EQ(w.size(), 3U);
  EXPECT_EQ(payloads(advance(w, kStart + 30)), (P{2, 3, 4}));
}

TEST(TimerWheel, ManyTimersSlabGrowthAndReuse) {
  TimerWheel w(kStart, 1000);
  std::vector<TimerHandle> hs;
  for (std::uint64_t i = 0; i < 200'000; ++i) {
    hs.push_back(w.schedule(kStart + 1 + static_cast<EpochMillis>((i * 7919) % (40 * kDay)), i));
  }
  for (std::size_t i = 0; i < hs.size(); i += 2) ASSERT_TRUE(w.cancel(hs[i]));
  EXPECT_EQ(w.size(), 100'000U);
  const std::size_t mem = w.memory_bytes();
  for (std::uint64_t i = 0; i < 100'000; ++i) w.schedule(kStart + 5, i);
  // Reuses the freed nodes (100k more would be 2.4 MB of slab); only bucket
  // entries may grow, where tombstones still hold the old ones' places.
  EXPECT_LT(w.memory_bytes(), mem + 100'000 * sizeof(std::uint32_t));
  EpochMillis last = std::numeric_limits<EpochMillis>::min();
  std::size_t n = w.advance(kStart + 41 * kDay, [&](std::uint64_t, EpochMillis d, TimerHandle) {
    ASSERT_GE(d, last);
    last = d;
  });
  EXPECT_EQ(n, 200'000U);
  EXPECT_TRUE(w.empty());
}

TEST(TimerWheel, HandleIsTrivialValue) {
  static_assert(sizeof(TimerHandle) == 8);
  static_assert(std::is_trivially_copyable_v<TimerHandle>);
  TimerWheel w(0);
  TimerWheel moved = std::move(w);
  const TimerHandle h = moved.schedule(5, 1);
  EXPECT_TRUE(moved.cancel(h));
}

}  // namespace
}  // namespace sla::timerwheel
