// TimerWheel: a hierarchical hashed timer wheel for tens of millions of
// pending millisecond deadlines, most of which are cancelled before they fire.
//
// What it is: a pure, single-threaded data structure. It reads no clock; the
// caller passes `now` to advance(). Timers fire exactly: never early, in the
// first advance() whose `now` >= their deadline, in (deadline, schedule
// order) order.
//
// What it is not: thread-safe (one owner, e.g. one engine shard), or a
// scheduler of work. It hands back payloads; the caller decides what to do.
//
// Design (see docs/benchmarks.md "Timer wheel" and README.md in this folder):
//  - 6 levels x 256 slots, tokio/Linux style: a timer sits at the level of
//    the highest bit in which its deadline differs from the wheel's elapsed
//    time, so levels cover 256 ms, 65 s, 4.7 h, 49.7 d, 35 y, 8900 y. A
//    timer cascades at most 5 times on its way down, 2-3 times for minutes
//    to a month (tokio's 64 slots: 3-5 times; an A/B of the two on the
//    shared project machine was within its noise, the wider wheel does less
//    work per timer). Farther deadlines (a different 2^48 ms block,
//    or "never" sentinels) go to an overflow list that is redistributed when
//    the wheel reaches their block.
//  - Per-level occupancy bitmaps: idle time and empty slots cost nothing (a
//    few count-trailing-zeros per level).
//  - Timers live in a slab of 20-byte nodes (position, deadline, payload)
//    addressed by 32-bit indices, allocated in fixed 2048-node chunks (no
//    realloc copies, no per-timer allocation). Their generation counters
//    are a separate dense array (4 bytes per timer, grown by moving its
//    pages, never copied): handles carry (index, generation), so a stale
//    handle is rejected, and a cancel touches only that array (4 MB at 1M
//    pending, not 20-24 MB of nodes). Free slots are a stack of indices kept
//    in pool blocks.
//  - A bucket is an array of node indices (4 bytes per timer) made of
//    256-entry blocks from a shared pool; a node records the position of its
//    one valid entry. Cancel and reschedule are lazy: cancel frees the node
//    at once and leaves its 4-byte entry behind as a tombstone (an entry is
//    valid only if its node is live and still points back at it);
//    reschedule appends a new entry. Tombstones are dropped when their
//    bucket is cascaded or fired, and a bucket is compacted in place when
//    tombstones exceed half the pending timers (so <= 2 extra bytes per
//    pending timer; the check is counted down, so a cancel only decrements
//    a budget). A node does not store its bucket: as in tokio, it is
//    recomputed from the deadline and the wheel's elapsed time. Arrays
//    instead of linked lists make a cascade a prefetched scan instead of a
//    chain of dependent cache misses (measured: ~4x faster to fire at 1M
//    pending).
//  - A wholly due coarse slot with <= 32768 entries is radix-sorted and fired directly
//    instead of being cascaded to 1-ms slots (it stops and puts the rest
//    back if a callback arms a timer that might come first).
//  - Ties: no sequence numbers. Every schedule/reschedule appends to its
//    bucket, cascades and compaction keep a bucket's entry order, and timers
//    put back after an interrupted batch go in front of what callbacks armed
//    meanwhile; so equal deadlines are in schedule order in every bucket, and
//    batches are sorted stably by deadline.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "sla/base/clock.hpp"

namespace sla::timerwheel {

/// Generation-checked handle to a pending timer: 32-bit slab index (low) and
/// 32-bit generation (high). A default-constructed handle is invalid; a
/// handle whose timer fired or was cancelled is stale and every operation on
/// it returns false. Plain value, trivially copyable.
struct TimerHandle {
  std::uint64_t raw = 0;

