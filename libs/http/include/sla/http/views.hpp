// JSON views of core state for the HTTP API: engine tickets and at-risk
// lists, policy summaries and validation results, and the what-if deadline.
// Pure functions the daemon calls from its Deps callbacks; they read no clock
// (`now` is a parameter) and lock nothing. Instants are RFC 3339 UTC strings
// (calendar::format_rfc3339), durations integer milliseconds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sla/base/clock.hpp"
#include "sla/base/result.hpp"
#include "sla/calendar/duration.hpp"
#include "sla/engine/engine.hpp"
#include "sla/policy/loader.hpp"
#include "sla/policy/policy.hpp"

namespace sla::http {

/// One ticket at `now`:
/// `{ticket_id, tenant_id, plan, severity, status, opened, resolved, closed,
///   opened_at, next_due, clocks:[{metric, cycle, started_at, state,
///   pause_reason, pause_status, calendar, elapsed_ms, wall_ms, target_ms,
///   remaining_ms, deadline, deadline_in_ms, fired:[...]}],
///   history:[{metric, cycle, started_at, ended_at, elapsed_ms, wall_ms,
///   outcome}], pages:[{key, metric, cycle, target, state, pages_sent,
///   pages_total, stopped, next_page_at, last_page:{level, attempt, rotation,
///   responder, at, ack_deadline} or null, acked:{by, at} or null}]}`.
/// `acked` is the first acknowledgement of one of the ladder's pages (`by`
/// null when the event named no responder or the state predates it); it is
/// kept when the ladder had already stopped for another reason.
/// `wall_ms` is wall time since the cycle started (to `now`, or to its end);
/// `wall_ms - elapsed_ms` is what was not counted (paused by status, outside
/// hours, holidays). `started_at` is null for snapshots taken before it was
/// recorded.
/// `remaining_ms` is counted (calendar) time, target - elapsed, negative once
/// breached; `deadline_in_ms` is wall time to the deadline. Fields with no
/// value (open-ended target, paused by status) are null.
[[nodiscard]] nlohmann::json ticket_json(const engine::TicketView& ticket, EpochMillis now);

/// `/v1/oncall?at=`: who is on call at `at`, under `policy`:
/// `{at, policy_id, version, rotations:[{name, timezone, shift, handoff,
///   members, current:{member, from, until, overridden}, next:{...},
///   overrides:[{member, from, to, from_local, to_local, active}]}],
///   targets:[{name, repeat, levels:[{rotation, member, responder,
///   ack_timeout}]}]}`. `current.until` is the next handoff (or override
/// start or end); `next` is who takes over then. Overrides already over at
/// `at` are left out.
[[nodiscard]] nlohmann::json oncall_json(const policy::Policy& policy, EpochMillis at);

/// One paging ladder of a ticket (an element of ticket_json's `pages`).
[[nodiscard]] nlohmann::json ladder_json(const engine::PageLadderView& ladder);

/// An at-risk list at `now`: sorts `items` by (deadline, ticket, metric),
/// keeps the first `limit` (so lists from several engines/partitions can be
/// concatenated first), and returns
/// `{now, within_ms, count, tickets:[{ticket_id, metric, plan, severity,
///   deadline, deadline_in_ms, overdue}], by_plan_severity:[{plan, severity,
///   at_risk, overdue}]}`.
[[nodiscard]] nlohmann::json at_risk_json(std::vector<engine::AtRisk> items, EpochMillis now,
                                          std::int64_t within_ms, std::size_t limit);

/// The loaded policy: `{policy_id, version, summary, plans:[{name,
/// calendar, severities:[...]}], calendars:[...]}`.
[[nodiscard]] nlohmann::json policy_json(const policy::Policy& policy);

/// `{ok, errors:[{file, line, column, message}]}`.
[[nodiscard]] nlohmann::json load_errors_json(const std::vector<policy::LoadError>& errors);

/// Loads `yaml_text` with policy::load_policy and reports the result as
/// load_errors_json (ok iff no errors). Thread-safe; `ics:` imports are
/// never read (options.allow_files is forced false).
[[nodiscard]] nlohmann::json validate_policy_json(std::string_view yaml_text,
                                                  const policy::LoadOptions& options);

/// The what-if deadline: `duration` from `start` on `policy`'s calendar
/// named `calendar_name`. kNotFound (naming the known calendars) if unknown.
[[nodiscard]] sla::Result<EpochMillis> policy_deadline(const policy::Policy& policy,
                                                       std::string_view calendar_name, EpochMillis start,
                                                       const calendar::Duration& duration);

}  // namespace sla::http
