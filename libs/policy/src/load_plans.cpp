// Global rules (warnings, after_breach, on_reopen) and the `plans:` section:
// plans, severities, metric targets (single or in/after hours) and their
// durations, calendars, pauses, warnings and reminders.
#include "builder.hpp"

namespace sla::policy::detail {

std::optional<std::vector<Threshold>> Builder::load_warnings(const YAML::Node& node, const std::string& path) {
  auto l = scalar_list(node, path);
  if (!l) return std::nullopt;
  std::vector<Threshold> out;
  bool ok = true;
  for (auto& [s, n] : *l) {
    auto t = parse_threshold(s);
    if (!t) {
      error(n, path + ": " + t.error().message);
      ok = false;
      continue;
    }
    const bool dup = std::any_of(out.begin(), out.end(), [&](const Threshold& o) {
      return o.kind == t->kind && o.percent == t->percent && o.before_ms == t->before_ms;
    });
    if (dup) {
      error(n, path + ": warning '" + s + "' is listed twice");
      ok = false;
      continue;
    }
    out.push_back(std::move(*t));
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<AfterBreach> Builder::load_after_breach(const YAML::Node& node, const std::string& path) {
  auto m = mapping(node, path, {"repeat", "times"});
  if (!m) return std::nullopt;
  AfterBreach ab;
  bool ok = true;
  const Entry* rep = find(*m, "repeat");
  const Entry* times = find(*m, "times");
  if (rep == nullptr) {
    error(node, path + ": missing required key 'repeat'");
    ok = false;
  } else if (auto d = duration(rep->value, path + ".repeat", true)) {
    ab.repeat_ms = d->millis;
    ab.repeat_text = rep->value.Scalar();
  } else {
    ok = false;
  }
  if (times == nullptr) {
    error(node, path + ": missing required key 'times'");
    ok = false;
  } else if (auto n = integer(times->value, path + ".times", 0, 1000)) {
    ab.times = static_cast<std::int32_t>(*n);
  } else {
    ok = false;
  }
  if (!ok) return std::nullopt;
  return ab;
}

void Builder::load_on_reopen(const Entry& e) {
  auto m = mapping(e.value, "on_reopen", {"response", "update", "workaround", "resolution"});
  if (!m) return;
  for (const auto& entry : *m) {
    const Metric metric = *parse_metric(entry.key);  // keys were checked by mapping()
    auto s = scalar(entry.value, "on_reopen." + entry.key);
    if (!s) continue;
    ReopenAction a;
    if (*s == "resume") {
      a = ReopenAction::kResume;
    } else if (*s == "restart") {
      a = ReopenAction::kRestart;
    } else if (*s == "ignore") {
      a = ReopenAction::kIgnore;
    } else {
      error(entry.value, "on_reopen." + entry.key + ": unknown action '" + *s + "' (expected resume, restart or ignore)");
      continue;
    }
    policy_->on_reopen_[index(metric)] = a;
  }
}

// --- plans ----------------------------------------------------------------

void Builder::load_plans(const Entry& e) {
  auto plans = named_mapping(e.value, "plans");
  if (!plans) return;
  if (plans->empty()) {
    error(e.value, "plans: at least one plan is required");
    return;
  }
  for (const auto& p : *plans) load_plan(p.key, p.value, "plans." + p.key);
}

void Builder::load_plan(const std::string& name, const YAML::Node& node, const std::string& path) {
  auto m = mapping(node, path, {"default_calendar", "severities", "rules", "description"});
  Plan& plan = policy_->plans_[name];  // registered even when broken: references to it stay quiet
  plan.name = name;
  plan.default_calendar_name = "24x7";
  if (!m) return;
  if (const Entry* dc = find(*m, "default_calendar")) {
    bool ok = true;
    const calendar::Calendar* c = resolve_calendar(dc->value, path + ".default_calendar", ok);
    if (ok) {
      plan.default_calendar = c;
      plan.default_calendar_name = dc->value.Scalar();
    } else {
      plan.default_calendar_name.clear();  // unresolved: targets relying on it are not reported again
    }
  } else if (calendars_ok_) {
    plan.default_calendar = policy_->calendars_->find("24x7");
  }
  const Entry* sevs = find(*m, "severities");
  if (sevs == nullptr) {
    error(node, path + ": missing required key 'severities'");
    return;
  }
  auto sm = named_mapping(sevs->value, path + ".severities");
  if (!sm) return;
  if (sm->empty()) {
    error(sevs->value, path + ".severities: at least one severity is required");
    return;
  }
  for (const auto& s : *sm) {
    const std::string spath = path + ".severities." + s.key;
    Severity& sev = plan.severities[s.key];
    sev.name = s.key;
    plan.severity_order.push_back(s.key);
    auto tm = mapping(s.value, spath, {"response", "update", "workaround", "resolution", "description"});
    if (!tm) continue;
    for (const auto& t : *tm) {
      auto metric = parse_metric(t.key);
      if (!metric) continue;  // description
      sev.metrics[index(*metric)] = load_metric(*metric, t.value, spath + "." + t.key, plan);
    }
  }
  if (const Entry* r = find(*m, "rules")) load_plan_rules(plan, r->value, path + ".rules");
}

std::optional<AttributeTest> Builder::load_attribute_test(const YAML::Node& node, const std::string& path) {
  auto entries = reader_.string_map(node, path);
  if (!entries) return std::nullopt;
  if (entries->empty()) {
    error(node, path + ": an attribute test needs at least one attribute (e.g. {channel: chat})");
    return std::nullopt;
  }
  AttributeTest t;
  t.entries = std::move(*entries);
  std::sort(t.entries.begin(), t.entries.end());
  return t;
}

void Builder::load_plan_rules(Plan& plan, const YAML::Node& node, const std::string& path) {
  if (!node.IsSequence() || node.size() == 0) {
    error(node, path + ": expected a non-empty list of rules, got " + kind_name(node));
    return;
  }
  std::size_t i = 0;
  for (const auto& item : node) {
    const std::string rpath = path + "[" + std::to_string(i++) + "]";
    auto m = mapping(item, rpath, {"match", "response", "update", "workaround", "resolution", "description"});
    if (!m) continue;
    PlanRule rule;
    rule.path = rpath;
    bool ok = true;
    if (const Entry* mt = find(*m, "match")) {
      ok = load_rule_match(plan, rule, mt->value, rpath + ".match");
    } else {
      error(item, rpath + ": missing required key 'match' (a rule without a test would hide the severities' targets)");
      ok = false;
    }
    bool any = false;
    for (const auto& t : *m) {
      auto metric = parse_metric(t.key);
      if (!metric) continue;  // match, description
      any = true;
      rule.metrics[index(*metric)] = load_metric(*metric, t.value, rpath + "." + t.key, plan);
      if (!rule.metrics[index(*metric)]) ok = false;
    }
    if (!any) {
      error(item, rpath + ": a rule must set at least one target (response, update, workaround or resolution)");
      ok = false;
    }
    if (ok) plan.rules.push_back(std::move(rule));
  }
  if (!plan.rules.empty()) policy_->has_rules_ = true;
}

bool Builder::load_rule_match(Plan& plan, PlanRule& rule, const YAML::Node& node, const std::string& path) {
  auto mm = mapping(node, path, {"attributes", "severity"});
  if (!mm) return false;
  bool ok = true;
  if (mm->empty()) {
    error(node, path + ": a rule's match needs attributes and/or severity");
    ok = false;
  }
  if (const Entry* a = find(*mm, "attributes")) {
    rule.attributes = load_attribute_test(a->value, path + ".attributes");
    if (!rule.attributes) ok = false;
  }
  if (const Entry* sv = find(*mm, "severity")) {
    if (auto l = scalar_list(sv->value, path + ".severity", true)) {
      for (auto& [sname, n] : *l) {
        if (!plan.severities.count(sname)) {
          error(n, path + ".severity: unknown severity '" + sname + "' (plan " + plan.name + " has: " +
                       join(plan.severity_order) + ")");
          ok = false;
        }
        rule.severities.push_back(sname);
      }
    } else {
      ok = false;
    }
  }
  return ok;
}

std::optional<MetricTargets> Builder::load_metric(Metric metric, const YAML::Node& node, const std::string& path,
                                                  const Plan& plan) {
  if (node.IsMap() && (node["in_hours"] || node["after_hours"] || node["hours_calendar"])) {
    auto m = mapping(node, path, {"in_hours", "after_hours", "hours_calendar"});
    if (!m) return std::nullopt;
    const Entry* in = find(*m, "in_hours");
    const Entry* after = find(*m, "after_hours");
    bool ok = true;
    if (in == nullptr) {
      error(node, path + ": missing 'in_hours' (a split target needs both in_hours and after_hours)");
      ok = false;
    }
    if (after == nullptr) {
      error(node, path + ": missing 'after_hours' (a split target needs both in_hours and after_hours)");
      ok = false;
    }
    std::optional<Target> tin, tafter;
    if (in != nullptr) tin = load_target(metric, Variant::kInHours, in->value, path + ".in_hours", plan);
    if (after != nullptr) tafter = load_target(metric, Variant::kAfterHours, after->value, path + ".after_hours", plan);
    if (!ok || !tin || !tafter) return std::nullopt;
    MetricTargets mt;
    mt.in_hours = std::move(*tin);
    mt.after_hours = std::move(*tafter);
    if (const Entry* hc = find(*m, "hours_calendar")) {
      bool cok = true;
      mt.hours_calendar = resolve_calendar(hc->value, path + ".hours_calendar", cok);
      if (!cok) return std::nullopt;
      mt.hours_calendar_name = hc->value.Scalar();
    } else {
      mt.hours_calendar = mt.in_hours.calendar;
      mt.hours_calendar_name = mt.in_hours.calendar_name;
    }
    return mt;
  }
  auto t = load_target(metric, Variant::kAlways, node, path, plan);
  if (!t) return std::nullopt;
  MetricTargets mt;
  mt.in_hours = std::move(*t);
  return mt;
}

std::optional<Target> Builder::load_target(Metric metric, Variant variant, const YAML::Node& node,
                                           const std::string& path, const Plan& plan) {
  auto m = mapping(node, path, {"within", "every", "calendar", "pause_on", "warnings", "after_breach"});
  if (!m) return std::nullopt;
  Target t;
  t.metric = metric;
  t.variant = variant;
  const Entry* dur = nullptr;
  bool ok = target_duration(*m, node, path, t, dur);
  if (!target_calendar(*m, path, plan, t)) ok = false;
  if (const Entry* p = find(*m, "pause_on")) {
    if (auto l = string_list(p->value, path + ".pause_on")) t.pause_on = std::move(*l);
    else ok = false;
  } else if (metric != Metric::kResponse) {
    t.pause_on = policy_->pause_on_;
  }
  // The target's counted length when it does not depend on the start.
  std::optional<std::int64_t> length;
  if (ok && !t.open_ended) {
    length = counted_length(t);
    if (t.duration.kind == calendar::Duration::Kind::kBusinessDays && t.calendar != nullptr &&
        (!length || *length > kMaxCountedMillis)) {
      error(dur->value, path + "." + dur->key + ": '" + t.duration_text + "' is longer than 1000 years (" +
                            std::to_string(t.duration.business_days) + " x the calendar's day_length of " +
                            calendar::to_string(calendar::Duration::fixed(t.calendar->day_length_millis())) + ")");
      length.reset();
      ok = false;
    }
  }
  if (!target_warnings(*m, path, length, t)) ok = false;
  if (!target_after_breach(*m, node, path, length, ok, t)) ok = false;
  if (!ok) return std::nullopt;
  target_marks_[path] = mark_of(node);
  return t;
}

bool Builder::target_duration(const Entries& m, const YAML::Node& node, const std::string& path, Target& t,
                              const Entry*& dur) {
  const Entry* within = find(m, "within");
  const Entry* every = find(m, "every");
  if (t.metric == Metric::kUpdate) {
    t.recurring = true;
    if (within != nullptr) {
      error(within->key_node, path + ": update is a recurring target: use 'every', not 'within'");
      return false;
    }
    if (every == nullptr) {
      error(node, path + ": missing required key 'every' (how often an agent update is due)");
      return false;
    }
    dur = every;
  } else {
    if (every != nullptr) {
      error(every->key_node, path + ": 'every' is only for update; " + std::string(to_string(t.metric)) +
                                 " takes 'within'");
      return false;
    }
    if (within == nullptr) {
      error(node, path + ": missing required key 'within'");
      return false;
    }
    dur = within;
  }
  if (t.metric != Metric::kUpdate && dur->value.IsScalar() && dur->value.Scalar() == "none") {
    t.open_ended = true;
    t.duration_text = "none";
    return true;
  }
  auto d = duration(dur->value, path + "." + dur->key, false);
  if (!d) return false;
  t.duration = *d;
  t.duration_text = dur->value.Scalar();
  return true;
}

bool Builder::target_calendar(const Entries& m, const std::string& path, const Plan& plan, Target& t) {
  const Entry* c = find(m, "calendar");
  if (c == nullptr) {
    t.calendar = plan.default_calendar;
    t.calendar_name = plan.default_calendar_name;
    return true;
  }
  bool cok = true;
  t.calendar = resolve_calendar(c->value, path + ".calendar", cok);
  if (cok) t.calendar_name = c->value.Scalar();
  return cok;
}

bool Builder::target_warnings(const Entries& m, const std::string& path, std::optional<std::int64_t> length,
                              Target& t) {
  const Entry* w = find(m, "warnings");
  if (w == nullptr) {
    if (t.open_ended) return true;
    // Global time-before-deadline warnings longer than this target do not
    // apply to it (a 15m target gets no -30m warning rather than one at open).
    for (const auto& th : policy_->warnings_) {
      if (th.kind == Threshold::Kind::kBeforeDeadline && length && th.before_ms >= *length) continue;
      t.warnings.push_back(th);
    }
    return true;
  }
  if (t.open_ended) {
    error(w->key_node, path + ": an open-ended target (within: none) has no deadline to warn about");
    return false;
  }
  auto ws = load_warnings(w->value, path + ".warnings");
  if (!ws) return false;
  bool ok = true;
  if (length) {
    std::size_t i = 0;
    for (const auto& th : *ws) {
      if (th.kind == Threshold::Kind::kBeforeDeadline && th.before_ms >= *length) {
        error(w->value[i], path + ".warnings: '" + th.text + "' is not shorter than the target (" + t.duration_text +
                               ")");
        ok = false;
      }
      ++i;
    }
  }
  t.warnings = std::move(*ws);
  return ok;
}

bool Builder::target_after_breach(const Entries& m, const YAML::Node& node, const std::string& path,
                                  std::optional<std::int64_t> length, bool ok_so_far, Target& t) {
  const Entry* a = find(m, "after_breach");
  if (a != nullptr) {
    if (t.open_ended) {
      error(a->key_node, path + ": an open-ended target (within: none) is never breached");
      return false;
    }
    auto ab = load_after_breach(a->value, path + ".after_breach");
    if (!ab) return false;
    t.after_breach = *ab;
  } else if (!t.open_ended) {
    t.after_breach = policy_->after_breach_;
  }
  // Only a target whose other parts loaded is measured (its length is known).
  if (!ok_so_far || t.open_ended || reminders_in_range(t, length)) return true;
  error(a != nullptr ? a->value : node,
        path + ": the last reminder (" + std::to_string(t.after_breach.times) + " x " + t.after_breach.repeat_text +
            " after the deadline of " + t.duration_text + ") would be due more than 1000 years after the clock starts");
  return false;
}


}  // namespace sla::policy::detail
