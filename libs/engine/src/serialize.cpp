#include "serialize.hpp"

#include <algorithm>
#include <array>

#include <absl/container/inlined_vector.h>

namespace sla::engine::detail {
namespace {

// 4: who acknowledged a ladder's page and when (on each ladder, and in the
// page_acknowledged event's argument, pack_ack()); the status changes of the
// folded events (Cold::base_statuses, at the end; older versions load with
// the status known from the base snapshot's time on). Version 3 (emitted output
// ids exact: metric, cycle, rest of the id, instead of 64-bit hashes; the
// base snapshot's ladders) is read with no acknowledger known. Version 2 (only the clocks a
// ticket has, cycle outcomes as enum values) and version 1 (all four clocks,
// outcomes as strings) are still read, so a daemon upgraded over stored
// state keeps its tickets: their emitted hashes and folded event ids are
// kept as they were (Cold::legacy_emitted, Cold::compacted_ids).
// 5: exchanges (the count and whether an agent reply awaits the customer's)
// of the ticket and of its base snapshot, and the escalation request of each
// (Cold::request, Cold::base_request), at the end; version 4 loads with none.
// 6: the ticket's attributes and the base snapshot's (Cold::attrs,
// Cold::base_attrs, at the end); older versions load with none.
constexpr std::uint8_t kFormatVersion = 6;
constexpr std::uint8_t kFormatVersion5 = 5;
constexpr std::uint8_t kFormatVersion4 = 4;
constexpr std::uint8_t kFormatVersion3 = 3;
constexpr std::uint8_t kFormatVersion2 = 2;
constexpr std::uint8_t kFormatVersion1 = 1;

class Writer {
 public:
  /// `expected`: about how many bytes will be written (one allocation).
  explicit Writer(std::size_t expected = 0) { out_.reserve(expected); }
  void u(std::uint64_t v) {
    std::array<char, 10> buf;  // a 64-bit varint takes at most 10 bytes
    std::size_t n = 0;
    while (v >= 0x80) {
      buf[n++] = static_cast<char>((v & 0x7F) | 0x80);
      v >>= 7;
    }
    buf[n++] = static_cast<char>(v);
    out_.append(buf.data(), n);
  }
  // Zig-zag so small negative numbers stay small.
  void i(std::int64_t v) { u((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63)); }
  void b(bool v) { u(v ? 1 : 0); }
  void s(std::string_view v) {
    u(v.size());
    out_.append(v);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  std::uint64_t u() {
    std::uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) {
        ok_ = false;
        return 0;
      }
      const auto byte = static_cast<unsigned char>(in_[pos_++]);
      v |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return v;
    }
    ok_ = false;
    return 0;
  }
  std::int64_t i() {
    const std::uint64_t z = u();
    return static_cast<std::int64_t>(z >> 1) ^ -static_cast<std::int64_t>(z & 1);
  }
  bool b() { return u() != 0; }
  std::string s() {
    const std::uint64_t n = u();
    if (!ok_ || n > in_.size() - pos_) {
      ok_ = false;
      return {};
    }
    std::string out(in_.substr(pos_, n));
    pos_ += n;
    return out;
  }
  /// A count that must fit in the remaining bytes (one byte per element at least).
  std::size_t count() {
    const std::uint64_t n = u();
    if (n > in_.size() - pos_) {
      ok_ = false;
      return 0;
    }
    return static_cast<std::size_t>(n);
  }
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] bool done() const { return pos_ == in_.size(); }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

void put_derived(Writer& w, const DerivedState& s, const Interner& atoms) {
  w.b(s.opened);
  w.b(s.resolved);
  w.b(s.closed);
  w.i(s.opened_at);
  w.i(s.last_event_at);
  w.s(atoms.str(s.plan));
  w.s(atoms.str(s.severity));
  w.s(atoms.str(s.status));
  w.u(s.clock_mask);
  for (const MetricClock& c : s.clocks) {
    w.b(c.target != nullptr);
    w.b(c.in_hours);
    w.u(static_cast<std::uint8_t>(c.phase));
    w.b(c.status_paused);
    w.b(c.breached);
    w.u(c.cycle);
    w.i(c.target_ms);
    w.i(c.cycle_start);
    w.i(c.since);
    w.i(c.elapsed);
    w.u(c.fired);
    w.i(c.breach_at);
  }
  w.u(s.history.size());
  for (const auto& h : s.history) {
    w.u(static_cast<std::uint8_t>(h.metric));
    w.u(h.cycle);
    w.i(h.started_at);
    w.i(h.ended_at);
    w.i(h.elapsed_ms);
    w.u(static_cast<std::uint8_t>(h.outcome));
  }
}

// One clock's stored fields (the same in versions 1 and 2).
bool get_clock(Reader& r, MetricClock& c, bool& has_target) {
  has_target = r.b();
  c.in_hours = r.b();
  const auto phase = r.u();
  if (phase > static_cast<std::uint8_t>(MetricClock::Phase::kStopped)) return false;
  c.phase = static_cast<MetricClock::Phase>(phase);
  c.status_paused = r.b();
  c.breached = r.b();
  c.cycle = static_cast<std::uint32_t>(r.u());
  c.target_ms = r.i();
  c.cycle_start = r.i();
  c.since = r.i();
  c.elapsed = r.i();
  c.fired = r.u();
  c.breach_at = r.i();
  return true;
}

// Points a loaded clock at its target in the current policy. A clock whose
// target vanished (policy changed while stored) stops.
void bind_target(MetricClock& c, bool has_target, const DerivedState& s, Metric m, const policy::Policy& p,
                 const Interner& atoms) {
  c.target = nullptr;
  if (has_target && s.opened) {
    const auto* mt = p.targets(atoms.str(s.plan), atoms.str(s.severity), m);
    if (mt != nullptr) c.target = &mt->pick(c.in_hours);
  }
  if (c.target == nullptr && c.phase == MetricClock::Phase::kRunning) c.phase = MetricClock::Phase::kStopped;
}

// The ticket's own fields, the same in versions 1 and 2.
void get_derived_fields(Reader& r, DerivedState& s, Interner& atoms) {
  s.opened = r.b();
  s.resolved = r.b();
  s.closed = r.b();
  s.opened_at = r.i();
  s.last_event_at = r.i();
  s.plan = atoms.intern(r.s());
  s.severity = atoms.intern(r.s());
  s.status = atoms.intern(r.s());
}

bool get_derived(Reader& r, DerivedState& s, const policy::Policy& p, Interner& atoms) {
  get_derived_fields(r, s, atoms);
  const auto mask = r.u();
  if (mask >= (1U << kMetricCount)) return false;
  for (std::size_t mi = 0; mi < kMetricCount; ++mi) {
    if (((mask >> mi) & 1U) == 0) continue;
    MetricClock& c = s.add_clock(static_cast<Metric>(mi));
    bool has_target = false;
    if (!get_clock(r, c, has_target)) return false;
    bind_target(c, has_target, s, static_cast<Metric>(mi), p, atoms);
  }
  const std::size_t n = r.count();
  s.history.resize(n);
  for (auto& h : s.history) {
    const auto m = r.u();
    if (m >= kMetricCount) return false;
    h.metric = static_cast<Metric>(m);
    h.cycle = static_cast<std::uint32_t>(r.u());
    h.started_at = r.i();
    h.ended_at = r.i();
    h.elapsed_ms = r.i();
    const auto outcome = r.u();
    if (outcome >= kOutcomeCount) return false;
    h.outcome = static_cast<Outcome>(outcome);
  }
  return r.ok();
}

// Version 1: all four clocks in metric order (never-started ones kInactive),
// outcomes as strings.
bool get_sim_v1(Reader& r, DerivedState& s, const policy::Policy& p, Interner& atoms) {
  get_derived_fields(r, s, atoms);
  for (std::size_t mi = 0; mi < kMetricCount; ++mi) {
    MetricClock c;
    bool has_target = false;
    if (!get_clock(r, c, has_target)) return false;
    if (c.phase == MetricClock::Phase::kInactive) continue;  // version 2 stores no such clock
    bind_target(c, has_target, s, static_cast<Metric>(mi), p, atoms);
    s.add_clock(static_cast<Metric>(mi)) = c;
  }
  const std::size_t n = r.count();
  for (std::size_t k = 0; k < n; ++k) {
    Cycle h;
    const auto m = r.u();
    if (m >= kMetricCount) return false;
    h.metric = static_cast<Metric>(m);
    h.cycle = static_cast<std::uint32_t>(r.u());
    h.started_at = r.i();
    h.ended_at = r.i();
    h.elapsed_ms = r.i();
    const std::string outcome = r.s();
    bool known = false;
    for (std::uint8_t o = 0; o < kOutcomeCount; ++o) {
      if (to_string(static_cast<Outcome>(o)) == outcome) {
        h.outcome = static_cast<Outcome>(o);
        known = true;
      }
    }
    if (!known) return false;
    s.history.push_back(h);
  }
  return r.ok();
}

void put_ladders(Writer& w, std::span<const Ladder> ladders) {
  w.u(ladders.size());
  for (const auto& l : ladders) {
    w.s(l.key);
    w.s(l.target);
    w.u(static_cast<std::uint8_t>(l.metric));
    w.u(l.cycle);
    w.i(l.next_at);
    w.u(l.pages_sent);
    // 0 running, else the stop reason (>= 1): readers that know only a bool read it as stopped.
    w.u(l.stopped ? std::max<std::uint8_t>(l.stop_reason, 1) : 0);
    w.b(l.acked_at.has_value());
    if (l.acked_at) {
      w.i(*l.acked_at);
      w.s(l.acked_by);
    }
  }
}

/// `version` 4 on: each ladder ends with its acknowledgement, if any.
bool get_ladders(Reader& r, std::vector<Ladder>& out, std::uint64_t version) {
  out.resize(r.count());
  for (auto& l : out) {
    l.key = r.s();
    l.target = r.s();
    const auto m = r.u();
    if (m >= kMetricCount) return false;
    l.metric = static_cast<Metric>(m);
    l.cycle = static_cast<std::uint32_t>(r.u());
    l.next_at = r.i();
    l.pages_sent = static_cast<std::uint32_t>(r.u());
    const auto stop = r.u();
    l.stopped = stop != 0;
    l.stop_reason = static_cast<std::uint8_t>(stop > kLadderStopMax ? 1 : stop);
    if (version >= kFormatVersion4 && r.b()) {
      l.acked_at = r.i();
      l.acked_by = r.s();
    }
  }
  return r.ok();
}

void put_request(Writer& w, const std::optional<EscalationRequest>& q, const Interner& atoms) {
  w.b(q.has_value());
  if (!q) return;
  w.i(q->at);
  w.s(atoms.str(q->arg));
}

/// Version 5 on: exchanges and escalation requests, of the ticket's state
/// and of its base snapshot.
void put_exchanges(Writer& w, const Ticket& t, const Interner& atoms) {
  w.u(t.derived.exchanges);
  w.b(t.derived.agent_replied);
  const DerivedState* base = t.base();
  w.u(base != nullptr ? base->exchanges : 0);
  w.b(base != nullptr && base->agent_replied);
  put_request(w, t.cold ? t.cold->request : std::nullopt, atoms);
  put_request(w, t.cold ? t.cold->base_request : std::nullopt, atoms);
}

}  // namespace

