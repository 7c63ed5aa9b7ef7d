#include "ticket.hpp"

#include "stretches.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>

#include <absl/strings/string_view.h>

#include "sla/calendar/business_days.hpp"

namespace sla::engine::detail {
namespace {

constexpr std::size_t kMaxItems = 64;    // one bit each in MetricClock::fired
constexpr std::size_t kMaxHistory = 16;  // cycle records kept per ticket

std::int64_t target_millis(const policy::Target& target, EpochMillis cycle_start) {
  if (target.open_ended) return 0;
  const auto& d = target.duration;
  switch (d.kind) {
    case calendar::Duration::Kind::kFixed: return d.millis;
    case calendar::Duration::Kind::kBusinessDays:
      // `999999999999bd` must not wrap: saturated, such a deadline is never
      // (the loader accepts only n > 0).
      return calendar::business_days_millis(*target.calendar, d.business_days).value_or(std::numeric_limits<std::int64_t>::max());
    case calendar::Duration::Kind::kNextBusinessDay:
      return target.calendar->elapsed(cycle_start, target.calendar->add(cycle_start, d));
  }
  return d.millis;
}

// StepAt::due_at() with `breach+D` saturated (target and D come from policy).
std::optional<std::int64_t> step_due(const policy::StepAt& at, std::optional<std::int64_t> target_ms) {
  if (at.kind == policy::StepAt::Kind::kBreach) {
    if (!target_ms) return std::nullopt;
    return sat_add(*target_ms, at.after_breach_ms);
  }
  return at.due_at(target_ms);
}

// The opened event packs plan, severity and status in one string.
std::array<std::string_view, 3> split3(std::string_view s) {
  std::array<std::string_view, 3> out{};
  for (std::size_t i = 0; i < 3; ++i) {
    const auto pos = s.find('\x1f');
    out[i] = s.substr(0, pos);
    s = pos == std::string_view::npos ? std::string_view{} : s.substr(pos + 1);
  }
  return out;
}

// Reads "<length>:<bytes>" at the front of `s` into `out`; false if malformed.
bool take_field(std::string_view& s, std::string_view& out) {
  std::size_t n = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), n);
  const auto digits = static_cast<std::size_t>(r.ptr - s.data());
  if (r.ec != std::errc{} || digits == 0 || digits >= s.size() || s[digits] != ':' || n > s.size() - digits - 1) {
    return false;
  }
  out = s.substr(digits + 1, n);
  s.remove_prefix(digits + 1 + n);
  return true;
}

void append_field(std::string& s, std::string_view f) {
  append_number(s, f.size());
  s.append(1, ':').append(f);
}

}  // namespace

std::string pack_attrs(std::span<const std::pair<std::string, std::string>> attrs) {
  std::string s;
  for (const auto& [k, v] : attrs) {
    append_field(s, k);
    append_field(s, v);
  }
  return s;
}

void unpack_attrs(std::string_view packed, AttrView& out) {
  out.clear();
  std::string_view k, v;
  while (!packed.empty() && take_field(packed, k) && take_field(packed, v)) out.emplace_back(k, v);
}

std::string pack_attr_change(std::span<const std::string> removed,
                             std::span<const std::pair<std::string, std::string>> set) {
  std::string s;
  append_number(s, removed.size());
  s.append(1, ';');
  for (const auto& k : removed) append_field(s, k);
  s.append(pack_attrs(set));
  return s;
}

std::string apply_attr_change(std::string_view current, std::string_view change) {
  std::vector<std::pair<std::string, std::string>> attrs;
  AttrView view;
  unpack_attrs(current, view);
  for (const auto& [k, v] : view) attrs.emplace_back(k, v);
  std::size_t n = 0;
  const auto r = std::from_chars(change.data(), change.data() + change.size(), n);
  if (r.ec != std::errc{} || r.ptr == change.data() + change.size() || *r.ptr != ';') return std::string(current);
  change.remove_prefix(static_cast<std::size_t>(r.ptr - change.data()) + 1);
  std::string_view key;
  for (std::size_t i = 0; i < n && take_field(change, key); ++i) {
    std::erase_if(attrs, [&](const auto& a) { return a.first == key; });
  }
  unpack_attrs(change, view);
  for (const auto& [k, v] : view) {
    auto it = std::lower_bound(attrs.begin(), attrs.end(), k, [](const auto& a, std::string_view x) { return a.first < x; });
    if (it != attrs.end() && it->first == k) {
      it->second = std::string(v);
    } else {
      attrs.emplace(it, std::string(k), std::string(v));
    }
  }
  return pack_attrs(attrs);
}

std::optional<LastPage> last_page(const Ladder& l, const policy::Policy& policy) {
  const auto* pt = policy.paging_target(l.target);
  if (pt == nullptr || pt->levels.empty() || l.pages_sent == 0) return std::nullopt;
  const auto levels = static_cast<std::uint32_t>(pt->levels.size());
  const std::uint32_t k = l.pages_sent - 1;
  const auto& level = pt->levels[k % levels];
  return LastPage{k % levels, k / levels, &level, l.next_at - level.ack_timeout_ms};
}

std::string pack_ack(std::string_view page_id, std::string_view responder) {
  std::string s;
  s.reserve(page_id.size() + responder.size() + 8);
  append_number(s, page_id.size());
  s.append(1, ':').append(page_id).append(responder);
  return s;
}

AckArg unpack_ack(std::string_view packed) noexcept {
  std::size_t n = 0;
  const auto r = std::from_chars(packed.data(), packed.data() + packed.size(), n);
  const auto digits = static_cast<std::size_t>(r.ptr - packed.data());
  if (r.ec != std::errc{} || digits == 0 || digits >= packed.size() || packed[digits] != ':' ||
      n > packed.size() - digits - 1) {
    return AckArg{packed, {}};
  }
  const std::string_view rest = packed.substr(digits + 1);
  return AckArg{rest.substr(0, n), rest.substr(n)};
}

std::string output_id_of(std::string_view ticket, Metric m, std::uint32_t cycle, std::string_view suffix) {
  const std::string_view metric = policy::to_string(m);
  char digits[16];
  const auto r = std::to_chars(std::begin(digits), std::end(digits), cycle);
  const auto ndigits = static_cast<std::size_t>(r.ptr - digits);
  const std::size_t n = ticket.size() + metric.size() + ndigits + suffix.size() + 3;
  // Assembled on the stack and copied once (one allocation for the string).
  char buf[256];
  if (n > sizeof(buf)) {
    std::string id;
    id.reserve(n);
    id.append(ticket).append(1, '/').append(metric).append(1, '/').append(digits, ndigits).append(1, '/').append(suffix);
    return id;
  }
  char* p = buf;
  auto put = [&p](std::string_view part) {
    std::memcpy(p, part.data(), part.size());
    p += part.size();
  };
  put(ticket);
  *p++ = '/';
  put(metric);
  *p++ = '/';
  put(std::string_view(digits, ndigits));
  *p++ = '/';
  put(suffix);
  return std::string(buf, n);
}

