// TimerWheel: the cold and bulk paths (construction, slab growth, collecting
// due buckets, cascading, overflow, tombstone compaction). The per-timer hot
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
// `bytes` (a multiple of kHuge) is mapped 2 MiB aligned.
void* map_huge(std::size_t bytes = kHuge) {
  void* raw = ::mmap(nullptr, bytes + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto base = reinterpret_cast<std::uintptr_t>(raw);  // NOLINT: address arithmetic
  const std::uintptr_t aligned = (base + kHuge - 1) & ~(std::uintptr_t{kHuge} - 1);
  const std::size_t head = aligned - base;
  if (head != 0) ::munmap(raw, head);
  if (kHuge - head != 0) {
    ::munmap(reinterpret_cast<void*>(aligned + bytes), kHuge - head);  // NOLINT
  }
  void* p = reinterpret_cast<void*>(aligned);  // NOLINT
  ::madvise(p, bytes, MADV_HUGEPAGE);
  return p;
}

constexpr std::size_t kPage = 4096;
constexpr std::size_t kGensStep = std::size_t{64} << 20;  // growth beyond doubling

// Anonymous zero-filled memory: below 2 MiB plain pages, else map_huge().
void* map_region(std::size_t bytes) {
  if (bytes >= kHuge) return map_huge(bytes);
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return p;
}

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }
}  // namespace

void TimerWheel::Release::operator()(void* p) const {
  if (mapped) {
    ::munmap(p, kHuge);
  } else {
    std::free(p);  // NOLINT: pairs with aligned_alloc
  }
}

void TimerWheel::Unmap::operator()(std::uint32_t* p) const { ::munmap(p, bytes); }

// Makes the generation array at least `need_bytes` long: a new mapping
// (twice the old one, at most kGensStep more) into whose start the old
// pages are moved by mremap, no copy; the rest is fresh zero pages (free
// generations). Only pages that get touched become resident.
void TimerWheel::grow_gens(std::size_t need_bytes) {
  const std::size_t old = gens_ ? gens_.get_deleter().bytes : 0;
  std::size_t bytes = std::max(need_bytes, std::min(2 * old, old + kGensStep));
  bytes = round_up(bytes, bytes >= kHuge ? kHuge : kPage);
  auto* fresh = static_cast<std::uint32_t*>(map_region(bytes));
  if (old != 0) {
    std::uint32_t* prev = gens_.release();
    if (::mremap(prev, old, old, MREMAP_MAYMOVE | MREMAP_FIXED, fresh) == MAP_FAILED) {
      std::memcpy(fresh, prev, old);
      ::munmap(prev, old);
    }
  }
  gens_ = std::unique_ptr<std::uint32_t[], Unmap>(fresh, Unmap{bytes});
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
  const std::size_t gens_need = (std::size_t{capacity_} + kChunkNodes) * sizeof(std::uint32_t);
  if (!gens_ || gens_.get_deleter().bytes < gens_need) grow_gens(gens_need);
  void* p = carve(sizeof(Node) * kChunkNodes);
  std::memset(p, 0, sizeof(Node) * kChunkNodes);
  chunks_.push_back(static_cast<Node*>(p));
  capacity_ += kChunkNodes;
}

std::uint32_t TimerWheel::new_block() {
  if (blocks_.size() >= kMaxBlocks) throw std::length_error("TimerWheel: bucket entries exhausted");
  const auto b = static_cast<std::uint32_t>(blocks_.size());
  blocks_.push_back(::new (carve(sizeof(Block))) Block{});
  below_.push_back(kNil);
  fill_.push_back(0);
  return b;
}

std::size_t TimerWheel::memory_bytes() const {
  // Generations: the pages that can have been touched (the mapping itself
  // may reserve up to twice that in address space).
  const std::size_t gens_used = std::size_t{capacity_} * sizeof(std::uint32_t);
  const std::size_t gens_mapped = gens_ ? gens_.get_deleter().bytes : 0;
  const std::size_t gens = std::min(gens_mapped, round_up(gens_used, gens_mapped >= kHuge ? kHuge : kPage));
  return sizeof(*this) + arena_total_ + gens + arenas_.capacity() * sizeof(arenas_[0]) +
         chunks_.capacity() * sizeof(chunks_[0]) + blocks_.capacity() * sizeof(blocks_[0]) +
         below_.capacity() * sizeof(below_[0]) + fill_.capacity() * sizeof(fill_[0]);
}

