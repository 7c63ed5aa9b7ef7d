// Internal: one ticket's state derived from its events (DerivedState), the
// state machine deriving it (TicketMachine), the retained events it is
// recomputed from (those within the lateness horizon, over a
// base snapshot of the older ones), and the bookkeeping that survives
// recomputation (emitted output ids). Not part of the public
// API; engine.cpp owns tickets. Laid out for memory (SPEC 7: <= 512 bytes per
// open ticket; docs/benchmarks.md): interned 32-bit strings, only the clocks
// a ticket has, small inline buffers, rare parts boxed in Ticket::cold.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/inlined_vector.h>
#include <absl/container/node_hash_map.h>

#include "sla/engine/engine.hpp"
#include "sla/engine/types.hpp"
#include "sla/policy/policy.hpp"
#include "sla/timerwheel/timer_wheel.hpp"

namespace sla::engine::detail {

using policy::Metric;

inline constexpr EpochMillis kNever = std::numeric_limits<EpochMillis>::max();

/// Saturating arithmetic for values that come from policy or input (a
/// `999999999999bd` target, `breach+D`, reminders, ack timeouts): past the
/// range the result is the bound (kNever for times), never a wrapped value.
[[nodiscard]] inline std::int64_t sat_add(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
  return r;
}
[[nodiscard]] inline std::int64_t sat_sub(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? std::numeric_limits<std::int64_t>::max() : std::numeric_limits<std::int64_t>::min();
  return r;
}
[[nodiscard]] inline std::int64_t sat_mul(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) {
    return (a < 0) != (b < 0) ? std::numeric_limits<std::int64_t>::min() : std::numeric_limits<std::int64_t>::max();
  }
  return r;
}

/// An SLA output's id: "<ticket>/<metric>/<cycle>/<suffix>" (SPEC 5.2).
[[nodiscard]] std::string output_id_of(std::string_view ticket, Metric m, std::uint32_t cycle, std::string_view suffix);

/// Appends the decimal digits of `v`.
void append_number(std::string& s, std::uint64_t v);

/// FNV-1a, 64 bit: deterministic across runs and machines (ids are persisted).
[[nodiscard]] std::uint64_t hash_id(std::string_view s) noexcept;

/// A fast in-memory hash for hash tables keyed by ids (never persisted): 8
/// bytes at a time, folded with 64x64->128-bit multiplies (wyhash's mix), so
/// both the low bits (absl's 7-bit tags) and the high bits are well mixed.
/// absl::Hash<std::string_view> here goes through std::hash (Debian's absl
/// has its own string_view), twice the instructions for a short id.
/// GCC's and clang's 128-bit integer, an extension (`__extension__`: no
/// -Wpedantic note for this one, deliberate use).
__extension__ typedef unsigned __int128 Uint128;

[[nodiscard, gnu::always_inline]] inline std::size_t hash_key(std::string_view s) noexcept {
  auto mix = [](std::uint64_t a, std::uint64_t b) {
    const Uint128 r = static_cast<Uint128>(a) * b;
    return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
  };
  const char* p = s.data();
  std::size_t n = s.size();
  std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = mix(h ^ w, 0xA0761D6478BD642FULL);
  }
  // The last 1-7 bytes in at most two loads (wyhash's way), not byte by byte:
  // the 8 bytes ending the id when it had a full word, else two 4-byte words
  // (overlapping) or three single bytes. The length is already in `h`.
  std::uint64_t w = 0;
  if (n > 0) {
    if (s.size() >= 8) {
      std::memcpy(&w, p + n - 8, 8);
    } else if (n >= 4) {
      std::uint32_t lo;
      std::uint32_t hi;
      std::memcpy(&lo, p, 4);
      std::memcpy(&hi, p + n - 4, 4);
      w = (std::uint64_t{hi} << 32) | lo;
    } else {
      w = (std::uint64_t{static_cast<unsigned char>(p[0])} << 16) |
          (std::uint64_t{static_cast<unsigned char>(p[n / 2])} << 8) | static_cast<unsigned char>(p[n - 1]);
    }
  }
  return mix(h ^ w ^ 0xE7037ED1A0B428DBULL, 0x8EBC6AF09C88C6E3ULL);  // std::size_t is std::uint64_t (LP64)
}

/// An interned string (plan, severity, status, tenant, event argument): a
/// 32-bit id of the engine's single copy, so 4 bytes per field, and equal
/// strings have equal ids. 0 is "". Ids never leave the process (the
/// serialised form holds the strings).
using Atom = std::uint32_t;
inline constexpr Atom kEmptyAtom = 0;

/// The engine's interned strings. An atom stays valid until sweep() drops
/// it; the engine sweeps (marking the atoms every ticket holds) whenever the
/// table has doubled, so free-form values (statuses, tenants, page ids)
/// cannot grow it for ever.
class Interner {
 public:
  Interner() : strs_{&empty_} {}
  Interner(const Interner&) = delete;
  Interner& operator=(const Interner&) = delete;