void append_number(std::string& s, std::uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(std::begin(buf), std::end(buf), v);
  s.append(buf, r.ptr);
}

std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::kMet: return "met";
    case Outcome::kBreached: return "breached";
    case Outcome::kCancelled: return "cancelled";
    case Outcome::kRestarted: return "restarted";
    case Outcome::kRetargeted: return "retargeted";
    case Outcome::kStopped: return "stopped";
  }
  return "unknown";
}

Atom Interner::intern(std::string_view s) {
  if (s.empty()) return kEmptyAtom;
  Recent& r = recent_[recent_slot(s)];
  if (r.str != nullptr && std::string_view(*r.str) == s) return r.atom;
  // find() first: emplace() would build (allocate) a node even for a hit.
  if (auto it = ids_.find(s); it != ids_.end()) {
    r = Recent{&it->first, it->second};
    return it->second;
  }
  Atom a = 0;
  if (!free_.empty()) {
    a = free_.back();
    free_.pop_back();
  } else {
    a = static_cast<Atom>(strs_.size());
    strs_.push_back(nullptr);
  }
  auto it = ids_.emplace(std::string(s), a).first;
  strs_[a] = &it->first;
  r = Recent{&it->first, a};
  return a;
}

std::uint64_t hash_id(std::string_view s) noexcept {
  std::uint64_t h = 14695981039346656037ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

// ---------------------------------------------------------------------------
// Items: [warnings][breach][reminders][steps] per clock cycle.

const policy::Severity* TicketMachine::severity() const {
  // Looked up once per TicketMachine and again only after a plan or severity change.
  if (!sev_valid_) {
    sev_ = tables_.severities.get(policy_, tables_.atoms, t_.derived.plan, t_.derived.severity);
    sev_valid_ = true;
  }
  return sev_;
}

AttrView TicketMachine::attributes() const {
  AttrView v;
  if (t_.attrs() != kEmptyAtom) unpack_attrs(str(t_.attrs()), v);
  return v;
}

bool TicketMachine::set_attributes(Atom a) {
  if (a == t_.attrs()) return false;
  t_.set_attrs(a);
  ladder_mask_valid_ = false;
  next_valid_ = 0;  // the escalation steps that hold follow the attributes
  return true;
}

std::uint64_t TicketMachine::compute_ladder_mask() const {
  ladder_mask_ = 0;
  // An attribute test is never empty, so a ticket without attributes
  // matches none of them.
  if (policy_.attribute_ladders() > 0 && t_.attrs() != kEmptyAtom) {
    const AttrView attrs = attributes();
    for (const auto& l : policy_.escalations()) {
      if (l.attribute_bit >= 0 && l.match.attributes && l.match.attributes->holds(attrs)) {
        ladder_mask_ |= std::uint64_t{1} << static_cast<unsigned>(l.attribute_bit);
      }
    }
  }
  ladder_mask_valid_ = true;
  return ladder_mask_;
}

bool TicketMachine::step_holds(const policy::EscalationStep& step) const {
  const int bit = policy_.escalations()[step.ladder].attribute_bit;
  return bit < 0 || ((ladder_mask() >> static_cast<unsigned>(bit)) & 1U) != 0;
}

std::span<const policy::EscalationStep* const> TicketMachine::steps(Metric m) const {
  const policy::Severity* sev = severity();
  if (sev == nullptr) return {};
  return sev->steps[index(m)];
}

const policy::Target* TicketMachine::resolve(Metric m, EpochMillis opened_at, bool* in_hours) const {
  const policy::Severity* sev = severity();
  if (sev == nullptr) return nullptr;
  const policy::MetricTargets* rule = nullptr;
  if (policy_.has_rules()) {
    // A plan's `rules:` (first match wins) override the severity's targets
    // for the metrics they name.
    if (const policy::Plan* plan = policy_.plan(str(t_.derived.plan)); plan != nullptr && !plan->rules.empty()) {
      const AttrView attrs = attributes();
      if (const policy::PlanRule* r = plan->rule_for(sev->name, attrs); r != nullptr && r->metrics[index(m)]) {
        rule = &*r->metrics[index(m)];
      }
    }
  }
  if (rule == nullptr && !sev->metrics[index(m)]) return nullptr;
  const policy::MetricTargets& mt = rule != nullptr ? *rule : *sev->metrics[index(m)];
  const bool ih = !mt.split() || mt.hours_calendar == nullptr || mt.hours_calendar->is_open(opened_at);
  if (in_hours != nullptr) *in_hours = ih;
  return &mt.pick(ih);
}

std::size_t TicketMachine::item_count(const MetricClock& c, Metric m) const {
  if (c.target == nullptr) return 0;
  std::size_t n = steps(m).size();
  if (!c.target->open_ended) {
    n += c.target->warnings.size() + 1 + static_cast<std::size_t>(std::max(0, c.target->after_breach.times));
  }
  return std::min(n, kMaxItems);
}

std::optional<TicketMachine::Item> TicketMachine::item(const MetricClock& c, Metric m, std::size_t i) const {
  const policy::Target& tg = *c.target;
  if (!tg.open_ended) {
    const std::size_t w = tg.warnings.size();
    if (i < w) return Item{Item::Kind::kWarning, static_cast<std::uint32_t>(i), tg.warnings[i].fire_at(c.target_ms)};
    if (i == w) return Item{Item::Kind::kBreach, 0, c.target_ms};
    const auto r = static_cast<std::size_t>(std::max(0, tg.after_breach.times));
    if (i <= w + r) {
      const auto k = static_cast<std::int64_t>(i - w);
      return Item{Item::Kind::kReminder, static_cast<std::uint32_t>(k),
                  sat_add(c.target_ms, sat_mul(k, tg.after_breach.repeat_ms))};
    }
    i -= w + 1 + r;
  }
  const auto st = steps(m);
  if (i >= st.size() || !step_holds(*st[i])) return std::nullopt;
  // Steps on exchanges or a request fire on events (fire_event_step), not on the clock's time.
  if (st[i]->requested || st[i]->at.kind == policy::StepAt::Kind::kExchanges) return std::nullopt;
  const auto at = step_due(st[i]->at, tg.open_ended ? std::nullopt : std::optional<std::int64_t>(c.target_ms));
  if (!at) return std::nullopt;
  return Item{Item::Kind::kStep, static_cast<std::uint32_t>(i), *at};
}

void TicketMachine::append_suffix(std::string& id, const MetricClock& c, Metric m, const Item* it) const {
  if (it == nullptr) {
    id.append("met/0");
    return;
  }
  switch (it->kind) {
    case Item::Kind::kWarning: id.append("warning/").append(c.target->warnings[it->index].text); return;
    case Item::Kind::kBreach: id.append("breached/0"); return;
    case Item::Kind::kReminder: id.append("breached/"); append_number(id, it->index); return;
    case Item::Kind::kStep: id.append("escalated/").append(steps(m)[it->index]->id); return;
  }
}

Atom TicketMachine::suffix_atom(const MetricClock& c, Metric m, const Item* it) const {
  const void* source = nullptr;  // where the part's text comes from, when not from the kind alone
  std::uint64_t kind = 0;        // 0: met; 1 + Item::Kind
  std::uint32_t index = 0;
  if (it != nullptr) {
    kind = 1 + static_cast<std::uint64_t>(it->kind);
    index = it->index;
    if (it->kind == Item::Kind::kWarning) source = &c.target->warnings[it->index];
    if (it->kind == Item::Kind::kStep) source = steps(m)[it->index];
  }
  return tables_.suffixes.get(policy_, SuffixAtoms::Key{source, (kind << 32U) | index}, [&] {
    std::string part;
    append_suffix(part, c, m, it);
    return tables_.atoms.intern(part);
  });
}

EpochMillis TicketMachine::due_of(const MetricClock& c, std::int64_t at) const {
  if (at <= c.elapsed) return c.since;
  if (!c.counting()) return kNever;
  return c.target->calendar->add(c.since, at - c.elapsed);
}

std::int64_t TicketMachine::elapsed_at(const MetricClock& c, EpochMillis t) const {
  if (!c.counting() || t <= c.since) return c.elapsed;
  return sat_add(c.elapsed, c.target->calendar->elapsed(c.since, t));
}

std::optional<EpochMillis> TicketMachine::deadline(const MetricClock& c) const {
  if (c.target == nullptr || c.target->open_ended) return std::nullopt;
  if (c.breach_at == kNever && c.elapsed < c.target_ms && !c.counting()) return std::nullopt;
  return c.deadline_from_counted();
}

// ---------------------------------------------------------------------------
// Emission.

bool TicketMachine::claim(const std::string& id, Metric m, std::uint32_t cycle) {
  if (out_ == nullptr) return false;
  // The id is "<ticket>/<metric>/<cycle>/<rest>": the key holds metric and
  // cycle as numbers and the rest interned, so it is exact, for the
  // ticket's whole life (SPEC 5.3: any re-emission carries identical bytes,
  // and an output is never emitted twice).
  std::size_t prefix = t_.id.size() + 1 + policy::to_string(m).size() + 1;
  for (std::uint32_t c = cycle;; c /= 10) {
    ++prefix;
    if (c < 10) break;
  }
  ++prefix;
  const std::uint64_t key = emitted_key(m, cycle, tables_.atoms.intern(std::string_view(id).substr(prefix)));
  auto& em = t_.emitted;
  const auto pos = std::lower_bound(em.begin(), em.end(), key);
  if (pos != em.end() && *pos == key) return false;
  // Outputs emitted by an engine before format version 3 are known by hash.
  if (t_.cold && !t_.cold->legacy_emitted.empty()) {
    const auto& legacy = t_.cold->legacy_emitted;
    if (std::find(legacy.begin(), legacy.end(), hash_id(id)) != legacy.end()) return false;
  }
  em.insert(pos, key);
  return true;
}

void TicketMachine::emit_sla(Metric m, const MetricClock& c, SlaKind kind, EpochMillis due, const Item* it) {
  if (out_ == nullptr) return;  // a silent replay emits and remembers nothing
  // claim() by key first (the suffix's atom is cached): the id is built only
  // for an output that is emitted.
  const Atom suffix = suffix_atom(c, m, it);
  const std::uint64_t key = emitted_key(m, c.cycle, suffix);
  auto& em = t_.emitted;
  const auto pos = std::lower_bound(em.begin(), em.end(), key);
  if (pos != em.end() && *pos == key) return;
  std::string id = output_id_of(t_.id, m, c.cycle, str(suffix));
  // Outputs emitted by an engine before format version 3 are known by hash.
  if (t_.cold && !t_.cold->legacy_emitted.empty()) {
    const auto& legacy = t_.cold->legacy_emitted;
    if (std::find(legacy.begin(), legacy.end(), hash_id(id)) != legacy.end()) return;
  }
  if (pos == em.end()) {
    em.push_back(key);
  } else {
    em.insert(pos, key);
  }
  // Built in place in the output vector: no move of a ~300-byte variant.
  SlaOutput& o = std::get<SlaOutput>(out_->emplace_back(std::in_place_type<SlaOutput>));
  o.event_id = std::move(id);
  o.ticket_id = t_.id;
  o.tenant_id = str(t_.tenant);
  o.plan = str(t_.derived.plan);
  o.severity = str(t_.derived.severity);
  o.metric = m;
  o.cycle = c.cycle;
  // Open-ended clocks (`within: none`) have no deadline: left unset; nor
  // has a met clock for a step an event fired on it (exchanges, a request).
  const bool event_step = it != nullptr && it->kind == Item::Kind::kStep &&
                          (steps(m)[it->index]->requested ||
                           steps(m)[it->index]->at.kind == policy::StepAt::Kind::kExchanges);
  if (!c.target->open_ended && (c.live() || !event_step)) o.deadline = deadline(c).value_or(due);
  // Event time, not the wall clock: the due instant, or the event that made
  // it due (a met, a breach at once after a retarget). So a replay, a late
  // catch-up and a re-emission after a crash carry the same bytes; when it
  // reached Kafka is the record's timestamp.
  o.fired_at = std::max(t_.derived.last_event_at, due == kNever ? t_.derived.last_event_at : due);
  o.started_at = c.cycle_start;
  o.elapsed_ms = kind == SlaKind::kMet ? c.elapsed : std::max(elapsed_at(c, due), it != nullptr ? it->at : 0);
  o.target_ms = c.target_ms;
  o.kind = kind;
  o.after_breach = kind == SlaKind::kMet && c.breached;
  if (it != nullptr) {
    switch (it->kind) {
      case Item::Kind::kWarning: o.threshold = c.target->warnings[it->index].text; break;
      case Item::Kind::kReminder: o.reminder = it->index; break;
      case Item::Kind::kStep: {
        const auto* st = steps(m)[it->index];
        o.step = static_cast<std::uint32_t>(st->index);
        o.notify = st->notify;
        o.page = st->page;
        if (st->at.kind == policy::StepAt::Kind::kExchanges) {
          o.trigger = "exchanges";
          o.exchanges = t_.derived.exchanges;
        } else if (st->requested && t_.cold && t_.cold->request) {
          o.trigger = "requested";
          const AckArg a = unpack_ack(str(t_.cold->request->arg));
          o.requested_by = std::string(a.page_id);
          o.reason = std::string(a.responder);
          o.requested_at = t_.cold->request->at;
        }
        break;
      }
      case Item::Kind::kBreach: break;
    }
  }
  ++outputs;
}

void TicketMachine::fire_item(Metric m, MetricClock& c, std::size_t i, const Item& it, EpochMillis due) {
  c.fired |= std::uint64_t{1} << i;
  SlaKind kind = SlaKind::kWarning;
  switch (it.kind) {
    case Item::Kind::kWarning: kind = SlaKind::kWarning; break;
    case Item::Kind::kBreach:
      kind = SlaKind::kBreached;
      c.breached = true;
      // A target already exceeded at a retarget ran out earlier (rebase()).
      if (c.breach_at == kNever || c.breach_at > due) c.breach_at = due;
      break;
    case Item::Kind::kReminder: kind = SlaKind::kBreached; break;
    case Item::Kind::kStep: kind = SlaKind::kEscalated; break;
  }
  emit_sla(m, c, kind, due, &it);
  if (it.kind == Item::Kind::kStep) {
    const auto* st = steps(m)[it.index];
    if (st->page) start_ladders(m, c, *st, due);
  }
}

void TicketMachine::start_ladders(Metric m, const MetricClock& c, const policy::EscalationStep& step, EpochMillis at) {
  for (const auto* pt : step.pages) {
    std::string key = t_.id;
    key.append("/").append(policy::to_string(m)).append("/").append(std::to_string(c.cycle));
    key.append("/page/").append(step.id).append("/").append(pt->name);
    const auto ladders = t_.ladders();
    auto it = std::find_if(ladders.begin(), ladders.end(), [&](const Ladder& l) { return l.key == key; });
    if (it != ladders.end()) continue;  // a step fires once per cycle
    Ladder l;
    l.key = std::move(key);
    l.target = pt->name;
    l.metric = m;
    l.cycle = c.cycle;
    // The ladder runs from the step's due moment, not from when a (possibly
    // late) tick noticed it: ack deadlines do not drift with firing lateness.
    l.next_at = at;
    t_.cold_part().ladders.push_back(std::move(l));
  }
}

void TicketMachine::fire_page(Ladder& l) {
  const auto* pt = policy_.paging_target(l.target);
  if (pt == nullptr || pt->levels.empty()) {
    l.stopped = true;  // the target vanished with a policy reload
    l.stop_reason = static_cast<std::uint8_t>(LadderStop::kTargetGone);
    return;
  }
  const auto levels = static_cast<std::uint32_t>(pt->levels.size());
  const std::uint32_t k = l.pages_sent;
  const auto& level = pt->levels[k % levels];
  const EpochMillis at = l.next_at;
  l.pages_sent += 1;
  l.next_at = sat_add(at, level.ack_timeout_ms);
  if (out_ == nullptr) return;  // a silent replay emits and remembers nothing
  std::string page_id;
  page_id.reserve(l.key.size() + 24);
  page_id.append(l.key).append(1, '/');
  append_number(page_id, k % levels);
  page_id.append(1, '/');
  append_number(page_id, k / levels);
  if (!claim(page_id, l.metric, l.cycle)) return;
  PageOutput& p = new_page(l, std::move(page_id));
  p.rotation = level.rotation_name;
  p.responder = level.responder(at);
  p.level = k % levels;
  p.attempt = k / levels;
  p.ack_deadline = sat_add(at, level.ack_timeout_ms);
  p.high_urgency = true;
  p.fired_at = std::max(at, t_.derived.last_event_at);  // event time, as for SLA outputs
  ++outputs;
}

void TicketMachine::stop_ladders(std::string_view page_id, EpochMillis at, std::string_view responder) {
  for (auto& l : t_.ladders()) {
    const bool all = page_id.empty();
    if (all) {
      // Resolved or closed: every incident the ticket opened closes, those
      // already acknowledged or ended included (once each).
      if (!l.stopped) {
        l.stopped = true;
        l.stop_reason = static_cast<std::uint8_t>(LadderStop::kResolved);
      }
      emit_page_action(l, PageAction::kResolve, at);
      continue;
    }
    if (!(page_id.substr(0, l.key.size()) == l.key &&
          (page_id.size() == l.key.size() || page_id[l.key.size()] == '/'))) {
      continue;
    }
    if (!l.acked_at) {
      l.acked_at = at;
      l.acked_by = std::string(responder);
    }
    if (l.stopped) continue;  // keep the first reason (an ack after the cycle ended changes nothing)
    l.stopped = true;
    l.stop_reason = static_cast<std::uint8_t>(LadderStop::kAcknowledged);
    emit_page_action(l, PageAction::kAcknowledge, at, responder);
  }
}

std::size_t TicketMachine::step_pos(const MetricClock& c, std::size_t i) const {
  std::size_t pos = i;
  if (!c.target->open_ended) {
    pos += c.target->warnings.size() + 1 + static_cast<std::size_t>(std::max(0, c.target->after_breach.times));
  }
  return pos < kMaxItems ? pos : kMaxItems;
}

void TicketMachine::fire_event_step(Metric m, MetricClock& c, std::size_t i, EpochMillis at) {
  const std::size_t pos = step_pos(c, i);
  if (pos >= kMaxItems || ((c.fired >> pos) & 1U) != 0) return;
  c.fired |= std::uint64_t{1} << pos;
  const Item it{Item::Kind::kStep, static_cast<std::uint32_t>(i), 0};
  emit_sla(m, c, SlaKind::kEscalated, at, &it);
  const auto* st = steps(m)[i];
  if (st->page) start_ladders(m, c, *st, at);
}

bool TicketMachine::takes_event_steps(const MetricClock& c) const {
  // Running or met (a met response clock still counts its ticket's
  // exchanges); not once the ticket is resolved or closed, nor a cancelled clock.
  const DerivedState& s = t_.derived;
  return c.target != nullptr && (c.live() || c.phase == MetricClock::Phase::kMet) && s.opened && !s.resolved &&
         !s.closed;
}

void TicketMachine::fire_exchange_steps(EpochMillis t, bool reached) {
  const std::uint32_t n = t_.derived.exchanges;
  if (n == 0) return;
  t_.derived.each_clock([&](Metric m, MetricClock& c) {
    if (!takes_event_steps(c)) return;
    const auto st = steps(m);
    for (std::size_t i = 0; i < st.size(); ++i) {
      if (st[i]->at.kind != policy::StepAt::Kind::kExchanges || !step_holds(*st[i])) continue;
      if (reached ? st[i]->at.exchanges <= n : st[i]->at.exchanges == n) fire_event_step(m, c, i, t);
    }
  });
}

std::optional<TicketMachine::RequestDue> TicketMachine::requested_step_due() const {
  const EpochMillis from = t_.cold->request->at;
  std::optional<RequestDue> best;
  t_.derived.each_clock([&](Metric m, const MetricClock& c) {
    if (!takes_event_steps(c)) return;
    const auto st = steps(m);
    for (std::size_t i = 0; i < st.size(); ++i) {
      if (!st[i]->requested || !step_holds(*st[i])) continue;
      const std::size_t pos = step_pos(c, i);
      if (pos >= kMaxItems || ((c.fired >> pos) & 1U) != 0) continue;
      const std::int64_t ms = st[i]->at.elapsed_ms;
      const EpochMillis due = st[i]->calendar != nullptr ? st[i]->calendar->add(from, ms) : sat_add(from, ms);
      if (!best || due < best->due) best = RequestDue{due, m, i};
    }
  });
  return best;
}

// ---------------------------------------------------------------------------
// Scheduling.

namespace {
struct Next {
  EpochMillis due = kNever;
  int metric = -1;          // >= 0: a clock item
  std::size_t item = 0;
  std::int64_t at = 0;
  std::size_t ladder = 0;   // metric < 0: a ladder page
  bool found = false;
  bool request = false;     // a `trigger: requested` step (metric, item: its clock and step)
};
}  // namespace

const TicketMachine::NextItem& TicketMachine::next_item(const MetricClock& c, Metric m) const {
  NextItem& n = next_[index(m)];
  const auto bit = static_cast<std::uint8_t>(1U << index(m));
  if ((next_valid_ & bit) != 0 && n.target == c.target && n.target_ms == c.target_ms && n.fired == c.fired && n.cycle == c.cycle &&
      n.phase == c.phase && n.status_paused == c.status_paused && (!n.found || n.due > c.since)) {
    return n;
  }
  n.target = c.target;
  n.target_ms = c.target_ms;
  n.fired = c.fired;
  n.cycle = c.cycle;
  n.phase = c.phase;
  n.status_paused = c.status_paused;
  next_valid_ = static_cast<std::uint8_t>(next_valid_ | bit);
  n.found = false;
  n.due = kNever;
  if (c.target == nullptr) return n;
  // due_of() is monotonic in the counted time `at` for a given clock state,
  // so only the unfired item with the smallest `at` (lowest position on
  // ties) can be next: one calendar computation per clock, not one per item.
  // The items in that order are shared (ItemOrders): the first one not yet
  // fired is the answer.
  const ItemOrders::Key key{c.target, severity(), c.target_ms, m, ladder_mask()};
  const auto order = tables_.item_orders.get(policy_, key, [&](std::vector<ItemOrders::Entry>& v) {
    const std::size_t count = item_count(c, m);
    for (std::size_t i = 0; i < count; ++i) {
      if (const auto it = item(c, m, i)) v.push_back(ItemOrders::Entry{*it, static_cast<std::uint32_t>(i)});
    }
  });
  for (const auto& e : order) {
    if (((c.fired >> e.pos) & 1U) == 0) {
      n.found = true;
      n.index = e.pos;
      n.item = e.item;
      n.due = due_of(c, e.item.at);
      break;
    }
  }
  return n;
}

EpochMillis TicketMachine::next_due() const {
  EpochMillis best = kNever;
  t_.derived.each_clock([&](Metric m, const MetricClock& c) {
    if (!c.live()) return;
    if (const auto& n = next_item(c, m); n.found) best = std::min(best, n.due);
  });
  for (const auto& l : t_.ladders()) best = std::min(best, ladder_due(l));
  if (const auto rd = request_due()) best = std::min(best, rd->due);
  return best;
}

EpochMillis TicketMachine::ladder_due(const Ladder& l) const {
  if (l.stopped) return kNever;
  const auto* pt = policy_.paging_target(l.target);
  if (pt == nullptr) return kNever;
  const auto total = static_cast<std::uint32_t>(pt->levels.size()) * static_cast<std::uint32_t>(pt->repeat + 1);
  return l.pages_sent < total ? l.next_at : kNever;
}

void TicketMachine::fire_due(EpochMillis until) {
  until = std::min(until, now_);
  for (;;) {
    Next best;
    t_.derived.each_clock([&](Metric m, const MetricClock& c) {
      if (!c.live()) return;
      const auto& n = next_item(c, m);
      if (!n.found) return;
      // Ties between clocks: by metric order.
      if (n.due < best.due) best = Next{n.due, static_cast<int>(index(m)), n.index, n.item.at, 0, true};
    });
    const auto ladders = t_.ladders();
    for (std::size_t li = 0; li < ladders.size(); ++li) {
      const EpochMillis due = ladder_due(ladders[li]);
      if (due < best.due) best = Next{due, -1, 0, 0, li, true};
    }
    if (const auto rd = request_due(); rd && rd->due < best.due) {
      best = Next{rd->due, static_cast<int>(index(rd->metric)), rd->step, 0, 0, true, true};
    }
    if (!best.found || best.due > until) {
      due_after_fire_ = best.found ? best.due : kNever;
      return;
    }
    if (best.request) {
      const auto m = static_cast<Metric>(best.metric);
      fire_event_step(m, *t_.derived.clock(m), best.item, best.due);
    } else if (best.metric >= 0) {
      const auto m = static_cast<Metric>(best.metric);
      MetricClock& c = *t_.derived.clock(m);
      const auto it = item(c, m, best.item);
      fire_item(m, c, best.item, *it, best.due);
    } else {
      fire_page(t_.ladders()[best.ladder]);
    }
  }
}

void each_status_change(std::span<const StoredEvent> events, const DerivedState& before, const Interner& atoms,
                        const std::function<void(EpochMillis, std::string_view, bool)>& f) {
  bool opened = before.opened;
  bool resolved = before.resolved;
  bool closed = before.closed;
  for (const auto& e : events) {
    switch (e.kind) {
      case EventKind::kStatusChanged: f(e.at, atoms.str(e.arg), false); break;
      case EventKind::kOpened:
        if (!opened) {
          opened = true;
          const std::string_view status = split3(atoms.str(e.arg))[2];
          f(e.at, status.empty() ? std::string_view("open") : status, false);
        }
        break;
      case EventKind::kResolved: resolved = resolved || opened; break;
      case EventKind::kReopened:
        if (resolved && !closed) {
          resolved = false;
          f(e.at, {}, true);
        }
        break;
      case EventKind::kClosed: closed = true; break;
      default: break;
    }
  }
}

// ---------------------------------------------------------------------------
// State changes.

void TicketMachine::sync(EpochMillis t) {
  // Clocks on one calendar synced from one instant (a ticket's response and
  // resolution clocks, most often) count the same time: computed once.
  const calendar::Calendar* last_calendar = nullptr;
  EpochMillis last_since = 0;
  std::int64_t last_counted = 0;
  for (auto& c : t_.derived.clocks) {
    if (c.counting() && t > c.since) {
      const calendar::Calendar* cal = c.target->calendar;
      if (cal != last_calendar || c.since != last_since) {
        last_calendar = cal;
        last_since = c.since;
        last_counted = cal->elapsed(c.since, t);
      }
      c.elapsed = sat_add(c.elapsed, last_counted);
    }
    c.since = std::max(c.since, t);
  }
}

void TicketMachine::open_clock(Metric m, const policy::Target* target, bool in_hours, EpochMillis t) {
  MetricClock& c = t_.derived.add_clock(m);
  c.target = target;
  c.in_hours = in_hours;
  start_cycle(c, m, t, 0);
}

void TicketMachine::start_cycle(MetricClock& c, Metric /*m*/, EpochMillis t, std::uint32_t cycle) {
  c.cycle = cycle;
  c.phase = MetricClock::Phase::kRunning;
  c.breached = false;
  c.breach_at = kNever;
  c.cycle_start = t;
  c.since = t;
  c.elapsed = 0;
  c.fired = 0;
  c.target_ms = target_millis(*c.target, t);
  c.status_paused = c.target->pauses_on(str(t_.derived.status));
}

void TicketMachine::end_cycle(MetricClock& c, Metric m, EpochMillis t, Outcome outcome, bool met) {
  auto& h = t_.derived.history;
  if (h.size() >= kMaxHistory) h.erase(h.begin());
  h.push_back(Cycle{c.cycle_start, t, c.elapsed, c.cycle, m, outcome});
  // A cycle that ends unmet (cancelled, restarted) takes its pages with it.
  // A met one does not: a first reply to the customer is not an engineer
  // acknowledging the page (SPEC 3), unless the escalation says stop_on met.
  for (auto& l : t_.ladders()) {
    if (l.metric != m || l.cycle != c.cycle || l.stopped) continue;
    if (met && !stops_on_met(l)) continue;
    l.stopped = true;
    l.stop_reason = static_cast<std::uint8_t>(LadderStop::kCycleEnded);
    emit_page_action(l, PageAction::kResolve, t);
  }
}

bool TicketMachine::stops_on_met(const Ladder& l) const {
  // The key ends "/page/<step id>/<target>", as start_ladders() built it.
  const std::string_view key = l.key;
  for (const auto& ladder : policy_.escalations()) {
    if (!ladder.stop_on_met) continue;
    for (const auto& st : ladder.steps) {
      if (st.page && key.ends_with("/page/" + st.id + "/" + l.target)) return true;
    }
  }
  return false;
}

PageOutput& TicketMachine::new_page(const Ladder& l, std::string page_id) {
  // Built in place in the output vector, as SLA outputs are.
  PageOutput& p = std::get<PageOutput>(out_->emplace_back(std::in_place_type<PageOutput>));
  p.page_id = std::move(page_id);
  p.dedup_key = l.key;
  p.ticket_id = t_.id;
  p.tenant_id = str(t_.tenant);
  p.plan = str(t_.derived.plan);
  p.severity = str(t_.derived.severity);
  p.metric = l.metric;
  p.cycle = l.cycle;
  p.target = l.target;
  return p;
}

void TicketMachine::emit_page_action(const Ladder& l, PageAction action, EpochMillis at, std::string_view responder) {
  if (out_ == nullptr || l.pages_sent == 0) return;
  std::string page_id = l.key;
  page_id.append(action == PageAction::kAcknowledge ? "/acknowledge" : "/resolve");
  if (!claim(page_id, l.metric, l.cycle)) return;
  PageOutput& p = new_page(l, std::move(page_id));
  p.action = action;
  p.high_urgency = true;
  p.fired_at = std::max(at, t_.derived.last_event_at);
  p.responder = std::string(responder);
  if (const auto last = last_page(l, policy_)) {
    p.level = last->level;
    p.attempt = last->attempt;
    p.rotation = last->paging_level->rotation_name;
    if (action != PageAction::kAcknowledge) p.responder = last->paging_level->responder(last->at);
  }
  ++outputs;
}

void TicketMachine::meet(Metric m, EpochMillis t) {
  MetricClock* cp = t_.derived.clock(m);
  if (cp == nullptr || !cp->live()) return;
  MetricClock& c = *cp;
  emit_sla(m, c, SlaKind::kMet, t, nullptr);  // after_breach when it had breached
  end_cycle(c, m, t, c.breached ? Outcome::kBreached : Outcome::kMet, /*met=*/true);
  c.phase = MetricClock::Phase::kMet;
}

void TicketMachine::update_pause(EpochMillis /*t*/) {
  for (auto& c : t_.derived.clocks) {
    if (c.live()) c.status_paused = c.target->pauses_on(str(t_.derived.status));
  }
}

void TicketMachine::retarget(EpochMillis t) {
  DerivedState& s = t_.derived;
  if (!s.opened) return;
  for (std::size_t mi = 0; mi < kMetricCount; ++mi) {
    const auto m = static_cast<Metric>(mi);
    bool in_hours = true;
    const policy::Target* nt = resolve(m, s.opened_at, &in_hours);
    if (s.clock(m) == nullptr) {
      if (nt != nullptr && !s.resolved && !s.closed) {
        open_clock(m, nt, in_hours, t);
      }
      continue;
    }
    MetricClock& c = *s.clock(m);
    if (!c.live()) {
      // Finished clocks keep their outcome; the target always follows the
      // ticket's current (plan, severity) so a stored ticket reloads the same.
      c.target = nt;
      c.in_hours = in_hours;
      if (nt != nullptr && c.phase == MetricClock::Phase::kMet && !s.resolved && !s.closed) fire_passed_steps(m, c, t);
      continue;
    }
    if (nt == nullptr) {
      end_cycle(c, m, t, Outcome::kCancelled);
      c.phase = MetricClock::Phase::kStopped;
      c.target = nullptr;
      continue;
    }
    if (nt == c.target) continue;
    if (policy_.on_retarget() == policy::OnRetarget::kRestart) {
      end_cycle(c, m, t, Outcome::kRetargeted);
      c.target = nt;
      c.in_hours = in_hours;
      start_cycle(c, m, t, c.cycle + 1);
      continue;
    }
    // keep_elapsed: the new target applies to the time already counted.
    rebase(c, m, nt, in_hours, c.elapsed, t);
  }
  update_pause(t);
  fire_exchange_steps(t, /*reached=*/true);
}

void TicketMachine::reopen_matches(EpochMillis t) {
  // SPEC 3 round 2, matches that start holding later, at a reopen: what the
  // ticket's (plan, severity) asks for now holds again. A clock its targets
  // have but it lacks (the severity changed while it was resolved) starts
  // now; a met clock the reopen left met fires the steps it had reached
  // under the current match (a P2 answered, resolved, raised to P0 and
  // reopened pages the P0 on-call now). Steps and pages it had already sent
  // in this cycle keep their ids and are not sent again.
  DerivedState& s = t_.derived;
  for (std::size_t mi = 0; mi < kMetricCount; ++mi) {
    const auto m = static_cast<Metric>(mi);
    if (s.clock(m) != nullptr) continue;
    bool in_hours = true;
    const policy::Target* nt = resolve(m, s.opened_at, &in_hours);
    if (nt != nullptr) open_clock(m, nt, in_hours, t);
  }
  s.each_clock([&](Metric m, MetricClock& c) {
    if (c.target != nullptr && c.phase == MetricClock::Phase::kMet) fire_passed_steps(m, c, t);
  });
}

void TicketMachine::fire_passed_steps(Metric m, const MetricClock& c, EpochMillis t) {
  // SPEC 3 round 2, matches that start holding later: a ticket raised to P0
  // after its response was met pages the P0 on-call now. The steps of the new
  // (plan, severity) that the met clock had reached (counted time; a breach
  // step only if it breached) fire at once; those it had already fired under
  // the old match have the same ids and are not sent again (claim()).
  const auto st = steps(m);
  const std::int64_t target_ms = target_millis(*c.target, c.cycle_start);
  for (std::size_t i = 0; i < st.size(); ++i) {
    if (!step_holds(*st[i])) continue;  // its escalation tests attributes the ticket lacks
    if (st[i]->at.kind == policy::StepAt::Kind::kBreach && !c.breached) continue;
    if (st[i]->requested || st[i]->at.kind == policy::StepAt::Kind::kExchanges) continue;  // events fire those
    const auto due = step_due(st[i]->at, c.target->open_ended ? std::nullopt : std::optional<std::int64_t>(target_ms));
    if (!due || *due > c.elapsed) continue;
    const Item it{Item::Kind::kStep, static_cast<std::uint32_t>(i), *due};
    emit_sla(m, c, SlaKind::kEscalated, t, &it);
    if (st[i]->page) start_ladders(m, c, *st[i], t);  // one per step and target: an existing one goes on
  }
}

void TicketMachine::rebase(MetricClock& c, Metric m, const policy::Target* nt, bool in_hours, std::int64_t counted,
                           EpochMillis t) {
  // SPEC 3, retarget with keep_elapsed, and a policy reload alike: warnings
  // and after-breach reminders the clock has already passed (`counted`) are
  // skipped (no burst of stale notices); the breach and every escalation
  // step already reached are left due, so the next fire_due() fires them at
  // once (or at the instant they fell due, when that is after c.since). Each
  // fires once per cycle: one emitted before the change has the same id and
  // is not sent again, but the breach is recorded either way.
  // A new target already exceeded ran out in the past, while the clock still
  // counted on the old one's calendar and pauses (SPEC 2.2: the deadline is
  // when the target ran out, not when the change came): found here, before
  // the target changes, and kept as the breach instant the breach then
  // reports (the change time when the history does not reach back to it).
  const std::int64_t new_target_ms = target_millis(*nt, c.cycle_start);
  EpochMillis ran_out = kNever;
  if (!nt->open_ended && counted >= new_target_ms) ran_out = reached_at(c, new_target_ms, counted, t).value_or(kNever);
  c.target = nt;
  c.in_hours = in_hours;
  c.target_ms = new_target_ms;
  c.fired = 0;
  c.breached = false;
  c.breach_at = ran_out;
  const std::size_t n = item_count(c, m);
  for (std::size_t i = 0; i < n; ++i) {
    const auto it = item(c, m, i);
    if (!it || it->at > counted) continue;
    if (it->kind == Item::Kind::kWarning || it->kind == Item::Kind::kReminder) c.fired |= std::uint64_t{1} << i;
  }
  c.status_paused = nt->pauses_on(str(t_.derived.status));
}

std::optional<EpochMillis> TicketMachine::reached_at(const MetricClock& c, std::int64_t amount, std::int64_t counted,
                                                     EpochMillis t) const {
  if (c.target == nullptr || amount < 0 || counted < amount) return std::nullopt;
  // The window in which the clock counted by c.target's rules for sure: from
  // its cycle start, or the last earlier event that may have changed them,
  // or the newest folded event (what came before is not retained).
  EpochMillis from = c.cycle_start;
  if (t_.cold && t_.cold->base) from = std::max(from, t_.cold->base_at);
  for (const StoredEvent& e : t_.events) {
    if (e.at >= t) break;
    if (e.at <= from) continue;
    if (e.kind == EventKind::kSeverityChanged || e.kind == EventKind::kPlanChanged ||
        e.kind == EventKind::kAttributesChanged || e.kind == EventKind::kReopened || e.kind == EventKind::kOpened) {
      from = e.at;
    }
  }
  if (from >= t) return std::nullopt;
  // The status in effect over [from, t], piece by piece.
  detail::StatusTimeline tl;
  tl.assign(t_, tables_.atoms);
  if (tl.known_from > from) return std::nullopt;
  std::vector<std::pair<EpochMillis, bool>> pieces;  // start, paused
  bool known = false;
  bool paused = false;
  for (const auto& [at, status] : tl.marks) {
    if (at > from) {
      if (at >= t) break;
      if (!known) return std::nullopt;
      if (pieces.empty()) pieces.emplace_back(from, paused);
      pieces.emplace_back(at, c.target->pauses_on(status));
      continue;
    }
    known = true;
    paused = c.target->pauses_on(status);
  }
  if (!known) return std::nullopt;
  if (pieces.empty()) pieces.emplace_back(from, paused);
  const calendar::Calendar& cal = *c.target->calendar;
  std::int64_t in_window = 0;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const EpochMillis end = i + 1 < pieces.size() ? pieces[i + 1].first : t;
    if (!pieces[i].second) in_window = sat_add(in_window, cal.elapsed(pieces[i].first, end));
  }
  std::int64_t acc = counted - in_window;  // counted before `from`
  if (acc >= amount) return std::nullopt;  // ran out before the window
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (pieces[i].second) continue;
    const EpochMillis end = i + 1 < pieces.size() ? pieces[i + 1].first : t;
    const std::int64_t here = cal.elapsed(pieces[i].first, end);
    if (acc + here >= amount) return cal.add(pieces[i].first, amount - acc);
    acc += here;
  }
  return std::nullopt;  // the history disagrees with the clock: keep the change time
}

