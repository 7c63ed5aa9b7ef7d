#include "sla/engine/engine.hpp"

#include <algorithm>
#include <array>
#include <new>

#include <absl/container/flat_hash_set.h>
#include <absl/hash/hash.h>

#include "serialize.hpp"
#include "ticket.hpp"
#include "stretches.hpp"

namespace sla::engine {

using detail::MetricClock;
using detail::kNever;
using detail::Ladder;
using detail::LadderStop;
using detail::TicketMachine;
using detail::StoredEvent;
using detail::Ticket;

std::string_view to_string(ClockState s) {
  switch (s) {
    case ClockState::kRunning: return "running";
    case ClockState::kPaused: return "paused";
    case ClockState::kMet: return "met";
    case ClockState::kBreached: return "breached";
    case ClockState::kCancelled: return "cancelled";
  }
  return "unknown";
}

std::string_view dlq_reason(const sla::Error& error) {
  return error.reason.empty() ? std::string_view("rejected") : error.reason;
}

std::string_view to_string(StretchKind k) {
  switch (k) {
    case StretchKind::kCounted: return "counted";
    case StretchKind::kStatus: return "status";
    case StretchKind::kOutsideHours: return "outside_hours";
    case StretchKind::kHoliday: return "holiday";
    case StretchKind::kStopped: return "stopped";
  }
  return "unknown";
}

std::string_view to_string(PauseReason r) {
  switch (r) {
    case PauseReason::kNone: return "none";
    case PauseReason::kStatus: return "status";
    case PauseReason::kOutsideHours: return "outside_hours";
    case PauseReason::kHoliday: return "holiday";
  }
  return "unknown";
}

namespace {

std::string_view ladder_state(const Ladder& l, std::uint32_t pages_total) {
  if (!l.stopped) return l.pages_sent == 0 ? "pending" : l.pages_sent < pages_total ? "paging" : "exhausted";
  switch (static_cast<LadderStop>(l.stop_reason)) {
    case LadderStop::kAcknowledged: return "acknowledged";
    case LadderStop::kCycleEnded: return "cycle_ended";
    case LadderStop::kResolved: return "resolved";
    case LadderStop::kTargetGone: return "target_gone";
    case LadderStop::kNone:
    case LadderStop::kUnknown: break;
  }
  return "stopped";
}

/// A ladder as the ticket view shows it. The last page's level, responder and
/// times are derived as fire_page() computed them: page k went out at the
/// due time that page k+1's was counted from (next_at less k's ack timeout).
PageLadderView ladder_view(const Ladder& l, const policy::Policy& policy) {
  PageLadderView pv;
  pv.key = l.key;
  pv.target = l.target;
  pv.metric = l.metric;
  pv.cycle = l.cycle;
  pv.pages_sent = l.pages_sent;
  pv.stopped = l.stopped;
  const auto* pt = policy.paging_target(l.target);
  if (pt != nullptr) {
    pv.pages_total = static_cast<std::uint32_t>(pt->levels.size()) * static_cast<std::uint32_t>(pt->repeat + 1);
  }
  if (!l.stopped && l.pages_sent < pv.pages_total) pv.next_page_at = l.next_at;
  pv.state = std::string(ladder_state(l, pv.pages_total));
  if (const auto last = detail::last_page(l, policy)) {
    pv.level = last->level;
    pv.attempt = last->attempt;
    pv.rotation = last->paging_level->rotation_name;
    pv.responder = last->paging_level->responder(last->at);
    pv.last_page_at = last->at;
    pv.ack_deadline = l.next_at;
  }
  pv.acked_at = l.acked_at;
  pv.acked_by = l.acked_by;
  return pv;
}

/// The (plan, severity) pairs opened events named that the policy has: a few
/// recent ones, so admitting an open compares two short strings instead of
/// searching the policy's maps three times. Cleared with the policy.
class KnownSeverities {
 public:
  [[nodiscard]] bool has(const policy::Policy& p, std::string_view plan, std::string_view severity) {
    if (&p != policy_) {
      clear();
      policy_ = &p;
    }
    const std::size_t h = plan.size() * 31 + severity.size() * 7 + (severity.empty() ? 0U : static_cast<unsigned char>(severity.back()));
    Entry& e = recent_[h % recent_.size()];
    if (e.known && e.plan == plan && e.severity == severity) return true;
    if (!p.has_severity(plan, severity)) return false;
    e.plan.assign(plan);
    e.severity.assign(severity);
    e.known = true;
    return true;
  }
  void clear() {
    recent_ = {};
    policy_ = nullptr;
  }

 private:
  struct Entry {
    std::string plan;
    std::string severity;
    bool known = false;
  };
  const policy::Policy* policy_ = nullptr;
  std::array<Entry, 8> recent_{};
};

/// Whether the policy can run `e` (its plan and severity, or the ticket's):
/// checked before anything changes.
sla::Result<void> check_runnable(const policy::Policy& p, const detail::Interner& atoms, const TicketEvent& e,
                                 const Ticket* existing, KnownSeverities& known) {
  switch (e.kind) {
    case EventKind::kOpened:
      if (known.has(p, e.plan, e.severity)) break;
      if (!p.has_plan(e.plan)) return sla::fail(ErrorCode::kNotFound, "unknown plan '" + e.plan + "'", kReasonUnknownPlanOrSeverity);
      if (!p.has_severity(e.plan, e.severity)) {
        return sla::fail(ErrorCode::kNotFound, "unknown severity '" + e.severity + "' for plan '" + e.plan + "'",
                         kReasonUnknownPlanOrSeverity);
      }
      break;
    case EventKind::kSeverityChanged:
      if (existing != nullptr && existing->derived.opened &&
          !p.has_severity(atoms.str(existing->derived.plan), e.severity)) {
        return sla::fail(ErrorCode::kNotFound,
                         "unknown severity '" + e.severity + "' for plan '" + atoms.str(existing->derived.plan) + "'",
                         kReasonUnknownPlanOrSeverity);
      }
      break;
    case EventKind::kPlanChanged:
      if (!p.has_plan(e.plan)) return sla::fail(ErrorCode::kNotFound, "unknown plan '" + e.plan + "'", kReasonUnknownPlanOrSeverity);
      if (existing != nullptr && existing->derived.opened &&
          !p.has_severity(e.plan, atoms.str(existing->derived.severity))) {
        return sla::fail(ErrorCode::kNotFound,
                         "plan '" + e.plan + "' has no severity '" + atoms.str(existing->derived.severity) + "'",
                         kReasonUnknownPlanOrSeverity);
      }
      break;
    default: break;
  }
  return {};
}

/// Whether `t` holds an event with this id hash. Every event within the
/// horizon is retained (or its id kept when folded): duplicates are exact.
bool is_duplicate(const Ticket& t, std::uint64_t id_hash) {
  return std::any_of(t.events.begin(), t.events.end(), [&](const StoredEvent& x) { return x.id_hash == id_hash; }) ||
         (t.cold && std::find(t.cold->compacted_ids.begin(), t.cold->compacted_ids.end(), id_hash) !=
                        t.cold->compacted_ids.end());
}

/// The atoms of a few recent opened events' packed arguments (plan,
/// severity, status; no attributes), so a stream of opens neither builds nor
/// interns the same string each time. Cleared when atoms are swept.
class OpenArgs {
 public:
  template <class Make>
  [[nodiscard]] detail::Atom get(const TicketEvent& e, Make&& make) {
    const std::size_t h = e.plan.size() * 31 + e.severity.size() * 7 + e.status.size() +
                          (e.severity.empty() ? 0U : static_cast<unsigned char>(e.severity.back()));
    Entry& x = recent_[h % recent_.size()];
    if (x.atom != detail::kEmptyAtom && x.plan == e.plan && x.severity == e.severity && x.status == e.status) {
      return x.atom;
    }
    x.atom = detail::kEmptyAtom;  // invalid until filled (an exception leaves it so)
    const detail::Atom a = make();  // never kEmptyAtom: the packed argument holds separators
    x.plan = e.plan;
    x.severity = e.severity;
    x.status = e.status;
    x.atom = a;
    return a;
  }
  void clear() { recent_ = {}; }

