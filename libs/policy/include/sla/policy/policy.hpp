// sla::policy::Policy: one loaded, validated policy file (SPEC 3) and the
// lookups the engine runs per event: the target for (plan, severity, metric,
// opened in hours?), the escalation steps for (plan, severity, metric), who is
// on call for a rotation, the paging targets. Immutable after load and safe to
// share across threads; hold it by shared_ptr<const Policy> and swap the
// pointer on reload. Pointers and spans it returns live as long as it does.
// Not a loader (loader.hpp) and not the engine.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sla/base/clock.hpp"
#include "sla/base/result.hpp"
#include "sla/calendar/calendar.hpp"
#include "sla/policy/metric.hpp"
#include "sla/policy/model.hpp"
#include "sla/policy/paging.hpp"

namespace sla::policy {

namespace detail {
class Builder;
}

class Policy {
 public:
  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;
  Policy(Policy&&) = delete;
  Policy& operator=(Policy&&) = delete;
  ~Policy() = default;

  /// `policy_id:` (non-empty) and `version:` (always 1).
  [[nodiscard]] const std::string& id() const noexcept { return id_; }
  [[nodiscard]] int version() const noexcept { return version_; }

  // --- plans, severities, targets -------------------------------------

  [[nodiscard]] const std::map<std::string, Plan, std::less<>>& plans() const noexcept { return plans_; }
  /// The plan named `name`, or nullptr.
  [[nodiscard]] const Plan* plan(std::string_view name) const noexcept;
  [[nodiscard]] bool has_plan(std::string_view name) const noexcept { return plan(name) != nullptr; }
  /// The severity of a plan, or nullptr if either is unknown.
  [[nodiscard]] const Severity* severity(std::string_view plan, std::string_view severity) const noexcept;
  [[nodiscard]] bool has_severity(std::string_view plan, std::string_view severity) const noexcept {
    return this->severity(plan, severity) != nullptr;
  }
  /// Both variants of a metric's target, or nullptr when the metric has no
  /// target for (plan, severity) (or either is unknown).
  [[nodiscard]] const MetricTargets* targets(std::string_view plan, std::string_view severity,
                                             Metric metric) const noexcept;
  /// The target that applies to a ticket opened in hours (true) or after
  /// hours (false); for unsplit metrics the flag is ignored. nullptr when
  /// the metric has no target. O(log plans + log severities), no allocation.
  [[nodiscard]] const Target* target(std::string_view plan, std::string_view severity, Metric metric,
                                     bool opened_in_hours) const noexcept;
  /// Same, deciding in/after hours from the metric's hours calendar at
  /// `opened_at` (is_open). Use this at ticket open and keep the answer:
  /// the variant does not change later in the ticket's life.
  [[nodiscard]] const Target* target_at(std::string_view plan, std::string_view severity, Metric metric,
                                        EpochMillis opened_at) const;

  // --- global clock rules ---------------------------------------------

  /// `warnings:` as written (targets carry their effective copy).
  [[nodiscard]] const std::vector<Threshold>& warnings() const noexcept { return warnings_; }
  /// `after_breach:` (targets carry their effective copy).
  [[nodiscard]] const AfterBreach& after_breach() const noexcept { return after_breach_; }
  /// Global `pause_on:` (targets carry their effective list).
  [[nodiscard]] const std::vector<std::string>& pause_on() const noexcept { return pause_on_; }
  [[nodiscard]] OnRetarget on_retarget() const noexcept { return on_retarget_; }
  /// `on_reopen:` for `metric`, else default_reopen(metric).
  [[nodiscard]] ReopenAction on_reopen(Metric metric) const noexcept { return on_reopen_[index(metric)]; }

  // --- escalations ----------------------------------------------------

  [[nodiscard]] const std::vector<EscalationLadder>& escalations() const noexcept { return escalations_; }
  /// True when some plan has `rules:` (the engine then resolves targets
  /// against the ticket's attributes).
  [[nodiscard]] bool has_rules() const noexcept { return has_rules_; }
  /// How many escalations test attributes (EscalationLadder::attribute_bit).
  [[nodiscard]] std::size_t attribute_ladders() const noexcept { return attribute_ladders_; }
  /// The steps of every ladder matching (plan, severity, metric), ladder order
  /// then step order. Empty for unknown plans/severities. Precomputed at load:
  /// no allocation.
  [[nodiscard]] std::span<const EscalationStep* const> escalation_steps(std::string_view plan,
                                                                        std::string_view severity,
                                                                        Metric metric) const noexcept;

  // --- paging ---------------------------------------------------------

  [[nodiscard]] const std::map<std::string, Rotation, std::less<>>& rotations() const noexcept { return rotations_; }
  [[nodiscard]] const Rotation* rotation(std::string_view name) const noexcept;
  /// Who is on call on rotation `name` at `at` (handoffs and overrides in the
  /// rotation's time zone). kNotFound for an unknown rotation.
  [[nodiscard]] sla::Result<std::string> on_call(std::string_view rotation, EpochMillis at) const;
  [[nodiscard]] const std::map<std::string, PagingTarget, std::less<>>& paging_targets() const noexcept {
    return paging_targets_;
  }
  /// The paging target named `name`, or nullptr (a plain notify recipient).
  [[nodiscard]] const PagingTarget* paging_target(std::string_view name) const noexcept;

  // --- calendars ------------------------------------------------------

  /// The policy's calendars, including the built-in `24x7`.
  [[nodiscard]] const calendar::CalendarSet& calendars() const noexcept { return *calendars_; }
  [[nodiscard]] const std::shared_ptr<const calendar::CalendarSet>& calendar_set() const noexcept {
    return calendars_;
  }
  /// Shorthand for calendars().find(name).
  [[nodiscard]] const calendar::Calendar* calendar(std::string_view name) const;

  /// One line for humans: "policy trackmyvend v1: 3 plans, 12 severities,
  /// 14 targets, 2 calendars, 1 escalation ladder (2 steps), 2 rotations,
  /// 1 paging target".
  [[nodiscard]] std::string summary() const;

 private:
  friend class detail::Builder;
  Policy() = default;

  std::string id_;
  int version_ = 1;
  std::shared_ptr<const calendar::CalendarSet> calendars_;
  std::map<std::string, Plan, std::less<>> plans_;
  std::vector<Threshold> warnings_;
  AfterBreach after_breach_;
  std::vector<std::string> pause_on_;
  OnRetarget on_retarget_ = OnRetarget::kKeepElapsed;
  std::array<ReopenAction, kMetricCount> on_reopen_{default_reopen(Metric::kResponse), default_reopen(Metric::kUpdate),
                                                    default_reopen(Metric::kWorkaround),
                                                    default_reopen(Metric::kResolution)};
  std::vector<EscalationLadder> escalations_;
  bool has_rules_ = false;
  std::size_t attribute_ladders_ = 0;
  std::map<std::string, Rotation, std::less<>> rotations_;
  std::map<std::string, PagingTarget, std::less<>> paging_targets_;
};

}  // namespace sla::policy