void TicketMachine::rebind(EpochMillis t) {
  DerivedState& s = t_.derived;
  s.each_clock([&](Metric m, MetricClock& c) {
    if (c.phase == MetricClock::Phase::kInactive) return;
    bool in_hours = c.in_hours;
    const policy::Target* nt = s.opened ? resolve(m, s.opened_at, &in_hours) : nullptr;
    if (nt == nullptr) {
      if (c.live()) end_cycle(c, m, std::max(t, c.since), Outcome::kCancelled);
      c.phase = c.phase == MetricClock::Phase::kMet ? MetricClock::Phase::kMet : MetricClock::Phase::kStopped;
      c.target = nullptr;
      return;
    }
    if (!c.live()) {
      c.target = nt;
      return;
    }
    if (nt == c.target) return;
    // The same routine as a retarget: the reloaded target applies to the
    // time counted by `t` (the item layout may have changed too).
    rebase(c, m, nt, c.in_hours, elapsed_at(c, t), t);
  });
}

void TicketMachine::apply(const StoredEvent& e) {
  DerivedState& s = t_.derived;
  sync(e.at);
  s.last_event_at = std::max(s.last_event_at, e.at);
  if (e.kind == EventKind::kOpened || e.kind == EventKind::kSeverityChanged || e.kind == EventKind::kPlanChanged ||
      e.kind == EventKind::kAttributesChanged) {
    sev_valid_ = false;
    next_valid_ = 0;  // the escalation steps follow (plan, severity)
  }
  // One case per event kind: a call to the kind's own step (on_*), or the
  // one or two lines it takes.
  switch (e.kind) {
    case EventKind::kOpened: on_opened(e); return;
    case EventKind::kResponded:
      s.agent_replied = s.agent_replied || (s.opened && !s.resolved && !s.closed);
      meet(Metric::kResponse, e.at);
      return;
    case EventKind::kAgentUpdated: on_agent_updated(e); return;
    case EventKind::kStatusChanged:
      s.status = e.arg;
      update_pause(e.at);
      return;
    case EventKind::kSeverityChanged:
      if (e.arg == s.severity) return;
      s.severity = e.arg;
      retarget(e.at);
      return;
    case EventKind::kPlanChanged:
      if (e.arg == s.plan) return;
      s.plan = e.arg;
      retarget(e.at);
      return;
    case EventKind::kWorkaroundProvided: meet(Metric::kWorkaround, e.at); return;
    case EventKind::kResolved: on_resolved(e); return;
    case EventKind::kReopened: on_reopened(e); return;
    case EventKind::kClosed: on_closed(e); return;
    case EventKind::kPageAcknowledged: {
      const AckArg a = unpack_ack(str(e.arg));
      stop_ladders(a.page_id, e.at, a.responder);
      return;
    }
    case EventKind::kCustomerReplied: on_customer_replied(e); return;
    case EventKind::kEscalationRequested: on_escalation_requested(e); return;
    case EventKind::kAttributesChanged: on_attributes_changed(e); return;
  }
}