 private:
  struct Entry {
    std::string plan;
    std::string severity;
    std::string status;
    detail::Atom atom = detail::kEmptyAtom;
  };
  std::array<Entry, 8> recent_{};
};

/// The stored event's argument: what it keeps of the input event's fields.
void set_arg(const TicketEvent& e, detail::Interner& atoms, OpenArgs& open_args, StoredEvent& se) {
  switch (e.kind) {
    case EventKind::kOpened: {
      if (e.attributes.empty()) {
        se.arg = open_args.get(e, [&] {
          std::string packed;
          packed.reserve(e.plan.size() + e.severity.size() + e.status.size() + 2);
          packed.append(e.plan).append(1, '\x1f').append(e.severity).append(1, '\x1f').append(e.status);
          return atoms.intern(packed);
        });
        break;
      }
      std::string packed;
      packed.reserve(e.plan.size() + e.severity.size() + e.status.size() + 2);
      packed.append(e.plan).append(1, '\x1f').append(e.severity).append(1, '\x1f').append(e.status);
      if (!e.attributes.empty()) packed.append(1, '\x1f').append(detail::pack_attrs(e.attributes));
      se.arg = atoms.intern(packed);
      break;
    }
    case EventKind::kAttributesChanged: se.arg = atoms.intern(detail::pack_attr_change(e.removed, e.attributes)); break;
    case EventKind::kPlanChanged: se.arg = atoms.intern(e.plan); break;
    case EventKind::kSeverityChanged: se.arg = atoms.intern(e.severity); break;
    case EventKind::kStatusChanged: se.arg = atoms.intern(e.status); break;
    case EventKind::kPageAcknowledged: se.arg = atoms.intern(detail::pack_ack(e.page_id, e.responder)); break;
    case EventKind::kEscalationRequested: se.arg = atoms.intern(detail::pack_ack(e.requested_by, e.reason)); break;
    default: break;
  }
}

/// The view's ticket-wide fields: ids, plan, status, exchanges, the
/// escalation request and the attributes.
void fill_ticket_fields(const Ticket& t, const detail::Interner& atoms, TicketView& v) {
  const auto& s = t.derived;
  v.ticket_id.assign(t.id);
  v.tenant_id.assign(atoms.str(t.tenant));
  v.plan.assign(atoms.str(s.plan));
  v.severity.assign(atoms.str(s.severity));
  v.status.assign(atoms.str(s.status));
  v.opened = s.opened;
  v.resolved = s.resolved;
  v.closed = s.closed;
  v.opened_at = s.opened_at;
  v.exchanges = s.exchanges;
  v.awaiting_customer = s.agent_replied;
  v.escalation_requested_at.reset();
  v.escalation_requested_by.clear();
  v.escalation_reason.clear();
  if (t.cold && t.cold->request) {
    const detail::AckArg a = detail::unpack_ack(atoms.str(t.cold->request->arg));
    v.escalation_requested_at = t.cold->request->at;
    v.escalation_requested_by.assign(a.page_id);
    v.escalation_reason.assign(a.responder);
  }
  v.attributes.clear();
  if (t.attrs() != detail::kEmptyAtom) {
    detail::AttrView attrs;
    detail::unpack_attrs(atoms.str(t.attrs()), attrs);
    for (const auto& [k, val] : attrs) v.attributes.emplace_back(k, val);
  }
}

/// A clock's state at `now` as the view shows it: running, paused (and why),
/// met, breached or cancelled, and the deadline of a live clock.
void fill_clock_state(const MetricClock& c, const detail::DerivedState& s, const detail::Interner& atoms,
                      EpochMillis now, bool open_ended, ClockView& cv) {
  switch (c.phase) {
    case MetricClock::Phase::kMet: cv.state = ClockState::kMet; break;
    case MetricClock::Phase::kStopped: cv.state = ClockState::kCancelled; break;
    default:
      if (c.breached) {
        cv.state = ClockState::kBreached;
      } else if (c.status_paused) {
        cv.state = ClockState::kPaused;
      } else {
        cv.state = ClockState::kRunning;
      }
      break;
  }
  if (!c.live()) return;
  if (c.status_paused) {
    cv.pause_reason = PauseReason::kStatus;
    cv.pause_status.assign(atoms.str(s.status));
  } else if (c.target != nullptr) {
    switch (c.target->calendar->closed_reason(now)) {
      case calendar::Calendar::ClosedReason::kOpen: break;
      case calendar::Calendar::ClosedReason::kHoliday: cv.pause_reason = PauseReason::kHoliday; break;
      case calendar::Calendar::ClosedReason::kOutsideHours:
      case calendar::Calendar::ClosedReason::kClosure: cv.pause_reason = PauseReason::kOutsideHours; break;
    }
    if (cv.pause_reason != PauseReason::kNone && cv.state == ClockState::kRunning) cv.state = ClockState::kPaused;
  }
  if (!open_ended && !c.status_paused) cv.deadline = c.deadline_from_counted();
}

/// Names this cycle's fired items (warnings, breach, reminders, steps), in
/// the order of the clock's `fired` bits.
void name_fired(const MetricClock& c, std::span<const policy::EscalationStep* const> steps, ClockView& cv) {
  std::size_t i = 0;
  auto add = [&](std::string name) {
    if (i < 64 && ((c.fired >> i) & 1U)) cv.fired.push_back(std::move(name));
    ++i;
  };
  if (!c.target->open_ended) {
    for (const auto& w : c.target->warnings) add("warning/" + w.text);
    add("breached/0");
    for (int k = 1; k <= c.target->after_breach.times; ++k) add("breached/" + std::to_string(k));
  }
  for (const auto* st : steps) add("escalated/" + st->id);
}

}  // namespace

struct Engine::Impl {
  explicit Impl(EngineOptions o) : options(o), wheel(0) {}

