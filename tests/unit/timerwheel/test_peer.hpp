// Test-only access to TimerWheel internals (sequence counter, block size).
#pragma once

#include <cstdint>

#include "sla/timerwheel/timer_wheel.hpp"

namespace sla::timerwheel {

struct TimerWheelTestPeer {
  static void set_sequence(TimerWheel& w, std::uint32_t s) { w.seq_ = s; }
  static std::uint32_t sequence(const TimerWheel& w) { return w.seq_; }
  /// Deadlines in a later block of 2^kBlockBits ms go to the overflow list.
  static constexpr unsigned kBlockBits = TimerWheel::kWheelBits;
};

}  // namespace sla::timerwheel