  /// The atom for `s`; "" is kEmptyAtom.
  [[nodiscard]] Atom intern(std::string_view s);
  [[nodiscard]] const std::string& str(Atom a) const { return *strs_[a]; }
  /// Atoms in use, "" included.
  [[nodiscard]] std::size_t size() const { return ids_.size() + 1; }
  /// One past the largest atom handed out (for mark bitmaps).
  [[nodiscard]] std::size_t bound() const { return strs_.size(); }
  /// Drops every atom for which `live(atom)` is false; their ids are reused.
  template <class IsLive>
  void sweep(IsLive&& live) {
    recent_ = {};
    for (auto it = ids_.begin(); it != ids_.end();) {
      auto cur = it++;
      if (live(cur->second)) continue;
      strs_[cur->second] = nullptr;
      free_.push_back(cur->second);
      ids_.erase(cur);
    }
  }

 private:
  // hash_key(): absl's string hash here is twice the instructions (see hash_key).
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return hash_key(s); }
  };
  struct Eq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
  };
  // A few recently interned strings in front of the map (direct-mapped by
  // length and three of their bytes): the engine interns the same statuses
  // and open arguments over and over. Cleared by sweep().
  struct Recent {
    const std::string* str = nullptr;
    Atom atom = kEmptyAtom;
  };
  static constexpr std::size_t kRecent = 64;
  [[nodiscard]] static std::size_t recent_slot(std::string_view s) noexcept {
    const auto byte = [&](std::size_t i) { return static_cast<std::size_t>(static_cast<unsigned char>(s[i])); };
    return (s.size() * 131 + byte(0) + byte(s.size() / 2) * 31 + byte(s.size() - 1) * 7) % kRecent;
  }
  std::array<Recent, kRecent> recent_{};
  const std::string empty_;
  absl::node_hash_map<std::string, Atom, Hash, Eq> ids_;  // node-based: keys never move
  std::vector<const std::string*> strs_;        // atom -> its key in ids_
  std::vector<Atom> free_;
};

/// A map valid for one policy (cleared when called with another), with a
/// few recently used keys in front of it (direct-mapped by the caller's
/// `slot`): the engine asks the same few questions once per event. Values
/// never move (node map), so a recent entry points at its value. Bounded:
/// past kMaxKeys it starts over.
template <class Key, class Value, std::size_t kRecent>
class PolicyMemo {
 public:
  /// The value for `key` under `p`, made by make() on a miss. The reference
  /// is valid until the next get() or clear().
  template <class Make>
  [[gnu::always_inline]] const Value& get(const policy::Policy& p, const Key& key, std::size_t slot, Make&& make) {
    // The common case inline (same policy, a recent key); the rest out of line.
    if (&p == policy_) {
      const Recent& r = recent_[slot % kRecent];
      if (r.value != nullptr && r.key == key) return *r.value;
    }
    return get_slow(p, key, slot, std::forward<Make>(make));
  }
  template <class Make>
  [[gnu::noinline]] const Value& get_slow(const policy::Policy& p, const Key& key, std::size_t slot, Make&& make) {
    if (&p != policy_) {
      clear();
      policy_ = &p;
    }
    Recent& r = recent_[slot % kRecent];
    if (r.value != nullptr && r.key == key) return *r.value;
    auto it = map_.find(key);
    if (it == map_.end()) {
      if (map_.size() >= kMaxKeys) {
        map_.clear();
        recent_ = {};
      }
      it = map_.emplace(key, make()).first;
    }
    r = Recent{key, &it->second};
    return it->second;
  }
  void clear() {
    map_.clear();
    recent_ = {};
    policy_ = nullptr;
  }

 private:
  struct Recent {
    Key key{};
    const Value* value = nullptr;
  };
  static constexpr std::size_t kMaxKeys = 4096;
  const policy::Policy* policy_ = nullptr;
  std::array<Recent, kRecent> recent_{};
  absl::node_hash_map<Key, Value> map_;
};

/// (plan, severity) atoms -> the policy's Severity, so the hot path does an
/// integer-pair lookup instead of two string-keyed map searches. Cleared
/// when the policy changes or atoms are swept (ids are reused).
class SeverityCache {
 public:
  [[nodiscard]] const policy::Severity* get(const policy::Policy& p, const Interner& atoms, Atom plan,
                                            Atom severity) {
    return memo_.get(p, std::pair(plan, severity), plan * 7U + severity,
                     [&] { return p.severity(atoms.str(plan), atoms.str(severity)); });
  }
  void clear() { memo_.clear(); }

 private:
  PolicyMemo<std::pair<Atom, Atom>, const policy::Severity*, 8> memo_;
};

/// One item of a clock cycle: a warning, the breach, an after-breach
/// reminder or an escalation step, due when the clock has counted `at` ms.
struct ClockItem {
  enum class Kind : std::uint8_t { kWarning, kBreach, kReminder, kStep };
  Kind kind;
  std::uint32_t index;  ///< warning index, reminder k (1-based), step index
  std::int64_t at;      ///< counted ms on the clock
};