void TimerWheel::sort_batch(bool by_tick) {
  // One deadline (by_tick false): the batch is already in schedule order.
  // Otherwise a stable sort by deadline: ties keep their bucket order, which
  // is schedule order. The deadlines come from batch_ticks_, gathered by
  // take_bucket() beside the batch (no second visit to the nodes). Small
  // batches by insertion beside them; larger ones as 64-bit keys (deadline
  // offset << 32 | node index) by an LSD radix sort on the offset's bytes
  // (stable; 2 passes for a 65-s slot): std::sort of the same keys was a
  // quarter of the fire phase at 1M and 10M pending, mostly mispredicted
  // comparisons.
  if (!by_tick) return;
  const std::size_t n = batch_.size();
  assert(batch_ticks_.size() == n);
  if (n <= 32) {
    std::uint64_t* ticks = batch_ticks_.data();
    for (std::size_t i = 1; i < n; ++i) {
      const std::uint32_t x = batch_[i];
      const std::uint64_t t = ticks[i];
      std::size_t j = i;
      for (; j > 0 && t < ticks[j - 1]; --j) {
        batch_[j] = batch_[j - 1];
        ticks[j] = ticks[j - 1];
      }
      batch_[j] = x;
      ticks[j] = t;
    }
    return;
  }
  keys_.resize(n);
  std::uint64_t lo = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t hi = 0;
  for (std::size_t j = 0; j < n; ++j) {
    const std::uint64_t t = batch_ticks_[j];
    keys_[j] = t;
    lo = std::min(lo, t);
    hi = std::max(hi, t);
  }
  if (hi - lo > 0xFFFF'FFFFU) {  // only batches spanning > 49 days (overflow)
    std::stable_sort(batch_.begin(), batch_.end(),
                     [this](std::uint32_t a, std::uint32_t b) { return node(a).tick < node(b).tick; });
    return;
  }
  for (std::size_t j = 0; j < n; ++j) keys_[j] = ((keys_[j] - lo) << 32) | batch_[j];
  keys_tmp_.resize(n);
  const std::uint64_t span = hi - lo;
  for (unsigned shift = 32; shift < 64 && (span >> (shift - 32)) != 0; shift += 8) {
    std::array<std::uint32_t, 256> count{};
    for (const std::uint64_t k : keys_) ++count[(k >> shift) & 0xFFU];
    if (count[(keys_[0] >> shift) & 0xFFU] == n) continue;  // one digit: nothing moves
    std::uint32_t sum = 0;
    for (std::uint32_t& c : count) {
      const std::uint32_t here = c;
      c = sum;
      sum += here;
    }
    for (const std::uint64_t k : keys_) keys_tmp_[count[(k >> shift) & 0xFFU]++] = k;
    keys_.swap(keys_tmp_);
  }
  for (std::size_t j = 0; j < n; ++j) batch_[j] = static_cast<std::uint32_t>(keys_[j]);
}

// Takes every block off `bucket` into scratch_, oldest first (entries then
// come in push order). Whoever walks scratch_ drops the tombstones, pushes
// the rest again and takes the block's entries off entries_.
void TimerWheel::detach(std::uint32_t bucket) {
  scratch_.clear();
  for (std::uint32_t b = tail_[bucket]; b != kNil; b = below_[b]) scratch_.push_back(b);
  std::reverse(scratch_.begin(), scratch_.end());
  tail_[bucket] = kNil;
  unmark(bucket);
}

