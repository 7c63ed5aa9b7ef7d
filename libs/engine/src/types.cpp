#include "sla/engine/types.hpp"

namespace sla::engine {

std::string_view to_string(EventKind kind) {
  switch (kind) {
    case EventKind::kOpened: return "opened";
    case EventKind::kResponded: return "responded";
    case EventKind::kAgentUpdated: return "agent_updated";
    case EventKind::kStatusChanged: return "status_changed";
    case EventKind::kSeverityChanged: return "severity_changed";
    case EventKind::kPlanChanged: return "plan_changed";
    case EventKind::kWorkaroundProvided: return "workaround_provided";
    case EventKind::kResolved: return "resolved";
    case EventKind::kReopened: return "reopened";
    case EventKind::kClosed: return "closed";
    case EventKind::kPageAcknowledged: return "page_acknowledged";
    case EventKind::kCustomerReplied: return "customer_replied";
    case EventKind::kEscalationRequested: return "escalation_requested";
    case EventKind::kAttributesChanged: return "attributes_changed";
  }
  return "unknown";
}

std::string_view to_string(PageAction action) {
  switch (action) {
    case PageAction::kTrigger: return "page";
    case PageAction::kAcknowledge: return "page_acknowledge";
    case PageAction::kResolve: return "page_resolve";
  }
  return "page";
}

std::string_view to_string(SlaKind kind) {
  switch (kind) {
    case SlaKind::kWarning: return "warning";
    case SlaKind::kBreached: return "breached";
    case SlaKind::kMet: return "met";
    case SlaKind::kEscalated: return "escalated";
  }
  return "unknown";
}

const std::string& output_id(const Output& out) {
  if (const auto* s = std::get_if<SlaOutput>(&out)) return s->event_id;
  return std::get<PageOutput>(out).page_id;
}

}  // namespace sla::engine
