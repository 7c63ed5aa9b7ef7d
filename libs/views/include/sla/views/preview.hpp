// sla::views::preview_policy: what a candidate policy would move for the
// open tickets, before it is applied (SPEC 6.2 `POST /v1/policy/preview`,
// SPEC 6.3 `slactl policy diff`).
//
// Exact, not estimated: two engines are loaded with the same saved tickets
// (Engine::save_ticket bytes). One keeps the policy in force; the other
// takes the candidate with Engine::set_policy, as a reload does. Each
// ticket's clocks are compared at `now` (deadline and target, whatever the
// horizon), then both engines run on a simulated clock, with no further
// events, to now + horizon, and every output (warning, breach, after-breach
// reminder, escalation step, page) is matched by its deterministic id
// (SPEC 5.2): moved (and by how much), added (only with the candidate) or
// removed (only without it). What the switch itself fires at once is
// counted too. A removed item may only have moved past the horizon.
//
// Pure: no I/O, no wall clock; the caller gives `now`, the tickets and an
// optional steady-clock budget (checked between steps: the answer is then
// partial and says so).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sla/base/clock.hpp"
#include "sla/base/result.hpp"
#include "sla/policy/policy.hpp"

namespace sla::views {

struct PreviewOptions {
  EpochMillis now = 0;
  /// How far the simulated clock runs after `now` (30 days).
  std::int64_t horizon_ms = 30LL * 24 * 3'600'000;
  /// Changes listed at most (the counts are over all of them).
  std::size_t max_changes = 1000;
  /// Give up (answer partial, `complete` false) after this steady-clock time.
  std::optional<std::chrono::steady_clock::time_point> budget;
};

/// One thing that moves.
struct PreviewChange {
  enum class Kind : std::uint8_t { kMoved, kAdded, kRemoved };
  Kind kind = Kind::kMoved;
  std::string ticket_id;
  /// "deadline", or the output: "warning", "breached", "reminder",
  /// "escalated", "met", "met_after_breach", "page", "page_acknowledge",
  /// "page_resolve".
  std::string what;
  /// The output id (event_id / page_id), or "ticket/metric/cycle" for a
  /// deadline.
  std::string id;
  std::string metric;
  std::optional<EpochMillis> before;  ///< when, with the policy in force
  std::optional<EpochMillis> after;   ///< when, with the candidate
  /// Deadlines only: the clock's target (counted ms), before and after.
  std::optional<std::int64_t> target_before;
  std::optional<std::int64_t> target_after;
};

struct PreviewResult {
  EpochMillis now = 0;
  std::int64_t horizon_ms = 0;
  std::size_t tickets = 0;           ///< tickets examined
  std::size_t tickets_changed = 0;   ///< tickets with at least one change
  std::size_t moved = 0;             ///< over all changes, not only those listed
  std::size_t added = 0;
  std::size_t removed = 0;
  std::size_t fired_at_once = 0;     ///< outputs the switch itself fires at `now`
  bool complete = true;              ///< false: the budget ran out (counts are partial)
  bool truncated = false;            ///< more changes than max_changes
  /// By ticket id, then time, the first max_changes.
  std::vector<PreviewChange> changes;
};

/// A target whose definition differs between the two policies (no tickets
/// needed): per plan, severity and metric, the duration as written and the
/// calendar, "" where there is none.
struct TargetChange {
  std::string plan;
  std::string severity;
  std::string metric;
  std::string before;  ///< "4h (business)", or "" when absent
  std::string after;
};

/// The target definitions that differ (plans and severities of either policy).
[[nodiscard]] std::vector<TargetChange> target_changes(const policy::Policy& current, const policy::Policy& candidate);

/// See the file comment. kInvalidArgument for a saved ticket the engine
/// does not load (the message names it).
[[nodiscard]] sla::Result<PreviewResult> preview_policy(std::span<const std::string> saved_tickets,
                                                        std::shared_ptr<const policy::Policy> current,
                                                        std::shared_ptr<const policy::Policy> candidate,
                                                        const PreviewOptions& options);

/// The JSON answer of `POST /v1/policy/preview` and `slactl policy diff`.
[[nodiscard]] nlohmann::json preview_json(const PreviewResult& result, const std::vector<TargetChange>& targets);

}  // namespace sla::views
