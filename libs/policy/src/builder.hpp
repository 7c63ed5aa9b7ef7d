// The policy loader's builder, shared by its section files (loader.cpp: the
// top level; load_calendars.cpp, load_paging.cpp, load_plans.cpp: global
// rules, plans and targets; load_escalations.cpp: ladders, steps and the
// per-clock limits). Internal to sla::policy. Every YAML shape and every
// error position comes from the shared reader (sla::yaml::Reader); what is
// here is what the policy's keys mean.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "sla/calendar/business_days.hpp"
#include "sla/calendar/duration.hpp"
#include "sla/calendar/yaml_loader.hpp"
#include "sla/policy/loader.hpp"
#include "sla/yaml/reader.hpp"

namespace sla::policy::detail {

using yaml::Entries;
using yaml::Entry;
using yaml::find;
using yaml::kind_name;

inline std::string join(const std::vector<std::string>& v, std::string_view sep = ", ") {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

// The counted length of a target when it does not depend on the clock's
// start (a fixed or `bd` target on a known calendar); nullopt otherwise
// (open-ended, nbd, no calendar) and when n x day_length overflows.
inline std::optional<std::int64_t> counted_length(const Target& t) {
  if (t.open_ended) return std::nullopt;
  if (t.duration.kind == calendar::Duration::Kind::kFixed) return t.duration.millis;
  if (t.duration.kind != calendar::Duration::Kind::kBusinessDays || t.calendar == nullptr) return std::nullopt;
  return calendar::business_days_millis(*t.calendar, t.duration.business_days);
}

class Builder {
 public:
  Builder(const LoadOptions& options, std::vector<LoadError>& errors)
      : options_(options), errors_(errors), reader_(options.file) {}

  std::shared_ptr<const Policy> build(std::string_view text);

 private:
  void load_top(const YAML::Node& root);
  void load_rules(const Entries& top);

 private:
  // --- the shared reader (sla::yaml): errors with positions, typed getters ---
  void error_at(const YAML::Mark& mark, std::string message) { reader_.error_at(mark, std::move(message)); }
  void error(const YAML::Node& node, std::string message) { reader_.error(node, std::move(message)); }
  YAML::Mark mark_of(const YAML::Node& node) { return reader_.mark_of(node); }
  std::optional<Entries> mapping(const YAML::Node& node, const std::string& path,
                                 std::initializer_list<std::string_view> allowed = {}) {
    return reader_.mapping(node, path, allowed);
  }
  std::optional<Entries> named_mapping(const YAML::Node& node, const std::string& path) {
    return reader_.named_mapping(node, path);
  }
  std::optional<std::string> scalar(const YAML::Node& node, const std::string& path) {
    return reader_.scalar(node, path);
  }
  std::optional<std::string> nonempty_scalar(const YAML::Node& node, const std::string& path) {
    return reader_.nonempty_scalar(node, path);
  }
  std::optional<std::vector<std::pair<std::string, YAML::Node>>> scalar_list(const YAML::Node& node,
                                                                             const std::string& path,
                                                                             bool allow_scalar = false) {
    return reader_.scalar_list(node, path, allow_scalar);
  }
  std::optional<std::vector<std::string>> string_list(const YAML::Node& node, const std::string& path) {
    return reader_.string_list(node, path);
  }
  std::optional<bool> boolean(const YAML::Node& node, const std::string& path) { return reader_.boolean(node, path); }
  std::optional<std::int64_t> integer(const YAML::Node& node, const std::string& path, std::int64_t lo,
                                      std::int64_t hi) {
    return reader_.integer(node, path, lo, hi);
  }

  // A positive duration. `fixed_only` rejects bd/nbd.
  std::optional<calendar::Duration> duration(const YAML::Node& node, const std::string& path, bool fixed_only) {
    auto s = scalar(node, path);
    if (!s) return std::nullopt;
    auto d = calendar::parse_duration(*s);
    if (!d) {
      error(node, path + ": bad duration '" + *s + "': " + d.error().message);
      return std::nullopt;
    }
    if (fixed_only && d->kind != calendar::Duration::Kind::kFixed) {
      error(node, path + ": '" + *s + "' must be a fixed duration (d, h, m, s), not business days");
      return std::nullopt;
    }
    if ((d->kind == calendar::Duration::Kind::kFixed && d->millis <= 0) ||
        (d->kind == calendar::Duration::Kind::kBusinessDays && d->business_days <= 0)) {
      error(node, path + ": duration '" + *s + "' must be positive");
      return std::nullopt;
    }
    if (d->kind == calendar::Duration::Kind::kFixed && d->millis > kMaxCountedMillis) {
      error(node, path + ": duration '" + *s + "' is longer than 1000 years");
      return std::nullopt;
    }
    return *d;
  }

  // --- sections -------------------------------------------------------
  void load_calendars(const Entry* e);
  const calendar::Calendar* resolve_calendar(const YAML::Node& node, const std::string& path, bool& ok);
  void load_paging(const Entry& e);
  void load_rotation(const std::string& name, const YAML::Node& node, const std::string& path);
  bool rotation_zone(const Entries& m, const YAML::Node& node, const std::string& path, Rotation& r);
  bool rotation_members(const Entries& m, const YAML::Node& node, const std::string& path, Rotation& r);
  bool rotation_shift(const Entries& m, const YAML::Node& node, const std::string& path, Rotation& r);
  bool rotation_start(const Entries& m, const YAML::Node& node, const std::string& path, Rotation& r);
  bool rotation_overrides(const Entries& m, const YAML::Node& node, const std::string& path, Rotation& r);
  void load_paging_target(const std::string& name, const YAML::Node& node, const std::string& path);
  bool load_level(const YAML::Node& node, const std::string& path, PagingTarget& target, bool top);
  std::optional<std::vector<Threshold>> load_warnings(const YAML::Node& node, const std::string& path);
  std::optional<AfterBreach> load_after_breach(const YAML::Node& node, const std::string& path);
  void load_on_reopen(const Entry& e);
  void load_plans(const Entry& e);
  void load_plan(const std::string& name, const YAML::Node& node, const std::string& path);
  void load_plan_rules(Plan& plan, const YAML::Node& node, const std::string& path);
  bool load_rule_match(Plan& plan, PlanRule& rule, const YAML::Node& node, const std::string& path);
  /// `attributes: {k: v}` of a match: a non-empty mapping of scalars.
  std::optional<AttributeTest> load_attribute_test(const YAML::Node& node, const std::string& path);
  /// Numbers the escalations that test attributes (at most 64).
  void number_attribute_ladders();
  std::optional<MetricTargets> load_metric(Metric metric, const YAML::Node& node, const std::string& path,
                                           const Plan& plan);
  std::optional<Target> load_target(Metric metric, Variant variant, const YAML::Node& node, const std::string& path,
                                    const Plan& plan);
  bool target_duration(const Entries& m, const YAML::Node& node, const std::string& path, Target& t,
                       const Entry*& dur);
  bool target_calendar(const Entries& m, const std::string& path, const Plan& plan, Target& t);
  bool target_warnings(const Entries& m, const std::string& path, std::optional<std::int64_t> length, Target& t);
  bool target_after_breach(const Entries& m, const YAML::Node& node, const std::string& path,
                           std::optional<std::int64_t> length, bool ok_so_far, Target& t);
  void load_escalations(const Entry& e);
  void load_ladder(std::size_t i, const YAML::Node& node, std::set<std::string>& names);
  bool load_ladder_name(const Entries& m, const std::string& path, EscalationLadder& ladder,
                        std::set<std::string>& names);
  bool load_ladder_match(const YAML::Node& node, const std::string& path, EscalationLadder& ladder);
  bool load_match_severities(const YAML::Node& node, const std::string& path, EscalationMatch& match);
  bool load_stop_on(const Entries& m, const std::string& path, EscalationLadder& ladder);
  /// What loading a ladder's steps found: every `at` valid (all the order
  /// check needs), and every step valid.
  struct StepsLoaded {
    bool at_ok = true;
    bool all_ok = true;
  };
  StepsLoaded load_steps(const Entries& m, const YAML::Node& node, const std::string& path, std::size_t i,
                         EscalationLadder& ladder, std::vector<YAML::Node>& at_nodes);
  bool load_step_at(const Entries& sm, const YAML::Node& item, const std::string& spath, EscalationStep& step,
                    YAML::Node& at_node);
  bool load_step_notify(const Entries& sm, const YAML::Node& item, const std::string& spath, EscalationStep& step);
  /// A target a ticket on a ladder's clock can get: a severity's own, or a
  /// plan rule's applying to that severity whose attribute test does not
  /// contradict the ladder's. `label` names it in messages
  /// ("pro/P1/response", "plans.pro.rules[0].response for P1").
  struct LadderTarget {
    std::string label;
    const MetricTargets* targets = nullptr;
  };
  [[nodiscard]] std::vector<LadderTarget> ladder_targets(const EscalationLadder& ladder) const;
  void check_step_order(const EscalationLadder& ladder, const std::vector<YAML::Node>& at_nodes);
  bool load_trigger(const Entries& m, const std::string& path, EscalationLadder& ladder);
  std::optional<StepAt> exchanges_at(const YAML::Node& node, const std::string& path);
  bool check_step_trigger(const EscalationLadder& ladder, const EscalationStep& step, const YAML::Node& at,
                          const std::string& spath);
  void link_steps();
  void check_clock_items();
  /// The per-clock item limit for one target (`steps`: of every ladder that may match it).
  void check_target_items(const MetricTargets& mt, std::size_t steps, const std::string& base);
  // target + times x repeat stays within kMaxCountedMillis (`length`: the
  // target's counted length when known; nbd targets last at most days).
  static bool reminders_in_range(const Target& t, std::optional<std::int64_t> length) {
    std::int64_t last = 0;
    return !__builtin_mul_overflow(static_cast<std::int64_t>(t.after_breach.times), t.after_breach.repeat_ms, &last) &&
           !__builtin_add_overflow(last, length.value_or(0), &last) && last <= kMaxCountedMillis;
  }

  const LoadOptions& options_;
  std::vector<LoadError>& errors_;
  yaml::Reader reader_;
  // Where each loaded target is written, by path ("plans.p.severities.s.response[.in_hours]").
  std::map<std::string, YAML::Mark> target_marks_;
  std::shared_ptr<Policy> policy_;
  // Calendar names known even when the calendar section failed to load, so
  // that one bad calendar does not turn into an "unknown calendar" per target.
  std::set<std::string, std::less<>> calendar_names_;
  bool calendars_ok_ = false;
  bool plans_ok_ = false;
};

}  // namespace sla::policy::detail
