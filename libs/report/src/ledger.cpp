// The Ledger: one ClockRecord per ticket/metric/cycle, whatever the log
// repeats.
#include <algorithm>

#include "sla/report/report.hpp"

namespace sla::report {
namespace {

std::string clock_key(const engine::SlaOutput& e) {
  std::string k;
  k.reserve(e.ticket_id.size() + 24);
  k.append(e.ticket_id).append(1, '/').append(policy::to_string(e.metric)).append(1, '/');
  k.append(std::to_string(e.cycle));
  return k;
}

// The plan and severity of the outcome are the clock's in the report: a
// retarget before it moved the clock under the new (plan, severity).
void take_labels(ClockRecord& c, const engine::SlaOutput& e) {
  c.tenant_id = e.tenant_id;
  c.plan = e.plan;
  c.severity = e.severity;
  c.deadline = e.deadline;
  c.target_ms = e.target_ms;
}

}  // namespace

bool Ledger::add(const engine::SlaOutput& e) {
  const std::string key = clock_key(e);
  auto it = index_.find(key);
  bool changed = false;
  if (it == index_.end()) {
    if (clocks_.size() >= max_clocks_) {
      ++dropped_;
      return false;
    }
    it = index_.emplace(key, clocks_.size()).first;
    ClockRecord& fresh = clocks_.emplace_back();
    fresh.ticket_id = e.ticket_id;
    fresh.metric = e.metric;
    fresh.cycle = e.cycle;
    take_labels(fresh, e);
    changed = true;
  }
  ClockRecord& c = clocks_[it->second];
  if (e.started_at != 0 && c.started_at == 0) {
    c.started_at = e.started_at;
    changed = true;
  }
  if (e.kind == engine::SlaKind::kMet && !c.met_at) {
    c.met_at = e.fired_at;
    c.met_elapsed_ms = e.elapsed_ms;
    if (!c.breached_at) take_labels(c, e);
    changed = true;
  } else if (e.kind == engine::SlaKind::kBreached && e.reminder == 0 && !c.breached_at) {
    c.breached_at = e.fired_at;
    take_labels(c, e);
    changed = true;
  }
  return changed;
}

}  // namespace sla::report
