// The loop's delivery rules for one input partition (SPEC 5.2, 5.3): how far
// its timers may fire, when its backlog stops holding them back, which
// producer its outputs take; and when the loop holds consumption back. Pure
// state, no I/O, no clock read: the loop passes `now` (its Clock's reading)
// and the consumer's view of the log; tests drive them on a ManualClock.
//
// Catching up: while Kafka holds events of a partition not yet consumed (or
// its log end is not known yet) the partition is *behind*, and its timers
// fire only up to the latest event time consumed from it, so an event still
// in the backlog (a response, a resolution) is applied before a deadline it
// would have met is declared breached. Caught up, timers fire on the wall
// clock. A partition said to be behind that delivers nothing for
// kMaxHoldMs (a stalled fetch, offsets removed by retention) fires on the
// wall clock again, unless consumption is paused (then nothing can arrive:
// it keeps holding), the consumer still has messages queued that the loop
// has not taken yet, or the loop itself did not run (looked()).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>

#include "sla/base/clock.hpp"

namespace sla::pipeline {

/// The consumer's view of a partition's log (from its lag statistics).
struct LogPosition {
  std::int64_t position = -1;        ///< next offset the consumer returns; -1 unknown
  std::int64_t high_watermark = -1;  ///< log end offset; -1 unknown (no fetch answered yet)
};

/// The delivery schedule of one assigned partition. Not thread-safe (one
/// partition is stepped by one worker at a time).
class PartitionSchedule {
 public:
  /// Behind this long without a message, a partition fires on the wall clock.
  static constexpr EpochMillis kMaxHoldMs = 10'000;
  /// Longer than this between two looks of the loop: time nobody consumed.
  static constexpr EpochMillis kMaxLoopGapMs = 2'000;
  /// An output fired more than this after it was due is a catch-up output.
  static constexpr EpochMillis kCatchUpMs = 1'000;
  static constexpr EpochMillis kNoEventTime = std::numeric_limits<EpochMillis>::min();

  /// Assigned at `now` (the hold counts from the assignment); behind until
  /// the consumer says otherwise.
  explicit PartitionSchedule(EpochMillis now = 0) : last_progress_(now), last_look_(now) {}

  /// Messages of the partition were consumed at `now`.
  void consumed(EpochMillis now) { last_progress_ = now; }
  /// Consumption resumed after a hold at `now`: the hold restarts with the
  /// fetches (a pause is not a stall).
  void resumed(EpochMillis now) { last_progress_ = now; }
  /// The loop looks at the partition at `now`, before update().
  /// `more_queued`: the consumer handed the loop as many messages as it
  /// asked for (more are waiting in its queue): the loop is what holds
  /// them back (the consumption limit, a long backlog), not the fetch,
  /// though this partition's turn in the queue may be far off. A gap since
  /// the previous look of more than kMaxLoopGapMs (the process was stopped,
  /// the loop was blocked in a rebalance) is not a stalled fetch either.
  /// Either restarts the hold.
  void looked(EpochMillis now, bool more_queued) {
    if (more_queued || now - last_look_ > kMaxLoopGapMs) last_progress_ = now;
    last_look_ = now;
  }

  /// The latest event time consumed (clamped to the receive time by the
  /// engine's batch clock); kNoEventTime before the first event.
  [[nodiscard]] EpochMillis event_time() const { return event_time_; }
  void set_event_time(EpochMillis t) { event_time_ = t; }

  /// Decides whether the partition is still behind, from the consumer's
  /// `log` view (nullopt: the consumer reports nothing for it yet),
  /// `next_offset` (the offset after the last message applied, used when the
  /// consumer's position is unknown) and whether consumption is paused.
  /// Returns behind().
  bool update(const std::optional<LogPosition>& log, std::int64_t next_offset, bool consumption_paused,
              EpochMillis now);
  [[nodiscard]] bool behind() const { return behind_; }

  /// The instant up to which its timers may fire at `now`: `now` when caught
  /// up; behind, the event time reached (never past `now`), or nothing
  /// before the first event.
  [[nodiscard]] std::optional<EpochMillis> fire_until(EpochMillis now) const;

  /// How long the loop may wait in poll at `now` for this partition's next
  /// timer (`next_due`), at most `max_wait_ms`. A partition that is behind
  /// does not shorten it: its backlog wakes poll anyway.
  [[nodiscard]] std::int64_t poll_wait_ms(std::optional<EpochMillis> next_due, EpochMillis now,
                                          std::int64_t max_wait_ms) const;

  /// Whether an output fired at `fired_at`, produced at `now`, goes through
  /// the bulk producer: when it, or another of the partition within the last
  /// kCatchUpMs, was fired late (nobody waits on it by the millisecond).
  /// Sticky for kCatchUpMs, so that a ticket's outputs do not overtake each
  /// other across the two producers.
  bool route_to_bulk(EpochMillis fired_at, EpochMillis now);

 private:
  bool behind_ = true;
  EpochMillis event_time_ = kNoEventTime;
  EpochMillis last_progress_ = 0;     ///< assignment, last message consumed, or last resume
  EpochMillis last_look_ = 0;         ///< the loop's previous looked()
  EpochMillis last_bulk_output_ = 0;  ///< 0 before the first late output
};

/// Back-pressure: consumption is paused while the store is down or the
/// commit queue is full, and resumed when neither holds.
class HoldBack {
 public:
  enum class Action { kNone, kPause, kResume };
  /// What to do now. After kPause or kResume the caller reports whether the
  /// consumer did it (applied()); one that failed is asked for again.
  [[nodiscard]] Action decide(bool store_ok, bool commits_full) const;
  /// The consumer paused (kPause) or resumed (kResume) consumption.
  void applied(Action action);
  [[nodiscard]] bool held() const { return held_; }

 private:
  bool held_ = false;
};

}  // namespace sla::pipeline