  /// True unless default-constructed. Says nothing about whether the timer is
  /// still pending (the wheel decides that).
  [[nodiscard]] bool valid() const { return raw != 0; }
  friend bool operator==(const TimerHandle&, const TimerHandle&) = default;
};

struct TimerWheelTestPeer;  // tests only: tombstone count and compaction floor

/// Hierarchical timer wheel. Not thread-safe. All times in milliseconds since
/// the Unix epoch (sla::EpochMillis); any int64 value is accepted.
class TimerWheel {
 public:
  /// `start_now`: the wheel's initial now(). `reserve`: timers to make room
  /// for up front (rounded up to whole chunks of 2048 timers, 48 KiB each).
  explicit TimerWheel(EpochMillis start_now, std::size_t reserve = 0);

  /// Movable, not copyable. A moved-from wheel may only be destroyed or
  /// assigned to.
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;
  TimerWheel(TimerWheel&&) noexcept = default;
  TimerWheel& operator=(TimerWheel&&) noexcept = default;
  ~TimerWheel() = default;

  /// Arms a timer. A deadline <= now() fires on the next advance(). O(1), no
  /// allocation unless the slab must grow by a chunk. Throws
  /// std::length_error beyond 2^31 - 2 pending timers.
  TimerHandle schedule(EpochMillis deadline, std::uint64_t payload);

  /// Disarms a pending timer. O(1) amortized: it touches only the timer's
  /// node (its bucket entry stays behind as a tombstone until the bucket is
  /// cascaded, fired or compacted). Returns false for a stale, unknown or
  /// default handle (already fired, already cancelled, never issued). Safe in
  /// an advance() callback, also for timers due in that same advance (they
  /// then do not fire).
  bool cancel(TimerHandle h);

  /// Moves a pending timer to `deadline`; the handle stays valid. For tie
  /// order it counts as scheduled now. Returns false for a stale handle.
  /// Safe in an advance() callback.
  bool reschedule(TimerHandle h, EpochMillis deadline);

  /// A hint, no effect on behaviour: starts loading the node of `h` into the
  /// cache, for a caller that will cancel or reschedule it shortly (a batch
  /// of events looked up ahead). Any handle is accepted.
  void prefetch(TimerHandle h) const {
    const auto idx = static_cast<std::uint32_t>(h.raw);
    if (idx >= capacity_) return;
    __builtin_prefetch(&gen(idx), 1);
    prefetch_node(idx);
  }
  /// A second hint, kept for callers: cancelling or moving a timer no longer
  /// writes anything cold besides its node (cancel leaves a tombstone,
  /// reschedule appends to a bucket's hot tail), so there is nothing to load.
  void prefetch_neighbours(TimerHandle /*h*/) const {}

  /// Fires every timer with deadline <= now in (deadline, schedule order)
  /// order, calling cb(std::uint64_t payload, EpochMillis deadline,
  /// TimerHandle h) for each; the handle is already stale when cb runs.
  /// Returns the number fired.
  ///
  /// `now` never goes back: an earlier `now` is treated as now() (so it only
  /// fires timers scheduled in the past since the last advance).
  /// Callbacks may schedule, cancel and reschedule. A timer a callback arms
  /// with a deadline <= now fires within this same advance: in exact order if
  /// its deadline is later than the one firing, otherwise right after the
  /// timers of the current deadline. Callbacks must not call advance().
  template <typename F>
  std::size_t advance(EpochMillis now, F&& cb);

  /// The exact earliest pending deadline, or nullopt when empty. Cost: a few
  /// bitmap probes when the earliest timers sit in the finest level; when
  /// they sit in a coarser level it scans that one bucket (e.g. ~250 timers
  /// per 65-s bucket, ~64 000 per 4.7-h bucket at 10M pending over 30 days);
  /// a scan of the overflow list when only overflow timers remain. Not
  /// counting timers already handed to a running advance(). See also
  /// next_wakeup().
  [[nodiscard]] std::optional<EpochMillis> next_deadline() const;

  /// A cheap lower bound for next_deadline() (O(levels), never scans): the
  /// earliest time at which advance() has work to do. Arming a system timer
  /// for it and calling advance() then is correct; the first call may only
  /// cascade, the next bound is tighter.
  [[nodiscard]] std::optional<EpochMillis> next_wakeup() const;