/// A clock's items sorted by (at, position): depends only on the target,
/// the escalation steps ((plan, severity), metric) and the target's length,
/// so it is computed once and shared by every clock with the same ones
/// (computing it was ~40% of finding a clock's next item, once per clock
/// per event). Cleared with the policy; bounded (target lengths that depend
/// on the start, `next business day`, are many).
class ItemOrders {
 public:
  struct Entry {
    ClockItem item;
    std::uint32_t pos;  ///< the item's bit in MetricClock::fired
  };
  struct Key {
    const policy::Target* target = nullptr;
    const policy::Severity* severity = nullptr;
    std::int64_t target_ms = 0;
    Metric metric = Metric::kResponse;
    /// The ticket's ladder mask (Policy::attribute_ladders): which of the
    /// escalations testing attributes hold for it.
    std::uint64_t ladders = 0;
    friend bool operator==(const Key&, const Key&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.target, k.severity, k.target_ms, static_cast<int>(k.metric), k.ladders);
    }
  };
  /// The sorted items for `key`, built by `build(std::vector<Entry>&)` (in
  /// position order) on a miss. Valid until the next call.
  template <class Build>
  std::span<const Entry> get(const policy::Policy& p, const Key& key, Build&& build) {
    return memo_.get(p, key, reinterpret_cast<std::uintptr_t>(key.target) >> 4U, [&] {  // NOLINT
      std::vector<Entry> v;
      build(v);
      std::stable_sort(v.begin(), v.end(), [](const Entry& a, const Entry& b) { return a.item.at < b.item.at; });
      return v;
    });
  }
  void clear() { memo_.clear(); }

 private:
  PolicyMemo<Key, std::vector<Entry>, 16> memo_;
};

/// The interned last parts of SLA output ids ("met/0", "warning/75%",
/// "breached/2", "escalated/<step>"), so emitting an output neither builds
/// the part nor hashes it to find its atom: keyed by where its text comes
/// from (a warning or step of the policy, by address; none for met, breach
/// and reminders) and the item's kind and index. Cleared with the policy
/// (addresses) and when atoms are swept (ids are reused).
class SuffixAtoms {
 public:
  using Key = std::pair<const void*, std::uint64_t>;
  template <class Make>
  [[nodiscard]] Atom get(const policy::Policy& p, const Key& key, Make&& make) {
    return memo_.get(p, key, static_cast<std::size_t>(key.second) ^ (reinterpret_cast<std::uintptr_t>(key.first) >> 4U),  // NOLINT
                     std::forward<Make>(make));
  }
  void clear() { memo_.clear(); }

 private:
  PolicyMemo<Key, Atom, 16> memo_;
};

/// Engine-wide tables the runners share.
struct Tables {
  Interner atoms;
  SeverityCache severities;
  ItemOrders item_orders;
  SuffixAtoms suffixes;
  /// An opened event's packed "plan\x1fseverity\x1fstatus[\x1fattributes]"
  /// atom -> its four parts (status "" read as "open", attributes packed as
  /// pack_attrs() does), so replaying an open interns nothing.
  absl::flat_hash_map<Atom, std::array<Atom, 4>> opened_parts;

  /// After atoms were swept: every cached atom may dangle.
  void atoms_swept() {
    severities.clear();
    suffixes.clear();
    opened_parts.clear();
  }
};

/// One metric's clock in the current cycle.
struct MetricClock {
  enum class Phase : std::uint8_t { kInactive, kRunning, kMet, kStopped };
  const policy::Target* target = nullptr;  ///< null while kInactive
  std::uint32_t cycle = 0;
  bool in_hours = true;                    ///< variant chosen at open
  Phase phase = Phase::kInactive;
  bool status_paused = false;
  bool breached = false;  ///< the breach of this cycle has happened
  std::int64_t target_ms = 0;  ///< counted ms; 0 and unused when open-ended
  EpochMillis cycle_start = 0;
  EpochMillis since = 0;     ///< `elapsed` is exact up to here
  std::int64_t elapsed = 0;  ///< counted ms in this cycle up to `since`
  std::uint64_t fired = 0;   ///< bit i: item i of this cycle is done (emitted or skipped)
  EpochMillis breach_at = kNever;  ///< when this cycle breached

  [[nodiscard]] bool counting() const { return phase == Phase::kRunning && !status_paused; }
  [[nodiscard]] bool live() const { return phase == Phase::kRunning; }
  /// The one clock-deadline formula (the ticket's outputs, the ticket view,
  /// the at-risk list): the breach instant once breached, `since` once the
  /// counted time covers the target, else `since` plus what remains on the
  /// calendar. Callers check first that there is a deadline at all (a
  /// target that is not open-ended; a clock that counts, or has reached it).
  [[nodiscard]] EpochMillis deadline_from_counted() const {
    if (breach_at != kNever) return breach_at;
    if (elapsed >= target_ms) return since;
    return target->calendar->add(since, target_ms - elapsed);
  }
};
static_assert(sizeof(MetricClock) == 64);

/// A paging ladder started by an escalation step with `page: true`. Part of
/// the derived state: a recomputation rebuilds the ladders from the base
/// snapshot's (Cold::base_ladders) as it rebuilds the clocks.
/// Why a paging ladder stopped (Ladder::stop_reason).
enum class LadderStop : std::uint8_t {
  kNone = 0,
  kUnknown = 1,       ///< state saved before reasons were kept
  kAcknowledged = 2,  ///< a page_acknowledged for it
  kCycleEnded = 3,    ///< its clock cycle ended: cancelled, restarted, or met under `stop_on: [met]`
  kResolved = 4,      ///< the ticket was resolved
  kTargetGone = 5,    ///< its paging target vanished with a policy reload
};
inline constexpr std::uint8_t kLadderStopMax = 5;

