// TimerWheel: the cold and bulk paths (construction, slab growth, collecting
// due buckets, cascading, overflow, sequence renumbering). The per-timer hot
// paths (schedule, cancel, reschedule, the firing loop) are inline in the
// header.
#include "sla/timerwheel/timer_wheel.hpp"

#include <stdexcept>

namespace sla::timerwheel {

TimerWheel::TimerWheel(EpochMillis start_now, std::size_t reserve)
    : elapsed_(to_tick(start_now)), now_(start_now) {
  heads_.fill(kNil);
  while (capacity_ < reserve && capacity_ < kMaxNodes) grow();
}

void TimerWheel::grow() {
  if (capacity_ >= kMaxNodes) throw std::length_error("TimerWheel: more than 2^31 timers");
  // Value-initialised: generation 0 (even = free).
  chunks_.push_back(std::make_unique<Node[]>(kChunkNodes));
  capacity_ += kChunkNodes;
}

std::size_t TimerWheel::memory_bytes() const {
  return sizeof(*this) + chunks_.capacity() * sizeof(chunks_[0]) +
         std::size_t{capacity_} * sizeof(Node);
}

void TimerWheel::renumber() {
  // Once per 2^32 schedules: give the live timers 0..n-1 in their current
  // order so that ties keep resolving exactly after the counter wraps.
  std::vector<std::uint32_t> live;
  live.reserve(size_);
  for (std::uint32_t i = 0; i < bump_; ++i) {
    if ((node(i).gen & 1U) != 0) live.push_back(i);
  }
  std::sort(live.begin(), live.end(),
            [this](std::uint32_t a, std::uint32_t b) { return node(a).seq < node(b).seq; });
  std::uint32_t s = 0;
  for (const std::uint32_t i : live) node(i).seq = s++;
  seq_ = s;
}

void TimerWheel::sort_batch(std::size_t from, bool by_tick) {
  const auto first = batch_.begin() + static_cast<std::ptrdiff_t>(from);
  if (by_tick) {
    auto less = [this](std::uint32_t a, std::uint32_t b) {
      const Node& x = node(a);
      const Node& y = node(b);
      return x.tick != y.tick ? x.tick < y.tick : x.seq < y.seq;
    };
    if (!std::is_sorted(first, batch_.end(), less)) std::sort(first, batch_.end(), less);
  } else {
    // One deadline: order by sequence only. Usually already sorted or tiny.
    auto less = [this](std::uint32_t a, std::uint32_t b) { return node(a).seq < node(b).seq; };
    if (!std::is_sorted(first, batch_.end(), less)) std::sort(first, batch_.end(), less);
  }
}

void TimerWheel::redistribute_overflow() {
  std::uint32_t idx = heads_[kBucketOverflow];
  heads_[kBucketOverflow] = kNil;
  while (idx != kNil) {
    const std::uint32_t next = node(idx).next;
    link(idx, bucket_for(node(idx).tick));
    idx = next;
  }
}

void TimerWheel::abort_batch(std::size_t from) {
  for (std::size_t j = from; j < batch_.size(); ++j) {
    const std::uint32_t idx = batch_[j];
    Node& n = node(idx);
    if (n.prev != kInBatch) continue;
    if ((n.gen & 1U) == 0) {
      free_node(idx);
    } else {
      link(idx, kBucketExpired);
    }
  }
  batch_.clear();
}

bool TimerWheel::collect_next(std::uint64_t target) {
  batch_.clear();
  for (;;) {
    // 1. Timers already due when they were armed (deadline <= elapsed).
    if (std::uint32_t idx = heads_[kBucketExpired]; idx != kNil) {
      heads_[kBucketExpired] = kNil;
      while (idx != kNil) {
        Node& n = node(idx);
        const std::uint32_t next = n.next;
        n.prev = kInBatch;
        batch_.push_back(idx);
        idx = next;
      }
      sort_batch(0, true);
      return true;
    }

    // 2. The next occupied slot. A lower level always expires before any
    //    slot of a higher one, so the first level with a bit set decides.
    unsigned level = 0;
    while (level < kLevels && occupied_[level] == 0) ++level;
    if (level < kLevels) {
      const unsigned shift = level * kSlotBits;
      const auto cur = static_cast<unsigned>((elapsed_ >> shift) & (kSlots - 1));
      // Invariant: occupied slots lie strictly after the current one.
      const std::uint64_t ahead = occupied_[level] & (~std::uint64_t{0} << cur);
      assert(ahead != 0);
      const auto slot = static_cast<unsigned>(std::countr_zero(ahead));
      const std::uint64_t start =
          (elapsed_ & ~((std::uint64_t{1} << (shift + kSlotBits)) - 1)) |
          (std::uint64_t{slot} << shift);
      if (start <= target) {
        assert(start > elapsed_ || level == 0);
        const std::uint32_t bucket = level * kSlots + slot;
        std::uint32_t idx = heads_[bucket];
        heads_[bucket] = kNil;
        occupied_[level] &= ~(std::uint64_t{1} << slot);
        elapsed_ = start;
        // Cascade: what is due exactly now fires; the rest moves down to a
        // finer level relative to the new elapsed time.
        while (idx != kNil) {
          Node& n = node(idx);
          const std::uint32_t next = n.next;
          if (n.tick == start) {
            n.prev = kInBatch;
            batch_.push_back(idx);
          } else {
            link(idx, bucket_for(n.tick));
          }
          idx = next;
        }
        if (!batch_.empty()) {
          sort_batch(0, false);
          return true;
        }
        continue;
      }
    }

    // 3. Nothing more is due in the wheel. Crossing into a later 2^42 ms
    //    block means everything in the wheel was earlier and has fired, so
    //    the wheel is empty: jump to the block of the earliest overflow timer
    //    (if it is due by `target`) and place the overflow relative to it.
    //    Jumping to that block's start, not to `target`, keeps the firing
    //    order exact. Otherwise move the wheel to `target`.
    if (target > elapsed_) {
      if ((target >> kWheelBits) != (elapsed_ >> kWheelBits) &&
          heads_[kBucketOverflow] != kNil) {
        const std::uint64_t block = min_tick_in(kBucketOverflow) >> kWheelBits;
        if (block <= (target >> kWheelBits)) {
          elapsed_ = block << kWheelBits;
          redistribute_overflow();
          continue;
        }
      }
      elapsed_ = target;
    }
    return false;
  }
}

std::uint64_t TimerWheel::min_tick_in(std::uint32_t bucket) const {
  std::uint64_t best = std::numeric_limits<std::uint64_t>::max();
  for (std::uint32_t idx = heads_[bucket]; idx != kNil; idx = node(idx).next) {
    best = std::min(best, node(idx).tick);
  }
  return best;
}

std::optional<EpochMillis> TimerWheel::next_deadline() const {
  if (heads_[kBucketExpired] != kNil) return from_tick(min_tick_in(kBucketExpired));
  for (unsigned level = 0; level < kLevels; ++level) {
    if (occupied_[level] == 0) continue;
    const unsigned shift = level * kSlotBits;
    const auto cur = static_cast<unsigned>((elapsed_ >> shift) & (kSlots - 1));
    const std::uint64_t ahead = occupied_[level] & (~std::uint64_t{0} << cur);
    const auto slot = static_cast<unsigned>(std::countr_zero(ahead));
    if (level == 0) {
      return from_tick((elapsed_ & ~std::uint64_t{kSlots - 1}) | slot);
    }
    return from_tick(min_tick_in(level * kSlots + slot));
  }
  if (heads_[kBucketOverflow] != kNil) return from_tick(min_tick_in(kBucketOverflow));
  return std::nullopt;
}

std::optional<EpochMillis> TimerWheel::next_wakeup() const {
  if (heads_[kBucketExpired] != kNil) return now_;
  for (unsigned level = 0; level < kLevels; ++level) {
    if (occupied_[level] == 0) continue;
    const unsigned shift = level * kSlotBits;
    const auto cur = static_cast<unsigned>((elapsed_ >> shift) & (kSlots - 1));
    const std::uint64_t ahead = occupied_[level] & (~std::uint64_t{0} << cur);
    const auto slot = static_cast<unsigned>(std::countr_zero(ahead));
    return from_tick((elapsed_ & ~((std::uint64_t{1} << (shift + kSlotBits)) - 1)) |
                     (std::uint64_t{slot} << shift));
  }
  if (heads_[kBucketOverflow] != kNil) {
    return from_tick(((elapsed_ >> kWheelBits) + 1) << kWheelBits);
  }
  return std::nullopt;
}

}  // namespace sla::timerwheel
