// SLA compliance and KPI reports (SPEC 6.2 `/v1/reports/compliance`, 6.3
// `slactl report`): per metric x plan x severity x tenant over a period,
// clocks started, met, breached, % met, median and p90 time to meet the
// target (business time and wall time), and the breaches with links.
//
// The source is the `sla.escalations` log, not live state: `met` and the
// breach (`breached`, reminder 0) are each emitted once per clock cycle under
// a deterministic event_id, so a `Ledger` that keys clocks by
// ticket/metric/cycle counts every outcome once however often the log repeats
// it (at-least-once delivery, replays, restarts), and closed tickets, which
// leave the daemon's views, are still in it.
//
// A breached clock that is met later (a late reply, a resolution after the
// deadline) gets a `met` with `after_breach`: it stays breached in the counts
// and its time to meet is known. What the log cannot say is the time of a
// breached clock not met (yet), or of logs written before that `met` was
// emitted: such clocks rank after every known time; a median or p90 that
// falls on them is reported as "over target" with no value, never as a guess.
//
// Pure: no I/O, no clock, no logs. Not thread-safe: one writer, or a copy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sla/base/clock.hpp"
#include "sla/base/result.hpp"
#include "sla/engine/types.hpp"

namespace sla::report {

/// The dimensions a report groups by (bit mask).
enum Dimension : std::uint8_t { kByMetric = 1, kByPlan = 2, kBySeverity = 4, kByTenant = 8 };
inline constexpr std::uint8_t kAllDimensions = kByMetric | kByPlan | kBySeverity | kByTenant;

/// Parses "tenant,plan,severity,metric" (any subset, any order; empty = all).
/// kInvalidArgument names an unknown dimension.
[[nodiscard]] sla::Result<std::uint8_t> parse_group_by(std::string_view csv);

/// The most buckets a trend may have (Query::bucket_ms); check() refuses more.
inline constexpr std::int64_t kMaxBuckets = 1000;

struct Query {
  EpochMillis from = 0;  ///< period [from, to), event time
  EpochMillis to = 0;
  std::optional<std::string> tenant;    ///< only this tenant's clocks
  std::optional<std::string> plan;      ///< only clocks of this plan (as of their outcome)
  std::optional<std::string> severity;  ///< only clocks of this severity (as of their outcome)
  std::optional<engine::MetricKind> metric;  ///< only this metric's clocks
  /// The trend's bucket width in ms; 0: no trend. Buckets are
  /// [from + k*w, from + (k+1)*w), the last one cut at `to`.
  std::int64_t bucket_ms = 0;
  std::uint8_t group_by = kAllDimensions;
  std::size_t max_breaches = 1000;      ///< breach rows listed per group (the counts are never capped)
};

/// kInvalidArgument when `query` cannot be answered: `to` not after `from`,
/// a negative bucket width, or more than kMaxBuckets buckets.
[[nodiscard]] sla::Result<void> check(const Query& query);

/// One clock cycle as the log tells it.
struct ClockRecord {
  std::string ticket_id;
  std::string tenant_id;
  std::string plan;      ///< as of the outcome (a retarget may have changed it)
  std::string severity;
  engine::MetricKind metric = engine::MetricKind::kResponse;
  std::uint32_t cycle = 0;
  EpochMillis started_at = 0;              ///< 0: not in the log (records older than the field)
  std::optional<EpochMillis> met_at;       ///< the `met` event's fired_at
  std::int64_t met_elapsed_ms = 0;         ///< business time on the clock when met
  std::optional<EpochMillis> breached_at;  ///< the breach's fired_at
  std::optional<EpochMillis> deadline;     ///< none for an open-ended clock
  std::int64_t target_ms = 0;
};

/// The clocks of an SLA event log, each once. Memory is bounded: past
/// `max_clocks` new clocks are not kept (dropped() counts the SLA events
/// of such clocks that were turned away, not distinct clocks), and a
/// report computed from such a ledger says it is incomplete.
class Ledger {
 public:
  explicit Ledger(std::size_t max_clocks = SIZE_MAX) : max_clocks_(max_clocks) {}

