// Engine value types: the ticket events the engine consumes and the outputs
// it produces, in core terms (no protobuf; libs/codec translates). Plain data,
// no behaviour beyond naming.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "sla/base/clock.hpp"
#include "sla/policy/metric.hpp"

namespace sla::engine {

/// The kinds of TicketEvent (SPEC 4).
enum class EventKind : std::uint8_t {
  kOpened,
  kResponded,
  kAgentUpdated,
  kStatusChanged,
  kSeverityChanged,
  kPlanChanged,
  kWorkaroundProvided,
  kResolved,
  kReopened,
  kClosed,
  kPageAcknowledged,
  kCustomerReplied,
  kEscalationRequested,
  kAttributesChanged,
};
/// The last EventKind (stored state names kinds by number: new kinds go at the end).
inline constexpr EventKind kLastEventKind = EventKind::kAttributesChanged;
/// How many EventKinds there are (for tables indexed by kind).
inline constexpr std::size_t kEventKindCount = static_cast<std::size_t>(kLastEventKind) + 1;

[[nodiscard]] std::string_view to_string(EventKind kind);

/// One input event. Which optional fields are meaningful depends on `kind`:
/// opened: plan, severity, status (empty = "open"), labels;
/// status_changed: status; severity_changed: severity; plan_changed: plan;
/// page_acknowledged: page_id (empty = every open ladder), responder;
/// escalation_requested: requested_by, reason.
/// opened: attributes (the ticket's); attributes_changed: attributes (added
/// or replaced) and removed (keys deleted before they are set).
struct TicketEvent {
  std::string event_id;
  std::string ticket_id;
  std::string tenant_id;
  EpochMillis occurred_at = 0;
  std::optional<std::uint64_t> sequence;
  EventKind kind = EventKind::kOpened;
  std::string plan;
  std::string severity;
  std::string status;
  std::vector<std::pair<std::string, std::string>> labels;
  std::string page_id;
  std::string responder;
  std::string requested_by;
  std::string reason;
  /// Sorted by key, keys unique (the codec sorts them).
  std::vector<std::pair<std::string, std::string>> attributes;
  std::vector<std::string> removed;
};

/// The SLA clock kinds (policy::Metric), in the order outputs are produced
/// for equal instants.
using MetricKind = policy::Metric;
using policy::kMetricCount;

/// What an SlaOutput reports.
enum class SlaKind : std::uint8_t { kWarning, kBreached, kMet, kEscalated };

[[nodiscard]] std::string_view to_string(SlaKind kind);

/// An SlaEvent for `sla.escalations`. `event_id` is deterministic:
/// "ticket/metric/cycle/kind/step" (SPEC 5.2).
struct SlaOutput {
  std::string event_id;
  std::string ticket_id;
  std::string tenant_id;
  std::string plan;
  std::string severity;
  MetricKind metric = MetricKind::kResponse;
  std::uint32_t cycle = 0;
  std::optional<EpochMillis> deadline;  ///< none: the clock has no deadline (`within: none`)
  EpochMillis fired_at = 0;
  EpochMillis started_at = 0;   ///< when this cycle of the clock started (event time)
  std::int64_t elapsed_ms = 0;  ///< counted time on the clock at fired_at
  std::int64_t target_ms = 0;   ///< the target's length in counted time
  SlaKind kind = SlaKind::kWarning;
  std::string threshold;            ///< warning: as written ("75%", "-30m")
  std::uint32_t reminder = 0;       ///< breached: 0 = the breach, n = n-th after_breach reminder
  std::uint32_t step = 0;           ///< escalated: index of the step in its ladder
  std::vector<std::string> notify;  ///< escalated
  bool page = false;                ///< escalated
  /// escalated: what made the step due besides the clock's time: "" (the
  /// clock's counted time), "exchanges" (`at: {exchanges: N}`; `exchanges`
  /// is the ticket's count then) or "requested" (a `trigger: requested`
  /// escalation; who asked, why and when).
  std::string trigger;
  std::uint32_t exchanges = 0;
  std::string requested_by;
  std::string reason;
  std::optional<EpochMillis> requested_at;
  /// met: the clock had breached before it was met (a late reply, a
  /// resolution after its deadline). Such a `met` does not make the cycle a
  /// met one; it says when it ended, so time-to-respond figures are exact.
  bool after_breach = false;
};

/// What a PageEvent asks of the pager (PageEvent.action). Every action of
/// one incident (one ladder) carries the same dedup_key.
enum class PageAction : std::uint8_t {
  kTrigger,      ///< a page: open (or re-notify) the incident
  kAcknowledge,  ///< an acknowledgement arrived: the ladder stops paging
  kResolve,      ///< the ticket was resolved or closed, or the ladder's cycle ended under `stop_on: [met]`
};

/// "page" (a trigger), "page_acknowledge" or "page_resolve": the name the
/// metrics and the policy preview give a PageEvent.
[[nodiscard]] std::string_view to_string(PageAction action);

/// A PageEvent for `sla.pages`.
struct PageOutput {
  std::string page_id;
  std::string dedup_key;
  std::string ticket_id;
  std::string tenant_id;
  std::string plan;
  std::string severity;
  MetricKind metric = MetricKind::kResponse;
  std::uint32_t cycle = 0;
  std::string target;  ///< paging target name
  std::string rotation;
  std::string responder;
  std::uint32_t level = 0;
  std::uint32_t attempt = 0;
  std::optional<EpochMillis> ack_deadline;  ///< none for acknowledge and resolve records
  bool high_urgency = true;
  EpochMillis fired_at = 0;
  /// kTrigger: page_id "<dedup_key>/<level>/<attempt>"; kAcknowledge and
  /// kResolve: "<dedup_key>/acknowledge" and "<dedup_key>/resolve", each
  /// once per ladder, with the last page's level, attempt and rotation, no
  /// ack_deadline, and as responder who acknowledged (kAcknowledge) or the
  /// last page's responder (kResolve).
  PageAction action = PageAction::kTrigger;
};

using Output = std::variant<SlaOutput, PageOutput>;

/// The id of an output, for dedup and logs.
[[nodiscard]] const std::string& output_id(const Output& out);

}  // namespace sla::engine