// Empties `bucket` into `out` (valid entries, in order; their nodes get
// pos kNil until they are pushed again) and frees its blocks.
void TimerWheel::drain(std::uint32_t bucket, std::vector<std::uint32_t>& out) {
  detach(bucket);
  constexpr std::uint32_t kAhead = 16;
  for (const std::uint32_t b : scratch_) {
    const std::uint32_t* entries = block(b);
    const std::uint32_t count = fill_[b];
    for (std::uint32_t o = 0; o < count; ++o) {
      if (o + kAhead < count) prefetch_entry(entries[o + kAhead]);
      Node& n = node(entries[o]);
      if (!listed_at(entries[o], n, pos_of(b, o))) continue;  // a tombstone, dropped
      n.pos = kNil;
      out.push_back(entries[o]);
    }
    entries_ -= count;
    free_block(b);
  }
}

// Compacts the next occupied bucket after the cursor in place (order
// kept). Round robin: a full turn drops every tombstone there was, and it
// is only due after size/2 new ones, so each costs ~3 entry visits.
void TimerWheel::compact_next() {
  for (std::uint32_t i = 0; i < kBuckets; ++i) {
    const std::uint32_t bucket = compact_cursor_;
    compact_cursor_ = compact_cursor_ + 1 == kBuckets ? 0 : compact_cursor_ + 1;
    if (tail_[bucket] == kNil) continue;
    compact(bucket);
    return;
  }
}

// Slides the valid entries of `bucket` down over its tombstones, oldest
// block first, within its own blocks (the write position never passes the
// read position), and frees the blocks left empty at the top. No scratch
// beyond the block list.
void TimerWheel::compact(std::uint32_t bucket) {
  scratch_.clear();
  for (std::uint32_t b = tail_[bucket]; b != kNil; b = below_[b]) scratch_.push_back(b);
  std::reverse(scratch_.begin(), scratch_.end());
  constexpr std::uint32_t kAhead = 16;
  std::size_t wi = 0;     // block being written, in scratch_
  std::uint32_t wo = 0;   // next offset in it
  std::size_t read = 0;
  std::size_t kept = 0;
  for (const std::uint32_t b : scratch_) {
    const std::uint32_t* entries = block(b);
    const std::uint32_t count = fill_[b];
    read += count;
    for (std::uint32_t o = 0; o < count; ++o) {
      if (o + kAhead < count) prefetch_entry(entries[o + kAhead]);
      const std::uint32_t idx = entries[o];
      Node& n = node(idx);
      if (!listed_at(idx, n, pos_of(b, o))) continue;  // a tombstone, dropped
      const std::uint32_t wb = scratch_[wi];
      block(wb)[wo] = idx;
      n.pos = pos_of(wb, wo);
      ++kept;
      if (++wo == kBlockSize) {
        fill_[wb] = kBlockSize;
        ++wi;
        wo = 0;
      }
    }
  }
  entries_ -= read - kept;
  // Blocks scratch_[0 .. last] stay, still linked bottom-up by below_.
  const std::size_t used = wi + (wo > 0 ? 1 : 0);
  for (std::size_t j = used; j < scratch_.size(); ++j) free_block(scratch_[j]);
  if (used == 0) {
    tail_[bucket] = kNil;
    unmark(bucket);
    return;
  }
  tail_[bucket] = scratch_[used - 1];
  if (wo > 0) fill_[scratch_[used - 1]] = wo;
}

// Empties `bucket`: nodes with tick <= `due_limit` go to the batch, the rest
// are placed again relative to elapsed_ (a cascade to finer levels, or the
// overflow being redistributed). The index array is scanned with the nodes
// prefetched a few entries ahead, so the walk is bandwidth- not
// latency-bound.
void TimerWheel::take_bucket(std::uint32_t bucket, std::uint64_t due_limit) {
  detach(bucket);
  constexpr std::uint32_t kAhead = 32;  // 16 -> 32: fire at 10M ~40 -> ~38 ns (micro driver)
  for (const std::uint32_t b : scratch_) {
    const std::uint32_t* entries = block(b);
    const std::uint32_t count = fill_[b];
    for (std::uint32_t o = 0; o < count; ++o) {
      if (o + kAhead < count) prefetch_entry(entries[o + kAhead]);
      const std::uint32_t idx = entries[o];
      Node& n = node(idx);
      if (!listed_at(idx, n, pos_of(b, o))) continue;  // a tombstone: dropped here
      if (n.tick <= due_limit) {
        n.pos = kInBatch;
        batch_.push_back(idx);
        batch_ticks_.push_back(n.tick);
      } else {
        push(idx, bucket_for(n.tick));
      }
    }
    entries_ -= count;
    free_block(b);
  }
}