  /// Pending timers (scheduled, not yet fired or cancelled).
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }

  /// The latest `now` passed to advance() (or start_now).
  [[nodiscard]] EpochMillis now() const { return now_; }

  /// Bytes held by the slab and bucket tables (not the batch scratch).
  [[nodiscard]] std::size_t memory_bytes() const;

 private:
  friend struct TimerWheelTestPeer;

  static constexpr unsigned kSlotBits = 8;
  static constexpr unsigned kSlots = 1U << kSlotBits;  // 256
  static constexpr unsigned kLevels = 6;               // 6 * 8 = 48 bits
  static constexpr unsigned kWheelBits = kSlotBits * kLevels;
  static constexpr unsigned kWords = kSlots / 64;  // occupancy words per level
  static constexpr std::uint32_t kBucketExpired = kLevels * kSlots;  // deadline <= elapsed
  static constexpr std::uint32_t kBucketOverflow = kBucketExpired + 1;
  static constexpr std::uint32_t kBuckets = kBucketOverflow + 1;

  static constexpr std::uint32_t kNil = 0xFFFF'FFFFU;
  static constexpr std::uint32_t kInBatch = 0xFFFF'FFFEU;  // pos: detached, due now
  static constexpr std::uint32_t kMaxNodes = 0x8000'0000U;

  static constexpr unsigned kChunkBits = 11;  // 2048 nodes per slab chunk
  static constexpr std::uint32_t kChunkNodes = 1U << kChunkBits;
  static constexpr unsigned kBlockBits = 8;  // 256 indices (1 KiB) per bucket block
  static constexpr std::uint32_t kBlockSize = 1U << kBlockBits;

  // 20 bytes, 4-byte aligned (packed: 5 x 4 bytes). `tick` is the deadline
  // with the sign bit flipped, so unsigned order is time order for every
  // int64 and the bit tricks below hold. The node's generation is not here
  // but in one dense array of generations (gen()): a cancel reads and
  // writes only those 4 bytes, in an array of 4 bytes per timer (4 MB at
  // 1M) instead of the nodes (20 MB). A node can straddle two cache lines
  // (4 in 16 do): prefetch_node() fetches both.
  struct __attribute__((packed, aligned(4))) Node {
    // block << 8 | offset of its valid bucket entry; kInBatch: detached, due
    // now; kNil: briefly detached inside drain/requeue_batch. A free node
    // keeps its last value (its even gen says it is free).
    std::uint32_t pos;
    std::uint64_t tick;
    std::uint64_t payload;
  };
  static_assert(sizeof(Node) == 20 && alignof(Node) == 4);
  static constexpr std::uint32_t pos_of(std::uint32_t block, std::uint32_t offset) {
    return (block << kBlockBits) | offset;
  }
  // The entry at position p is valid iff its node is live and points back
  // at p; any other entry is a tombstone.
  bool listed_at(std::uint32_t idx, const Node& n, std::uint32_t p) const {
    return n.pos == p && (gen(idx) & 1U) != 0;
  }
  // Blocks numbered below this never form kNil or kInBatch as a position.
  static constexpr std::uint32_t kMaxBlocks = kInBatch >> kBlockBits;

  // A block of a bucket's index array; a bucket is a stack of blocks whose
  // top (tail_[bucket]) is the only partly filled one.
  struct Block {
    std::array<std::uint32_t, kBlockSize> idx;
  };

  static constexpr std::uint64_t to_tick(EpochMillis t) {
    return static_cast<std::uint64_t>(t) ^ (std::uint64_t{1} << 63);
  }
  static constexpr EpochMillis from_tick(std::uint64_t t) {
    return static_cast<EpochMillis>(t ^ (std::uint64_t{1} << 63));
  }

