// The loop's delivery rules per partition (sla/pipeline/schedule.hpp) on a
// ManualClock, no sleeps: behind, timers fire only up to the backlog's event
// time; caught up, on the wall clock; 10 s without a message while behind
// falls back to the wall clock (not while consumption is paused); late
// outputs take the bulk producer, sticky for a second; consumption is held
// back while the store is down or the commit queue full.
#include "sla/pipeline/schedule.hpp"

#include <gtest/gtest.h>

#include "sla/testing/manual_clock.hpp"

namespace {

using sla::EpochMillis;
using sla::pipeline::HoldBack;
using sla::pipeline::LogPosition;
using sla::pipeline::PartitionSchedule;
using sla::testing::ManualClock;

constexpr EpochMillis kStart = 1'700'000'000'000;

LogPosition at(std::int64_t position, std::int64_t high_watermark) { return LogPosition{position, high_watermark}; }

TEST(PartitionSchedule, BehindTimersFireOnlyUpToTheBacklogsEventTime) {
  ManualClock clock(kStart);
  PartitionSchedule s(clock.now());
  EXPECT_TRUE(s.behind()) << "behind until the consumer says otherwise";
  EXPECT_EQ(s.fire_until(clock.now()), std::nullopt) << "nothing fires before the first event";
  clock.advance(500);
  s.consumed(clock.now());
  s.set_event_time(kStart - 3'600'000);  // the backlog is an hour old
  EXPECT_TRUE(s.update(at(100, 5'000), 100, false, clock.now()));
  EXPECT_EQ(s.fire_until(clock.now()), kStart - 3'600'000) << "not the wall clock: the backlog may meet the deadline";
  // The event time never takes timers past now.
  s.set_event_time(clock.now() + 60'000);
  EXPECT_EQ(s.fire_until(clock.now()), clock.now());
}

TEST(PartitionSchedule, CaughtUpTimersFireOnTheWallClock) {
  ManualClock clock(kStart);
  PartitionSchedule s(clock.now());
  s.set_event_time(kStart - 3'600'000);
  EXPECT_FALSE(s.update(at(5'000, 5'000), 5'000, false, clock.now()));
  clock.advance(250);
  EXPECT_EQ(s.fire_until(clock.now()), clock.now());
  // Behind again as soon as the log grows past the position.
  EXPECT_TRUE(s.update(at(5'000, 5'001), 5'000, false, clock.now()));
}

TEST(PartitionSchedule, AnUnknownLogEndIsBehindAndAnUnknownPositionIsTheNextOffset) {
  ManualClock clock(kStart);
  PartitionSchedule s(clock.now());
  EXPECT_TRUE(s.update(std::nullopt, 0, false, clock.now())) << "the consumer reports nothing for it yet";
  EXPECT_TRUE(s.update(at(7, -1), 7, false, clock.now())) << "no fetch answered yet";
  EXPECT_FALSE(s.update(at(-1, 40), 40, false, clock.now())) << "applied up to the log end";
  EXPECT_TRUE(s.update(at(-1, 40), 39, false, clock.now()));
}

TEST(PartitionSchedule, TenSecondsWithoutAMessageWhileBehindFallBackToTheWallClock) {
  ManualClock clock(kStart);
  PartitionSchedule s(clock.now());
  s.set_event_time(kStart - 60'000);
  const auto stuck = at(100, 5'000);  // a stalled fetch: the position never moves
  clock.advance(PartitionSchedule::kMaxHoldMs);
  EXPECT_TRUE(s.update(stuck, 100, false, clock.now())) << "10 s exactly: still held";
  EXPECT_EQ(s.fire_until(clock.now()), kStart - 60'000);
  clock.advance(1);
  EXPECT_FALSE(s.update(stuck, 100, false, clock.now()));
  EXPECT_EQ(s.fire_until(clock.now()), clock.now()) << "the wall clock again";
  // A message resets the hold: behind again, for another 10 s.
  s.consumed(clock.now());
  EXPECT_TRUE(s.update(stuck, 100, false, clock.now()));
  clock.advance(PartitionSchedule::kMaxHoldMs);
  EXPECT_TRUE(s.update(stuck, 100, false, clock.now()));
  clock.advance(1);
  EXPECT_FALSE(s.update(stuck, 100, false, clock.now()));
}

TEST(PartitionSchedule, WhileConsumptionIsPausedTheHoldDoesNotRunOut) {
  // The store is down: nothing can arrive, which is not a stalled fetch.
  ManualClock clock(kStart);
  PartitionSchedule s(clock.now());
  clock.advance(60'000);
  EXPECT_TRUE(s.update(at(100, 5'000), 100, true, clock.now()));
  // Resumed: the hold restarts with the fetches.
  s.resumed(clock.now());
  clock.advance(PartitionSchedule::kMaxHoldMs);
  EXPECT_TRUE(s.update(at(100, 5'000), 100, false, clock.now()));
  clock.advance(1);
  EXPECT_FALSE(s.update(at(100, 5'000), 100, false, clock.now()));
}

// Found by tests/chaos: with a consumption limit the loop takes a few
// messages a poll from the consumer's queue, where one partition's fetched
// messages can sit behind another's for longer than the hold. That is the
// loop holding them back, not a stalled fetch: the partition fired its
// timers on the wall clock with half a ticket's lifecycle applied.
TEST(PartitionSchedule, AFullPollIsNotAStalledFetch) {
  ManualClock clock(kStart);
  PartitionSchedule s(clock.now());
  s.set_event_time(kStart - 60'000);
  const auto stuck = at(100, 5'000);
  for (int i = 0; i < 30; ++i) {  // 30 s of full polls, none of them this partition's
    clock.advance(1'000);
    s.looked(clock.now(), /*more_queued=*/true);
    EXPECT_TRUE(s.update(stuck, 100, false, clock.now())) << i;
  }
  EXPECT_EQ(s.fire_until(clock.now()), kStart - 60'000);
  // The queue runs dry and still nothing for it: stalled after all.
  for (int i = 0; i < 10; ++i) {
    clock.advance(1'000);
    s.looked(clock.now(), false);
    EXPECT_TRUE(s.update(stuck, 100, false, clock.now())) << i;
  }
  clock.advance(1);
  s.looked(clock.now(), false);
  EXPECT_FALSE(s.update(stuck, 100, false, clock.now()));
}

// Found by tests/chaos: an instance stopped (SIGSTOP) for longer than the
// hold woke up and fired its partitions' timers on the wall clock at once.
TEST(PartitionSchedule, TimeTheLoopDidNotRunIsNotAStalledFetch) {
  ManualClock clock(kStart);
  PartitionSchedule s(clock.now());
  s.set_event_time(kStart - 60'000);
  const auto stuck = at(100, 5'000);
  clock.advance(500);
  s.looked(clock.now(), false);
  clock.advance(30'000);  // stopped
  s.looked(clock.now(), false);
  EXPECT_TRUE(s.update(stuck, 100, false, clock.now())) << "the hold restarts when the loop runs again";
  for (int i = 0; i < 5; ++i) {  // gaps at the limit are the loop running: the hold runs
    clock.advance(PartitionSchedule::kMaxLoopGapMs);
    s.looked(clock.now(), false);
    EXPECT_TRUE(s.update(stuck, 100, false, clock.now())) << i;
  }
  clock.advance(1);
  s.looked(clock.now(), false);
  EXPECT_FALSE(s.update(stuck, 100, false, clock.now()));
}

TEST(PartitionSchedule, PollWaitsForTheNextTimerOfACaughtUpPartitionOnly) {
  ManualClock clock(kStart);
  PartitionSchedule s(clock.now());
  EXPECT_EQ(s.poll_wait_ms(clock.now() + 30, clock.now(), 100), 100) << "behind: its backlog wakes poll";
  ASSERT_FALSE(s.update(at(9, 9), 9, false, clock.now()));
  EXPECT_EQ(s.poll_wait_ms(clock.now() + 30, clock.now(), 100), 30);
  EXPECT_EQ(s.poll_wait_ms(clock.now() - 5, clock.now(), 100), 0) << "overdue: do not wait";
  EXPECT_EQ(s.poll_wait_ms(clock.now() + 500, clock.now(), 100), 100);
  EXPECT_EQ(s.poll_wait_ms(std::nullopt, clock.now(), 100), 100);
}

TEST(PartitionSchedule, LateOutputsTakeTheBulkProducerStickyForASecond) {
  ManualClock clock(kStart);
  PartitionSchedule s(clock.now());
  EXPECT_FALSE(s.route_to_bulk(clock.now() - PartitionSchedule::kCatchUpMs, clock.now())) << "1 s late is live";
  EXPECT_TRUE(s.route_to_bulk(clock.now() - PartitionSchedule::kCatchUpMs - 1, clock.now()));
  clock.advance(PartitionSchedule::kCatchUpMs);
  EXPECT_TRUE(s.route_to_bulk(clock.now(), clock.now()))
      << "an on-time output within a second of a late one follows it (no overtaking)";
  clock.advance(1);
  EXPECT_FALSE(s.route_to_bulk(clock.now(), clock.now()));
}

TEST(HoldBack, PausesWhileTheStoreIsDownOrCommitsAreFullAndResumesWhenNeither) {
  HoldBack h;
  EXPECT_EQ(h.decide(true, false), HoldBack::Action::kNone);
  EXPECT_EQ(h.decide(false, false), HoldBack::Action::kPause);
  EXPECT_EQ(h.decide(true, true), HoldBack::Action::kPause);
  h.applied(HoldBack::Action::kPause);
  EXPECT_TRUE(h.held());
  EXPECT_EQ(h.decide(false, true), HoldBack::Action::kNone);
  EXPECT_EQ(h.decide(true, true), HoldBack::Action::kNone);
  EXPECT_EQ(h.decide(true, false), HoldBack::Action::kResume);
  h.applied(HoldBack::Action::kResume);
  EXPECT_FALSE(h.held());
}

TEST(HoldBack, APauseTheConsumerRefusedIsAskedForAgain) {
  // Back-pressure is not lost: until the consumer pauses, every decision
  // asks for the pause again.
  HoldBack h;
  EXPECT_EQ(h.decide(false, false), HoldBack::Action::kPause);  // pause_all() failed: not applied
  EXPECT_FALSE(h.held());
  EXPECT_EQ(h.decide(false, false), HoldBack::Action::kPause);
}

}  // namespace
