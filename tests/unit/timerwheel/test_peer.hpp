// Test-only access to TimerWheel internals (tombstones, compaction floor,
// block size).
#pragma once

#include <cstddef>
#include <cstdint>

#include "sla/timerwheel/timer_wheel.hpp"

namespace sla::timerwheel {

struct TimerWheelTestPeer {
  /// Bucket entries left behind by cancel/reschedule and not yet dropped.
  static std::size_t tombstones(const TimerWheel& w) { return w.entries_ - w.size_; }
  /// Tombstones beyond size() / 2 + this trigger a compaction.
  static constexpr std::size_t kStaleFloor = TimerWheel::kStaleFloor;
  /// Compact one bucket on every new tombstone (not just past size/2 + floor).
  static void compact_always(TimerWheel& w) {
    w.stale_shift_ = 63;
    w.stale_floor_ = 0;
    w.stale_budget_ = 0;
  }
  /// Compacts every occupied bucket once.
  static void compact_all(TimerWheel& w) {
    for (std::uint32_t b = 0; b < kBuckets; ++b) {
      if (w.tail_[b] == TimerWheel::kNil) continue;
      w.compact_cursor_ = b;
      w.compact_next();
    }
  }
  /// Each one over the limit compacts one of these buckets (round robin).
  static constexpr std::size_t kBuckets = TimerWheel::kBuckets;
  /// Deadlines in a later block of 2^kBlockBits ms go to the overflow list.
  static constexpr unsigned kBlockBits = TimerWheel::kWheelBits;
};

}  // namespace sla::timerwheel
