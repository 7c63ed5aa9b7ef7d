// Policy lookups. Everything is resolved at load, so these are map finds.
#include <string>

#include "sla/policy/policy.hpp"

namespace sla::policy {

const Plan* Policy::plan(std::string_view name) const noexcept {
  auto it = plans_.find(name);
  return it == plans_.end() ? nullptr : &it->second;
}

const Severity* Policy::severity(std::string_view plan_name, std::string_view severity_name) const noexcept {
  const Plan* p = plan(plan_name);
  if (p == nullptr) return nullptr;
  auto it = p->severities.find(severity_name);
  return it == p->severities.end() ? nullptr : &it->second;
}

const MetricTargets* Policy::targets(std::string_view plan_name, std::string_view severity_name,
                                     Metric metric) const noexcept {
  const Severity* s = severity(plan_name, severity_name);
  if (s == nullptr) return nullptr;
  const auto& m = s->metrics[index(metric)];
  return m ? &*m : nullptr;
}

const Target* Policy::target(std::string_view plan_name, std::string_view severity_name, Metric metric,
                             bool opened_in_hours) const noexcept {
  const MetricTargets* m = targets(plan_name, severity_name, metric);
  return m == nullptr ? nullptr : &m->pick(opened_in_hours);
}

const Target* Policy::target_at(std::string_view plan_name, std::string_view severity_name, Metric metric,
                                EpochMillis opened_at) const {
  const MetricTargets* m = targets(plan_name, severity_name, metric);
  if (m == nullptr) return nullptr;
  if (!m->split()) return &m->in_hours;
  return &m->pick(m->hours_calendar->is_open(opened_at));
}

std::span<const EscalationStep* const> Policy::escalation_steps(std::string_view plan_name,
                                                                std::string_view severity_name,
                                                                Metric metric) const noexcept {
  const Severity* s = severity(plan_name, severity_name);
  if (s == nullptr) return {};
  const auto& v = s->steps[index(metric)];
  return {v.data(), v.size()};
}

const Rotation* Policy::rotation(std::string_view name) const noexcept {
  auto it = rotations_.find(name);
  return it == rotations_.end() ? nullptr : &it->second;
}

sla::Result<std::string> Policy::on_call(std::string_view rotation_name, EpochMillis at) const {
  const Rotation* r = rotation(rotation_name);
  if (r == nullptr) {
    return sla::fail(ErrorCode::kNotFound, "unknown rotation '" + std::string(rotation_name) + "'");
  }
  return r->on_call(at);
}

const PagingTarget* Policy::paging_target(std::string_view name) const noexcept {
  auto it = paging_targets_.find(name);
  return it == paging_targets_.end() ? nullptr : &it->second;
}

const calendar::Calendar* Policy::calendar(std::string_view name) const { return calendars_->find(name); }

namespace {
std::string count(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}
}  // namespace

std::string Policy::summary() const {
  std::size_t severities = 0, targets = 0, steps = 0;
  for (const auto& [name, p] : plans_) {
    severities += p.severities.size();
    for (const auto& [sname, s] : p.severities) {
      for (const auto& m : s.metrics) {
        if (m) targets += m->split() ? std::size_t{2} : std::size_t{1};
      }
    }
  }
  for (const auto& l : escalations_) steps += l.steps.size();
  // The built-in 24x7 is not counted: it is in every policy.
  std::size_t calendars = 0;
  for (const auto& n : calendars_->names()) {
    if (n != "24x7") ++calendars;
  }
  return "policy " + id_ + " v" + std::to_string(version_) + ": " + count(plans_.size(), "plan", "plans") + ", " +
         count(severities, "severity", "severities") + ", " + count(targets, "target", "targets") + ", " +
         count(calendars, "calendar", "calendars") + ", " +
         count(escalations_.size(), "escalation ladder", "escalation ladders") + " (" +
         count(steps, "step", "steps") + "), " + count(rotations_.size(), "rotation", "rotations") + ", " +
         count(paging_targets_.size(), "paging target", "paging targets");
}

}  // namespace sla::policy