  Node& node(std::uint32_t i) { return chunks_[i >> kChunkBits][i & (kChunkNodes - 1)]; }
  const Node& node(std::uint32_t i) const {
    return chunks_[i >> kChunkBits][i & (kChunkNodes - 1)];
  }
  // Node i's generation: odd: live, even: free (or cancelled while in the
  // batch). Handles carry it. No reference to it is kept across a
  // schedule(): growing the array may move it.
  std::uint32_t& gen(std::uint32_t i) { return gens_[i]; }
  const std::uint32_t& gen(std::uint32_t i) const { return gens_[i]; }
  // Both cache lines a node may span.
  void prefetch_node(std::uint32_t i) const {
    const auto* p = reinterpret_cast<const char*>(&node(i));  // NOLINT: a cache hint
    __builtin_prefetch(p, 1);
    __builtin_prefetch(p + sizeof(Node) - 1, 1);
  }
  // What a scan of bucket entries reads per entry: the node and its gen.
  void prefetch_entry(std::uint32_t i) const {
    prefetch_node(i);
    __builtin_prefetch(&gen(i), 0);
  }
  std::uint32_t* block(std::uint32_t b) { return blocks_[b]->idx.data(); }  // NOLINT
  const std::uint32_t* block(std::uint32_t b) const { return blocks_[b]->idx.data(); }

  // Returns the node index for a live handle, or kNil.
  std::uint32_t lookup(TimerHandle h) const {
    const auto idx = static_cast<std::uint32_t>(h.raw);
    const auto gen = static_cast<std::uint32_t>(h.raw >> 32);
    if (idx >= capacity_ || (gen & 1U) == 0) return kNil;
    return this->gen(idx) == gen ? idx : kNil;
  }

  // The bucket a deadline belongs in relative to elapsed_. Stable for a
  // pending node: elapsed_ never moves past the start of an occupied slot
  // without emptying it, so this also tells where a node is.
  std::uint32_t bucket_for(std::uint64_t tick) const {
    if (tick <= elapsed_) return kBucketExpired;
    const std::uint64_t masked = (elapsed_ ^ tick) | (kSlots - 1);
    const auto level = static_cast<unsigned>(63 - std::countl_zero(masked)) / kSlotBits;
    if (level >= kLevels) return kBucketOverflow;
    return level * kSlots +
           static_cast<std::uint32_t>((tick >> (level * kSlotBits)) & (kSlots - 1));
  }

  void mark(std::uint32_t bucket) {
    if (bucket < kBucketExpired) occupied_[bucket / 64] |= std::uint64_t{1} << (bucket % 64);
  }
  void unmark(std::uint32_t bucket) {
    if (bucket < kBucketExpired) occupied_[bucket / 64] &= ~(std::uint64_t{1} << (bucket % 64));
  }
  // The next occupied slot: the first level with one decides, since a finer
  // level always expires before any slot of a coarser one. Returns its
  // bucket and start tick, or false when the wheel proper is empty.
  bool next_slot(std::uint32_t& bucket, std::uint64_t& start) const;

  void push(std::uint32_t idx, std::uint32_t bucket) {
    std::uint32_t t = tail_[bucket];
    if (t == kNil || fill_[t] == kBlockSize) {
      if (t == kNil) mark(bucket);
      const std::uint32_t nb = alloc_block();
      below_[nb] = t;
      fill_[nb] = 0;
      tail_[bucket] = t = nb;
    }
    const std::uint32_t off = fill_[t]++;
    block(t)[off] = idx;
    node(idx).pos = pos_of(t, off);
    ++entries_;
  }

