// TimerWheel: the cold and bulk paths (construction, slab growth, collecting
// due buckets, cascading, overflow, sequence renumbering). The per-timer hot
// paths (schedule, cancel, reschedule, the firing loop) are inline in the
// header.
#include "sla/timerwheel/timer_wheel.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

namespace sla::timerwheel {

TimerWheel::TimerWheel(EpochMillis start_now, std::size_t reserve)
    : elapsed_(to_tick(start_now)), now_(start_now) {
  tail_.fill(kNil);
  while (capacity_ < reserve && capacity_ < kMaxNodes) grow();
}

namespace {
constexpr std::size_t kHuge = std::size_t{2} << 20;
constexpr std::size_t kSmallLimit = std::size_t{4} << 20;

// A 2 MiB-aligned 2 MiB anonymous mapping advised as a transparent huge page:
// a 10M-timer wheel touches ~300 MB at random, and with 4 KiB pages nearly
// every node access also misses the TLB. Best effort: without THP it is
// ordinary memory.
void* map_huge() {
  void* raw = ::mmap(nullptr, 2 * kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto base = reinterpret_cast<std::uintptr_t>(raw);  // NOLINT: address arithmetic
  const std::uintptr_t aligned = (base + kHuge - 1) & ~(std::uintptr_t{kHuge} - 1);
  const std::size_t head = aligned - base;
  if (head != 0) ::munmap(raw, head);
  if (kHuge - head != 0) {
    ::munmap(reinterpret_cast<void*>(aligned + kHuge), kHuge - head);  // NOLINT
  }
  void* p = reinterpret_cast<void*>(aligned);  // NOLINT
  ::madvise(p, kHuge, MADV_HUGEPAGE);
  return p;
}
}  // namespace

void TimerWheel::Release::operator()(void* p) const {
  if (mapped) {
    ::munmap(p, kHuge);
  } else {
    std::free(p);  // NOLINT: pairs with aligned_alloc
  }
}

void* TimerWheel::carve(std::size_t bytes) {
  bytes = (bytes + 63) & ~std::size_t{63};
  if (arena_total_ < kSmallLimit) {
    // A small wheel stays small: exact cache-line aligned heap pieces.
    void* p = std::aligned_alloc(64, bytes);
    if (p == nullptr) throw std::bad_alloc();
    arenas_.emplace_back(p, Release{false});
    arena_total_ += bytes;
    return p;
  }
  if (arena_left_ < bytes) {
    void* p = map_huge();
    arenas_.emplace_back(p, Release{true});
    arena_next_ = static_cast<std::byte*>(p);
    arena_left_ = kHuge;
    arena_total_ += kHuge;
  }
  void* out = arena_next_;
  arena_next_ += bytes;
  arena_left_ -= bytes;
  return out;
}

void TimerWheel::grow() {
  if (capacity_ >= kMaxNodes) throw std::length_error("TimerWheel: more than 2^31 timers");
  void* p = carve(sizeof(Node) * kChunkNodes);
  std::memset(p, 0, sizeof(Node) * kChunkNodes);  // generation 0 (even = free)
  chunks_.push_back(static_cast<Node*>(p));
  capacity_ += kChunkNodes;
}

std::uint32_t TimerWheel::new_block() {
  const auto b = static_cast<std::uint32_t>(blocks_.size());
  blocks_.push_back(::new (carve(sizeof(Block))) Block{});
  below_.push_back(kNil);
  fill_.push_back(0);
  return b;
}

std::size_t TimerWheel::memory_bytes() const {
  return sizeof(*this) + arena_total_ + arenas_.capacity() * sizeof(arenas_[0]) +
         chunks_.capacity() * sizeof(chunks_[0]) + blocks_.capacity() * sizeof(blocks_[0]) +
         below_.capacity() * sizeof(below_[0]) + fill_.capacity() * sizeof(fill_[0]) +
         free_.capacity() * sizeof(free_[0]);
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

void TimerWheel::sort_batch(bool by_tick) {
  if (by_tick) {
    auto less = [this](std::uint32_t a, std::uint32_t b) {
      const Node& x = node(a);
      const Node& y = node(b);
      return x.tick != y.tick ? x.tick < y.tick : x.seq < y.seq;
    };
    if (!std::is_sorted(batch_.begin(), batch_.end(), less)) {
      std::sort(batch_.begin(), batch_.end(), less);
    }
  } else {
    // One deadline: order by sequence only. Usually tiny.
    auto less = [this](std::uint32_t a, std::uint32_t b) { return node(a).seq < node(b).seq; };
    if (!std::is_sorted(batch_.begin(), batch_.end(), less)) {
      std::sort(batch_.begin(), batch_.end(), less);
    }
  }
}

// Empties `bucket`: nodes with tick <= `due_limit` go to the batch, the rest
// are placed again relative to elapsed_ (a cascade to finer levels, or the
// overflow being redistributed). The index array is scanned with the nodes
// prefetched a few entries ahead, so the walk is bandwidth- not
// latency-bound.
void TimerWheel::take_bucket(std::uint32_t bucket, std::uint64_t due_limit) {
  scratch_.clear();
  for (std::uint32_t b = tail_[bucket]; b != kNil; b = below_[b]) scratch_.push_back(b);
  tail_[bucket] = kNil;
  unmark(bucket);
  constexpr std::uint32_t kAhead = 16;
  for (const std::uint32_t b : scratch_) {
    const std::uint32_t* entries = block(b);
    const std::uint32_t count = fill_[b];
    for (std::uint32_t o = 0; o < count; ++o) {
      if (o + kAhead < count) __builtin_prefetch(&node(entries[o + kAhead]), 1);
      const std::uint32_t idx = entries[o];
      Node& n = node(idx);
      if (n.tick <= due_limit) {
        n.pos = kInBatch;
        batch_.push_back(idx);
      } else {
        push(idx, bucket_for(n.tick));
      }
    }
    free_block(b);
  }
}

void TimerWheel::requeue_batch(std::size_t from) {
  for (std::size_t j = from; j < batch_.size(); ++j) {
    const std::uint32_t idx = batch_[j];
    const Node& n = node(idx);
    if (n.pos != kInBatch) continue;  // rescheduled by a callback
    if ((n.gen & 1U) == 0) {
      free_node(idx);  // cancelled by a callback
    } else {
      push(idx, bucket_for(n.tick));
    }
  }
  batch_.clear();
}

void TimerWheel::redistribute_overflow() { take_bucket(kBucketOverflow, 0); }

bool TimerWheel::collect_next(std::uint64_t target) {
  batch_.clear();
  for (;;) {
    // 1. Timers already due when they were armed (deadline <= elapsed).
    if (tail_[kBucketExpired] != kNil) {
      take_bucket(kBucketExpired, std::numeric_limits<std::uint64_t>::max());
      sort_batch(true);
      batch_spans_ = false;
      return true;
    }

    // 2. The next occupied slot, if it starts by `target`.
    std::uint32_t bucket = 0;
    std::uint64_t start = 0;
    if (next_slot(bucket, start) && start <= target) {
      assert(start > elapsed_ || bucket < kSlots);
      elapsed_ = start;
      // A sparse coarse slot (common: a few timers per 256 ms or 65 s) is
      // fired straight from here, sorted, instead of being cascaded down
      // level by level; advance() stops and requeues the rest if a callback
      // arms something that could come first. Otherwise cascade: what is due
      // exactly now fires, the rest moves down relative to the new time.
      // Only when the whole slot is due: then nothing is placed again, and
      // moving elapsed_ through the slot passes no occupied slot.
      const unsigned level = bucket / kSlots;
      const std::uint64_t last = start + ((std::uint64_t{1} << (level * kSlotBits)) - 1);
      std::uint32_t count = 0;
      if (level > 0 && last <= target) {
        for (std::uint32_t b = tail_[bucket]; b != kNil && count <= kDirectMax; b = below_[b]) {
          count += fill_[b];
        }
      }
      batch_spans_ = level > 0 && last <= target && count <= kDirectMax;
      batch_mutations_ = mutations_;
      take_bucket(bucket, batch_spans_ ? target : start);
      if (!batch_.empty()) {
        sort_batch(batch_spans_);
        return true;
      }
      continue;
    }

    // 3. Nothing more is due in the wheel. Crossing into a later 2^42 ms
    //    block means everything in the wheel was earlier and has fired, so
    //    the wheel is empty: jump to the block of the earliest overflow timer
    //    (if it is due by `target`) and place the overflow relative to it.
    //    Jumping to that block's start, not to `target`, keeps the firing
    //    order exact. Otherwise move the wheel to `target`.
    if (target > elapsed_) {
      if ((target >> kWheelBits) != (elapsed_ >> kWheelBits) &&
          tail_[kBucketOverflow] != kNil) {
        const std::uint64_t first = min_tick_in(kBucketOverflow) >> kWheelBits;
        if (first <= (target >> kWheelBits)) {
          elapsed_ = first << kWheelBits;
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
  for (std::uint32_t b = tail_[bucket]; b != kNil; b = below_[b]) {
    const std::uint32_t* entries = block(b);
    for (std::uint32_t o = 0; o < fill_[b]; ++o) {
      const std::uint64_t tick = node(entries[o]).tick;  // by value: the field is packed
      if (tick < best) best = tick;
    }
  }
  return best;
}

bool TimerWheel::next_slot(std::uint32_t& bucket, std::uint64_t& start) const {
  for (unsigned level = 0; level < kLevels; ++level) {
    const unsigned shift = level * kSlotBits;
    // Invariant: occupied slots lie strictly after the current one.
    const auto cur = static_cast<unsigned>((elapsed_ >> shift) & (kSlots - 1));
    for (unsigned w = cur / 64; w < kWords; ++w) {
      std::uint64_t word = occupied_[level * kWords + w];
      if (w == cur / 64) word &= ~std::uint64_t{0} << (cur % 64);
      if (word == 0) continue;
      const unsigned slot = w * 64 + static_cast<unsigned>(std::countr_zero(word));
      bucket = level * kSlots + slot;
      start = (elapsed_ & ~((std::uint64_t{1} << (shift + kSlotBits)) - 1)) |
              (std::uint64_t{slot} << shift);
      return true;
    }
  }
  return false;
}

std::optional<EpochMillis> TimerWheel::next_deadline() const {
  if (tail_[kBucketExpired] != kNil) return from_tick(min_tick_in(kBucketExpired));
  std::uint32_t bucket = 0;
  std::uint64_t start = 0;
  if (next_slot(bucket, start)) {
    // The finest level holds one deadline per slot; a coarser slot is scanned.
    return from_tick(bucket < kSlots ? start : min_tick_in(bucket));
  }
  if (tail_[kBucketOverflow] != kNil) return from_tick(min_tick_in(kBucketOverflow));
  return std::nullopt;
}

std::optional<EpochMillis> TimerWheel::next_wakeup() const {
  if (tail_[kBucketExpired] != kNil) return now_;
  std::uint32_t bucket = 0;
  std::uint64_t start = 0;
  if (next_slot(bucket, start)) return from_tick(start);
  if (tail_[kBucketOverflow] != kNil) {
    return from_tick(((elapsed_ >> kWheelBits) + 1) << kWheelBits);
  }
  return std::nullopt;
}

}  // namespace sla::timerwheel