struct Ladder {
  std::string key;  ///< "ticket/metric/cycle/page/<step id>/<target>"; page ids append "/level/attempt"
  std::string target;
  Metric metric = Metric::kResponse;
  std::uint32_t cycle = 0;
  EpochMillis next_at = 0;      ///< due time of the next page (page number `pages_sent`)
  std::uint32_t pages_sent = 0;  ///< pages sent so far; also the index of the next one
  bool stopped = false;
  /// Why it stopped (LadderStop; kUnknown for state saved before reasons
  /// were kept). Stored in the byte that held `stopped`, so older state reads.
  std::uint8_t stop_reason = 0;
  /// The first acknowledgement of one of its pages: event time and responder.
  std::optional<EpochMillis> acked_at;
  std::string acked_by;
};

/// The last page a ladder sent, as fire_page() sent it: page k went out at
/// the due time page k+1's is counted from (next_at less k's ack timeout).
struct LastPage {
  std::uint32_t level = 0;
  std::uint32_t attempt = 0;
  const policy::PagingLevel* paging_level = nullptr;
  EpochMillis at = 0;
};
/// None before the first page or when the target is gone from the policy.
[[nodiscard]] std::optional<LastPage> last_page(const Ladder& l, const policy::Policy& policy);

/// A `page_acknowledged` event's argument, packed into one interned string
/// as "<page_id length>:<page_id><responder>" (both are free text, so no
/// separator byte is safe).
[[nodiscard]] std::string pack_ack(std::string_view page_id, std::string_view responder);
struct AckArg {
  std::string_view page_id;
  std::string_view responder;
};
/// The inverse of pack_ack(); a malformed argument is all page id.
[[nodiscard]] AckArg unpack_ack(std::string_view packed) noexcept;

/// A ticket's attributes (sorted by key, keys unique) packed into one
/// interned string: "<key length>:<key><value length>:<value>" per entry
/// (keys and values are free text, so no separator byte is safe). "" is none.
[[nodiscard]] std::string pack_attrs(std::span<const std::pair<std::string, std::string>> attrs);
using AttrView = std::vector<std::pair<std::string_view, std::string_view>>;
/// The inverse of pack_attrs(), as views into `packed` (sorted by key); a
/// malformed tail is ignored.
void unpack_attrs(std::string_view packed, AttrView& out);
/// An attributes_changed event's argument: the removed keys, then the set
/// entries: "<n removed>;" then each removed key as "<length>:<key>", then
/// the set entries as pack_attrs() writes them.
[[nodiscard]] std::string pack_attr_change(std::span<const std::string> removed,
                                           std::span<const std::pair<std::string, std::string>> set);
/// `current` (packed) after the change `change` (pack_attr_change()), packed.
[[nodiscard]] std::string apply_attr_change(std::string_view current, std::string_view change);

