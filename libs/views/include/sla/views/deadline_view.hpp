// sla::views::DeadlineView: every ticket's latest `sla.deadlines` snapshot,
// indexed for the HTTP plane: by ticket id, and by deadline for the at-risk
// query (one counted B+tree, rank_tree.hpp, per (tenant, plan, severity, metric) and
// per (plan, severity, metric), so a query costs O(groups · log n + limit ·
// log groups) and its totals are exact over every match, not over the page).
// Pure: no Kafka, no clock; the daemon feeds it from a Reader of the
// compacted topic (kafka/reader.hpp) and passes `now` to queries. Not the
// engine: nothing here fires; a view is only as fresh as the snapshots.
//
// Threads: one writer (apply()), any number of readers, and readers never
// wait for the writer (no lock at all on the read side). The view keeps two
// copies of the index ("left-right"): readers read the published copy while
// the writer applies a batch to the other one, publishes it with one atomic
// store, waits until the readers still on the old copy have left it, and
// replays the batch there. Readers see whole batches, never half of one.
// The cost is twice the index memory and twice the writer's work; the
// tickets themselves (immutable, shared_ptr) are shared by both copies.
// The loop's lock is never involved.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sla/base/clock.hpp"
#include "sla/engine/engine.hpp"

namespace sla::views {

/// One ticket as the view holds it: its snapshot and the snapshot's time.
struct ViewTicket {
  engine::TicketView view;
  EpochMillis as_of = 0;
};

/// A change to apply: a snapshot (`ticket` set) or a deletion of `ticket_id`
/// (a tombstone, or a snapshot of a closed ticket).
struct ViewUpdate {
  std::string ticket_id;
  std::optional<ViewTicket> ticket;
};

struct AtRiskQuery {
  EpochMillis now = 0;
  std::int64_t within_ms = 3'600'000;
  std::size_t limit = 100;
  std::optional<std::string> tenant;
  std::optional<std::string> plan;
  std::optional<std::string> severity;
  std::optional<engine::MetricKind> metric;
};

struct AtRiskItem {
  std::string ticket_id;
  std::string tenant_id;
  std::string plan;
  std::string severity;
  engine::MetricKind metric = engine::MetricKind::kResponse;
  EpochMillis deadline = 0;
};

struct AtRiskCount {
  std::size_t at_risk = 0;  ///< deadline <= now + within
  std::size_t overdue = 0;  ///< deadline <= now
};

struct AtRiskResult {
  /// The first `limit` matches, by (deadline, hash of the ticket id, metric):
  /// the same order on every instance.
  std::vector<AtRiskItem> items;
  /// Every match, not only those returned.
  std::size_t total = 0;
  std::size_t overdue = 0;
  std::map<std::pair<std::string, std::string>, AtRiskCount> by_plan_severity;
};

/// `/v1/pages?state=unacked`: pages sent and not acknowledged.
struct UnackedQuery {
  std::size_t limit = 100;
  std::optional<std::string> tenant;
};

/// One unacknowledged ladder: the ticket's snapshot and the ladder's index in
/// its `pages`.
struct UnackedItem {
  std::shared_ptr<const ViewTicket> ticket;
  std::size_t ladder = 0;
};

struct UnackedResult {
  /// Tickets by their oldest unacknowledged page (oldest first), each
  /// ticket's ladders in order, the first `limit`.
  std::vector<UnackedItem> items;
  /// Unacknowledged ladders matching the query (all of them, not the page).
  std::size_t matched = 0;
  /// Unacknowledged ladders in the view.
  std::size_t total = 0;
};

class DeadlineView {
 public:
  DeadlineView();
  ~DeadlineView();
  DeadlineView(const DeadlineView&) = delete;
  DeadlineView& operator=(const DeadlineView&) = delete;

  /// Writer only (one thread at a time). Applies `updates` in order: a
  /// snapshot replaces the ticket's previous one unless older (`as_of`
  /// before the held one); a closed ticket or a deletion removes it. Readers
  /// see all of them at once when it returns (or earlier, never a part).
  /// Waits for readers still reading the copy published before.
  void apply(std::vector<ViewUpdate>& updates);

  /// The ticket's snapshot, or null. Any thread.
  [[nodiscard]] std::shared_ptr<const ViewTicket> ticket(std::string_view id) const;
  /// Running deadlines within the window, soonest first, with exact totals.
  /// Any thread.
  [[nodiscard]] AtRiskResult at_risk(const AtRiskQuery& query) const;
  /// Ladders that paged and are not acknowledged (nor stopped by the end of
  /// their cycle or the ticket's resolution), oldest page first; with a
  /// tenant, the scan visits every unacknowledged ticket (O(unacked)).
  /// Any thread.
  [[nodiscard]] UnackedResult unacked_pages(const UnackedQuery& query) const;
  /// Tickets held. Any thread.
  [[nodiscard]] std::size_t size() const;
  /// Clocks in the deadline index. Any thread.
  [[nodiscard]] std::size_t indexed_clocks() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

/// Whether a paging ladder waits for an acknowledgement: it sent a page and
/// has not stopped (not acknowledged, its cycle still running, the ticket not
/// resolved). An exhausted ladder (every page sent) still counts.
[[nodiscard]] bool unacked_page(const engine::PageLadderView& ladder) noexcept;

/// Whether a clock of a snapshot belongs in the at-risk index: it counts
/// (running, breached, or paused outside hours) and has a deadline.
[[nodiscard]] bool at_risk_candidate(const engine::ClockView& clock) noexcept;

}  // namespace sla::views