  EngineOptions options;
  detail::Tables tables;
  detail::Interner& atoms = tables.atoms;
  /// The policy's calendars' opening hours alone (ticket view stretches).
  detail::HoursOnlyCalendars hours_only;
  KnownSeverities known_severities;
  OpenArgs open_args;
  /// The status history of the ticket whose view is being filled (storage reused).
  detail::StatusTimeline statuses;
  /// Interned atoms past this trigger a sweep (collect_atoms).
  std::size_t atoms_sweep_at = 4096;

  // Tickets live in a pool of fixed-size chunks: stable addresses, no
  // allocation (and no allocator header) per ticket, 32-bit slot numbers.
  static constexpr unsigned kChunkBits = 10;
  static constexpr std::uint32_t kChunkMask = (1U << kChunkBits) - 1;
  std::vector<std::unique_ptr<Ticket[]>> chunks;
  std::uint32_t slot_end = 0;  ///< slots [0, slot_end) have been handed out
  std::vector<std::uint32_t> free_slots;

  // Per slot, kept beside the pool rather than in each ticket (a bool there
  // costs 8 bytes of padding): the slot holds a ticket / the ticket is dirty.
  std::vector<bool> live_bits;
  std::vector<bool> dirty_bits;

  [[nodiscard]] bool live(std::uint32_t slot) const { return slot < slot_end && live_bits[slot]; }
  Ticket& at(std::uint32_t slot) { return chunks[slot >> kChunkBits][slot & kChunkMask]; }
  const Ticket& at(std::uint32_t slot) const { return chunks[slot >> kChunkBits][slot & kChunkMask]; }

  // ticket id -> slot: an open-addressing set of 32-bit slots whose hash and
  // equality read the ticket's own id (no second copy of the key, ~5 bytes
  // per entry; a probe compares 7-bit hash tags before touching a ticket).
  // A lookup may carry the id's hash already computed (HashedId: a batch
  // hashes each id once, to prefetch and then to find).
  struct HashedId {
    std::string_view id;
    std::size_t hash;
  };
  // A probe that stops at the first slot whose 7-bit tag matches, without
  // reading that ticket's id (equality "holds" and records the slot): the
  // ticket a batch is about to need, right 127 times in 128, known before
  // its cache lines arrive. Only for prefetching (peek_slot); never a lookup.
  struct PeekId {
    std::size_t hash;
    std::uint32_t* slot;
  };
  struct SlotHash {
    using is_transparent = void;
    const Impl* impl = nullptr;
    std::size_t operator()(std::string_view id) const noexcept { return detail::hash_key(id); }
    std::size_t operator()(const HashedId& k) const noexcept { return k.hash; }
    std::size_t operator()(const PeekId& k) const noexcept { return k.hash; }
    std::size_t operator()(std::uint32_t slot) const noexcept { return (*this)(std::string_view(impl->at(slot).id)); }
  };
  struct SlotEq {
    using is_transparent = void;
    const Impl* impl = nullptr;
    [[nodiscard]] std::string_view id(std::uint32_t slot) const { return impl->at(slot).id; }
    bool operator()(std::uint32_t a, std::uint32_t b) const noexcept { return a == b; }
    bool operator()(std::uint32_t a, std::string_view b) const noexcept { return id(a) == b; }
    bool operator()(std::string_view a, std::uint32_t b) const noexcept { return a == id(b); }
    bool operator()(std::uint32_t a, const HashedId& b) const noexcept { return id(a) == b.id; }
    bool operator()(const HashedId& a, std::uint32_t b) const noexcept { return a.id == id(b); }
    bool operator()(std::uint32_t a, const PeekId& b) const noexcept {
      *b.slot = a;
      return true;
    }
    bool operator()(const PeekId& a, std::uint32_t b) const noexcept { return (*this)(b, a); }
  };
  absl::flat_hash_set<std::uint32_t, SlotHash, SlotEq> index{0, SlotHash{this}, SlotEq{this}};
  timerwheel::TimerWheel wheel;
  std::vector<std::uint32_t> dirty;      ///< slots of dirty tickets, marking order (may hold stale entries)
  std::vector<std::string> dirty_gone;  ///< ids of dirty tickets removed before take_dirty()
  std::vector<std::string> dropped;
  std::vector<std::uint32_t> due_scratch;

  TicketMachine runner(const policy::Policy& p, Ticket& t, std::vector<Output>* out, EpochMillis now) {
    return TicketMachine(p, tables, t, out, now);
  }

  static constexpr std::uint32_t kNoSlot = 0xFFFF'FFFFU;

  // Batch look-ahead (apply_batch): hints only, no effect on behaviour.
  /// Hashes `id` and starts fetching its index group; returns the hash.
  std::size_t prefetch_index(std::string_view id) const {
    const std::size_t h = detail::hash_key(id);
    index.prefetch(HashedId{id, h});
    return h;
  }
  /// The slot most likely to hold the id with this hash (see PeekId), or
  /// kNoSlot when none can: its index group must be in cache to be cheap.
  std::uint32_t peek_slot(std::size_t hash) const {
    std::uint32_t slot = kNoSlot;
    (void)index.find(PeekId{hash, &slot}, hash);
    return slot;
  }
  /// The slot of `id` (kNoSlot if unknown), given its hash.
  std::uint32_t find_slot(std::string_view id, std::size_t hash) const {
    auto it = index.find(HashedId{id, hash}, hash);
    return it == index.end() ? kNoSlot : *it;
  }
  /// Starts fetching every cache line of the ticket in `slot`.
  void prefetch_ticket(std::uint32_t slot) const {
    const auto* p = reinterpret_cast<const char*>(&at(slot));  // NOLINT: a cache hint
    for (std::size_t off = 0; off < sizeof(Ticket); off += 64) __builtin_prefetch(p + off, 1);
    __builtin_prefetch(p + sizeof(Ticket) - 1, 1);
  }
  /// Starts fetching what the ticket in `slot` points to: its retained
  /// events and emitted ids when they are out of line, and its timer node.
  void prefetch_parts(std::uint32_t slot) const {
    const Ticket& t = at(slot);
    auto lines = [](const void* data, std::size_t bytes) {
      const auto* p = static_cast<const char*>(data);
      for (std::size_t off = 0; off < bytes; off += 64) __builtin_prefetch(p + off, 1);
    };
    lines(t.events.data(), t.events.size() * sizeof(StoredEvent));
    lines(t.emitted.data(), t.emitted.size() * sizeof(std::uint64_t));
    lines(t.derived.history.data(), t.derived.history.size() * sizeof(detail::Cycle));
    wheel.prefetch(t.timer);
  }
  /// prefetch_parts() for a ticket whose timer is due at `now`, and when it
  /// is to be dropped, its index group too (remove() erases it).
  void prefetch_due(std::uint32_t slot, EpochMillis now) const {
    prefetch_parts(slot);
    const Ticket& t = at(slot);
    if (drop_at(t) <= now) index.prefetch(HashedId{t.id, detail::hash_key(t.id)});
  }