/// An emitted output's id in 64 bits, exactly (no hash): the metric (2
/// bits), the cycle (30 bits) and the interned rest of the id after
/// "ticket/metric/cycle/" ("met/0", "warning/75%", "page/<step>/<t>/0/1").
/// Sorted by it, a ticket's emitted ids group by metric, then cycle.
inline constexpr std::uint32_t kMaxKeyCycle = (1U << 30) - 1;
[[nodiscard]] inline std::uint64_t emitted_key(Metric m, std::uint32_t cycle, Atom suffix) noexcept {
  return (std::uint64_t{index(m)} << 62) | (std::uint64_t{std::min(cycle, kMaxKeyCycle)} << 32) | suffix;
}
[[nodiscard]] inline Metric key_metric(std::uint64_t k) noexcept { return static_cast<Metric>(k >> 62); }
[[nodiscard]] inline std::uint32_t key_cycle(std::uint64_t k) noexcept {
  return static_cast<std::uint32_t>(k >> 32) & kMaxKeyCycle;
}
[[nodiscard]] inline Atom key_suffix(std::uint64_t k) noexcept { return static_cast<Atom>(k & 0xFFFF'FFFFU); }

/// How a clock cycle ended (CycleRecord::outcome as an enum).
enum class Outcome : std::uint8_t { kMet, kBreached, kCancelled, kRestarted, kRetargeted, kStopped };
inline constexpr std::uint8_t kOutcomeCount = 6;
[[nodiscard]] std::string_view to_string(Outcome o);

/// One finished cycle (CycleRecord in 32 bytes).
struct Cycle {
  EpochMillis started_at = 0;
  EpochMillis ended_at = 0;
  std::int64_t elapsed_ms = 0;
  std::uint32_t cycle = 0;
  Metric metric = Metric::kResponse;
  Outcome outcome = Outcome::kMet;
};
static_assert(sizeof(Cycle) == 32);

/// Everything derived from the ordered events (what TicketMachine computes;
/// Ticket::derived now, Cold::base as of the oldest retained event).
struct DerivedState {
  bool opened : 1 = false;
  bool resolved : 1 = false;
  bool closed : 1 = false;
  /// An agent reply (responded, agent_updated) since the customer's last
  /// reply: the first half of an exchange.
  bool agent_replied : 1 = false;
  /// Exchanges completed (an agent reply, then a customer_replied) since the
  /// ticket opened or last reopened; saturates at policy::kMaxExchanges.
  std::uint8_t exchanges = 0;
  std::uint8_t clock_mask = 0;  ///< bit index(m): the ticket has a clock for metric m
  Atom plan = kEmptyAtom;
  Atom severity = kEmptyAtom;
  Atom status = kEmptyAtom;
  EpochMillis opened_at = 0;
  EpochMillis last_event_at = 0;
  /// Only the clocks the ticket has (most have 2 or 3 of the 4), in metric
  /// order; a clock once added stays.
  absl::InlinedVector<MetricClock, 3> clocks;
  absl::InlinedVector<Cycle, 1> history;  ///< bounded, newest last

  /// Back to the state before any event (keeps the containers' storage).
  void reset() {
    opened = resolved = closed = agent_replied = false;
    exchanges = 0;
    clock_mask = 0;
    opened_at = last_event_at = 0;
    plan = severity = status = kEmptyAtom;
    clocks.clear();
    history.clear();
  }
  [[nodiscard]] MetricClock* clock(Metric m) {
    const auto bit = bit_of(m);
    return (unsigned{clock_mask} & unsigned{bit}) == 0 ? nullptr : &clocks[rank(bit)];
  }
  [[nodiscard]] const MetricClock* clock(Metric m) const {
    const auto bit = bit_of(m);
    return (unsigned{clock_mask} & unsigned{bit}) == 0 ? nullptr : &clocks[rank(bit)];
  }
  /// The clock for `m`, added (kInactive) if the ticket has none.
  MetricClock& add_clock(Metric m) {
    const auto bit = bit_of(m);
    if ((unsigned{clock_mask} & unsigned{bit}) == 0) {
      clocks.insert(clocks.begin() + static_cast<std::ptrdiff_t>(rank(bit)), MetricClock{});
      clock_mask = static_cast<std::uint8_t>(clock_mask | bit);
    }
    return clocks[rank(bit)];
  }
  /// Calls f(metric, clock) for each clock the ticket has, in metric order.
  template <class F>
  void each_clock(F&& f) {
    std::size_t k = 0;
    for (std::size_t mi = 0; mi < kMetricCount; ++mi) {
      if (((unsigned{clock_mask} >> mi) & 1U) != 0) f(static_cast<Metric>(mi), clocks[k++]);
    }
  }
  template <class F>
  void each_clock(F&& f) const {
    std::size_t k = 0;
    for (std::size_t mi = 0; mi < kMetricCount; ++mi) {
      if (((unsigned{clock_mask} >> mi) & 1U) != 0) f(static_cast<Metric>(mi), clocks[k++]);
    }
  }

 private:
  [[nodiscard]] static std::uint8_t bit_of(Metric m) { return static_cast<std::uint8_t>(1U << index(m)); }
  [[nodiscard]] std::size_t rank(std::uint8_t bit) const {
    // popcount of a 4-bit mask from a table: without -mpopcnt std::popcount
    // is a call into libgcc, and this runs for every clock access.
    static_assert(kMetricCount <= 4);
    constexpr std::array<std::uint8_t, 16> kOnes{0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4};
    return kOnes[(unsigned{clock_mask} & (unsigned{bit} - 1U)) & 15U];
  }
};

/// A retained input event in compact form (40 bytes).
struct StoredEvent {
  EpochMillis at = 0;  ///< effective time (occurred_at clamped to receive time)
  std::uint64_t seq = 0;
  std::uint64_t id_hash = 0;
  std::uint32_t arrival = 0;
  EventKind kind = EventKind::kOpened;
  /// plan_changed: plan | severity_changed: severity | status_changed: status |
  /// page_acknowledged: pack_ack(page_id, responder) | opened: "plan\x1fseverity\x1fstatus".
  Atom arg = kEmptyAtom;

  [[nodiscard]] bool before(const StoredEvent& o) const {
    if (at != o.at) return at < o.at;
    if (seq != o.seq) return seq < o.seq;
    return arrival < o.arrival;
  }
};
static_assert(sizeof(StoredEvent) == 40);

/// The ticket's status from `at` on (a status_changed event, or the status
/// an opened event set), or (`reopen`) a reopened event that reopened it
/// (the status unchanged): a clock met or stopped before it may resume
/// there. Kept for the folded events only (Cold::base_statuses): the
/// retained events hold the newer ones.
struct StatusMark {
  EpochMillis at = 0;
  Atom status = kEmptyAtom;
  bool reopen = false;  ///< in what was padding: still 16 bytes
};
static_assert(sizeof(StatusMark) == 16);
/// Status marks kept for the folded events: the newest ones; older ones are
/// summarised by Cold::statuses_from (the ticket page's stretches of a clock
/// start no earlier than that).
inline constexpr std::size_t kMaxBaseStatuses = 32;

/// Calls f(at, status, false) for each of `events` that sets the ticket's
/// status, as TicketMachine::apply() does: every status_changed, and the
/// first opened (its third part, "open" when empty); and f(at, "", true) for
/// each reopened that reopens it (resolved, not closed). `before` is the
/// state before them (the base snapshot's, or an empty one). Statuses are
/// views of `atoms`' strings.
void each_status_change(std::span<const StoredEvent> events, const DerivedState& before, const Interner& atoms,
                        const std::function<void(EpochMillis, std::string_view, bool)>& f);

/// The escalation request of the ticket's current cycle (since open or the
/// last reopen): the first `escalation_requested` event, which starts the
/// `trigger: requested` escalations; later ones until a reopen start nothing.
struct EscalationRequest {
  EpochMillis at = 0;
  Atom arg = kEmptyAtom;  ///< pack_ack(by, reason), the event's argument
  friend bool operator==(const EscalationRequest&, const EscalationRequest&) = default;
};

/// The rarely used parts of a ticket, boxed: most tickets never fold and
/// never page.
struct Cold {
  /// The current cycle's escalation request, as of the ticket's state and
  /// as of the base snapshot (derived state, like the ladders).
  std::optional<EscalationRequest> request;
  std::optional<EscalationRequest> base_request;
  /// State after the folded events: those older than the lateness horizon
  /// (EngineOptions::max_lateness_ms), which no accepted event can sort
  /// before any more.
  std::optional<DerivedState> base;
  EpochMillis base_at = std::numeric_limits<EpochMillis>::min();  ///< the newest folded event's time
  std::vector<Ladder> base_ladders;  ///< the ladders as of `base`
  std::vector<Ladder> ladders;       ///< the ladders as of the ticket's state
  /// The status changes among the folded events, oldest first (at most
  /// kMaxBaseStatuses); with the retained events they give the ticket's
  /// status at any instant from `statuses_from` on.
  std::vector<StatusMark> base_statuses;
  /// Statuses are known from here on: min() when no change was ever dropped;
  /// the oldest kept mark's time once older ones were; base_at for state
  /// saved before format version 4 kept them.
  EpochMillis statuses_from = std::numeric_limits<EpochMillis>::min();
  /// From states saved by format versions 1 and 2 only (never grown): id
  /// hashes of events those engines had folded, and FNV-1a hashes of the
  /// output ids they had emitted.
  std::vector<std::uint64_t> compacted_ids;
  std::vector<std::uint64_t> legacy_emitted;
  /// The ticket's attributes (pack_attrs()), part of the derived state: kept
  /// here, boxed, because a ticket without attributes must not pay for them
  /// (Ticket stays 448 bytes). `base_attrs`: as of the base snapshot.
  Atom attrs = kEmptyAtom;
  Atom base_attrs = kEmptyAtom;
};

// Cache-line aligned (448 bytes = 7 lines, no padding added): a ticket in
// the pool spans 7 lines, not 8, which is what a cold event or timer fetches.
struct alignas(64) Ticket {
  std::string id;
  Atom tenant = kEmptyAtom;
  std::uint32_t arrivals = 0;
  DerivedState derived;
  absl::InlinedVector<StoredEvent, 2> events;  ///< sorted by before()
  /// emitted_key()s of the outputs emitted, sorted; those no recomputation
  /// can produce again (cycles before the base snapshot's) are pruned.
  absl::InlinedVector<std::uint64_t, 2> emitted;
  std::unique_ptr<Cold> cold;
  timerwheel::TimerHandle timer;
  EpochMillis timer_at = kNever;

  [[nodiscard]] EpochMillis base_at() const {
    return cold ? cold->base_at : std::numeric_limits<EpochMillis>::min();
  }
  [[nodiscard]] const DerivedState* base() const { return cold && cold->base ? &*cold->base : nullptr; }
  /// The ticket's attributes (pack_attrs()); kEmptyAtom when it has none.
  [[nodiscard]] Atom attrs() const { return cold ? cold->attrs : kEmptyAtom; }
  [[nodiscard]] Atom base_attrs() const { return cold ? cold->base_attrs : kEmptyAtom; }
  /// Sets the attributes (allocating the cold part only for a non-empty set).
  void set_attrs(Atom a) {
    if (a != kEmptyAtom || cold) cold_part().attrs = a;
  }
  [[nodiscard]] std::span<Ladder> ladders() { return cold ? std::span<Ladder>(cold->ladders) : std::span<Ladder>(); }
  [[nodiscard]] std::span<const Ladder> ladders() const {
    return cold ? std::span<const Ladder>(cold->ladders) : std::span<const Ladder>();
  }
  Cold& cold_part() {
    if (!cold) cold = std::make_unique<Cold>();
    return *cold;
  }
  /// Calls f(atom) for every atom the ticket holds (Interner::sweep roots).
  template <class F>
  void each_atom(F&& f) const {
    f(tenant);
    auto derived_atoms = [&](const DerivedState& s) {
      f(s.plan);
      f(s.severity);
      f(s.status);
    };
    derived_atoms(derived);
    if (const DerivedState* b = base()) derived_atoms(*b);
    for (const auto& e : events) f(e.arg);
    for (const auto k : emitted) f(key_suffix(k));
    if (cold) {
      for (const auto& m : cold->base_statuses) f(m.status);
      if (cold->request) f(cold->request->arg);
      if (cold->base_request) f(cold->base_request->arg);
      f(cold->attrs);
      f(cold->base_attrs);
    }
  }
};
static_assert(sizeof(Ticket) == 448, "SPEC 7 memory budget: see docs/benchmarks.md");

/// Runs the state machine of one ticket. Outputs go to `out` (none during a
/// silent replay, which still derives the whole state); Ticket::emitted
/// decides whether an output was already produced.
class TicketMachine {
 public:
  TicketMachine(const policy::Policy& policy, Tables& tables, Ticket& ticket, std::vector<Output>* out, EpochMillis now)
      : policy_(policy), tables_(tables), t_(ticket), out_(out), now_(now) {}

  /// Fires every item due at or before `until` (and never after now).
  void fire_due(EpochMillis until);
  /// Applies one event at its effective time (after fire_due(at)).
  void apply(const StoredEvent& e);
  /// Re-resolves every clock's target against the (new) policy; a running
  /// clock whose target changed is rebased (rebase()) on what it counted by `t`.
  void rebind(EpochMillis t);
  /// The earliest due instant of anything pending (items, pages), or kNever.
  [[nodiscard]] EpochMillis next_due() const;
  /// What the last fire_due() found due next (kNever if nothing): equal to
  /// next_due() until the state changes again, without recomputing it.
  [[nodiscard]] EpochMillis due_after_fire() const { return due_after_fire_; }

  std::uint64_t outputs = 0;

 private:
  using Item = ClockItem;

  [[nodiscard]] std::size_t item_count(const MetricClock& c, Metric m) const;
  [[nodiscard]] std::optional<Item> item(const MetricClock& c, Metric m, std::size_t i) const;

  /// A clock's next item and its due instant, remembered for as long as the
  /// inputs it was computed from are unchanged. Syncing a clock (moving
  /// `since`, adding the counted time to `elapsed`) keeps the answer exact:
  /// Calendar::add(s0, d) == add(s1, d - elapsed(s0, s1)) for s1 before the
  /// answer, so only a due instant already reached is recomputed.
  // No initialisers: a TicketMachine is built once or twice per event, and
  // an entry is read only once its bit in next_valid_ is set.
  struct NextItem {
    const policy::Target* target;
    std::int64_t target_ms;
    std::uint64_t fired;
    std::uint32_t cycle;
    MetricClock::Phase phase;
    bool status_paused;
    bool found;
    std::size_t index;
    Item item;
    EpochMillis due;
  };
  [[nodiscard]] const NextItem& next_item(const MetricClock& c, Metric m) const;
  [[nodiscard]] EpochMillis due_of(const MetricClock& c, std::int64_t at) const;
  [[nodiscard]] std::int64_t elapsed_at(const MetricClock& c, EpochMillis t) const;
  [[nodiscard]] std::optional<EpochMillis> deadline(const MetricClock& c) const;
  /// Appends an output id's last part: "met/0", "warning/75%", "breached/2", "escalated/<step>".
  void append_suffix(std::string& id, const MetricClock& c, Metric m, const Item* it) const;
  /// That last part interned (cached: see SuffixAtoms).
  [[nodiscard]] Atom suffix_atom(const MetricClock& c, Metric m, const Item* it) const;
  [[nodiscard]] std::span<const policy::EscalationStep* const> steps(Metric m) const;
  [[nodiscard]] const std::string& str(Atom a) const { return tables_.atoms.str(a); }
  /// The ticket's (plan, severity) in the policy, or nullptr; cached per runner.
  [[nodiscard]] const policy::Severity* severity() const;
  /// Which escalations testing attributes hold for the ticket's attributes
  /// (bit EscalationLadder::attribute_bit); cached per runner.
  [[nodiscard]] std::uint64_t ladder_mask() const { return ladder_mask_valid_ ? ladder_mask_ : compute_ladder_mask(); }
  [[nodiscard]] std::uint64_t compute_ladder_mask() const;
  /// Whether `step`'s escalation holds for the ticket (its attribute test).
  [[nodiscard]] bool step_holds(const policy::EscalationStep& step) const;
  /// The ticket's attributes, unpacked (views of the interned string).
  [[nodiscard]] AttrView attributes() const;
  /// Sets the ticket's attributes; false if they did not change.
  bool set_attributes(Atom a);
  /// The target the ticket has for `m` when opened at `opened_at` (the
  /// in/after-hours variant decided then; `in_hours` receives it), or nullptr.
  [[nodiscard]] const policy::Target* resolve(Metric m, EpochMillis opened_at, bool* in_hours) const;

  // apply()'s steps for the event kinds that take more than a line or two.
  void on_opened(const StoredEvent& e);
  void on_agent_updated(const StoredEvent& e);
  void on_resolved(const StoredEvent& e);
  void on_reopened(const StoredEvent& e);
  void on_closed(const StoredEvent& e);
  void on_customer_replied(const StoredEvent& e);
  void on_escalation_requested(const StoredEvent& e);
  void on_attributes_changed(const StoredEvent& e);

  void sync(EpochMillis t);
  void start_cycle(MetricClock& c, Metric m, EpochMillis t, std::uint32_t cycle);
  /// Adds the ticket's clock for `m` on `target` and starts its first cycle at `t`.
  void open_clock(Metric m, const policy::Target* target, bool in_hours, EpochMillis t);
  /// `met`: the cycle ended because its clock was met (then its ladders go
  /// on paging until acknowledged, unless their escalation says
  /// `stop_on: [met]`); otherwise they stop with it.
  void end_cycle(MetricClock& c, Metric m, EpochMillis t, Outcome outcome, bool met = false);
  void meet(Metric m, EpochMillis t);
  void refresh_fired(MetricClock& c, Metric m);
  void retarget(EpochMillis t);
  /// After a retarget: the steps a met clock had reached under the new match
  /// fire at once (matches that start holding later).
  void fire_passed_steps(Metric m, const MetricClock& c, EpochMillis t);
  /// At a reopen: clocks the current targets have and the ticket lacks
  /// start; met clocks fire the steps they had reached (fire_passed_steps).
  void reopen_matches(EpochMillis t);
  /// Moves running clock `c` onto target `nt`, keeping its elapsed time:
  /// items passed by `counted` are skipped if warnings or reminders, left due
  /// (fire at once) if the breach or steps. Retarget and reload both use it.
  void rebase(MetricClock& c, Metric m, const policy::Target* nt, bool in_hours, std::int64_t counted, EpochMillis t);
  /// When clock `c` (on its current target) had counted `amount`, for an
  /// `amount` below what it counted by `t` (`counted`): its status history
  /// walked forward on its calendar. Known only back to the last event that
  /// may have changed its rules (a severity, plan or attributes change, a
  /// reopen) or folded its history; nullopt when the instant lies before that.
  [[nodiscard]] std::optional<EpochMillis> reached_at(const MetricClock& c, std::int64_t amount, std::int64_t counted,
                                                      EpochMillis t) const;
  void update_pause(EpochMillis t);
  /// Stops the running ladders: all of them (resolve, close) when `page_id`
  /// is empty, else the one `page_id` is a page of, remembering who
  /// acknowledged it and when (also on a ladder already stopped otherwise).
  void stop_ladders(std::string_view page_id, EpochMillis at, std::string_view responder = {});
  /// Whether `l` belongs to a `stop_on: [met]` escalation of the policy.
  [[nodiscard]] bool stops_on_met(const Ladder& l) const;
  /// Emits the acknowledge or resolve PageEvent of a ladder that paged
  /// (once each per ladder; nothing for a ladder that sent no page).
  void emit_page_action(const Ladder& l, PageAction action, EpochMillis at, std::string_view responder = {});
  /// A new PageOutput in the output vector with the ladder's and ticket's fields.
  PageOutput& new_page(const Ladder& l, std::string page_id);

  /// The due time of the ladder's next page, kNever if stopped or exhausted.
  [[nodiscard]] EpochMillis ladder_due(const Ladder& l) const;
  /// True (and the id is remembered) if output `id` (of metric `m`, cycle
  /// `cycle`) was not emitted before and this runner emits; false in a
  /// silent replay or for a repeat.
  bool claim(const std::string& id, Metric m, std::uint32_t cycle);
  void emit_sla(Metric m, const MetricClock& c, SlaKind kind, EpochMillis due, const Item* item);
  void fire_item(Metric m, MetricClock& c, std::size_t i, const Item& it, EpochMillis due);
  void fire_page(Ladder& l);
  /// Whether steps that events make due (exchanges, a request) fire on `c`:
  /// a running or met clock of an unresolved ticket.
  [[nodiscard]] bool takes_event_steps(const MetricClock& c) const;
  /// The position of step `i` of steps(m) in the clock's fired bits, or
  /// policy::kMaxClockItems when it has none.
  [[nodiscard]] std::size_t step_pos(const MetricClock& c, std::size_t i) const;
  /// Fires a step that an event rather than the clock's time makes due
  /// (`{exchanges: N}`, `trigger: requested`) once per clock cycle.
  void fire_event_step(Metric m, MetricClock& c, std::size_t i, EpochMillis at);
  /// The `{exchanges: N}` steps of the clocks taking them with N == the ticket's
  /// count (a customer reply completed the Nth exchange), or (`reached`) N
  /// <= it (after a retarget: matches that start holding later).
  void fire_exchange_steps(EpochMillis t, bool reached);
  /// The earliest unfired step of a `trigger: requested` escalation on a
  /// clock taking it, counted from the ticket's request; nullopt without one.
  struct RequestDue {
    EpochMillis due = kNever;
    Metric metric = Metric::kResponse;
    std::size_t step = 0;
  };
  [[nodiscard]] std::optional<RequestDue> request_due() const {
    if (!t_.cold || !t_.cold->request) return std::nullopt;  // most tickets: inline
    return requested_step_due();
  }
  [[nodiscard]] std::optional<RequestDue> requested_step_due() const;
  void start_ladders(Metric m, const MetricClock& c, const policy::EscalationStep& step, EpochMillis at);

  const policy::Policy& policy_;
  Tables& tables_;
  Ticket& t_;
  std::vector<Output>* out_;
  EpochMillis now_;
  EpochMillis due_after_fire_ = kNever;
  mutable const policy::Severity* sev_ = nullptr;
  mutable bool sev_valid_ = false;
  mutable std::uint64_t ladder_mask_ = 0;
  mutable bool ladder_mask_valid_ = false;
  mutable std::uint8_t next_valid_ = 0;  ///< bit index(m): next_[index(m)] is set
  mutable std::array<NextItem, kMetricCount> next_;  // NOLINT(cppcoreguidelines-pro-type-member-init): see NextItem
};

}  // namespace sla::engine::detail
