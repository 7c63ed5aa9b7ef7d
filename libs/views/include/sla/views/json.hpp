// JSON answers of the cluster-wide views (SPEC 6.2): the at-risk list with
// its exact totals, and one ticket from its latest snapshot, each with the
// view's freshness. Pure formatting; not the index (deadline_view.hpp).
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "sla/base/clock.hpp"
#include "sla/base/result.hpp"
#include "sla/http/handler.hpp"
#include "sla/views/deadline_view.hpp"
#include "sla/views/feed.hpp"

namespace sla::views {

/// The query for validated HTTP parameters at `now`.
[[nodiscard]] AtRiskQuery to_query(const http::AtRiskParams& params, EpochMillis now);

/// `{now, within_ms, limit, filters, count (every match), overdue, returned,
///   tickets:[{ticket_id, tenant_id, metric, plan, severity, deadline,
///   deadline_in_ms, overdue}], by_plan_severity:[{plan, severity, at_risk,
///   overdue}], view:{loaded, as_of, lag_ms, tickets}}`.
[[nodiscard]] nlohmann::json at_risk_json(const AtRiskResult& result, const AtRiskQuery& query,
                                          const Freshness& freshness);

/// http::ticket_json of the snapshot, plus `snapshot_as_of` (when the owning
/// instance took it) and `view` (freshness). Each clock's `wall_ms` is as of
/// the snapshot, like its `elapsed_ms`.
[[nodiscard]] nlohmann::json ticket_json(const ViewTicket& ticket, EpochMillis now, const Freshness& freshness);

/// The ticket id named by an engine page id
/// (`{ticket}/{metric}/{cycle}/page/{step}/{target}/{level}/{attempt}`) or
/// ladder key (the same without `/{level}/{attempt}`; also the dedup_key).
/// Ticket ids may contain '/': the id is what precedes the metric and cycle.
/// kInvalidArgument for anything else.
[[nodiscard]] sla::Result<std::string> ticket_of_page(std::string_view page_id);

/// `/v1/pages?state=unacked`: `{now, state, filters, count (matching),
///   total (in the view), returned, pages:[{page_id, key, ticket_id,
///   tenant_id, plan, severity, metric, cycle, target, state, level, attempt,
///   rotation, responder, paged_at, ack_deadline, ack_overdue, waiting_ms,
///   pages_sent, pages_total, next_page_at}], view}`. `page_id` is the last
/// page's (what POST /v1/pages/{page_id}/ack takes); `waiting_ms` is now
/// minus `paged_at`.
[[nodiscard]] nlohmann::json unacked_json(const UnackedResult& result, const UnackedQuery& query, EpochMillis now,
                                          const Freshness& freshness);

/// `{loaded, as_of, lag_ms, tickets}`.
[[nodiscard]] nlohmann::json freshness_json(const Freshness& freshness);

}  // namespace sla::views
