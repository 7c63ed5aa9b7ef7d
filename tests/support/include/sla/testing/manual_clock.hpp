// ManualClock: a simulated Clock for tests. Time moves only when the test
// calls advance()/set(); timers registered with it fire in (deadline,
// registration order) during advance, never early. Test-only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <utility>

#include "sla/base/clock.hpp"

namespace sla::testing {

class ManualClock final : public Clock {
 public:
  using Callback = std::function<void(EpochMillis fired_at)>;

  explicit ManualClock(EpochMillis start = 0) : now_(start) {}

  [[nodiscard]] EpochMillis now() const override { return now_; }

  /// Registers `cb` to run when the clock reaches `deadline` (at once on the
  /// next advance if it is already past). Returns an id for cancel().
  std::uint64_t call_at(EpochMillis deadline, Callback cb) {
    const std::uint64_t id = next_id_++;
    timers_.emplace(Key{deadline, id}, std::move(cb));
    return id;
  }

  /// Cancels a timer; returns false if it already fired or never existed.
  bool cancel(std::uint64_t id) {
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->first.second == id) {
        timers_.erase(it);
        return true;
      }
    }
    return false;
  }

  /// Moves time forward by `delta_ms`, firing due timers in (deadline,
  /// registration) order. Each callback sees now() == its deadline (or the
  /// current time if the deadline was already past), so nothing fires early.
  void advance(EpochMillis delta_ms) {
    if (delta_ms < 0) throw std::invalid_argument("ManualClock::advance: negative delta");
    set(now_ + delta_ms);
  }

  /// Moves time forward to `t` (must not go backwards), firing due timers.
  void set(EpochMillis t) {
    if (t < now_) throw std::invalid_argument("ManualClock::set: time went backwards");
    while (!timers_.empty() && timers_.begin()->first.first <= t) {
      // Taken off before it runs: a callback may register or cancel timers.
      const auto first = timers_.begin();
      const EpochMillis deadline = first->first.first;
      Callback cb = std::move(first->second);
      timers_.erase(first);
      if (deadline > now_) now_ = deadline;
      cb(now_);
    }
    now_ = t;
  }

  [[nodiscard]] std::size_t pending() const { return timers_.size(); }

 private:
  using Key = std::pair<EpochMillis, std::uint64_t>;
  EpochMillis now_;
  std::uint64_t next_id_ = 0;
  std::map<Key, Callback> timers_;
};

}  // namespace sla::testing