void TicketMachine::on_opened(const StoredEvent& e) {
  DerivedState& s = t_.derived;
  if (s.opened) return;
  auto [cached, inserted] = tables_.opened_parts.try_emplace(e.arg);
  if (inserted) {
    const std::string_view packed = str(e.arg);
    const auto parts = split3(packed);
    // Attributes, when the event had any, follow the status's separator.
    const std::size_t attrs_at = static_cast<std::size_t>(parts[2].data() - packed.data()) + parts[2].size() + 1;
    cached->second = {tables_.atoms.intern(parts[0]), tables_.atoms.intern(parts[1]),
                      tables_.atoms.intern(parts[2].empty() ? std::string_view("open") : parts[2]),
                      attrs_at < packed.size() ? tables_.atoms.intern(packed.substr(attrs_at)) : kEmptyAtom};
  }
  s.plan = cached->second[0];
  s.severity = cached->second[1];
  s.status = cached->second[2];
  set_attributes(cached->second[3]);
  s.opened = true;
  s.opened_at = e.at;
  for (std::size_t mi = 0; mi < kMetricCount; ++mi) {
    const auto m = static_cast<Metric>(mi);
    bool in_hours = true;
    const policy::Target* target = resolve(m, e.at, &in_hours);
    if (target != nullptr) open_clock(m, target, in_hours, e.at);
  }
}