std::string encode_ticket(const Ticket& t, const Interner& atoms) {
  // Sized once: growing from empty reallocated four or five times a ticket.
  Writer w(192 + 2 * t.id.size() + 32 * t.events.size() + 10 * t.emitted.size() + 64 * t.ladders().size());
  w.u(kFormatVersion);
  w.s(t.id);
  w.s(atoms.str(t.tenant));
  w.u(t.arrivals);
  put_derived(w, t.derived, atoms);
  w.b(t.base() != nullptr);
  if (t.base() != nullptr) put_derived(w, *t.base(), atoms);
  w.i(t.base_at());
  w.u(t.events.size());
  for (const auto& e : t.events) {
    w.i(e.at);
    w.u(e.seq);
    w.u(e.arrival);
    w.u(static_cast<std::uint8_t>(e.kind));
    w.u(e.id_hash);
    w.s(atoms.str(e.arg));
  }
  const std::span<const std::uint64_t> compacted =
      t.cold ? std::span<const std::uint64_t>(t.cold->compacted_ids) : std::span<const std::uint64_t>();
  w.u(compacted.size());
  for (auto h : compacted) w.u(h);
  // Emitted ids in (metric, cycle, text) order: the same bytes whatever the
  // process's atom numbers.
  struct Id {
    std::uint64_t group;
    std::string_view rest;
  };
  absl::InlinedVector<Id, 4> ids;
  ids.reserve(t.emitted.size());
  for (const auto k : t.emitted) ids.push_back(Id{k >> 32, atoms.str(key_suffix(k))});
  std::sort(ids.begin(), ids.end(),
            [](const Id& a, const Id& b) { return a.group != b.group ? a.group < b.group : a.rest < b.rest; });
  w.u(ids.size());
  for (const auto& id : ids) {
    w.u(id.group >> 30);  // metric
    w.u(id.group & kMaxKeyCycle);
    w.s(id.rest);
  }
  const std::span<const std::uint64_t> legacy =
      t.cold ? std::span<const std::uint64_t>(t.cold->legacy_emitted) : std::span<const std::uint64_t>();
  w.u(legacy.size());
  for (auto h : legacy) w.u(h);
  put_ladders(w, t.ladders());
  put_ladders(w, t.cold ? std::span<const Ladder>(t.cold->base_ladders) : std::span<const Ladder>());
  w.i(t.cold ? t.cold->statuses_from : std::numeric_limits<EpochMillis>::min());
  const std::span<const StatusMark> marks =
      t.cold ? std::span<const StatusMark>(t.cold->base_statuses) : std::span<const StatusMark>();
  w.u(marks.size());
  for (const auto& m : marks) {
    w.i(m.at);
    w.s(atoms.str(m.status));
    w.b(m.reopen);
  }
  put_exchanges(w, t, atoms);
  w.s(atoms.str(t.attrs()));
  w.s(atoms.str(t.base_attrs()));
  return w.take();
}