  // After a cancel or reschedule made a tombstone. Tombstones are the
  // entries beyond one per pending timer (exact outside advance()). Past
  // half the pending timers (plus a floor for small wheels) each new one
  // compacts the next occupied bucket in turn, so tombstones cost ~2 bytes
  // per pending timer at most and each is paid for by ~3 entry visits,
  // wherever they are.
  //
  // The check itself is counted down: outside advance() the slack
  // (allowed - entries) only shrinks through new tombstones, by at most 2
  // each (a cancel lowers the allowance by 1-2, a reschedule adds an
  // entry), so after a check that finds slack S the next S/2 tombstones
  // need no check (stale_budget_). That keeps the cancel path to a
  // decrement. Inside advance() (firing also shrinks the slack) the budget
  // stays 0 and every tombstone is checked; decisions are exactly those of
  // checking every time.
  static constexpr std::size_t kStaleFloor = 4096;
  void note_tombstone() {
    if (stale_budget_ != 0) {
      --stale_budget_;
      return;
    }
    check_stale();
  }
  void check_stale() {
    const std::size_t allowed = size_ + (size_ >> stale_shift_) + stale_floor_;
    if (entries_ > allowed) {
      compact_next();
    } else if (!in_advance_) {
      stale_budget_ = (allowed - entries_) / 2;
    }
  }

  std::uint32_t alloc_block() {
    if (free_block_ != kNil) {
      const std::uint32_t b = free_block_;
      free_block_ = below_[b];
      return b;
    }
    return new_block();
  }
  void free_block(std::uint32_t b) {
    below_[b] = free_block_;
    free_block_ = b;
  }

  // Free nodes are a stack of indices, not a list threaded through the
  // nodes: popping never waits for a cold node to learn the next one. The
  // stack is made of bucket blocks from the shared pool (top block
  // free_top_, linked down by below_; only the top is partly filled), not
  // a std::vector: a burst of cancels neither reallocates and copies it nor
  // faults in fresh 4 KiB pages one by one (the pool carves from 2 MiB
  // regions that are already resident), and the blocks go back to the pool
  // as schedules pop it. (With a vector, 100k cancels at 1M pending took
  // ~17 instead of ~12 ns each in a fresh process, page faults mostly.)
  void free_node(std::uint32_t idx) {
    if (free_fill_ == kBlockSize) {
      const std::uint32_t nb = alloc_block();
      below_[nb] = free_top_;
      free_top_ = nb;
      free_top_data_ = block(nb);
      free_fill_ = 0;
    }
    free_top_data_[free_fill_++] = idx;
  }

  std::uint32_t alloc_node() {
    if (free_top_ != kNil) {
      const std::uint32_t idx = free_top_data_[--free_fill_];
      // The slot handed out some calls from now is cold: fetch it early.
      // 16 ahead (was 4): schedule at 10M pending 43-45 -> 29-38 ns, at 1M
      // 30-35 -> 17-24 ns (docs/benchmarks.md, 2026-12-07 evening); 32 was
      // no better.
      constexpr std::uint32_t kAhead = 16;
      std::uint32_t next = kNil;
      if (free_fill_ >= kAhead) {
        next = free_top_data_[free_fill_ - kAhead];
      } else if (below_[free_top_] != kNil) {
        next = block(below_[free_top_])[kBlockSize - kAhead + free_fill_];
      }
      if (next != kNil) {
        prefetch_node(next);
        __builtin_prefetch(&gen(next), 1);
      }
      if (free_fill_ == 0) {  // the top block is empty: back to the pool
        const std::uint32_t b = free_top_;
        free_top_ = below_[b];
        free_block(b);
        free_fill_ = kBlockSize;  // the one below (if any) is full
        free_top_data_ = free_top_ != kNil ? block(free_top_) : nullptr;
      }
      return idx;
    }
    if (bump_ == capacity_) grow();
    return bump_++;
  }

  void grow();
  void grow_gens(std::size_t need_bytes);
  std::uint32_t new_block();
  void sort_batch(bool by_tick);
  bool collect_next(std::uint64_t target);
  void detach(std::uint32_t bucket);
  void drain(std::uint32_t bucket, std::vector<std::uint32_t>& out);
  void take_bucket(std::uint32_t bucket, std::uint64_t due_limit);
  void requeue_batch(std::size_t from);
  void redistribute_overflow();
  void compact_next();
  void compact(std::uint32_t bucket);
  std::optional<std::uint64_t> min_tick_in(std::uint32_t bucket, bool any) const;