  std::optional<std::uint32_t> slot_of(std::string_view id) const {
    auto it = index.find(id);
    if (it == index.end()) return std::nullopt;
    return *it;
  }
  Ticket* find(std::string_view id) {
    auto it = index.find(id);
    return it == index.end() ? nullptr : &at(*it);
  }
  const Ticket* find(std::string_view id) const {
    auto it = index.find(id);
    return it == index.end() ? nullptr : &at(*it);
  }

  /// A free slot (holding an empty Ticket: remove() leaves one), not yet live.
  std::uint32_t take_slot() {
    if (!free_slots.empty()) {
      const std::uint32_t slot = free_slots.back();
      free_slots.pop_back();
      return slot;
    }
    const std::uint32_t slot = slot_end++;
    if ((slot >> kChunkBits) >= chunks.size()) chunks.push_back(std::make_unique<Ticket[]>(kChunkMask + 1));
    live_bits.push_back(false);
    dirty_bits.push_back(false);
    return slot;
  }
  /// Makes `slot` (filled) live and indexed.
  std::uint32_t publish(std::uint32_t slot) {
    live_bits[slot] = true;
    dirty_bits[slot] = false;
    index.insert(slot);
    return slot;
  }

  std::uint32_t insert(Ticket&& t) {
    const std::uint32_t slot = take_slot();
    at(slot) = std::move(t);
    return publish(slot);
  }

  /// A new ticket, built in its slot (no Ticket moved).
  std::uint32_t create(const std::string& id, std::string_view tenant) {
    const std::uint32_t slot = take_slot();
    Ticket& t = at(slot);
    t.id = id;
    t.tenant = atoms.intern(tenant);
    return publish(slot);
  }

  void mark_dirty(std::uint32_t slot) {
    if (!dirty_bits[slot]) {
      dirty_bits[slot] = true;
      dirty.push_back(slot);
    }
  }

  void remove(std::uint32_t slot, bool report) {
    Ticket& t = at(slot);
    if (t.timer.valid()) wheel.cancel(t.timer);
    if (report) dropped.push_back(t.id);
    // Still reported by take_dirty(). Its entry in `dirty` stays: take_dirty()
    // skips entries whose slot is free or holds a ticket not marked dirty.
    if (dirty_bits[slot]) dirty_gone.push_back(t.id);
    index.erase(slot);
    // Emptied in place (take_slot() hands out empty tickets).
    t.~Ticket();
    new (&t) Ticket();
    live_bits[slot] = false;
    dirty_bits[slot] = false;
    free_slots.push_back(slot);
  }

  /// When a closed (or never opened) ticket is dropped; kNever while open.
  [[nodiscard]] EpochMillis drop_at(const Ticket& t) const {
    return (t.derived.closed || !t.derived.opened)
               ? detail::sat_add(t.derived.last_event_at, std::max(options.retention_ms, options.max_lateness_ms))
               : kNever;
  }

  /// Arms the ticket's timer at min(next due, drop time). `known_due` is the
  /// next due instant when the caller already has it (from fire_due).
  void arm(std::uint32_t slot, const policy::Policy& p, EpochMillis now,
           std::optional<EpochMillis> known_due = std::nullopt) {
    Ticket& t = at(slot);
    EpochMillis next = kNever;
    if (known_due) {
      next = *known_due;
    } else {
      next = runner(p, t, nullptr, now).next_due();
    }
    const EpochMillis due = std::min(next, drop_at(t));
    if (due == t.timer_at && t.timer.valid()) return;
    t.timer_at = due;
    // Moving the armed timer keeps its node (same tie order as a new one).
    if (t.timer.valid() && due != kNever && wheel.reschedule(t.timer, due)) return;
    if (t.timer.valid()) wheel.cancel(t.timer);
    t.timer = {};
    if (due != kNever) t.timer = wheel.schedule(due, slot);
  }

  // Replays the retained events over the base snapshot (clocks and ladders).
  // Outputs already produced are recognised by id; only what the corrected
  // history newly calls for is emitted.
  std::uint64_t recompute(const policy::Policy& p, Ticket& t, EpochMillis now, std::vector<Output>* out) {
    if (t.cold && t.cold->base) {
      t.derived = *t.cold->base;
    } else {
      t.derived.reset();
    }
    if (t.cold) {
      t.cold->ladders = t.cold->base_ladders;
      t.cold->request = t.cold->base_request;
      t.cold->attrs = t.cold->base ? t.cold->base_attrs : detail::kEmptyAtom;
    }
    TicketMachine r = runner(p, t, out, now);
    for (const auto& e : t.events) {
      r.fire_due(e.at);
      r.apply(e);
    }
    if (!t.events.empty()) r.fire_due(t.events.back().at);
    return r.outputs;
  }

  /// Events at or after this are within the ticket's lateness horizon:
  /// max_lateness before its newest event, and never at or before an event
  /// already folded (only a budget rejection can fold up to the horizon of
  /// an event that was then not accepted; states of format versions 1 and 2
  /// may have folded within the horizon).
  [[nodiscard]] EpochMillis horizon_start(const Ticket& t) const {
    const EpochMillis h = detail::sat_sub(t.derived.last_event_at, options.max_lateness_ms);
    return t.base() != nullptr ? std::max(h, detail::sat_add(t.base_at(), 1)) : h;
  }

  // Appends the status changes among `folded` (about to join the base
  // snapshot, whose own ones are cold.base_statuses) to cold.base_statuses,
  // keeping the newest kMaxBaseStatuses: the ticket page lists a clock's
  // status pauses from them (a summary, statuses_from, stands for the rest).
  void keep_statuses(detail::Cold& cold, std::span<const StoredEvent> folded) {
    const detail::DerivedState none;
    detail::each_status_change(folded, cold.base ? *cold.base : none, atoms,
                               [&](EpochMillis at, std::string_view status, bool reopen) {
                                 cold.base_statuses.push_back(detail::StatusMark{at, atoms.intern(status), reopen});
                               });
    auto& marks = cold.base_statuses;
    if (marks.size() > detail::kMaxBaseStatuses) {
      marks.erase(marks.begin(), marks.end() - static_cast<std::ptrdiff_t>(detail::kMaxBaseStatuses));
      cold.statuses_from = marks.front().at;
    }
  }