namespace {

/// Version 4 on: the status marks of the folded events (Cold::base_statuses)
/// and what they summarise (Cold::statuses_from).
bool get_statuses(Reader& r, Ticket& t, Interner& atoms) {
  const EpochMillis from = r.i();
  const std::size_t n = r.count();
  if (!r.ok() || n > kMaxBaseStatuses) return false;
  if (n == 0 && from == std::numeric_limits<EpochMillis>::min()) return true;
  Cold& c = t.cold_part();
  c.statuses_from = from;
  c.base_statuses.resize(n);
  EpochMillis prev = std::numeric_limits<EpochMillis>::min();
  for (auto& m : c.base_statuses) {
    m.at = r.i();
    m.status = atoms.intern(r.s());
    m.reopen = r.b();
    if (m.at < prev) return false;  // oldest first
    prev = m.at;
  }
  return r.ok();
}

bool get_request(Reader& r, std::optional<EscalationRequest>& q, Interner& atoms) {
  if (!r.b()) return r.ok();
  EscalationRequest req;
  req.at = r.i();
  req.arg = atoms.intern(r.s());
  q = req;
  return r.ok();
}

bool get_exchanges(Reader& r, Ticket& t, Interner& atoms) {
  auto count = [&](DerivedState* s) {
    const auto n = r.u();
    const bool half = r.b();
    if (n > policy::kMaxExchanges) return false;
    if (s != nullptr) {
      s->exchanges = static_cast<std::uint8_t>(n);
      s->agent_replied = half;
    }
    return true;
  };
  if (!count(&t.derived)) return false;
  if (!count(t.cold && t.cold->base ? &*t.cold->base : nullptr)) return false;
  std::optional<EscalationRequest> request, base_request;
  if (!get_request(r, request, atoms) || !get_request(r, base_request, atoms)) return false;
  if (request || base_request) {
    t.cold_part().request = request;
    t.cold_part().base_request = base_request;
  }
  return r.ok();
}

bool get_any_derived(Reader& r, DerivedState& s, std::uint64_t version, const policy::Policy& p, Interner& atoms) {
  return version == kFormatVersion1 ? get_sim_v1(r, s, p, atoms) : get_derived(r, s, p, atoms);
}

sla::Result<void> corrupt(const char* what) {
  return sla::fail(ErrorCode::kInvalidArgument, std::string("ticket state: ") + what);
}

/// The event log, and the ids of the events folded into the base snapshot.
sla::Result<void> get_events(Reader& r, Ticket& t, std::uint64_t version, Interner& atoms) {
  t.events.resize(r.count());
  for (auto& e : t.events) {
    e.at = r.i();
    e.seq = r.u();
    e.arrival = static_cast<std::uint32_t>(r.u());
    const auto kind = r.u();
    if (kind > static_cast<std::uint8_t>(kLastEventKind)) return corrupt("bad event kind");
    e.kind = static_cast<EventKind>(kind);
    e.id_hash = r.u();
    // Before version 4 an acknowledgement's argument was the bare page id.
    e.arg = version < kFormatVersion4 && e.kind == EventKind::kPageAcknowledged ? atoms.intern(pack_ack(r.s(), {}))
                                                                              : atoms.intern(r.s());
  }
  if (const std::size_t n = r.count(); n > 0) {
    auto& ids = t.cold_part().compacted_ids;
    ids.resize(n);
    for (auto& h : ids) h = r.u();
  }
  return {};
}

/// Emitted output ids as FNV-1a hashes (all of them before version 3, those
/// of older versions' outputs after).
void get_legacy_emitted(Reader& r, Ticket& t) {
  if (const std::size_t k = r.count(); k > 0) {
    auto& legacy = t.cold_part().legacy_emitted;
    legacy.resize(k);
    for (auto& h : legacy) h = r.u();
  }
}

/// Versions 3 and later: exact emitted ids, the ladders and the base
/// snapshot's, then each version's additions at the end.
sla::Result<void> get_outputs(Reader& r, Ticket& t, std::uint64_t version, Interner& atoms) {
  const std::size_t n = r.count();
  t.emitted.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto m = r.u();
    const auto cycle = r.u();
    const std::string rest = r.s();
    if (m >= kMetricCount || cycle > kMaxKeyCycle) return corrupt("bad emitted id");
    t.emitted.push_back(emitted_key(static_cast<Metric>(m), static_cast<std::uint32_t>(cycle), atoms.intern(rest)));
  }
  std::sort(t.emitted.begin(), t.emitted.end());
  get_legacy_emitted(r, t);
  std::vector<Ladder> ladders, base_ladders;
  if (!get_ladders(r, ladders, version) || !get_ladders(r, base_ladders, version)) return corrupt("bad ladder");
  if (!ladders.empty()) t.cold_part().ladders = std::move(ladders);
  if (!base_ladders.empty()) t.cold_part().base_ladders = std::move(base_ladders);
  if (version >= kFormatVersion4 && !get_statuses(r, t, atoms)) return corrupt("bad status marks");
  if (version >= kFormatVersion5 && !get_exchanges(r, t, atoms)) {
    return corrupt("bad exchanges or escalation request");
  }
  if (version >= kFormatVersion) {
    t.set_attrs(atoms.intern(r.s()));
    if (const Atom base_attrs = atoms.intern(r.s()); base_attrs != kEmptyAtom) t.cold_part().base_attrs = base_attrs;
  }
  return {};
}