  // Raw memory for slab chunks and bucket blocks, freed with the wheel:
  // exact heap pieces up to 4 MiB, then 2 MiB transparent-huge-page regions.
  struct Release {
    bool mapped = false;
    void operator()(void* p) const;
  };
  void* carve(std::size_t bytes);
  std::vector<std::unique_ptr<void, Release>> arenas_;
  std::byte* arena_next_ = nullptr;
  std::size_t arena_left_ = 0;
  std::size_t arena_total_ = 0;

  // The generations: one anonymous mapping, zero-filled (all free) by the
  // kernel, grown without copying (mremap moves its pages into a larger
  // mapping), 2 MiB aligned and advised as transparent huge pages once it
  // reaches 2 MiB.
  struct Unmap {
    std::size_t bytes;  // value-initialized (0) by unique_ptr
    void operator()(std::uint32_t* p) const;
  };
  std::unique_ptr<std::uint32_t[], Unmap> gens_;
  std::vector<Node*> chunks_;
  std::uint32_t capacity_ = 0;  // nodes in chunks_
  std::uint32_t bump_ = 0;      // nodes ever handed out
  // Free node indices, a stack of pool blocks (see free_node()); with no
  // block free_fill_ is kBlockSize, so the next push takes one.
  std::uint32_t free_top_ = kNil;
  std::uint32_t free_fill_ = kBlockSize;
  std::uint32_t* free_top_data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t entries_ = 0;  // bucket entries, tombstones included
  std::uint32_t compact_cursor_ = 0;  // the bucket compact_next() looks at first
  // Tombstones allowed: size >> stale_shift_ + stale_floor_. Tests set
  // 63 and 0 to compact on every tombstone.
  unsigned stale_shift_ = 1;
  std::size_t stale_floor_ = kStaleFloor;
  std::size_t stale_budget_ = 0;  // tombstones that need no check_stale()
  std::uint64_t elapsed_ = 0;  // wheel time (tick); every bucket is placed relative to it
  EpochMillis now_ = 0;
  std::array<std::uint64_t, kLevels * kWords> occupied_{};  // bit per wheel bucket
  std::array<std::uint32_t, kBuckets> tail_{};  // top block of each bucket, or kNil
  std::vector<Block*> blocks_;
  std::vector<std::uint32_t> below_;  // per block: the block under it, or the free-list link
  std::vector<std::uint32_t> fill_;   // per block: used entries
  std::uint32_t free_block_ = kNil;
  std::vector<std::uint32_t> batch_;    // due timers of one deadline being fired
  std::vector<std::uint32_t> scratch_;  // blocks of a bucket being cascaded, oldest first
  std::vector<std::uint32_t> moved_;    // valid entries of drained buckets
  std::vector<std::uint64_t> batch_ticks_;  // deadlines of batch_ as collected (for sort_batch)
  std::vector<std::uint64_t> keys_;      // sort_batch scratch
  std::vector<std::uint64_t> keys_tmp_;  // sort_batch scratch
  bool in_advance_ = false;
  // The batch spans several deadlines (a sparse coarse slot fired directly).
  // It may only go on to its next deadline if no callback scheduled or
  // rescheduled anything meanwhile (mutations_ unchanged).
  // 32768 (was 1024 with std::sort): with a radix sort a 4.7-h slot at 1M
  // pending (~6 500 timers + tombstones) is cheaper fired directly than
  // cascaded into 65-s slots (fire at 1M ~32 -> ~22 ns); at 10M (~70 000)
  // cascading is as fast and keeps the working set in L2.
  static constexpr std::uint32_t kDirectMax = 32768;
  bool batch_spans_ = false;
  std::uint64_t mutations_ = 0;
  std::uint64_t batch_mutations_ = 0;
};

