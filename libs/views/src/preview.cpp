#include "sla/views/preview.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>

#include "sla/calendar/calendar.hpp"
#include "sla/engine/engine.hpp"
#include "sla/policy/metric.hpp"

namespace sla::views {

namespace {

using nlohmann::json;

std::string describe(const policy::MetricTargets* t) {
  if (t == nullptr) return "";
  auto one = [](const policy::Target& x) { return x.duration_text + " (" + x.calendar_name + ")"; };
  if (!t->split()) return one(t->in_hours);
  return "in hours " + one(t->in_hours) + ", after hours " + one(*t->after_hours);
}

/// What an output is, for people.
std::string what_of(const engine::Output& o) {
  if (const auto* p = std::get_if<engine::PageOutput>(&o)) {
    return std::string(engine::to_string(p->action));
  }
  const auto& s = std::get<engine::SlaOutput>(o);
  if (s.kind == engine::SlaKind::kBreached && s.reminder > 0) return "reminder";
  if (s.kind == engine::SlaKind::kMet && s.after_breach) return "met_after_breach";
  return std::string(engine::to_string(s.kind));
}

struct Fired {
  EpochMillis at = 0;
  std::string ticket_id;
  std::string what;
  std::string metric;
};

/// Runs `e` from `now` to `end` on a simulated clock (no events), adding
/// every output by id. False when the budget ran out.
bool run(engine::Engine& e, EpochMillis now, EpochMillis end, std::unordered_map<std::string, Fired>& fired,
         const PreviewOptions& o, std::vector<engine::Output>& out) {
  auto record = [&] {
    for (const auto& x : out) {
      Fired f;
      std::string id;
      if (const auto* p = std::get_if<engine::PageOutput>(&x)) {
        id = p->page_id;
        f = Fired{p->fired_at, p->ticket_id, "page", std::string(policy::to_string(p->metric))};
      } else {
        const auto& s = std::get<engine::SlaOutput>(x);
        id = s.event_id;
        f = Fired{s.fired_at, s.ticket_id, what_of(x), std::string(policy::to_string(s.metric))};
      }
      fired.insert_or_assign(std::move(id), std::move(f));
    }
    out.clear();
  };
  record();  // what set_policy fired
  e.advance(now, out);
  record();
  for (auto due = e.next_due(); due && *due <= end; due = e.next_due()) {
    e.advance(std::max(now, *due), out);
    record();
    if (o.budget && std::chrono::steady_clock::now() > *o.budget) return false;
  }
  return true;
}

}  // namespace

std::vector<TargetChange> target_changes(const policy::Policy& a, const policy::Policy& b) {
  std::set<std::pair<std::string, std::string>> keys;
  for (const auto* p : {&a, &b}) {
    for (const auto& [plan, pl] : p->plans()) {
      for (const auto& [sev, s] : pl.severities) keys.emplace(plan, sev);
    }
  }
  std::vector<TargetChange> out;
  for (const auto& [plan, sev] : keys) {
    for (const auto m : policy::kAllMetrics) {
      std::string before = describe(a.targets(plan, sev, m));
      std::string after = describe(b.targets(plan, sev, m));
      if (before == after) continue;
      out.push_back(TargetChange{plan, sev, std::string(policy::to_string(m)), std::move(before), std::move(after)});
    }
  }
  return out;
}

namespace {

/// The clock deadlines and targets at `now` that differ between the two
/// engines, by ticket and (metric, cycle).
void deadline_changes(const engine::Engine& before, const engine::Engine& after, EpochMillis now,
                      std::vector<PreviewChange>& all) {
  for (const auto& id : before.ticket_ids()) {
    const auto va = before.ticket(id, now);
    const auto vb = after.ticket(id, now);
    if (!va || !vb) continue;
    using Key = std::pair<policy::Metric, std::uint32_t>;
    std::map<Key, const engine::ClockView*> ca;
    std::map<Key, const engine::ClockView*> cb;
    for (const auto& c : va->clocks) ca[{c.metric, c.cycle}] = &c;
    for (const auto& c : vb->clocks) cb[{c.metric, c.cycle}] = &c;
    std::set<Key> keys;
    for (const auto& [k, c] : ca) keys.insert(k);
    for (const auto& [k, c] : cb) keys.insert(k);
    for (const auto& k : keys) {
      const auto* a = ca.count(k) ? ca[k] : nullptr;
      const auto* b = cb.count(k) ? cb[k] : nullptr;
      const auto da = a ? a->deadline : std::nullopt;
      const auto db = b ? b->deadline : std::nullopt;
      const auto ta = a ? a->target_ms : std::nullopt;
      const auto tb = b ? b->target_ms : std::nullopt;
      if (da == db && ta == tb) continue;
      PreviewChange c;
      c.kind = da && db ? PreviewChange::Kind::kMoved : db ? PreviewChange::Kind::kAdded
               : da     ? PreviewChange::Kind::kRemoved
                        : PreviewChange::Kind::kMoved;  // no deadline either way: the target changed
      c.ticket_id = id;
      c.what = "deadline";
      c.metric = std::string(policy::to_string(k.first));
      c.id = id + "/" + c.metric + "/" + std::to_string(k.second);
      c.before = da;
      c.after = db;
      c.target_before = ta;
      c.target_after = tb;
      all.push_back(std::move(c));
    }
  }
}

/// The outputs fired before (`fa`) and after (`fb`) matched by id: removed,
/// moved (same id, another instant) and added.
void fired_changes(const std::unordered_map<std::string, Fired>& fa, const std::unordered_map<std::string, Fired>& fb,
                   std::vector<PreviewChange>& all) {
  for (const auto& [id, a] : fa) {
    const auto it = fb.find(id);
    if (it != fb.end() && it->second.at == a.at) continue;
    PreviewChange c;
    c.kind = it == fb.end() ? PreviewChange::Kind::kRemoved : PreviewChange::Kind::kMoved;
    c.ticket_id = a.ticket_id;
    c.what = a.what;
    c.id = id;
    c.metric = a.metric;
    c.before = a.at;
    if (it != fb.end()) c.after = it->second.at;
    all.push_back(std::move(c));
  }
  for (const auto& [id, b] : fb) {
    if (fa.count(id)) continue;
    PreviewChange c;
    c.kind = PreviewChange::Kind::kAdded;
    c.ticket_id = b.ticket_id;
    c.what = b.what;
    c.id = id;
    c.metric = b.metric;
    c.after = b.at;
    all.push_back(std::move(c));
  }
}

/// Sorts the changes (by ticket, instant, id), counts them and keeps the
/// first `max_changes` in `res`.
void summarise(std::vector<PreviewChange> all, std::size_t max_changes, PreviewResult& res) {
  std::sort(all.begin(), all.end(), [](const PreviewChange& x, const PreviewChange& y) {
    const EpochMillis tx = x.before ? *x.before : x.after.value_or(0);
    const EpochMillis ty = y.before ? *y.before : y.after.value_or(0);
    return std::tie(x.ticket_id, tx, x.id) < std::tie(y.ticket_id, ty, y.id);
  });
  std::set<std::string_view> touched;
  for (const auto& c : all) {
    touched.insert(c.ticket_id);
    switch (c.kind) {
      case PreviewChange::Kind::kMoved: ++res.moved; break;
      case PreviewChange::Kind::kAdded: ++res.added; break;
      case PreviewChange::Kind::kRemoved: ++res.removed; break;
    }
  }
  res.tickets_changed = touched.size();
  res.truncated = all.size() > max_changes;
  if (res.truncated) all.resize(max_changes);
  res.changes = std::move(all);
}

}  // namespace

sla::Result<PreviewResult> preview_policy(std::span<const std::string> saved, std::shared_ptr<const policy::Policy> current,
                                          std::shared_ptr<const policy::Policy> candidate, const PreviewOptions& o) {
  engine::Engine before(current);
  engine::Engine after(current);
  for (std::size_t i = 0; i < saved.size(); ++i) {
    for (auto* e : {&before, &after}) {
      if (auto r = e->load_ticket(saved[i]); !r) {
        return sla::fail(ErrorCode::kInvalidArgument,
                         "saved ticket #" + std::to_string(i) + " does not load: " + r.error().message);
      }
    }
  }
  PreviewResult res;
  res.now = o.now;
  res.horizon_ms = o.horizon_ms;
  res.tickets = before.ticket_count();

  std::vector<engine::Output> out;
  after.set_policy(std::move(candidate), o.now, out);
  res.fired_at_once = out.size();

  std::vector<PreviewChange> all;
  deadline_changes(before, after, o.now, all);

  // Everything that fires within the horizon, matched by output id.
  const EpochMillis end = o.now + o.horizon_ms;
  std::unordered_map<std::string, Fired> fa;
  std::unordered_map<std::string, Fired> fb;
  std::vector<engine::Output> none;
  res.complete = run(before, o.now, end, fa, o, none) && run(after, o.now, end, fb, o, out);
  fired_changes(fa, fb, all);
  summarise(std::move(all), o.max_changes, res);
  return res;
}

json preview_json(const PreviewResult& r, const std::vector<TargetChange>& targets) {
  auto instant = [](const std::optional<EpochMillis>& t) -> json {
    if (!t) return nullptr;
    return calendar::format_rfc3339(*t);
  };
  json tj = json::array();
  for (const auto& t : targets) {
    tj.push_back({{"plan", t.plan},
                  {"severity", t.severity},
                  {"metric", t.metric},
                  {"before", t.before.empty() ? json(nullptr) : json(t.before)},
                  {"after", t.after.empty() ? json(nullptr) : json(t.after)}});
  }
  json cj = json::array();
  for (const auto& c : r.changes) {
    json j = {{"ticket_id", c.ticket_id},
              {"what", c.what},
              {"id", c.id},
              {"metric", c.metric},
              {"change", c.kind == PreviewChange::Kind::kMoved  ? "moved"
                         : c.kind == PreviewChange::Kind::kAdded ? "added"
                                                                 : "removed"},
              {"before", instant(c.before)},
              {"after", instant(c.after)},
              {"moved_by_ms", c.before && c.after ? json(*c.after - *c.before) : json(nullptr)}};
    if (c.what == "deadline") {
      j["target_before_ms"] = c.target_before ? json(*c.target_before) : json(nullptr);
      j["target_after_ms"] = c.target_after ? json(*c.target_after) : json(nullptr);
    }
    cj.push_back(std::move(j));
  }
  return {{"now", calendar::format_rfc3339(r.now)},
          {"horizon_ms", r.horizon_ms},
          {"complete", r.complete},
          {"tickets", r.tickets},
          {"tickets_changed", r.tickets_changed},
          {"moved", r.moved},
          {"added", r.added},
          {"removed", r.removed},
          {"fired_at_once", r.fired_at_once},
          {"truncated", r.truncated},
          {"targets", std::move(tj)},
          {"changes", std::move(cj)}};
}

}  // namespace sla::views