void TicketMachine::on_agent_updated(const StoredEvent& e) {
  DerivedState& s = t_.derived;
  s.agent_replied = s.agent_replied || (s.opened && !s.resolved && !s.closed);
  MetricClock* cp = s.clock(Metric::kUpdate);
  if (cp == nullptr || !cp->live()) return;
  meet(Metric::kUpdate, e.at);  // this cycle is met (after its breach, if it breached)
  start_cycle(*cp, Metric::kUpdate, e.at, cp->cycle + 1);
}

void TicketMachine::on_resolved(const StoredEvent& e) {
  DerivedState& s = t_.derived;
  if (!s.opened || s.resolved) return;
  s.resolved = true;
  // Resolving answers the customer, provides the fix and ends updates.
  meet(Metric::kResponse, e.at);
  meet(Metric::kWorkaround, e.at);
  meet(Metric::kResolution, e.at);
  if (MetricClock* u = s.clock(Metric::kUpdate); u != nullptr && u->live()) {
    end_cycle(*u, Metric::kUpdate, e.at, Outcome::kStopped);
    u->phase = MetricClock::Phase::kStopped;
  }
  stop_ladders({}, e.at);
}

void TicketMachine::on_reopened(const StoredEvent& e) {
  DerivedState& s = t_.derived;
  if (!s.resolved || s.closed) return;
  s.resolved = false;
  // A new cycle of the ticket: exchanges count from zero, and a new
  // escalation request may start the requested escalations again.
  s.exchanges = 0;
  s.agent_replied = false;
  if (t_.cold) t_.cold->request.reset();
  s.each_clock([&](Metric m, MetricClock& c) {
    if (c.target == nullptr || c.phase == MetricClock::Phase::kInactive) return;
    switch (policy_.on_reopen(m)) {
      case policy::ReopenAction::kResume:
        if (!c.live()) {
          c.phase = MetricClock::Phase::kRunning;
          c.since = e.at;
          c.status_paused = c.target->pauses_on(str(s.status));
        }
        break;
      case policy::ReopenAction::kRestart:
        if (c.live()) end_cycle(c, m, e.at, Outcome::kRestarted);
        start_cycle(c, m, e.at, c.cycle + 1);
        break;
      case policy::ReopenAction::kIgnore: break;
    }
  });
  reopen_matches(e.at);
}