  /// Takes one SlaEvent. Returns true when it told the ledger something new
  /// (a clock, its start, its met or its breach); duplicates return false.
  bool add(const engine::SlaOutput& event);

  [[nodiscard]] const std::vector<ClockRecord>& clocks() const { return clocks_; }
  [[nodiscard]] std::uint64_t dropped() const { return dropped_; }

 private:
  std::size_t max_clocks_;
  std::uint64_t dropped_ = 0;
  std::unordered_map<std::string, std::size_t> index_;  // "ticket/metric/cycle" -> clocks_
  std::vector<ClockRecord> clocks_;
};

/// A median or p90 (nearest rank: the value at rank ceil(p * n) of the n
/// clocks decided in the period, those with a known time to meet by it,
/// breached ones not met after them). `ms` is empty when the rank falls on a
/// breached clock not met (`over_target`) or when no clock was decided.
struct Figure {
  std::optional<std::int64_t> ms;
  bool over_target = false;
};

struct Times {
  Figure median;
  Figure p90;
};

struct Breach {
  std::string ticket_id;
  std::string tenant_id;
  engine::MetricKind metric = engine::MetricKind::kResponse;
  std::uint32_t cycle = 0;
  EpochMillis deadline = 0;
  EpochMillis breached_at = 0;
  std::string link;  ///< the dashboard's ticket page: "/ticket?id=..."
};

/// One row. Dimensions not grouped by are empty.
struct Group {
  std::string metric;
  std::string plan;
  std::string severity;
  std::string tenant;
  std::uint64_t started = 0;   ///< cycles that started in the period (of those the log shows)
  std::uint64_t met = 0;       ///< met in time, in the period
  std::uint64_t breached = 0;  ///< breached in the period
  std::optional<double> pct_met;  ///< 100 * met / (met + breached); none when both are 0
  Times business;              ///< counted time (the target's calendar, pauses excluded)
  Times wall;                  ///< fired_at - started_at
  std::vector<Breach> breaches;   ///< by breach time, at most Query::max_breaches
  bool breaches_truncated = false;
};

/// One bucket of the trend: the clocks decided in [from, to), counted as
/// the groups count them (so the buckets add up to the totals).
struct Bucket {
  EpochMillis from = 0;
  EpochMillis to = 0;
  std::uint64_t met = 0;
  std::uint64_t breached = 0;
  std::optional<double> pct_met;  ///< none when both are 0
};

struct Report {
  Query query;
  std::vector<Group> groups;  ///< by metric order, then plan, severity, tenant
  Group total;                ///< every clock of the query, no dimension
  std::vector<Bucket> trend;  ///< every bucket of the period, in time order; empty when bucket_ms is 0
  bool complete = true;       ///< false: the ledger dropped clocks (its bound)
};

/// Computes the report of `query` over `clocks` (a Ledger's). O(n log n +
/// buckets). A query that fails check() gets no trend.
[[nodiscard]] Report compute(const std::vector<ClockRecord>& clocks, const Query& query, bool complete = true);

/// The API shape (`/v1/reports/compliance`, `--format json`); see
/// docs/operations.md "Compliance reports".
[[nodiscard]] std::string to_json(const Report& report);
/// A Markdown document: the table, then the breaches.
[[nodiscard]] std::string to_markdown(const Report& report);
/// One CSV row per group (RFC 4180 quoting), times in seconds.
[[nodiscard]] std::string to_csv(const Report& report);
/// A self-contained HTML page (no script; every value escaped).
[[nodiscard]] std::string to_html(const Report& report);

/// "2h5m", "45s", "1d2h": a duration for people.
[[nodiscard]] std::string format_duration(std::int64_t ms);

}  // namespace sla::report