  // Folds the retained events older than the horizon into the base snapshot
  // (a silent replay from the old base: the state it derives is the one the
  // ticket went through). No accepted event sorts before them any more, so
  // this changes no result; it bounds a long-lived ticket's memory. Then
  // forgets what no recomputation can produce again: emitted ids of cycles
  // the base snapshot has left (and no running ladder of the base holds),
  // and finished ladders of those cycles. `all`: fold even a few events.
  std::size_t fold(const policy::Policy& p, Ticket& t, EpochMillis now, bool all, EpochMillis newest) {
    const EpochMillis horizon = detail::sat_sub(newest, options.max_lateness_ms);
    if (t.events.empty() || t.events.front().at >= horizon) return 0;
    const auto first_kept = std::lower_bound(t.events.begin(), t.events.end(), horizon,
                                             [](const StoredEvent& e, EpochMillis h) { return e.at < h; });
    const auto k = static_cast<std::size_t>(first_kept - t.events.begin());
    // Amortised: a replay of k events, once half of what is retained (or
    // when the budget asks).
    if (!all && 2 * k < t.events.size()) return 0;
    Ticket tmp;
    tmp.id = t.id;
    tmp.tenant = t.tenant;
    if (t.cold && t.cold->base) tmp.derived = *t.cold->base;
    if (t.cold) {
      tmp.cold_part().ladders = t.cold->base_ladders;
      tmp.cold_part().request = t.cold->base_request;
    }
    if (t.cold && t.cold->base) tmp.set_attrs(t.cold->base_attrs);
    TicketMachine r = runner(p, tmp, nullptr, now);
    for (std::size_t i = 0; i < k; ++i) {
      r.fire_due(t.events[i].at);
      r.apply(t.events[i]);
    }
    detail::Cold& cold = t.cold_part();
    keep_statuses(cold, std::span<const StoredEvent>(t.events.data(), k));
    cold.base = std::move(tmp.derived);
    cold.base_at = t.events[k - 1].at;
    cold.base_ladders = tmp.cold ? std::move(tmp.cold->ladders) : std::vector<Ladder>{};
    cold.base_request = tmp.cold ? tmp.cold->request : std::nullopt;
    cold.base_attrs = tmp.attrs();
    t.events.erase(t.events.begin(), first_kept);
    // Per metric, the first cycle a recomputation from the new base can
    // still produce outputs for.
    std::array<std::uint32_t, kMetricCount> live_from{};
    std::array<bool, kMetricCount> has{};
    cold.base->each_clock([&](detail::Metric m, const MetricClock& c) {
      if (c.phase == MetricClock::Phase::kInactive) return;
      live_from[policy::index(m)] = c.cycle;
      has[policy::index(m)] = true;
    });
    for (const auto& l : cold.base_ladders) {
      if (!l.stopped) live_from[policy::index(l.metric)] = std::min(live_from[policy::index(l.metric)], l.cycle);
    }
    auto gone = [&](detail::Metric m, std::uint32_t cycle) { return has[policy::index(m)] && cycle < live_from[policy::index(m)]; };
    t.emitted.erase(std::remove_if(t.emitted.begin(), t.emitted.end(),
                                   [&](std::uint64_t key) { return gone(detail::key_metric(key), detail::key_cycle(key)); }),
                    t.emitted.end());
    auto finished = [&](const Ladder& l) { return l.stopped && gone(l.metric, l.cycle); };
    std::erase_if(cold.base_ladders, finished);
    std::erase_if(cold.ladders, finished);
    return k;
  }

  /// The bytes a ticket counts against its budget: sizes, not capacities
  /// (deterministic across a save and load), heap parts at their element
  /// sizes plus a word of allocator overhead each.
  [[nodiscard]] std::size_t ticket_bytes(const Ticket& t) const {
    constexpr std::size_t kHeap = 16;  // per heap block: allocator header and rounding
    auto str = [](const std::string& s) { return s.size() > 15 ? s.size() + 1 + kHeap : 0; };
    auto spill = [](std::size_t n, std::size_t inline_n, std::size_t each) {
      return n > inline_n ? n * each + kHeap : 0;
    };
    auto derived_bytes = [&](const detail::DerivedState& s) {
      return spill(s.clocks.size(), 3, sizeof(MetricClock)) + spill(s.history.size(), 1, sizeof(detail::Cycle));
    };
    auto ladders = [&](const std::vector<Ladder>& v) {
      std::size_t n = v.empty() ? 0 : v.size() * sizeof(Ladder) + kHeap;
      for (const auto& l : v) n += str(l.key) + str(l.target);
      return n;
    };
    std::size_t n = sizeof(Ticket) + str(t.id) + derived_bytes(t.derived) +
                    spill(t.events.size(), 2, sizeof(StoredEvent)) + spill(t.emitted.size(), 2, sizeof(std::uint64_t));
    if (t.cold) {
      const detail::Cold& c = *t.cold;
      n += sizeof(detail::Cold) + kHeap + ladders(c.ladders) + ladders(c.base_ladders) +
           8 * (c.compacted_ids.size() + c.legacy_emitted.size()) +
           (c.base_statuses.empty() ? 0 : c.base_statuses.size() * sizeof(detail::StatusMark) + kHeap);
      if (c.base) n += derived_bytes(*c.base);
      // Interned (shared), but counted as the ticket's: its attributes are its own.
      for (const detail::Atom a : {c.attrs, c.base_attrs}) {
        if (a != detail::kEmptyAtom) n += atoms.str(a).size() + kHeap;
      }
    }
    return n;
  }

