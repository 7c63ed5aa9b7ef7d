#include "sla/views/deadline_view.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <mutex>
#include <queue>
#include <tuple>

#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>

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

using Tree = __gnu_pbds::tree<Key, __gnu_pbds::null_type, std::less<Key>, __gnu_pbds::rb_tree_tag,
                              __gnu_pbds::tree_order_statistics_node_update>;

using WideKey = std::tuple<std::string, std::string, std::uint8_t>;                 // plan, severity, metric
using NarrowKey = std::tuple<std::string, std::string, std::string, std::uint8_t>;  // + tenant first

EpochMillis saturating_add(EpochMillis a, std::int64_t b) noexcept {
  if (b > 0 && a > std::numeric_limits<EpochMillis>::max() - b) return std::numeric_limits<EpochMillis>::max();
  return a + b;
}

}  // namespace

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

struct DeadlineView::Impl {
  mutable std::shared_mutex mu;
  std::unordered_map<std::string, std::uint32_t> by_id;
  std::vector<std::shared_ptr<const ViewTicket>> slots;
  std::vector<std::uint32_t> free_slots;
  std::map<WideKey, Tree> wide;
  std::map<NarrowKey, Tree> narrow;
  std::size_t clocks = 0;

  void index(const ViewTicket& t, std::uint32_t slot, bool insert) {
    const std::uint64_t h = id_hash(t.view.ticket_id);
    for (const auto& c : t.view.clocks) {
      if (!at_risk_candidate(c)) continue;
      const auto m = static_cast<std::uint8_t>(c.metric);
      const Key k{*c.deadline, h, m, slot};
      auto& w = wide[WideKey{t.view.plan, t.view.severity, m}];
      auto& n = narrow[NarrowKey{t.view.tenant_id, t.view.plan, t.view.severity, m}];
      if (insert) {
        if (w.insert(k).second) ++clocks;
        n.insert(k);
      } else {
        if (w.erase(k)) --clocks;
        n.erase(k);
      }
    }
  }

  void apply_one(ViewUpdate& u) {
    const auto it = by_id.find(u.ticket_id);
    if (it != by_id.end()) {
      const std::uint32_t slot = it->second;
      const auto& old = slots[slot];
      if (u.ticket && u.ticket->as_of < old->as_of) return;  // an older snapshot: keep the newer
      index(*old, slot, false);
      if (!u.ticket || u.ticket->view.closed) {
        slots[slot].reset();
        free_slots.push_back(slot);
        by_id.erase(it);
        return;
      }
      slots[slot] = std::make_shared<const ViewTicket>(std::move(*u.ticket));
      index(*slots[slot], slot, true);
      return;
    }
    if (!u.ticket || u.ticket->view.closed) return;
    std::uint32_t slot = 0;
    if (!free_slots.empty()) {
      slot = free_slots.back();
      free_slots.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(slots.size());
      slots.emplace_back();
    }
    slots[slot] = std::make_shared<const ViewTicket>(std::move(*u.ticket));
    by_id.emplace(u.ticket_id, slot);
    index(*slots[slot], slot, true);
  }
};

DeadlineView::DeadlineView() : impl_(std::make_unique<Impl>()) {}
DeadlineView::~DeadlineView() = default;

void DeadlineView::apply(std::vector<ViewUpdate>& updates) {
  for (std::size_t i = 0; i < updates.size(); i += kChunk) {
    const std::size_t end = std::min(updates.size(), i + kChunk);
    std::unique_lock lock(impl_->mu);
    for (std::size_t j = i; j < end; ++j) impl_->apply_one(updates[j]);
  }
}

std::shared_ptr<const ViewTicket> DeadlineView::ticket(std::string_view id) const {
  std::shared_lock lock(impl_->mu);
  const auto it = impl_->by_id.find(std::string(id));
  if (it == impl_->by_id.end()) return nullptr;
  return impl_->slots[it->second];
}

std::size_t DeadlineView::size() const {
  std::shared_lock lock(impl_->mu);
  return impl_->by_id.size();
}

std::size_t DeadlineView::indexed_clocks() const {
  std::shared_lock lock(impl_->mu);
  return impl_->clocks;
}

AtRiskResult DeadlineView::at_risk(const AtRiskQuery& q) const {
  AtRiskResult out;
  const EpochMillis horizon = saturating_add(q.now, q.within_ms);
  const Key hi = upper(horizon);
  const Key due = upper(q.now);
  std::shared_lock lock(impl_->mu);

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
    for (auto it = impl_->narrow.lower_bound(NarrowKey{*q.tenant, {}, {}, 0});
         it != impl_->narrow.end() && std::get<0>(it->first) == *q.tenant; ++it) {
      consider(std::get<1>(it->first), std::get<2>(it->first), std::get<3>(it->first), it->second);
    }
  } else {
    for (const auto& [k, t] : impl_->wide) consider(std::get<0>(k), std::get<1>(k), std::get<2>(k), t);
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
    const auto& t = *impl_->slots[it->slot];
    out.items.push_back(AtRiskItem{t.view.ticket_id, t.view.tenant_id, t.view.plan, t.view.severity,
                                   static_cast<engine::MetricKind>(it->metric), it->deadline});
    if (++it != end) heap.emplace(it, end);
  }
  return out;
}

}  // namespace sla::views