// Puts the unfired rest of the batch back. Whatever its target buckets hold
// now was armed by callbacks after the batch was collected (those buckets
// were empty then: finer than the slot taken, or the expired list), so it is
// later in schedule order: it is drained and pushed again behind the batch.
void TimerWheel::requeue_batch(std::size_t from) {
  moved_.clear();
  for (std::size_t j = from; j < batch_.size(); ++j) {
    const Node& n = node(batch_[j]);
    if (n.pos != kInBatch || (gen(batch_[j]) & 1U) == 0) continue;
    const std::uint32_t bucket = bucket_for(n.tick);
    if (tail_[bucket] != kNil) drain(bucket, moved_);
  }
  for (std::size_t j = from; j < batch_.size(); ++j) {
    const std::uint32_t idx = batch_[j];
    const Node& n = node(idx);
    if (n.pos != kInBatch) continue;  // rescheduled by a callback
    if ((gen(idx) & 1U) == 0) {
      free_node(idx);  // cancelled by a callback
    } else {
      push(idx, bucket_for(n.tick));
    }
  }
  for (const std::uint32_t idx : moved_) push(idx, bucket_for(node(idx).tick));
  moved_.clear();
  batch_.clear();
  batch_ticks_.clear();
}

void TimerWheel::redistribute_overflow() { take_bucket(kBucketOverflow, 0); }

bool TimerWheel::collect_next(std::uint64_t target) {
  batch_.clear();
  batch_ticks_.clear();
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
        const auto min = min_tick_in(kBucketOverflow, false);
        const std::uint64_t first = min ? *min >> kWheelBits : ~std::uint64_t{0};
        if (min && first <= (target >> kWheelBits)) {
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

// The earliest valid deadline in `bucket` (tombstones skipped), or nullopt
// if it holds none; with `any`, the first valid one found.
std::optional<std::uint64_t> TimerWheel::min_tick_in(std::uint32_t bucket, bool any) const {
  std::optional<std::uint64_t> best;
  for (std::uint32_t b = tail_[bucket]; b != kNil; b = below_[b]) {
    const std::uint32_t* entries = block(b);
    for (std::uint32_t o = 0; o < fill_[b]; ++o) {
      const Node& n = node(entries[o]);
      if (!listed_at(entries[o], n, pos_of(b, o))) continue;
      if (!best || n.tick < *best) best = n.tick;
      if (any) return best;
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
  if (tail_[kBucketExpired] != kNil) {
    if (const auto t = min_tick_in(kBucketExpired, false)) return from_tick(*t);
  }
  // Occupied slots in time order: finer levels first, then slot order within
  // a level (all lie ahead of the current slot). A slot may hold tombstones
  // only; the finest level holds one deadline per slot.
  for (unsigned level = 0; level < kLevels; ++level) {
    const auto cur = static_cast<unsigned>((elapsed_ >> (level * kSlotBits)) & (kSlots - 1));
    for (unsigned w = cur / 64; w < kWords; ++w) {
      std::uint64_t word = occupied_[level * kWords + w];
      if (w == cur / 64) word &= ~std::uint64_t{0} << (cur % 64);
      for (; word != 0; word &= word - 1) {
        const unsigned slot = w * 64 + static_cast<unsigned>(std::countr_zero(word));
        if (const auto t = min_tick_in(level * kSlots + slot, level == 0)) return from_tick(*t);
      }
    }
  }
  if (tail_[kBucketOverflow] != kNil) {
    if (const auto t = min_tick_in(kBucketOverflow, false)) return from_tick(*t);
  }
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