  // Free-form atoms (statuses, tenants, page ids) would otherwise pile up:
  // once the table has grown enough since the last sweep (see below), keep
  // only the atoms some ticket still holds. Amortised O(1) per interned string.
  void collect_atoms() {
    if (atoms.size() >= atoms_sweep_at) sweep_atoms();  // the check inline, once per event
  }
  [[gnu::noinline]] void sweep_atoms() {
    std::vector<bool> held(atoms.bound());
    for (std::uint32_t slot = 0; slot < slot_end; ++slot) {
      if (live_bits[slot]) at(slot).each_atom([&](detail::Atom a) { held[a] = true; });
    }
    atoms.sweep([&](detail::Atom a) { return held[a]; });
    tables.atoms_swept();  // caches keyed by atoms may name swept ones
    open_args.clear();
    // Next sweep once the table has doubled and grown by a sixteenth of the
    // ticket count: at most ~16 ticket visits per new string, so a million
    // tickets with few live strings do not pause for a full scan every few
    // thousand page acks.
    atoms_sweep_at = std::max({std::size_t{4096}, 2 * atoms.size(), atoms.size() + index.size() / 16});
  }
};

Engine::Engine(std::shared_ptr<const policy::Policy> policy, EngineOptions options)
    : policy_(std::move(policy)), impl_(std::make_unique<Impl>(options)) {
  if (!policy_) throw std::invalid_argument("Engine: policy is null");
}

Engine::~Engine() = default;

sla::Result<void> Engine::apply(const TicketEvent& e, EpochMillis now, std::vector<Output>& out) {
  return apply_to(e, now, out, impl_->slot_of(e.ticket_id).value_or(Impl::kNoSlot));
}

std::size_t Engine::apply_batch(std::span<const TicketEvent> events, BatchTime& clock, std::vector<Output>& out,
                                std::vector<Rejected>& rejected) {
  Impl& im = *impl_;
  // A pipeline over the batch, so the cache misses of the next events'
  // tickets overlap the work on the current one (at 100k tickets and more,
  // each event otherwise waits on its index group, then its ticket's id, its
  // ticket's other lines, its retained events and its timer node, one after
  // the other):
  //  - kEventAhead events ahead: fetch the event itself (a large batch is
  //    megabytes of events: at 100k tickets the bench's one-by-one loop
  //    spent a tenth of its time waiting for the next event's ticket id);
  //  - kHashAhead: hash the ticket id, fetch its index group (and the ids'
  //    characters when they are too long to live inside the strings);
  //  - kPeekAhead: read the group for the likely slot, fetch that ticket;
  //  - kFindAhead: look the ticket up (all in cache by now), fetch what it
  //    points to (retained events, emitted ids, cycle records, timer node);
  //  - kWheelAhead: fetch the timer's bucket entry and the timer that will
  //    fill its place (arm() moves the timer).
  // Applying never removes a ticket or moves one to another slot, so a slot
  // found ahead is still the ticket's when its event is applied; a ticket not
  // found may be created by an earlier event of the batch, and is looked up
  // again when its event comes.
  constexpr std::size_t kEventAhead = 24;
  constexpr std::size_t kHashAhead = 16;
  constexpr std::size_t kPeekAhead = 10;
  constexpr std::size_t kFindAhead = 5;
  constexpr std::size_t kWheelAhead = 2;
  constexpr std::size_t kRing = 32;
  static_assert(kEventAhead > kHashAhead && kRing > kHashAhead && kHashAhead > kPeekAhead && kPeekAhead > kFindAhead && kFindAhead > kWheelAhead);
  std::array<std::size_t, kRing> hashes{};
  std::array<std::uint32_t, kRing> peeks{};
  std::array<std::uint32_t, kRing> slots{};
  const std::size_t n = events.size();
  auto event_stage = [&](std::size_t j) {
    const auto* p = reinterpret_cast<const char*>(&events[j]);  // NOLINT: a cache hint
    for (std::size_t off = 0; off < sizeof(TicketEvent); off += 64) __builtin_prefetch(p + off);
    __builtin_prefetch(p + sizeof(TicketEvent) - 1);
  };
  auto hash_stage = [&](std::size_t j) {
    const TicketEvent& e = events[j];
    __builtin_prefetch(e.ticket_id.data());
    __builtin_prefetch(e.event_id.data());
    hashes[j % kRing] = im.prefetch_index(e.ticket_id);
  };
  auto peek_stage = [&](std::size_t j) {
    const std::uint32_t slot = im.peek_slot(hashes[j % kRing]);
    peeks[j % kRing] = slot;
    if (slot != Impl::kNoSlot) im.prefetch_ticket(slot);
  };
  auto find_stage = [&](std::size_t j) {
    // The slot peeked at is the ticket's when it holds the same id (an id is
    // indexed once, and no slot is freed during a batch): then no second
    // probe of the index.
    std::uint32_t slot = peeks[j % kRing];
    if (slot == Impl::kNoSlot || im.at(slot).id != events[j].ticket_id) {
      slot = im.find_slot(events[j].ticket_id, hashes[j % kRing]);
    }
    slots[j % kRing] = slot;
    if (slot != Impl::kNoSlot) im.prefetch_parts(slot);
  };
  auto wheel_stage = [&](std::size_t j) {
    if (const std::uint32_t slot = slots[j % kRing]; slot != Impl::kNoSlot) im.wheel.prefetch_neighbours(im.at(slot).timer);
  };
  for (std::size_t j = 0; j < std::min(n, kEventAhead); ++j) event_stage(j);
  for (std::size_t j = 0; j < std::min(n, kHashAhead); ++j) hash_stage(j);
  for (std::size_t j = 0; j < std::min(n, kPeekAhead); ++j) peek_stage(j);
  for (std::size_t j = 0; j < std::min(n, kFindAhead); ++j) find_stage(j);
  for (std::size_t j = 0; j < std::min(n, kWheelAhead); ++j) wheel_stage(j);
  std::size_t accepted = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (i + kEventAhead < n) event_stage(i + kEventAhead);
    if (i + kHashAhead < n) hash_stage(i + kHashAhead);
    if (i + kPeekAhead < n) peek_stage(i + kPeekAhead);
    if (i + kFindAhead < n) find_stage(i + kFindAhead);
    if (i + kWheelAhead < n) wheel_stage(i + kWheelAhead);
    const TicketEvent& e = events[i];
    std::uint32_t slot = slots[i % kRing];
    if (slot == Impl::kNoSlot) slot = im.slot_of(e.ticket_id).value_or(Impl::kNoSlot);
    const EpochMillis event_time = std::max(clock.event_time, std::min(e.occurred_at, clock.now));
    auto r = apply_to(e, clock.at_event_time ? event_time : clock.now, out, slot);
    if (!r) {
      rejected.push_back(Rejected{i, std::move(r.error())});
      continue;
    }
    clock.event_time = event_time;
    ++accepted;
  }
  return accepted;
}

sla::Result<void> Engine::apply_to(const TicketEvent& e, EpochMillis now, std::vector<Output>& out,
                                   std::uint32_t found) {
  const Ticket* existing = found != Impl::kNoSlot ? &impl_->at(found) : nullptr;
  // Reject what the policy cannot run before anything changes.
  if (auto runnable = check_runnable(*policy_, impl_->atoms, e, existing, impl_->known_severities); !runnable) {
    return runnable;
  }
  const EpochMillis effective_at = std::min(e.occurred_at, now);
  const std::uint64_t id_hash = detail::hash_id(e.event_id);
  if (existing != nullptr) {
    auto admitted = admit(e, id_hash, effective_at, now, found);
    if (!admitted) return tl::unexpected(std::move(admitted.error()));
    if (!*admitted) return {};  // a duplicate
  }

  const std::uint32_t slot = existing == nullptr ? impl_->create(e.ticket_id, e.tenant_id) : found;
  Ticket& t = impl_->at(slot);
  if (t.tenant == detail::kEmptyAtom) t.tenant = impl_->atoms.intern(e.tenant_id);

  StoredEvent se;
  se.at = effective_at;
  se.seq = e.sequence.value_or(0);
  se.arrival = t.arrivals++;
  se.kind = e.kind;
  se.id_hash = id_hash;
  set_arg(e, impl_->atoms, impl_->open_args, se);
  run_stored(se, now, out, slot);
  return {};
}