inline TimerHandle TimerWheel::schedule(EpochMillis deadline, std::uint64_t payload) {
  const std::uint32_t idx = alloc_node();
  Node& n = node(idx);
  const std::uint64_t tick = to_tick(deadline);
  n.tick = tick;
  n.payload = payload;
  const std::uint32_t g = gen(idx) + 1;  // even -> odd: live
  gen(idx) = g;
  push(idx, bucket_for(tick));
  ++size_;
  ++mutations_;
  return TimerHandle{(std::uint64_t{g} << 32) | idx};
}

inline bool TimerWheel::cancel(TimerHandle h) {
  const std::uint32_t idx = lookup(h);
  if (idx == kNil) return false;
  gen(idx) += 1;  // odd -> even: every handle to it is now stale
  --size_;
  // The node is free at once and its bucket entry (its node now free, or
  // later reused elsewhere) is a tombstone. The common case touches
  // nothing else cold: the budget is 0 inside advance().
  if (stale_budget_ != 0) {
    --stale_budget_;
    free_node(idx);
    return true;
  }
  // Inside advance() a due node waiting in the batch is freed by the firing
  // loop, which is still going to look at it (only then can a live node be
  // in the batch, so only then is the node read).
  if (in_advance_ && node(idx).pos == kInBatch) return true;
  free_node(idx);
  check_stale();
  return true;
}

inline bool TimerWheel::reschedule(TimerHandle h, EpochMillis deadline) {
  const std::uint32_t idx = lookup(h);
  if (idx == kNil) return false;
  Node& n = node(idx);
  const bool listed = n.pos != kInBatch;
  n.tick = to_tick(deadline);
  // A new entry at the end (it counts as scheduled now); the old one is a
  // tombstone. Leaves kInBatch: the firing loop skips it.
  push(idx, bucket_for(n.tick));
  ++mutations_;
  if (listed) note_tombstone();
  return true;
}

template <typename F>
std::size_t TimerWheel::advance(EpochMillis now, F&& cb) {
  assert(!in_advance_ && "advance() called from an advance() callback");
  if (now > now_) now_ = now;
  in_advance_ = true;
  stale_budget_ = 0;  // firing shrinks the slack: check every tombstone
  std::size_t fired = 0;
  const std::uint64_t target = to_tick(now_);
  while (collect_next(target)) {
    // batch_ is not touched by callbacks (only collect_next fills it), and
    // nodes never move (chunked slab), so indices and references stay valid.
    for (std::size_t i = 0; i < batch_.size(); ++i) {
      const std::uint32_t idx = batch_[i];
      // A sorted batch visits its nodes out of memory order.
      if (i + 8 < batch_.size()) prefetch_entry(batch_[i + 8]);
      Node& n = node(idx);
      if (n.pos != kInBatch) continue;  // rescheduled by an earlier callback
      std::uint32_t& g = gen(idx);
      if ((g & 1U) == 0) {  // cancelled by an earlier callback
        free_node(idx);
        continue;
      }
      if (batch_spans_ && n.tick != elapsed_) {
        // Next deadline of a multi-deadline batch: only if no callback armed
        // a timer that might be due first; else the rest goes back.
        if (mutations_ != batch_mutations_) {
          requeue_batch(i);
          break;
        }
        elapsed_ = n.tick;
      }
      const TimerHandle h{(std::uint64_t{g} << 32) | idx};
      const std::uint64_t payload = n.payload;
      const EpochMillis deadline = from_tick(n.tick);
      g += 1;
      free_node(idx);
      --size_;
      ++fired;
      try {
        cb(payload, deadline, h);
      } catch (...) {
        requeue_batch(i + 1);  // the rest stays pending and fires next time
        in_advance_ = false;
        throw;
      }
    }
  }
  batch_.clear();
  batch_ticks_.clear();
  in_advance_ = false;
  return fired;
}

}  // namespace sla::timerwheel
