#include "sla/views/deadline_view.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <limits>
#include <queue>
#include <thread>
#include <tuple>

#include <absl/container/flat_hash_map.h>

#include "sla/views/rank_tree.hpp"

namespace sla::views {

namespace {

/// FNV-1a: a tie-break between equal deadlines that every instance computes
/// alike (slot numbers differ between instances).
std::uint64_t id_hash(std::string_view s) noexcept {
  std::uint64_t h = 1469598103934665603ULL;
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

struct Key {
  EpochMillis deadline = 0;
  std::uint64_t hash = 0;
  std::uint8_t metric = 0;
  std::uint32_t slot = 0;
  friend bool operator<(const Key& a, const Key& b) noexcept {
    return std::tie(a.deadline, a.hash, a.metric, a.slot) < std::tie(b.deadline, b.hash, b.metric, b.slot);
  }
};

/// The greatest key at `t`: order_of_key(upper(t)) counts deadlines <= t.
Key upper(EpochMillis t) noexcept {
  return Key{t, std::numeric_limits<std::uint64_t>::max(), std::numeric_limits<std::uint8_t>::max(),
             std::numeric_limits<std::uint32_t>::max()};
}

using Tree = RankTree<Key>;

using WideKey = std::tuple<std::string, std::string, std::uint8_t>;                 // plan, severity, metric
using NarrowKey = std::tuple<std::string, std::string, std::string, std::uint8_t>;  // + tenant first

/// A group's tree id, found without building the key's strings (most
/// lookups find it); a new group gets the next id and `added` is told its
/// key, so that the other copy adds it too, in the same order (same id).
template <class Map, class Added, class... Parts>
std::uint32_t group_id(Map& map, std::vector<std::unique_ptr<Tree>>& trees, Added&& added, const Parts&... parts) {
  auto it = map.find(std::forward_as_tuple(parts...));
  if (it == map.end()) {
    it = map.emplace(typename Map::key_type(parts...), static_cast<std::uint32_t>(trees.size())).first;
    trees.push_back(std::make_unique<Tree>());
    added(it->first);
  }
  return it->second;
}

EpochMillis saturating_add(EpochMillis a, std::int64_t b) noexcept {
  if (b > 0 && a > std::numeric_limits<EpochMillis>::max() - b) return std::numeric_limits<EpochMillis>::max();
  return a + b;
}

}  // namespace

bool unacked_page(const engine::PageLadderView& p) noexcept { return !p.stopped && p.pages_sent > 0; }

bool at_risk_candidate(const engine::ClockView& c) noexcept {
  if (!c.deadline || !c.target_ms) return false;
  switch (c.state) {
    case engine::ClockState::kRunning:
    case engine::ClockState::kBreached:
      return true;
    case engine::ClockState::kPaused:
      return c.pause_reason == engine::PauseReason::kOutsideHours ||
             c.pause_reason == engine::PauseReason::kHoliday;
    case engine::ClockState::kMet:
    case engine::ClockState::kCancelled:
      return false;
  }
  return false;
}

/// One tree operation, recorded while the writer changes one copy and
/// replayed on the other: the replay does no lookup, hashing or comparison
/// of snapshots, only the trees' own work.
struct TreeOp {
  static constexpr std::uint32_t kUnacked = std::numeric_limits<std::uint32_t>::max();
  std::uint32_t tree = 0;  ///< group tree id, or kUnacked
  bool insert = false;
  Key key;
};

/// What one batch did to a copy, for the other copy: groups added (in the
/// order their ids were given), the slot changes, the tree operations.
struct Log {
  std::vector<TreeOp> ops;
  std::vector<WideKey> wide_added;
  std::vector<NarrowKey> narrow_added;
  std::vector<bool> added_narrow;  ///< per group added, in id order: which list it is next in
  void clear() {
    ops.clear();
    wide_added.clear();
    narrow_added.clear();
    added_narrow.clear();
  }
};

/// One copy of the index. The writer changes a copy only while no reader
/// can be reading it; readers only read.
struct Index {
  absl::flat_hash_map<std::string, std::uint32_t> by_id;
  std::vector<std::shared_ptr<const ViewTicket>> slots;
  std::vector<std::uint32_t> free_slots;
  /// Group trees by id; the maps give the ids in key order (for queries).
  std::vector<std::unique_ptr<Tree>> trees;
  std::map<WideKey, std::uint32_t, std::less<>> wide;
  std::map<NarrowKey, std::uint32_t, std::less<>> narrow;
  std::size_t clocks = 0;
  /// Tickets with an unacknowledged page, by (oldest such page, hash, slot).
  Tree unacked;
  std::size_t unacked_ladders = 0;