sla::Result<bool> Engine::admit(const TicketEvent& e, std::uint64_t id_hash, EpochMillis effective_at, EpochMillis now,
                                std::uint32_t slot) {
  const Ticket& t = impl_->at(slot);
  // SPEC 5.3: past the horizon an event is rejected, never applied
  // approximately. Checked before duplicates, so the answer depends only on
  // times, not on when events were folded.
  if (effective_at < impl_->horizon_start(t)) {
    ++stats_.too_late;
    return sla::fail(ErrorCode::kOutOfRange,
                     "event '" + e.event_id + "' of ticket '" + e.ticket_id + "' is older than the lateness horizon (" +
                         std::to_string(impl_->options.max_lateness_ms) + " ms before the ticket's newest event)",
                     kReasonTooLate);
  }
  if (is_duplicate(t, id_hash)) {
    ++stats_.duplicates;
    return false;
  }
  // The budget: what the ticket holds plus this event's record, after
  // folding whatever the horizon allows.
  if (impl_->ticket_bytes(t) + sizeof(StoredEvent) > impl_->options.ticket_budget_bytes) {
    // Folded up to the horizon this event would set: if it is still
    // rejected, horizon_start() keeps events before the fold out.
    stats_.folded +=
        impl_->fold(*policy_, impl_->at(slot), now, true, std::max(t.derived.last_event_at, effective_at));
    if (impl_->ticket_bytes(t) + sizeof(StoredEvent) > impl_->options.ticket_budget_bytes) {
      ++stats_.over_budget;
      return sla::fail(ErrorCode::kOutOfRange,
                       "ticket '" + e.ticket_id + "' would exceed its memory budget (" +
                           std::to_string(impl_->options.ticket_budget_bytes) + " bytes) with event '" + e.event_id +
                           "'",
                       kReasonTicketBudget);
    }
  }
  return true;
}

void Engine::run_stored(const StoredEvent& se, EpochMillis now, std::vector<Output>& out, std::uint32_t slot) {
  const policy::Policy& p = *policy_;
  Ticket& t = impl_->at(slot);
  // Most events sort after every retained one: appended without a search.
  const bool in_order = t.events.empty() || !se.before(t.events.back());
  if (in_order) {
    t.events.push_back(se);
  } else {
    t.events.insert(std::upper_bound(t.events.begin(), t.events.end(), se,
                                     [](const StoredEvent& a, const StoredEvent& b) { return a.before(b); }),
                    se);
  }
  ++stats_.events_applied;
  std::optional<EpochMillis> next_due;
  if (in_order) {
    TicketMachine r = impl_->runner(p, t, &out, now);
    // The armed timer is the ticket's earliest due moment: when it is after
    // the event, nothing can be due before it and the scan is skipped.
    if (t.timer_at <= se.at) r.fire_due(se.at);
    r.apply(se);
    // Only what the event itself makes due at its own time fires here (met,
    // a breach at once after a retarget); anything due later than the event
    // but before `now` fires in advance(), after the rest of the batch of
    // events has been applied, so late batches converge with timely ones.
    r.fire_due(se.at);
    stats_.outputs += r.outputs;
    next_due = r.due_after_fire();
  } else {
    ++stats_.out_of_order;
    stats_.outputs += impl_->recompute(p, t, now, &out);
  }
  if (t.events.size() > 2 &&
      t.events.front().at < detail::sat_sub(t.derived.last_event_at, impl_->options.max_lateness_ms)) {
    stats_.folded += impl_->fold(p, t, now, false, t.derived.last_event_at);
  }
  impl_->arm(slot, p, now, next_due);
  impl_->mark_dirty(slot);
  impl_->collect_atoms();
}

std::size_t Engine::advance(EpochMillis now, std::vector<Output>& out) {
  auto& due = impl_->due_scratch;
  due.clear();
  impl_->wheel.advance(now, [&](std::uint64_t payload, EpochMillis, timerwheel::TimerHandle) {
    due.push_back(static_cast<std::uint32_t>(payload));
  });
  std::size_t produced = 0;
  // Due tickets are cold (untouched for minutes to days of event time): as in
  // apply_batch(), the next ones are fetched while the current one fires.
  // (A slot that is not live any more holds an empty ticket: harmless to read.)
  constexpr std::size_t kTicketAhead = 6;
  constexpr std::size_t kPartsAhead = 3;
  for (std::size_t i = 0; i < due.size(); ++i) {
    if (i + kTicketAhead < due.size()) impl_->prefetch_ticket(due[i + kTicketAhead]);
    if (i + kPartsAhead < due.size()) impl_->prefetch_due(due[i + kPartsAhead], now);
    const std::uint32_t slot = due[i];
    if (!impl_->live(slot)) continue;
    Ticket& t = impl_->at(slot);
    t.timer = {};
    t.timer_at = kNever;
    if (impl_->drop_at(t) <= now) {
      ++stats_.tickets_dropped;
      impl_->remove(slot, true);
      continue;
    }
    TicketMachine r = impl_->runner(*policy_, t, &out, now);
    r.fire_due(now);
    produced += r.outputs;
    if (r.outputs > 0) impl_->mark_dirty(slot);
    impl_->arm(slot, *policy_, now, r.due_after_fire());
  }
  stats_.outputs += produced;
  return produced;
}

std::optional<EpochMillis> Engine::next_due() const { return impl_->wheel.next_deadline(); }

void Engine::set_policy(std::shared_ptr<const policy::Policy> policy, EpochMillis now, std::vector<Output>& out) {
  if (!policy) return;
  impl_->hours_only.clear();  // keyed by the old policy's calendars
  impl_->known_severities.clear();
  // The tickets' clocks point into the old policy until rebind() moves them:
  // it must outlive the loop below (the caller may hold no other reference).
  const std::shared_ptr<const policy::Policy> old_policy = std::move(policy_);
  policy_ = std::move(policy);
  impl_->tables.severities.clear();  // Severity pointers into the old policy
  impl_->tables.item_orders.clear();
  impl_->tables.suffixes.clear();  // keyed by addresses of the old policy's warnings and steps
  for (std::uint32_t slot = 0; slot < impl_->slot_end; ++slot) {
    if (!impl_->live(slot)) continue;
    Ticket& t = impl_->at(slot);
    TicketMachine r = impl_->runner(*policy_, t, &out, now);
    r.rebind(now);
    if (t.cold && t.cold->base) {
      Ticket tmp;
      tmp.derived = std::move(*t.cold->base);
      tmp.set_attrs(t.cold->base_attrs);  // rules resolve against the attributes as of the base
      impl_->runner(*policy_, tmp, nullptr, now).rebind(t.cold->base_at);
      t.cold->base = std::move(tmp.derived);
    }
    r.fire_due(now);
    stats_.outputs += r.outputs;
    impl_->arm(slot, *policy_, now);
    impl_->mark_dirty(slot);
  }
}

std::size_t Engine::ticket_count() const { return impl_->index.size(); }

std::size_t Engine::ticket_bytes(std::string_view ticket_id) const {
  const Ticket* t = impl_->find(ticket_id);
  return t == nullptr ? 0 : impl_->ticket_bytes(*t);
}
std::size_t Engine::pending_timers() const { return impl_->wheel.size(); }