/// Versions 1 and 2: emitted ids as FNV-1a hashes, one list of ladders.
sla::Result<void> get_outputs_v1(Reader& r, Ticket& t, std::uint64_t version) {
  get_legacy_emitted(r, t);
  std::vector<Ladder> ladders;
  if (!get_ladders(r, ladders, version)) return corrupt("bad ladder metric");
  if (!ladders.empty()) {
    // Their base snapshot's ladders were not stored: those running now are
    // taken as the base's (a recomputation continues them, and re-derives
    // no page those engines had sent: their ids are in legacy_emitted).
    if (t.base() != nullptr) t.cold_part().base_ladders = ladders;
    t.cold_part().ladders = std::move(ladders);
  }
  return {};
}

bool known_version(std::uint64_t version) {
  return version == kFormatVersion || version == kFormatVersion5 || version == kFormatVersion4 ||
         version == kFormatVersion3 || version == kFormatVersion2 || version == kFormatVersion1;
}

}  // namespace

sla::Result<std::unique_ptr<Ticket>> decode_ticket(std::string_view bytes, const policy::Policy& p,
                                                   Interner& atoms) {
  Reader r(bytes);
  const auto version = r.u();
  if (!r.ok() || !known_version(version)) {
    return sla::fail(ErrorCode::kInvalidArgument, "ticket state: unsupported format version " + std::to_string(version));
  }
  auto t = std::make_unique<Ticket>();
  t->id = r.s();
  t->tenant = atoms.intern(r.s());
  t->arrivals = static_cast<std::uint32_t>(r.u());
  if (!get_any_derived(r, t->derived, version, p, atoms)) {
    return sla::fail(ErrorCode::kInvalidArgument, "ticket state: corrupt clock section");
  }
  if (r.b()) {
    DerivedState base;
    if (!get_any_derived(r, base, version, p, atoms)) {
      return sla::fail(ErrorCode::kInvalidArgument, "ticket state: corrupt base section");
    }
    t->cold_part().base = std::move(base);
  }
  const EpochMillis base_at = r.i();
  if (base_at != std::numeric_limits<EpochMillis>::min()) t->cold_part().base_at = base_at;
  if (auto events = get_events(r, *t, version, atoms); !events) return tl::unexpected(std::move(events.error()));
  auto outputs = version >= kFormatVersion3 ? get_outputs(r, *t, version, atoms) : get_outputs_v1(r, *t, version);
  if (!outputs) return tl::unexpected(std::move(outputs.error()));
  if (!r.ok() || !r.done() || t->id.empty()) {
    return sla::fail(ErrorCode::kInvalidArgument, "ticket state: truncated or trailing bytes");
  }
  if (version < kFormatVersion4 && t->base() != nullptr) {
    // Those versions kept no status changes of the folded events: the
    // status is known from the base snapshot's time on.
    Cold& c = t->cold_part();
    c.base_statuses.push_back(StatusMark{c.base_at, c.base->status});
    c.statuses_from = c.base_at;
  }
  return t;
}

}  // namespace sla::engine::detail