  void index_unacked(const ViewTicket& t, std::uint64_t h, std::uint32_t slot, bool insert, Log& log) {
    std::size_t n = 0;
    EpochMillis oldest = std::numeric_limits<EpochMillis>::max();
    for (const auto& p : t.view.pages) {
      if (!unacked_page(p)) continue;
      ++n;
      oldest = std::min(oldest, p.last_page_at.value_or(0));
    }
    if (n == 0) return;
    const Key k{oldest, h, 0, slot};
    if (insert) {
      if (unacked.insert(k)) {
        unacked_ladders += n;
        log.ops.push_back(TreeOp{TreeOp::kUnacked, true, k});
      }
    } else if (unacked.erase(k)) {
      unacked_ladders -= n;
      log.ops.push_back(TreeOp{TreeOp::kUnacked, false, k});
    }
  }

  void tree_op(std::uint32_t id, const Key& k, bool insert, Log& log) {
    Tree& t = *trees[id];
    if (insert ? t.insert(k) : t.erase(k)) log.ops.push_back(TreeOp{id, insert, k});
  }

  void index(const ViewTicket& t, std::uint32_t slot, bool insert, Log& log) {
    const std::uint64_t h = id_hash(t.view.ticket_id);
    index_unacked(t, h, slot, insert, log);
    for (const auto& c : t.view.clocks) {
      if (!at_risk_candidate(c)) continue;
      const auto m = static_cast<std::uint8_t>(c.metric);
      const Key k{*c.deadline, h, m, slot};
      const std::uint32_t w = group_id(
          wide, trees,
          [&](const WideKey& key) {
            log.wide_added.push_back(key);
            log.added_narrow.push_back(false);
          },
          t.view.plan, t.view.severity, m);
      const std::uint32_t n = group_id(
          narrow, trees,
          [&](const NarrowKey& key) {
            log.narrow_added.push_back(key);
            log.added_narrow.push_back(true);
          },
          t.view.tenant_id, t.view.plan, t.view.severity, m);
      const std::size_t before = trees[w]->size();
      tree_op(w, k, insert, log);
      tree_op(n, k, insert, log);
      clocks += trees[w]->size();
      clocks -= before;
    }
  }

  /// Replays on this copy what `log` recorded on the other one.
  void replay(const Log& log, const Index& from) {
    std::size_t w = 0;
    std::size_t n = 0;
    for (const bool is_narrow : log.added_narrow) {
      const auto id = static_cast<std::uint32_t>(trees.size());
      if (is_narrow) {
        narrow.emplace(log.narrow_added[n++], id);
      } else {
        wide.emplace(log.wide_added[w++], id);
      }
      trees.push_back(std::make_unique<Tree>());
    }
    for (const auto& op : log.ops) {
      Tree& t = op.tree == TreeOp::kUnacked ? unacked : *trees[op.tree];
      if (op.insert) {
        t.insert(op.key);
      } else {
        t.erase(op.key);
      }
    }
    clocks = from.clocks;
    unacked_ladders = from.unacked_ladders;
  }

  /// Whether `a` and `b` (two snapshots of one ticket) put the same keys
  /// in every tree: then a replacement only swaps the slot's pointer. Most
  /// snapshots change no deadline (an agent update, a warning fired, a
  /// status that pauses nothing), and each re-index is a tree erase and
  /// insert per clock in both copies.
  [[nodiscard]] static bool same_keys(const ViewTicket& a, const ViewTicket& b) noexcept {
    if (a.view.plan != b.view.plan || a.view.severity != b.view.severity || a.view.tenant_id != b.view.tenant_id) {
      return false;
    }
    const auto unacked_key = [](const ViewTicket& t) {
      std::size_t n = 0;
      EpochMillis oldest = std::numeric_limits<EpochMillis>::max();
      for (const auto& p : t.view.pages) {
        if (!unacked_page(p)) continue;
        ++n;
        oldest = std::min(oldest, p.last_page_at.value_or(0));
      }
      return std::pair{n, oldest};
    };
    if (unacked_key(a) != unacked_key(b)) return false;
    auto i = a.view.clocks.begin();
    auto j = b.view.clocks.begin();
    for (;;) {
      while (i != a.view.clocks.end() && !at_risk_candidate(*i)) ++i;
      while (j != b.view.clocks.end() && !at_risk_candidate(*j)) ++j;
      if (i == a.view.clocks.end() || j == b.view.clocks.end()) return i == a.view.clocks.end() && j == b.view.clocks.end();
      if (i->metric != j->metric || *i->deadline != *j->deadline) return false;
      ++i;
      ++j;
    }
  }

  [[nodiscard]] const ViewTicket* find(const std::string& id) const {
    const auto it = by_id.find(id);
    return it == by_id.end() ? nullptr : slots[it->second].get();
  }

