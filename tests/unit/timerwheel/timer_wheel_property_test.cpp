// Differential test: TimerWheel against an obviously-correct reference built
// on std::multimap, over millions of random schedule / cancel / reschedule /
// advance operations, including operations issued from inside advance()
// callbacks. Scale with SLA_PROPERTY_SCALE (default 1.0; e.g. 0.1 under ASAN).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "sla/timerwheel/timer_wheel.hpp"
#include "test_peer.hpp"

namespace sla::timerwheel {
namespace {

double scale() {
  const char* s = std::getenv("SLA_PROPERTY_SCALE");
  if (s == nullptr) return 1.0;
  const double v = std::strtod(s, nullptr);
  return v > 0 ? v : 1.0;
}

// The specification, executed naively. Batches mirror the documented
// semantics: first everything already due at the wheel's current time, in
// (deadline, seq) order; otherwise the next deadline's timers in seq order.
// A timer cancelled or rescheduled by a callback before its turn in the
// batch does not fire from that batch.
class Reference {
 public:
  explicit Reference(EpochMillis now) : now_(now), elapsed_(now) {}

  std::size_t schedule(EpochMillis deadline) {
    const std::size_t id = timers_.size();
    timers_.push_back({});
    arm(id, deadline);
    return id;
  }
  bool cancel(std::size_t id) {
    if (id >= timers_.size() || !timers_[id].live) return false;
    queue_.erase(timers_[id].it);
    timers_[id].live = false;
    return true;
  }
  bool reschedule(std::size_t id, EpochMillis deadline) {
    if (id >= timers_.size() || !timers_[id].live) return false;
    queue_.erase(timers_[id].it);
    arm(id, deadline);
    return true;
  }
  std::size_t ids() const { return timers_.size(); }
  std::size_t size() const { return queue_.size(); }
  std::optional<EpochMillis> next_deadline() const {
    if (queue_.empty()) return std::nullopt;
    return queue_.begin()->first.first;
  }

  template <typename F>
  std::size_t advance(EpochMillis now, F&& cb) {
    if (now > now_) now_ = now;
    std::size_t fired = 0;
    for (;;) {
      std::vector<std::pair<std::size_t, std::uint64_t>> batch;  // (id, version)
      if (!queue_.empty() && queue_.begin()->first.first <= elapsed_) {
        for (auto it = queue_.begin(); it != queue_.end() && it->first.first <= elapsed_; ++it) {
          batch.emplace_back(it->second, timers_[it->second].version);
        }
      } else {
        if (queue_.empty() || queue_.begin()->first.first > now_) {
          elapsed_ = std::max(elapsed_, now_);
          return fired;
        }
        const EpochMillis d = queue_.begin()->first.first;
        elapsed_ = d;
        for (auto it = queue_.begin(); it != queue_.end() && it->first.first == d; ++it) {
          batch.emplace_back(it->second, timers_[it->second].version);
        }
      }
      for (const auto& [id, version] : batch) {
        Timer& t = timers_[id];
        if (!t.live || t.version != version) continue;
        const EpochMillis d = t.it->first.first;
        queue_.erase(t.it);
        t.live = false;
        ++fired;
        cb(id, d);
      }
    }
  }

 private:
  using Queue = std::multimap<std::pair<EpochMillis, std::uint64_t>, std::size_t>;
  struct Timer {
    Queue::iterator it;
    std::uint64_t version = 0;
    bool live = false;
  };
  void arm(std::size_t id, EpochMillis deadline) {
    Timer& t = timers_[id];
    t.it = queue_.emplace(std::pair{deadline, seq_++}, id);
    t.live = true;
    ++t.version;
  }

  EpochMillis now_;
  EpochMillis elapsed_;
  std::uint64_t seq_ = 0;
  Queue queue_;
  std::vector<Timer> timers_;
};

// The wheel behind the same id-based interface (payload = id).
class WheelUnderTest {
 public:
  // compact_often: a bucket is compacted on every new tombstone, and after
  // every cancel and reschedule (also in callbacks) all of them are.
  WheelUnderTest(EpochMillis now, bool compact_often) : wheel_(now), compact_often_(compact_often) {
    if (compact_often) TimerWheelTestPeer::compact_always(wheel_);
  }
  std::size_t schedule(EpochMillis deadline) {
    const std::size_t id = handles_.size();
    handles_.push_back(wheel_.schedule(deadline, id));
    return id;
  }
  bool cancel(std::size_t id) {
    const bool ok = id < handles_.size() && wheel_.cancel(handles_[id]);
    if (compact_often_) TimerWheelTestPeer::compact_all(wheel_);
    return ok;
  }
  bool reschedule(std::size_t id, EpochMillis deadline) {
    const bool ok = id < handles_.size() && wheel_.reschedule(handles_[id], deadline);
    if (compact_often_) TimerWheelTestPeer::compact_all(wheel_);
    return ok;
  }
  std::size_t ids() const { return handles_.size(); }
  std::size_t size() const { return wheel_.size(); }
  std::optional<EpochMillis> next_deadline() const { return wheel_.next_deadline(); }
  template <typename F>
  std::size_t advance(EpochMillis now, F&& cb) {
    return wheel_.advance(now, [&](std::uint64_t payload, EpochMillis d, TimerHandle h) {
      EXPECT_EQ(h, handles_[payload]);
      cb(payload, d);
    });
  }