void TicketMachine::on_closed(const StoredEvent& e) {
  DerivedState& s = t_.derived;
  if (s.closed) return;
  s.closed = true;
  s.each_clock([&](Metric m, MetricClock& c) {
    if (c.live()) {
      end_cycle(c, m, e.at, Outcome::kCancelled);
      c.phase = MetricClock::Phase::kStopped;
    }
  });
  stop_ladders({}, e.at);
}

void TicketMachine::on_customer_replied(const StoredEvent& e) {
  DerivedState& s = t_.derived;
  if (!s.opened || s.resolved || s.closed || !s.agent_replied) return;  // no exchange completed
  s.agent_replied = false;
  if (s.exchanges < policy::kMaxExchanges) ++s.exchanges;
  fire_exchange_steps(e.at, /*reached=*/false);
}

void TicketMachine::on_escalation_requested(const StoredEvent& e) {
  const DerivedState& s = t_.derived;
  if (!s.opened || s.resolved || s.closed) return;
  if (t_.cold && t_.cold->request) return;  // once per cycle of the ticket
  t_.cold_part().request = EscalationRequest{e.at, e.arg};
}

void TicketMachine::on_attributes_changed(const StoredEvent& e) {
  // As a severity or plan change (SPEC 3 round 2): targets re-resolve
  // (a rule may now match, or stop matching), and every escalation whose
  // attribute test newly holds starts now, steps already passed at once.
  const Atom attrs = tables_.atoms.intern(apply_attr_change(str(t_.attrs()), str(e.arg)));
  if (set_attributes(attrs)) retarget(e.at);
}

}  // namespace sla::engine::detail