  /// Replaces (or adds) the ticket, or removes it when `t` is null, and
  /// records the tree operations in `log`. The same sequence of calls gives
  /// both copies the same slots (place() makes the same slot choices).
  void put(const std::string& id, const std::shared_ptr<const ViewTicket>& t, Log& log) {
    const auto it = by_id.find(id);
    if (it != by_id.end()) {
      const std::uint32_t slot = it->second;
      if (!t) {
        index(*slots[slot], slot, false, log);
        slots[slot].reset();
        free_slots.push_back(slot);
        by_id.erase(it);
        return;
      }
      if (same_keys(*slots[slot], *t)) {
        slots[slot] = t;
        return;
      }
      index(*slots[slot], slot, false, log);
      slots[slot] = t;
      index(*t, slot, true, log);
      return;
    }
    if (!t) return;
    const std::uint32_t slot = take_slot();
    slots[slot] = t;
    by_id.emplace(id, slot);
    index(*t, slot, true, log);
  }

  /// put()'s changes to the ids and slots alone: the other copy's trees
  /// come from replay().
  void place(const std::string& id, const std::shared_ptr<const ViewTicket>& t) {
    const auto it = by_id.find(id);
    if (it != by_id.end()) {
      const std::uint32_t slot = it->second;
      slots[slot] = t;
      if (!t) {
        free_slots.push_back(slot);
        by_id.erase(it);
      }
      return;
    }
    if (!t) return;
    const std::uint32_t slot = take_slot();
    slots[slot] = t;
    by_id.emplace(id, slot);
  }

  std::uint32_t take_slot() {
    if (!free_slots.empty()) {
      const std::uint32_t slot = free_slots.back();
      free_slots.pop_back();
      return slot;
    }
    slots.emplace_back();
    return static_cast<std::uint32_t>(slots.size() - 1);
  }
};

/// A decided change: the ticket's new snapshot, or null for a removal.
struct Change {
  std::string id;
  std::shared_ptr<const ViewTicket> ticket;
};

struct DeadlineView::Impl {
  std::array<Index, 2> copies;
  /// The copy readers enter.
  std::atomic<int> front{0};
  /// Readers inside each copy (or about to check they may enter it).
  mutable std::array<std::atomic<std::uint64_t>, 2> readers{};
  std::atomic<std::size_t> tickets{0};
  std::atomic<std::size_t> clocks{0};
  std::vector<Change> changes;  // the writer's, reused
  Log log;                      // the writer's, reused

  /// Waits (yielding) until no reader is in copy `i`. Readers never wait.
  void drain(int i) const {
    for (int spins = 0; readers[static_cast<std::size_t>(i)].load(std::memory_order_seq_cst) != 0; ++spins) {
      if (spins > 64) std::this_thread::yield();
    }
  }
};

/// A reader inside the published copy for its lifetime. A reader counts
/// itself in a copy, then checks the copy is still the published one; the
/// writer publishes, then waits for the old copy's count to reach 0 before
/// writing to it. Either the writer sees the reader's count, or the reader
/// sees the new copy (and tries again): sequentially consistent atomics.
class ReadGuard {
 public:
  explicit ReadGuard(const DeadlineView::Impl& impl) : impl_(impl) {
    for (;;) {
      const int i = impl_.front.load(std::memory_order_seq_cst);
      auto& count = impl_.readers[static_cast<std::size_t>(i)];
      count.fetch_add(1, std::memory_order_seq_cst);
      if (impl_.front.load(std::memory_order_seq_cst) == i) {
        i_ = i;
        return;
      }
      count.fetch_sub(1, std::memory_order_release);
    }
  }
  ~ReadGuard() {
    impl_.readers[static_cast<std::size_t>(i_)].fetch_sub(1, std::memory_order_release);
  }
  ReadGuard(const ReadGuard&) = delete;
  ReadGuard& operator=(const ReadGuard&) = delete;
  [[nodiscard]] const Index& index() const { return impl_.copies[static_cast<std::size_t>(i_)]; }