 private:
  TimerWheel wheel_;
  bool compact_often_ = false;
  std::vector<TimerHandle> handles_;
};

struct Profile {
  EpochMillis start;
  EpochMillis far;       // spread of "far" deadlines
  double callback_ops;   // chance that a fired callback mutates the wheel
  EpochMillis max_step = std::numeric_limits<EpochMillis>::max();
};

// Picks operands from the RNG only (never from implementation state), so two
// implementations fed the same RNG stream see the same operations as long as
// they agree, and the first disagreement is reported.
struct OpGen {
  std::mt19937_64 rng;
  Profile p;

  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : rng() % n; }
  EpochMillis deadline(EpochMillis now) {
    const auto r = below(100);
    if (r < 30) return now + static_cast<EpochMillis>(below(2000)) - 200;  // near, some past
    if (r < 45) return now + static_cast<EpochMillis>(below(64) * 64);  // ties on slot edges
    if (r < 55) return now + static_cast<EpochMillis>(below(8)) * 1000;  // many ties
    if (r < 85) return now + static_cast<EpochMillis>(below(1ULL << 26));  // up to ~18 h
    if (r < 98) return now + static_cast<EpochMillis>(below(static_cast<std::uint64_t>(p.far)));
    if (r < 99) return std::numeric_limits<EpochMillis>::max() - static_cast<EpochMillis>(below(3));
    return now - static_cast<EpochMillis>(below(1ULL << 40));  // long past
  }
  std::size_t pick(std::size_t ids) {
    if (ids == 0) return 0;
    if (below(10) == 0) return below(ids + 5);  // any, even unknown
    const std::size_t window = std::min<std::size_t>(ids, 4096);
    return ids - 1 - below(window);
  }
  EpochMillis step() { return std::min(p.max_step, raw_step()); }
  EpochMillis raw_step() {
    const auto r = below(100);
    if (r < 40) return static_cast<EpochMillis>(below(70));
    if (r < 80) return static_cast<EpochMillis>(below(5000));
    if (r < 97) return static_cast<EpochMillis>(below(1ULL << 24));
    return static_cast<EpochMillis>(below(static_cast<std::uint64_t>(p.far)));
  }
};

struct Event {
  char kind;  // 'f' fired, 's' scheduled id, 'c'/'r' op result
  std::size_t id;
  EpochMillis value;
  friend bool operator==(const Event&, const Event&) = default;
};

template <typename Impl>
std::size_t run_advance(Impl& impl, EpochMillis now, OpGen& gen, std::vector<Event>& log) {
  return impl.advance(now, [&](std::size_t id, EpochMillis d) {
    log.push_back({'f', id, d});
    if (gen.rng() % 1000 >= static_cast<std::uint64_t>(gen.p.callback_ops * 1000)) return;
    switch (gen.below(3)) {
      case 0: {
        const EpochMillis dl = gen.deadline(d);
        log.push_back({'s', impl.schedule(dl), dl});
        break;
      }
      case 1: {
        const std::size_t victim = gen.pick(impl.ids());
        log.push_back({'c', victim, impl.cancel(victim) ? 1 : 0});
        break;
      }
      default: {
        const std::size_t victim = gen.pick(impl.ids());
        const EpochMillis dl = gen.deadline(d);
        log.push_back({'r', victim, impl.reschedule(victim, dl) ? dl : -1});
        break;
      }
    }
  });
}

void differential(std::uint64_t seed, Profile p, std::size_t ops, bool compact_often = false) {
  Reference ref(p.start);
  WheelUnderTest wheel(p.start, compact_often);
  OpGen gen{std::mt19937_64(seed), p};
  EpochMillis now = p.start;
  std::size_t fired = 0;
  std::size_t max_pending = 0;
  auto compare_advance = [&](EpochMillis to, std::size_t op) -> std::size_t {
    OpGen wheel_gen = gen;  // same stream for both
    std::vector<Event> want;
    std::vector<Event> got;
    const std::size_t n_ref = run_advance(ref, to, gen, want);
    const std::size_t n_wheel = run_advance(wheel, to, wheel_gen, got);
    EXPECT_EQ(want.size(), got.size()) << "op " << op << " seed " << seed;
    for (std::size_t i = 0; i < std::min(want.size(), got.size()); ++i) {
      if (want[i] == got[i]) continue;
      ADD_FAILURE() << "op " << op << " event " << i << " seed " << seed << ": want " << want[i].kind
                    << want[i].id << "@" << want[i].value << " got " << got[i].kind << got[i].id
                    << "@" << got[i].value;
      break;
    }
    EXPECT_EQ(n_ref, n_wheel);
    if (want != got) ADD_FAILURE() << "diverged";
    return n_ref;
  };
  for (std::size_t op = 0; op < ops; ++op) {
    const auto r = gen.below(100);
    if (r < 40) {
      const EpochMillis d = gen.deadline(now);
      ASSERT_EQ(ref.schedule(d), wheel.schedule(d));
    } else if (r < 62) {
      const std::size_t id = gen.pick(ref.ids());
      ASSERT_EQ(ref.cancel(id), wheel.cancel(id)) << "op " << op << " id " << id;
    } else if (r < 77) {
      const std::size_t id = gen.pick(ref.ids());
      const EpochMillis d = gen.deadline(now);
      ASSERT_EQ(ref.reschedule(id, d), wheel.reschedule(id, d)) << "op " << op;
    } else {
      now += gen.step();
      if (gen.below(50) == 0) now -= 1000;  // an earlier now must be harmless
      fired += compare_advance(now, op);
      if (::testing::Test::HasFatalFailure()) return;
    }
    ASSERT_EQ(ref.size(), wheel.size()) << "op " << op;
    max_pending = std::max(max_pending, ref.size());
    if (op % 97 == 0) {
      ASSERT_EQ(ref.next_deadline(), wheel.next_deadline()) << "op " << op;
    }
  }
  // Drain: everything left (except "never" sentinels) fires in order.
  now += 4 * p.far;
  fired += compare_advance(now, ops);
  EXPECT_GT(fired, ops / 20);
  ::testing::Test::RecordProperty("fired", std::to_string(fired));
  ::testing::Test::RecordProperty("pending_at_end", std::to_string(ref.size()));
  ::testing::Test::RecordProperty("max_pending", std::to_string(max_pending));
}

std::size_t ops(double base) { return static_cast<std::size_t>(base * scale()); }

TEST(TimerWheelProperty, MatchesMultimapReferenceDays) {
  differential(1, {1'790'000'000'000, 40LL * 86'400'000, 0.2}, ops(1'500'000));
}

TEST(TimerWheelProperty, MatchesMultimapReferenceYears) {
  differential(2, {1'790'000'000'000, 3LL * 365 * 86'400'000, 0.1}, ops(800'000));
}

TEST(TimerWheelProperty, MatchesReferenceAcrossOverflowBlocks) {
  // Start 5 days before an overflow block boundary, spread over ~2 blocks.
  constexpr unsigned kBits = TimerWheelTestPeer::kBlockBits;
  differential(3, {(1LL << kBits) - 5LL * 86'400'000, 1LL << (kBits + 1), 0.3}, ops(600'000));
}

TEST(TimerWheelProperty, MatchesReferenceAroundZero) {
  differential(4, {-3'000'000, 6'000'000, 0.3}, ops(600'000));
}

TEST(TimerWheelProperty, LargePopulationThirtyDays) {
  // Short steps: hundreds of thousands pending over 30 days, deep cascades.
  differential(6, {1'790'000'000'000, 30LL * 86'400'000, 0.2, 120'000}, ops(1'500'000));
}

TEST(TimerWheelProperty, CallbackHeavy) {
  differential(5, {1'790'000'000'000, 86'400'000, 0.9}, ops(500'000));
}

// A bucket compacted on every cancel and reschedule, also from callbacks:
// order, handles and next_deadline must not notice.
TEST(TimerWheelProperty, MatchesReferenceCompactingConstantly) {
  differential(7, {1'790'000'000'000, 40LL * 86'400'000, 0.2}, ops(400'000), true);
}

TEST(TimerWheelProperty, CallbackHeavyCompactingConstantly) {
  differential(8, {1'790'000'000'000, 86'400'000, 0.9}, ops(200'000), true);
}

}  // namespace
}  // namespace sla::timerwheel
