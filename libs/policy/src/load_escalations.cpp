// The `escalations:` section: ladders, their match and steps, the order of
// steps against every target a ladder may run on (a severity's own or a
// plan rule's), the per-clock item limit, and linking
// each severity to the steps that apply to it.
#include "builder.hpp"

namespace sla::policy::detail {

void Builder::load_escalations(const Entry& e) {
  if (!e.value.IsSequence()) {
    error(e.value, "escalations: expected a list of ladders, got " + kind_name(e.value));
    return;
  }
  std::set<std::string> names;
  std::size_t i = 0;
  for (const auto& item : e.value) load_ladder(i++, item, names);
}

void Builder::load_ladder(std::size_t i, const YAML::Node& node, std::set<std::string>& names) {
  const std::string path = "escalations[" + std::to_string(i) + "]";
  auto m = mapping(node, path, {"name", "match", "steps", "stop_on", "description", "trigger", "calendar"});
  if (!m) return;
  EscalationLadder ladder;
  ladder.name = path;
  // ok: every part loaded (name, match, stop_on, trigger, steps); only then
  // is "matches no target" worth saying.
  bool ok = load_ladder_name(*m, path, ladder, names);
  if (const Entry* mt = find(*m, "match")) {
    if (!load_ladder_match(mt->value, path + ".match", ladder)) ok = false;
  }
  if (!load_stop_on(*m, path, ladder)) ok = false;
  if (!load_trigger(*m, path, ladder)) ok = false;
  std::vector<YAML::Node> at_nodes;
  const StepsLoaded steps = load_steps(*m, node, path, i, ladder, at_nodes);
  if (!steps.all_ok) ok = false;
  // A ladder that can never fire is almost certainly a typo.
  if (ok && plans_ok_ && ladder_targets(ladder).empty()) {
    const Entry* mt = find(*m, "match");
    error(mt != nullptr ? mt->value : node, path + ".match: matches no target (no severity of a plan, nor a plan "
                                                   "rule, has a target for the matched metrics)");
  }
  // Order is checked even when `match` is wrong, so both are reported.
  if (steps.at_ok) check_step_order(ladder, at_nodes);
  policy_->escalations_.push_back(std::move(ladder));
}

bool Builder::load_ladder_name(const Entries& m, const std::string& path, EscalationLadder& ladder,
                               std::set<std::string>& names) {
  const Entry* n = find(m, "name");
  if (n == nullptr) return true;
  auto s = nonempty_scalar(n->value, path + ".name");
  if (!s) return false;
  ladder.name = *s;
  if (s->find('/') != std::string::npos) {
    error(n->value, path + ".name: '" + *s + "' must not contain '/' (it is part of step ids)");
    return false;
  }
  if (!names.insert(*s).second) {
    error(n->value, path + ".name: another ladder is already named '" + *s + "'");
    return false;
  }
  return true;
}

bool Builder::load_ladder_match(const YAML::Node& node, const std::string& path, EscalationLadder& ladder) {
  auto mm = mapping(node, path, {"plan", "severity", "metric", "attributes"});
  if (!mm) return false;
  bool ok = true;
  if (const Entry* a = find(*mm, "attributes")) {
    ladder.match.attributes = load_attribute_test(a->value, path + ".attributes");
    if (!ladder.match.attributes) ok = false;
  }
  if (const Entry* p = find(*mm, "plan")) {
    if (auto l = scalar_list(p->value, path + ".plan", true)) {
      for (auto& [s, n] : *l) {
        if (!policy_->plans_.count(s)) {
          std::vector<std::string> known;
          for (const auto& [pn, pl] : policy_->plans_) known.push_back(pn);
          error(n, path + ".plan: unknown plan '" + s + "' (defined: " + join(known) + ")");
          ok = false;
        }
        ladder.match.plans.push_back(s);
      }
    } else {
      ok = false;
    }
  }
  if (const Entry* sv = find(*mm, "severity")) {
    if (!load_match_severities(sv->value, path + ".severity", ladder.match)) ok = false;
  }
  if (const Entry* me = find(*mm, "metric")) {
    if (auto l = scalar_list(me->value, path + ".metric", true)) {
      for (auto& [s, n] : *l) {
        if (auto metric = parse_metric(s)) {
          ladder.match.metrics.push_back(*metric);
        } else {
          error(n, path + ".metric: unknown metric '" + s + "' (expected response, update, workaround or resolution)");
          ok = false;
        }
      }
    } else {
      ok = false;
    }
  }
  return ok;
}

bool Builder::load_match_severities(const YAML::Node& node, const std::string& path, EscalationMatch& match) {
  auto l = scalar_list(node, path, true);
  if (!l) return false;
  bool ok = true;
  for (auto& [s, n] : *l) {
    bool found = false;
    for (const auto& [pn, pl] : policy_->plans_) {
      const bool plan_matches =
          match.plans.empty() || std::find(match.plans.begin(), match.plans.end(), pn) != match.plans.end();
      if (plan_matches && pl.severities.count(s)) found = true;
    }
    if (!found) {
      error(n, path + ": unknown severity '" + s + "'" +
                   (match.plans.empty() ? std::string(" (no plan has it)") : " (not in plan " + join(match.plans) + ")"));
      ok = false;
    }
    match.severities.push_back(s);
  }
  return ok;
}

bool Builder::load_stop_on(const Entries& m, const std::string& path, EscalationLadder& ladder) {
  const Entry* so = find(m, "stop_on");
  if (so == nullptr) return true;
  auto l = scalar_list(so->value, path + ".stop_on", true);
  if (!l) return false;
  bool ok = true;
  for (auto& [s, n] : *l) {
    if (s == "met") {
      ladder.stop_on_met = true;
    } else if (s != "acknowledged" && s != "resolved") {
      error(n, path + ".stop_on: unknown event '" + s + "' (expected met; acknowledged and resolved always stop a ladder)");
      ok = false;
    }
  }
  return ok;
}

Builder::StepsLoaded Builder::load_steps(const Entries& m, const YAML::Node& node, const std::string& path,
                                         std::size_t i, EscalationLadder& ladder, std::vector<YAML::Node>& at_nodes) {
  const Entry* steps = find(m, "steps");
  if (steps == nullptr) {
    error(node, path + ": missing required key 'steps'");
    return {false, true};
  }
  if (!steps->value.IsSequence() || steps->value.size() == 0) {
    error(steps->value, path + ".steps: expected a non-empty list of steps, got " + kind_name(steps->value));
    return {false, true};
  }
  StepsLoaded out;
  std::size_t j = 0;
  for (const auto& item : steps->value) {
    const std::string spath = path + ".steps[" + std::to_string(j) + "]";
    EscalationStep step;
    step.ladder = i;
    step.index = j;
    step.id = ladder.name + "/" + std::to_string(j + 1);
    ++j;
    auto sm = mapping(item, spath, {"at", "notify", "page"});
    if (!sm) {
      out.at_ok = false;
      continue;
    }
    YAML::Node at_node;
    const bool at_ok = load_step_at(*sm, item, spath, step, at_node);
    bool sok = at_ok;
    if (!at_ok) out.at_ok = false;
    if (const Entry* pg = find(*sm, "page")) {
      if (auto b = boolean(pg->value, spath + ".page")) step.page = *b;
      else sok = false;
    }
    if (!load_step_notify(*sm, item, spath, step)) sok = false;
    if (sok && !check_step_trigger(ladder, step, at_node, spath)) sok = false;
    step.requested = ladder.requested;
    if (!sok) out.all_ok = false;
    ladder.steps.push_back(std::move(step));
    at_nodes.push_back(at_node);
  }
  return out;
}

bool Builder::load_step_at(const Entries& sm, const YAML::Node& item, const std::string& spath, EscalationStep& step,
                           YAML::Node& at_node) {
  const Entry* at = find(sm, "at");
  if (at == nullptr) {
    error(item, spath + ": missing required key 'at'");
    return false;
  }
  at_node = at->value;
  if (at->value.IsMap()) {
    auto parsed = exchanges_at(at->value, spath + ".at");
    if (!parsed) return false;
    step.at = std::move(*parsed);
    return true;
  }
  auto s = scalar(at->value, spath + ".at");
  if (!s) return false;
  auto parsed = parse_step_at(*s);
  if (!parsed) {
    error(at->value, spath + ".at: " + parsed.error().message);
    return false;
  }
  step.at = std::move(*parsed);
  return true;
}

bool Builder::load_step_notify(const Entries& sm, const YAML::Node& item, const std::string& spath,
                               EscalationStep& step) {
  const Entry* nt = find(sm, "notify");
  if (nt == nullptr) {
    error(item, spath + ": missing required key 'notify'");
    return false;
  }
  auto l = scalar_list(nt->value, spath + ".notify", true);
  if (!l) return false;
  bool ok = true;
  for (auto& [s, n] : *l) step.notify.push_back(s);
  if (step.notify.empty()) {
    error(nt->value, spath + ".notify: a step must notify someone");
    ok = false;
  }
  if (!step.page) return ok;
  for (const auto& s : step.notify) {
    if (const auto* pt = policy_->paging_target(s)) step.pages.push_back(pt);
  }
  if (step.pages.empty() && !step.notify.empty()) {
    std::vector<std::string> known;
    for (const auto& [pn, pt] : policy_->paging_targets_) known.push_back(pn);
    error(nt->value, spath + ".notify: page: true but none of [" + join(step.notify) + "] is a paging target" +
                         (known.empty() ? std::string(" (none are defined under paging.targets)")
                                        : " (defined: " + join(known) + ")"));
    ok = false;
  }
  return ok;
}

bool Builder::load_trigger(const Entries& m, const std::string& path, EscalationLadder& ladder) {
  bool ok = true;
  const Entry* tr = find(m, "trigger");
  if (tr != nullptr) {
    if (auto s = scalar(tr->value, path + ".trigger")) {
      if (*s == "requested") {
        ladder.requested = true;
      } else if (*s != "clock") {
        error(tr->value, path + ".trigger: unknown trigger '" + *s +
                             "' (expected clock, the default, or requested: an escalation_requested event starts it)");
        ok = false;
      }
    } else {
      ok = false;
    }
  }
  const Entry* cal = find(m, "calendar");
  if (cal != nullptr && !ladder.requested) {
    error(cal->value, path + ".calendar: only a `trigger: requested` escalation has a calendar (the steps of "
                             "the others count on their clock's calendar)");
    ok = false;
  } else if (cal != nullptr) {
    bool cal_ok = true;
    if (resolve_calendar(cal->value, path + ".calendar", cal_ok) != nullptr || cal_ok) {
      ladder.calendar_name = cal->value.Scalar();
    }
    ok = ok && cal_ok;
  } else if (ladder.requested) {
    ladder.calendar_name = "24x7";
  }
  if (!ladder.requested) return ok;
  // A request starts it on one clock: the one its steps' outputs are of.
  const Entry* mt = find(m, "match");
  if (ladder.match.metrics.size() != 1) {
    error(mt != nullptr ? mt->value : tr->value,
          path + ".match.metric: a `trigger: requested` escalation hangs on one clock: name exactly one metric "
                 "(e.g. metric: resolution)");
    ok = false;
  } else if (ladder.match.metrics.front() == Metric::kUpdate) {
    error(mt != nullptr ? mt->value : tr->value,
          path + ".match.metric: a `trigger: requested` escalation cannot hang on the update clock (it starts "
                 "over with every agent update); use response, workaround or resolution");
    ok = false;
  }
  return ok;
}

std::optional<StepAt> Builder::exchanges_at(const YAML::Node& node, const std::string& path) {
  auto m = mapping(node, path, {"exchanges"});
  if (!m) return std::nullopt;
  const Entry* e = find(*m, "exchanges");
  if (e == nullptr) {
    error(node, path + ": expected {exchanges: N} (or a time: 30m, 75%, breach+1h)");
    return std::nullopt;
  }
  auto n = integer(e->value, path + ".exchanges", 1, kMaxExchanges);
  if (!n) return std::nullopt;
  StepAt at;
  at.kind = StepAt::Kind::kExchanges;
  at.exchanges = static_cast<std::uint32_t>(*n);
  at.text = "{exchanges: " + std::to_string(*n) + "}";
  return at;
}

bool Builder::check_step_trigger(const EscalationLadder& ladder, const EscalationStep& step, const YAML::Node& at,
                                 const std::string& spath) {
  if (ladder.requested) {
    if (step.at.kind == StepAt::Kind::kElapsed) return true;
    error(at, spath + ".at: '" + step.at.text + "': the steps of a `trigger: requested` escalation are times after "
                      "the request (0m, 2h), not shares of a target, breaches or exchanges");
    return false;
  }
  if (step.at.kind != StepAt::Kind::kExchanges) return true;
  if (ladder.match.metrics.size() != 1) {
    error(at, spath + ".at: " + step.at.text + " fires once per clock it hangs on: name exactly one metric in "
                      "match.metric (e.g. metric: response, the clock every ticket has)");
    return false;
  }
  return true;
}

namespace {

// Whether a ticket can pass both attribute tests at once (a ticket has one
// value per key): no key both test with different values.
bool compatible(const std::optional<AttributeTest>& a, const std::optional<AttributeTest>& b) {
  if (!a || !b) return true;
  for (const auto& [k, v] : a->entries) {
    for (const auto& [bk, bv] : b->entries) {
      if (k == bk && v != bv) return false;
    }
  }
  return true;
}

}  // namespace

std::vector<Builder::LadderTarget> Builder::ladder_targets(const EscalationLadder& ladder) const {
  std::vector<LadderTarget> out;
  for (const auto& [pn, pl] : policy_->plans_) {
    for (const auto& [sn, sv] : pl.severities) {
      for (Metric metric : kAllMetrics) {
        if (!ladder.match.matches(pn, sn, metric)) continue;
        const std::string m(to_string(metric));
        if (const auto& own = sv.metrics[index(metric)]) out.push_back({pn + "/" + sn + "/" + m, &*own});
        // A rule's target runs with the steps of the severity it applies to.
        for (const auto& rule : pl.rules) {
          const auto& rt = rule.metrics[index(metric)];
          if (!rt || !compatible(rule.attributes, ladder.match.attributes)) continue;
          if (!rule.severities.empty() &&
              std::find(rule.severities.begin(), rule.severities.end(), sn) == rule.severities.end()) {
            continue;
          }
          out.push_back({rule.path + "." + m + " for " + sn, &*rt});
        }
      }
    }
  }
  return out;
}

void Builder::check_step_order(const EscalationLadder& ladder, const std::vector<YAML::Node>& at_nodes) {
  // The counted lengths of every target the ladder may run on (a severity's
  // or a plan rule's), with a label for messages; open-ended and nbd targets
  // (unknown until a ticket starts) are left out.
  std::vector<std::pair<std::string, std::optional<std::int64_t>>> lengths;
  for (const auto& [label, mt] : ladder_targets(ladder)) {
    for (const Target* t : {&mt->in_hours, mt->after_hours ? &*mt->after_hours : nullptr}) {
      if (t == nullptr || t->open_ended) continue;
      const std::optional<std::int64_t> len = counted_length(*t);
      if (len) lengths.emplace_back(label + " (" + t->duration_text + ")", len);
    }
  }
  auto phase = [](const StepAt& a) { return a.kind == StepAt::Kind::kBreach ? 1 : 0; };
  // Steps on exchanges fire on events: ordered among themselves only.
  auto exchanges = [](const StepAt& a) { return a.kind == StepAt::Kind::kExchanges; };
  const auto& steps = ladder.steps;
  // breach+D is target + D of counted time: bounded like every other time.
  for (std::size_t j = 0; j < steps.size(); ++j) {
    if (steps[j].at.kind != StepAt::Kind::kBreach) continue;
    for (const auto& [label, len] : lengths) {
      if (*len + steps[j].at.after_breach_ms <= kMaxCountedMillis) continue;
      error(at_nodes[j], ladder.name + ": step " + std::to_string(j + 1) + " (at " + steps[j].at.text +
                             ") would be due more than 1000 years after the clock starts for " + label);
      break;
    }
  }
  for (std::size_t j = 1; j < steps.size(); ++j) {
    for (std::size_t i = 0; i < j; ++i) {
      const StepAt& a = steps[i].at;
      const StepAt& b = steps[j].at;
      bool bad = false;
      std::string where;
      if (exchanges(a) || exchanges(b)) {
        bad = exchanges(a) && exchanges(b) && a.exchanges >= b.exchanges;
      } else if (phase(a) != phase(b)) {
        bad = phase(a) > phase(b);
      } else if (a.kind == b.kind) {
        bad = !((a.kind == StepAt::Kind::kPercent && a.percent < b.percent) ||
                (a.kind == StepAt::Kind::kElapsed && a.elapsed_ms < b.elapsed_ms) ||
                (a.kind == StepAt::Kind::kBreach && a.after_breach_ms < b.after_breach_ms));
      } else {
        // A percent and a duration: comparable only against a target's length.
        for (const auto& [label, len] : lengths) {
          auto da = a.due_at(len), db = b.due_at(len);
          if (da && db && *da >= *db) {
            bad = true;
            where = " for " + label;
            break;
          }
        }
      }
      if (bad) {
        error(at_nodes[j], ladder.name + ": step " + std::to_string(j + 1) + " (at " + b.text +
                               ") is not later than step " + std::to_string(i + 1) + " (at " + a.text + ")" +
                               where + "; steps must be in increasing order");
        break;
      }
    }
  }
}

void Builder::number_attribute_ladders() {
  std::size_t n = 0;
  for (auto& ladder : policy_->escalations_) {
    if (!ladder.match.attributes) continue;
    if (n == 64) {
      error_at(YAML::Mark(), ladder.name + ": at most 64 escalations may test attributes");
      return;
    }
    ladder.attribute_bit = static_cast<int>(n++);
  }
  policy_->attribute_ladders_ = n;
}

void Builder::check_clock_items() {
  for (const auto& [pn, plan] : policy_->plans_) {
    for (const auto& [sn, sev] : plan.severities) {
      for (Metric metric : kAllMetrics) {
        std::size_t steps = 0;
        for (const auto& ladder : policy_->escalations_) {
          if (ladder.match.matches(pn, sn, metric)) steps += ladder.steps.size();
        }
        const auto& mt = sev.metrics[index(metric)];
        if (mt) check_target_items(*mt, steps, "plans." + pn + ".severities." + sn + "." + std::string(to_string(metric)));
        // A rule's target runs with the steps of the severity it applies to.
        for (const auto& rule : plan.rules) {
          const auto& rt = rule.metrics[index(metric)];
          if (!rt || !(rule.severities.empty() ||
                       std::find(rule.severities.begin(), rule.severities.end(), sn) != rule.severities.end())) {
            continue;
          }
          check_target_items(*rt, steps, rule.path + "." + std::string(to_string(metric)));
        }
      }
    }
  }
}

void Builder::check_target_items(const MetricTargets& mt, std::size_t steps, const std::string& base) {
  for (const Target* t : {&mt.in_hours, mt.after_hours ? &*mt.after_hours : nullptr}) {
    if (t == nullptr) continue;
    const std::size_t warnings = t->open_ended ? 0 : t->warnings.size();
    const std::size_t reminders = t->open_ended ? 0 : static_cast<std::size_t>(std::max(0, t->after_breach.times));
    const std::size_t items = warnings + (t->open_ended ? 0 : 1) + reminders + steps;
    if (items <= kMaxClockItems) continue;
    const std::string path = !mt.split() ? base : base + (t == &mt.in_hours ? ".in_hours" : ".after_hours");
    auto where = target_marks_.find(path);
    error_at(where != target_marks_.end() ? where->second : YAML::Mark(),
             path + ": a clock tracks at most " + std::to_string(kMaxClockItems) +
                 " warnings, breach, reminders and escalation steps; this one has " + std::to_string(items) + " (" +
                 std::to_string(warnings) + " warnings, " + (t->open_ended ? "no breach, " : "1 breach, ") +
                 std::to_string(reminders) + " reminders, " + std::to_string(steps) + " steps)");
  }
}

void Builder::link_steps() {
  for (auto& ladder : policy_->escalations_) {
    if (!ladder.requested || !calendars_ok_) continue;
    const auto* cal = policy_->calendars_->find(ladder.calendar_name);
    for (auto& step : ladder.steps) step.calendar = cal;
  }
  for (auto& [pn, plan] : policy_->plans_) {
    for (auto& [sn, sev] : plan.severities) {
      for (Metric metric : kAllMetrics) {
        auto& out = sev.steps[index(metric)];
        for (const auto& ladder : policy_->escalations_) {
          if (!ladder.match.matches(pn, sn, metric)) continue;
          for (const auto& step : ladder.steps) out.push_back(&step);
        }
      }
    }
  }
}


}  // namespace sla::policy::detail