void Engine::fill_view(const detail::Ticket& ticket, EpochMillis now, bool full, TicketView& v) const {
  const Ticket& t = ticket;
  const auto& s = t.derived;
  const auto& atoms = impl_->atoms;
  fill_ticket_fields(t, atoms, v);
  v.history.clear();
  v.pages.clear();
  if (full) {
    v.history.reserve(s.history.size());
    for (const auto& h : s.history) {
      v.history.push_back(CycleRecord{h.metric, h.cycle, h.started_at, h.ended_at, h.elapsed_ms,
                                      std::string(detail::to_string(h.outcome))});
    }
  }
  std::size_t clocks = 0;  // v.clocks' elements are reused (their strings keep their storage)
  bool statuses = false;  // impl_->statuses is this ticket's (set for the first clock)
  s.each_clock([&](MetricKind metric, const MetricClock& c) {
    if (c.phase == MetricClock::Phase::kInactive) return;
    if (clocks == v.clocks.size()) v.clocks.emplace_back();
    ClockView& cv = v.clocks[clocks++];
    cv.state = ClockState::kRunning;
    cv.pause_reason = PauseReason::kNone;
    cv.pause_status.clear();
    cv.target_ms.reset();
    cv.deadline.reset();
    cv.calendar.clear();
    cv.fired.clear();
    cv.metric = metric;
    cv.cycle = c.cycle;
    cv.started_at = c.cycle_start;
    const bool open_ended = c.target == nullptr || c.target->open_ended;
    if (!open_ended) cv.target_ms = c.target_ms;
    if (c.target != nullptr) cv.calendar.assign(c.target->calendar_name);
    cv.elapsed_ms = c.elapsed;
    if (c.counting() && now > c.since) cv.elapsed_ms += c.target->calendar->elapsed(c.since, now);
    fill_clock_state(c, s, atoms, now, open_ended, cv);
    cv.stretches.clear();
    cv.stretches_truncated = false;
    if (!full) return;
    if (!statuses) impl_->statuses.assign(t, atoms);
    statuses = true;
    detail::clock_stretches(c, metric, s, impl_->statuses, now, impl_->hours_only, cv);
    if (c.target != nullptr && c.fired != 0) {
      name_fired(c, policy_->escalation_steps(atoms.str(s.plan), atoms.str(s.severity), cv.metric), cv);
    }
  });
  v.clocks.resize(clocks);
  if (full) {
    for (const auto& l : t.ladders()) v.pages.push_back(ladder_view(l, *policy_));
  }
  v.next_due.reset();
  if (t.timer_at != kNever) v.next_due = t.timer_at;
}

std::optional<TicketView> Engine::ticket(std::string_view id, EpochMillis now) const {
  const Ticket* t = impl_->find(id);
  if (t == nullptr) return std::nullopt;
  TicketView v;
  fill_view(*t, now, true, v);
  return v;
}

std::vector<AtRisk> Engine::at_risk(EpochMillis now, std::int64_t within_ms, std::size_t limit) const {
  std::vector<AtRisk> out;
  const EpochMillis horizon = now + within_ms;
  for (std::uint32_t slot = 0; slot < impl_->slot_end; ++slot) {
    if (!impl_->live(slot)) continue;
    const Ticket& t = impl_->at(slot);
    t.derived.each_clock([&](MetricKind metric, const MetricClock& c) {
      if (!c.counting() || c.target == nullptr || c.target->open_ended) return;
      const EpochMillis dl = c.deadline_from_counted();
      if (dl <= horizon) {
        out.push_back(AtRisk{t.id, metric, dl, impl_->atoms.str(t.derived.plan), impl_->atoms.str(t.derived.severity)});
      }
    });
  }
  auto by_deadline = [](const AtRisk& a, const AtRisk& b) {
    return a.deadline != b.deadline ? a.deadline < b.deadline : a.ticket_id < b.ticket_id;
  };
  if (out.size() > limit) {
    std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(limit), out.end(), by_deadline);
    out.resize(limit);
  } else {
    std::sort(out.begin(), out.end(), by_deadline);
  }
  return out;
}

std::vector<std::string> Engine::take_dirty() {
  std::vector<std::string> out;
  out.swap(impl_->dirty_gone);
  out.reserve(out.size() + impl_->dirty.size());
  for (const std::uint32_t slot : impl_->dirty) {
    // A removed ticket's stale entry, or one reported through an earlier entry.
    if (!impl_->live(slot) || !impl_->dirty_bits[slot]) continue;
    impl_->dirty_bits[slot] = false;
    out.push_back(impl_->at(slot).id);
  }
  impl_->dirty.clear();
  return out;
}

void Engine::take_dirty_snapshots(EpochMillis now, const std::function<void(const TicketView&, std::string&&)>& fn) {
  impl_->dirty_gone.clear();  // removed since: nothing to snapshot (their drop is in take_dropped())
  TicketView view;
  for (const std::uint32_t slot : impl_->dirty) {
    if (!impl_->live(slot) || !impl_->dirty_bits[slot]) continue;
    impl_->dirty_bits[slot] = false;
    const Ticket& t = impl_->at(slot);
    fill_view(t, now, true, view);
    fn(view, detail::encode_ticket(t, impl_->atoms));
  }
  impl_->dirty.clear();
}

std::vector<std::string> Engine::take_dropped() {
  std::vector<std::string> out;
  out.swap(impl_->dropped);
  return out;
}

std::string Engine::save_ticket(std::string_view id) const {
  const Ticket* t = impl_->find(id);
  if (t == nullptr) return {};
  return detail::encode_ticket(*t, impl_->atoms);
}

sla::Result<void> Engine::load_ticket(std::string_view bytes) {
  auto t = detail::decode_ticket(bytes, *policy_, impl_->atoms);
  if (!t) return tl::unexpected(t.error());
  if (const auto old = impl_->slot_of((*t)->id)) impl_->remove(*old, false);
  const std::uint32_t slot = impl_->insert(std::move(**t));
  Ticket& nt = impl_->at(slot);
  nt.timer = {};
  nt.timer_at = kNever;
  impl_->dirty_bits[slot] = false;
  impl_->arm(slot, *policy_, impl_->wheel.now());
  impl_->collect_atoms();
  return {};
}

void Engine::reserve(std::size_t tickets) {
  impl_->index.reserve(tickets);
  impl_->chunks.reserve((tickets >> Impl::kChunkBits) + 1);
  impl_->live_bits.reserve(tickets);
  impl_->dirty_bits.reserve(tickets);
}

void Engine::drop_ticket(std::string_view id) {
  if (const auto slot = impl_->slot_of(id)) impl_->remove(*slot, false);
}

std::vector<std::string> Engine::ticket_ids() const {
  std::vector<std::string> out;
  out.reserve(impl_->index.size());
  for (std::uint32_t slot = 0; slot < impl_->slot_end; ++slot) {
    if (impl_->live(slot)) out.push_back(impl_->at(slot).id);
  }
  return out;
}

}  // namespace sla::engine