 private:
  const DeadlineView::Impl& impl_;
  int i_ = 0;
};

DeadlineView::DeadlineView() : impl_(std::make_unique<Impl>()) {}
DeadlineView::~DeadlineView() = default;

void DeadlineView::apply(std::vector<ViewUpdate>& updates) {
  if (updates.empty()) return;
  Impl& m = *impl_;
  const int back = 1 - m.front.load(std::memory_order_relaxed);
  Index& b = m.copies[static_cast<std::size_t>(back)];
  // Decide each update against the back copy (equal to the front one here)
  // and apply it there; nobody reads it.
  m.changes.clear();
  m.log.clear();
  for (auto& u : updates) {
    const ViewTicket* held = b.find(u.ticket_id);
    if (held != nullptr && u.ticket && u.ticket->as_of < held->as_of) continue;  // older: keep the newer
    std::shared_ptr<const ViewTicket> t;
    if (u.ticket && !u.ticket->view.closed) t = std::make_shared<const ViewTicket>(std::move(*u.ticket));
    if (held == nullptr && !t) continue;
    b.put(u.ticket_id, t, m.log);
    m.changes.push_back(Change{std::move(u.ticket_id), std::move(t)});
  }
  if (m.changes.empty()) return;
  m.tickets.store(b.by_id.size(), std::memory_order_relaxed);
  m.clocks.store(b.clocks, std::memory_order_relaxed);
  m.front.store(back, std::memory_order_seq_cst);  // publish
  const int old = 1 - back;
  m.drain(old);
  Index& o = m.copies[static_cast<std::size_t>(old)];
  for (const auto& c : m.changes) o.place(c.id, c.ticket);
  o.replay(m.log, b);
  m.changes.clear();
  m.log.clear();
}

std::shared_ptr<const ViewTicket> DeadlineView::ticket(std::string_view id) const {
  const ReadGuard g(*impl_);
  const Index& x = g.index();
  const auto it = x.by_id.find(absl::string_view(id.data(), id.size()));
  if (it == x.by_id.end()) return nullptr;
  return x.slots[it->second];
}

UnackedResult DeadlineView::unacked_pages(const UnackedQuery& q) const {
  UnackedResult out;
  const ReadGuard guard(*impl_);
  const Index& x = guard.index();
  out.total = x.unacked_ladders;
  for (auto it = x.unacked.begin(); it != x.unacked.end(); ++it) {
    const auto& t = x.slots[it->slot];
    if (q.tenant && t->view.tenant_id != *q.tenant) {
      continue;
    }
    for (std::size_t i = 0; i < t->view.pages.size(); ++i) {
      if (!unacked_page(t->view.pages[i])) continue;
      if (q.tenant) ++out.matched;
      if (out.items.size() < q.limit) out.items.push_back(UnackedItem{t, i});
    }
    if (!q.tenant && out.items.size() >= q.limit) break;
  }
  if (!q.tenant) out.matched = out.total;
  return out;
}

std::size_t DeadlineView::size() const { return impl_->tickets.load(std::memory_order_relaxed); }

std::size_t DeadlineView::indexed_clocks() const { return impl_->clocks.load(std::memory_order_relaxed); }

AtRiskResult DeadlineView::at_risk(const AtRiskQuery& q) const {
  AtRiskResult out;
  const EpochMillis horizon = saturating_add(q.now, q.within_ms);
  const Key hi = upper(horizon);
  const Key due = upper(q.now);
  const ReadGuard guard(*impl_);
  const Index& x = guard.index();

  std::vector<const Tree*> trees;
  auto consider = [&](const std::string& plan, const std::string& severity, std::uint8_t metric, const Tree& t) {
    if (q.plan && *q.plan != plan) return;
    if (q.severity && *q.severity != severity) return;
    if (q.metric && static_cast<std::uint8_t>(*q.metric) != metric) return;
    const std::size_t n = t.order_of_key(hi);
    if (n == 0) return;
    const std::size_t late = t.order_of_key(due);
    auto& c = out.by_plan_severity[{plan, severity}];
    c.at_risk += n;
    c.overdue += late;
    out.total += n;
    out.overdue += late;
    trees.push_back(&t);
  };
  if (q.tenant) {
    // The tenant's groups only: a tenant with few tickets costs little.
    for (auto it = x.narrow.lower_bound(NarrowKey{*q.tenant, {}, {}, 0});
         it != x.narrow.end() && std::get<0>(it->first) == *q.tenant; ++it) {
      consider(std::get<1>(it->first), std::get<2>(it->first), std::get<3>(it->first), *x.trees[it->second]);
    }
  } else {
    for (const auto& [k, id] : x.wide) consider(std::get<0>(k), std::get<1>(k), std::get<2>(k), *x.trees[id]);
  }

  // k-way merge of the chosen trees, soonest first.
  using Cursor = std::pair<Tree::const_iterator, Tree::const_iterator>;
  auto later = [](const Cursor& a, const Cursor& b) { return *b.first < *a.first; };
  std::priority_queue<Cursor, std::vector<Cursor>, decltype(later)> heap(later);
  for (const Tree* t : trees) heap.emplace(t->begin(), t->end());
  out.items.reserve(std::min(q.limit, out.total));
  while (!heap.empty() && out.items.size() < q.limit) {
    auto [it, end] = heap.top();
    heap.pop();
    if (hi < *it) continue;
    const auto& t = *x.slots[it->slot];
    out.items.push_back(AtRiskItem{t.view.ticket_id, t.view.tenant_id, t.view.plan, t.view.severity,
                                   static_cast<engine::MetricKind>(it->metric), it->deadline});
    if (++it != end) heap.emplace(it, end);
  }
  return out;
}

}  // namespace sla::views
