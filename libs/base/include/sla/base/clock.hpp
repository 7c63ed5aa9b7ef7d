// Clock: the time port. The core never reads a clock; adapters and services
// hand it `now`. SystemClock is the production implementation,
// sla::testing::ManualClock (tests/support) the simulated one.
#pragma once

#include <chrono>
#include <cstdint>

namespace sla {

/// Milliseconds since the Unix epoch, UTC. The unit of every instant the
/// engine and the timer wheel exchange.
using EpochMillis = std::int64_t;

/// Reads the current time. Implementations must be thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Current time in milliseconds since the Unix epoch.
  [[nodiscard]] virtual EpochMillis now() const = 0;
};

/// The wall clock (std::chrono::system_clock).
class SystemClock final : public Clock {
 public:
  [[nodiscard]] EpochMillis now() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace sla
