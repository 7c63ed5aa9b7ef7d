// The set-up the engine and view tests share: instants from RFC 3339 text,
// a policy from YAML text, ticket events, and an engine driven like the
// daemon drives it but on a simulated clock that jumps to every timer (so
// outputs carry exact fire times). Test-only (gtest); a test including it
// links sla::engine (sla::testing itself brings only sla::base).
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "sla/calendar/calendar.hpp"
#include "sla/engine/engine.hpp"
#include "sla/policy/loader.hpp"

namespace sla::testing {

/// The instant `rfc3339` names; fails the test (and gives 0) if it does not
/// parse.
inline EpochMillis at(const char* rfc3339) {
  auto t = calendar::parse_rfc3339(rfc3339);
  EXPECT_TRUE(t) << rfc3339;
  return t.value_or(0);
}

inline std::string iso(EpochMillis t) { return calendar::format_rfc3339(t); }

/// The policy in `yaml`, loaded as the file `file` (the name its errors
/// carry); fails the test with every load error.
inline std::shared_ptr<const policy::Policy> load_policy_text(const char* yaml, const char* file) {
  std::vector<policy::LoadError> errors;
  policy::LoadOptions opts;
  opts.file = file;
  auto p = policy::load_policy(yaml, opts, errors);
  for (const auto& e : errors) ADD_FAILURE() << policy::format(e);
  return p;
}

/// A ticket event of tenant "acme". `a` and `b` fill the kind's own fields:
/// opened: plan and severity (status "open"); status_changed: status;
/// severity_changed: severity; plan_changed: plan; page_acknowledged: page
/// id and responder; escalation_requested: by and reason.
inline engine::TicketEvent event(std::string id, std::string ticket, EpochMillis t, engine::EventKind kind,
                                 std::string a = {}, std::string b = {}) {
  using engine::EventKind;
  engine::TicketEvent e;
  e.event_id = std::move(id);
  e.ticket_id = std::move(ticket);
  e.tenant_id = "acme";
  e.occurred_at = t;
  e.kind = kind;
  switch (kind) {
    case EventKind::kOpened:
      e.plan = std::move(a);
      e.severity = std::move(b);
      e.status = "open";
      break;
    case EventKind::kStatusChanged: e.status = std::move(a); break;
    case EventKind::kSeverityChanged: e.severity = std::move(a); break;
    case EventKind::kPlanChanged: e.plan = std::move(a); break;
    case EventKind::kPageAcknowledged:
      e.page_id = std::move(a);
      e.responder = std::move(b);
      break;
    case EventKind::kEscalationRequested:
      e.requested_by = std::move(a);
      e.reason = std::move(b);
      break;
    default: break;
  }
  return e;
}

/// An engine on a simulated clock: run_until() jumps to every timer due on
/// the way, send() applies an event at its own time.
class EngineHarness {
 public:
  explicit EngineHarness(std::shared_ptr<const policy::Policy> p, engine::EngineOptions o = {})
      : engine(std::move(p), o) {}

  void run_until(EpochMillis t) {
    for (auto due = engine.next_due(); due && *due <= t; due = engine.next_due()) {
      now = std::max(now, *due);
      engine.advance(now, out);
    }
    now = std::max(now, t);
  }
  void send(const engine::TicketEvent& e) {
    run_until(e.occurred_at);
    apply_now(e);
  }
  /// An event arriving at wall time `arrival` (>= occurred_at): late delivery.
  void send_late(const engine::TicketEvent& e, EpochMillis arrival) {
    run_until(arrival);
    apply_now(e);
  }
  /// An event applied at the harness's current time, however old it is.
  void apply_now(const engine::TicketEvent& e) {
    auto r = engine.apply(e, now, out);
    ASSERT_TRUE(r) << r.error().message;
  }

  /// Every output's id, in order.
  [[nodiscard]] std::vector<std::string> ids() const {
    std::vector<std::string> v;
    for (const auto& o : out) v.push_back(engine::output_id(o));
    return v;
  }
  /// The ids of the escalations fired, in order.
  [[nodiscard]] std::vector<std::string> escalations() const {
    std::vector<std::string> v;
    for (const auto& o : out) {
      if (const auto* s = std::get_if<engine::SlaOutput>(&o); s && s->kind == engine::SlaKind::kEscalated) {
        v.push_back(s->event_id);
      }
    }
    return v;
  }
  /// The SLA output with this id, or nullptr.
  [[nodiscard]] const engine::SlaOutput* find(const std::string& id) const {
    for (const auto& o : out) {
      if (const auto* s = std::get_if<engine::SlaOutput>(&o); s && s->event_id == id) return s;
    }
    return nullptr;
  }
  /// The pages sent (PageAction::kTrigger); acknowledge and resolve records
  /// with `action`.
  [[nodiscard]] std::vector<const engine::PageOutput*> pages(
      engine::PageAction action = engine::PageAction::kTrigger) const {
    std::vector<const engine::PageOutput*> v;
    for (const auto& o : out) {
      if (const auto* p = std::get_if<engine::PageOutput>(&o); p && p->action == action) v.push_back(p);
    }
    return v;
  }

  engine::Engine engine;
  EpochMillis now = 0;
  std::vector<engine::Output> out;
};

}  // namespace sla::testing
