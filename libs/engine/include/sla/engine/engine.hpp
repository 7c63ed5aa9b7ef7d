// sla::engine::Engine: the functional core of the service. Ticket events in
// (event time), SLA and page outputs out, one timer-wheel timer per ticket
// for its next due moment. Pure and deterministic: no I/O, no clock reads, no
// logging; every call takes `now` (ms since epoch) from the caller.
//
// Not thread-safe: one Engine per partition (or per thread); the daemon
// serialises calls. Outputs carry deterministic ids (SPEC 5.2), so replaying
// the same input yields the same output bytes.
//
// Bounds never change meaning (SPEC 5.3): within the lateness horizon
// (EngineOptions::max_lateness_ms) late events are applied exactly and
// duplicates recognised exactly; an output id once emitted is never emitted
// again for the ticket's life; an event past the horizon or the ticket's
// byte budget is rejected with a stable reason (dlq_reason()), never applied
// approximately or trimmed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sla/base/clock.hpp"
#include "sla/base/result.hpp"
#include "sla/engine/types.hpp"
#include "sla/policy/policy.hpp"

namespace sla::engine {

namespace detail {
struct Ticket;
struct StoredEvent;
}  // namespace detail

/// Tunables. The defaults suit production; tests shrink them. None of them
/// changes what an accepted event means (SPEC 5.3): a bound that is reached
/// rejects the event, with a reason (kReasonTooLate, kReasonTicketBudget).
struct EngineOptions {
  /// The lateness horizon. An event up to this much older than its
  /// ticket's newest event is applied exactly (the ticket is recomputed as
  /// if it had arrived in time) and a duplicate of one is recognised,
  /// however many events the ticket has; an older event is rejected
  /// (kReasonTooLate). Events older than the horizon are folded into a base
  /// snapshot (no accepted event can sort before them any more), which
  /// keeps a long-lived ticket's memory to what the horizon holds.
  std::int64_t max_lateness_ms = 7LL * 24 * 3600 * 1000;
  /// Bytes a ticket may hold (its slot, retained events, emitted output
  /// ids, cycle records, base snapshot, ladders; Engine::ticket_bytes()). An
  /// event that would take it past this is rejected (kReasonTicketBudget),
  /// after folding what the horizon allows: never trimmed. A typical ticket
  /// takes ~450-600 bytes; 64 KiB holds ~1500 events within the horizon.
  std::size_t ticket_budget_bytes = 64 * 1024;
  /// A closed ticket (or one whose `opened` never arrived) is dropped this
  /// long after its last event, or max_lateness_ms if longer, so late
  /// events and duplicates within the horizon still find it.
  std::int64_t retention_ms = 24LL * 3600 * 1000;
};

/// Engine counters, for the daemon's probes and for tests.
struct EngineStats {
  std::uint64_t events_applied = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t out_of_order = 0;      ///< events that triggered a recomputation
  std::uint64_t too_late = 0;          ///< events rejected: older than the lateness horizon
  std::uint64_t over_budget = 0;       ///< events rejected: the ticket's byte budget
  std::uint64_t folded = 0;            ///< events folded into base snapshots
  std::uint64_t outputs = 0;
  std::uint64_t tickets_dropped = 0;
};

/// A clock's state as shown to people (HTTP, `sla.deadlines`).
enum class ClockState : std::uint8_t { kRunning, kPaused, kMet, kBreached, kCancelled };
/// Why a clock is not counting right now.
enum class PauseReason : std::uint8_t { kNone, kStatus, kOutsideHours, kHoliday };

/// The stable reasons apply() gives its rejections (sla::Error::reason),
/// which the daemon uses as DLQ reasons (SPEC 8).
inline constexpr std::string_view kReasonUnknownPlanOrSeverity = "unknown_plan_or_severity";
/// The event is older than the ticket's newest event by more than
/// EngineOptions::max_lateness_ms.
inline constexpr std::string_view kReasonTooLate = "too_late";
/// Keeping the event would take the ticket past EngineOptions::ticket_budget_bytes.
inline constexpr std::string_view kReasonTicketBudget = "ticket_budget";
/// The DLQ reason for an error apply() returned: its reason, else "rejected".
[[nodiscard]] std::string_view dlq_reason(const sla::Error& error);

[[nodiscard]] std::string_view to_string(ClockState s);
[[nodiscard]] std::string_view to_string(PauseReason r);

/// What a stretch of a clock's cycle was (ClockStretch::kind).
enum class StretchKind : std::uint8_t { kCounted, kStatus, kOutsideHours, kHoliday, kStopped };
[[nodiscard]] std::string_view to_string(StretchKind k);

/// A piece of a clock's current cycle during which it counted, or was paused
/// for one reason: the ticket's status (one of the target's pause_on),
/// outside the calendar's hours (closures included), a holiday, or stopped
/// (met or resolved, until a reopen resumed the same cycle).
struct ClockStretch {
  EpochMillis from = 0;
  EpochMillis to = 0;  ///< exclusive
  StretchKind kind = StretchKind::kCounted;
  std::string status;  ///< the pausing status, for kStatus
  friend bool operator==(const ClockStretch&, const ClockStretch&) = default;
};
/// The most stretches a ClockView lists (the newest ones).
inline constexpr std::size_t kMaxStretches = 200;

struct ClockView {
  MetricKind metric = MetricKind::kResponse;
  std::uint32_t cycle = 0;
  ClockState state = ClockState::kRunning;
  PauseReason pause_reason = PauseReason::kNone;
  std::string pause_status;            ///< the status pausing it, for kStatus
  std::int64_t elapsed_ms = 0;         ///< counted time at `now`
  std::optional<std::int64_t> target_ms;  ///< none for open-ended targets
  std::optional<EpochMillis> deadline;    ///< none while paused by status or open-ended
  std::string calendar;
  std::vector<std::string> fired;      ///< this cycle's fired items ("warning/75%", "escalated/p0/1", ...)
  EpochMillis started_at = 0;          ///< when this cycle started (wall time counted from)
  /// This cycle from its start to now (a running clock) or its end, in
  /// order, adjacent pieces of one kind merged; at most kMaxStretches (the
  /// newest). Their counted pieces add up to elapsed_ms unless the clock was
  /// retargeted or its policy reloaded during the cycle (the stretches
  /// follow its current target), or `stretches_truncated`. Empty for a
  /// clock with no target.
  std::vector<ClockStretch> stretches;
  /// The stretches start after started_at: more than kMaxStretches, or the
  /// ticket's status before that was not kept (older folded changes).
  bool stretches_truncated = false;
};

/// One finished cycle of a clock.
struct CycleRecord {
  MetricKind metric = MetricKind::kResponse;
  std::uint32_t cycle = 0;
  EpochMillis started_at = 0;
  EpochMillis ended_at = 0;
  std::int64_t elapsed_ms = 0;
  std::string outcome;  ///< "met", "breached", "cancelled", "restarted", "retargeted"
};

struct PageLadderView {
  std::string key;  ///< page_id prefix of its pages
  std::string target;
  std::uint32_t pages_sent = 0;
  std::uint32_t pages_total = 0;
  bool stopped = false;
  std::optional<EpochMillis> next_page_at;
  MetricKind metric = MetricKind::kResponse;  ///< the clock whose step started it
  std::uint32_t cycle = 0;
  /// "pending" (no page sent yet), "paging" (sent, unacknowledged, more to
  /// come), "exhausted" (every page sent, none acknowledged),
  /// "acknowledged", "cycle_ended", "resolved", "target_gone", or "stopped"
  /// (state from before reasons were kept).
  std::string state;
  /// The last page sent (pages_sent > 0): its level and attempt, the rotation
  /// and responder it went to (the level's on-call at that moment under the
  /// current policy), when, and its ack deadline.
  std::uint32_t level = 0;
  std::uint32_t attempt = 0;
  std::string rotation;
  std::string responder;
  std::optional<EpochMillis> last_page_at;
  std::optional<EpochMillis> ack_deadline;
  /// The acknowledgement of one of its pages, once one arrived (also after
  /// the ladder stopped for another reason): the `page_acknowledged` event's
  /// time and responder ("" when the event named none, or for state saved
  /// before format version 4, which kept neither).
  std::optional<EpochMillis> acked_at;
  std::string acked_by;
};

struct TicketView {
  std::string ticket_id;
  std::string tenant_id;
  std::string plan;
  std::string severity;
  std::string status;
  bool opened = false;
  bool resolved = false;
  bool closed = false;
  EpochMillis opened_at = 0;
  /// The ticket's attributes (opened, attributes_changed), sorted by key.
  std::vector<std::pair<std::string, std::string>> attributes;
  std::vector<ClockView> clocks;
  std::vector<CycleRecord> history;
  std::vector<PageLadderView> pages;
  std::optional<EpochMillis> next_due;
  /// Exchanges (an agent reply, then the customer's) completed since the
  /// ticket opened or last reopened, and whether an agent reply now awaits
  /// the customer's (half an exchange).
  std::uint32_t exchanges = 0;
  bool awaiting_customer = false;
  /// The escalation request of the ticket's current cycle (the first
  /// `escalation_requested` since open or the last reopen), if any.
  std::optional<EpochMillis> escalation_requested_at;
  std::string escalation_requested_by;
  std::string escalation_reason;
};

/// The time context of one apply_batch() call (the daemon's per-partition
/// receive time and event time).
struct BatchTime {
  /// Receive time (wall clock): as `now` of apply().
  EpochMillis now = 0;
  /// In/out: the partition's event time. Each accepted event moves it to
  /// max(event_time, min(occurred_at, now)); a rejected event does not move it.
  EpochMillis event_time = std::numeric_limits<EpochMillis>::min();
  /// Catching up: each event is applied with `now` = the event time as it
  /// stands with that event (above) instead of `now`, so a late event's
  /// recomputation fires no more than replaying the stream would.
  bool at_event_time = false;
};

/// An event apply_batch() rejected (nothing was changed for it).
struct Rejected {
  std::size_t index = 0;  ///< its position in the batch
  sla::Error error;       ///< what apply() would have returned
};

/// A ticket with a running deadline, for the at-risk list.
struct AtRisk {
  std::string ticket_id;
  MetricKind metric = MetricKind::kResponse;
  EpochMillis deadline = 0;
  std::string plan;
  std::string severity;
};

class Engine {
 public:
  explicit Engine(std::shared_ptr<const policy::Policy> policy, EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Applies one event received at `now`. Appends what it caused (met, and
  /// anything that became due) to `out`. Errors (nothing is changed): kNotFound
  /// for an unknown plan or severity. A duplicate `event_id` is a no-op.
  /// Events are ordered per ticket by (occurred_at, sequence, arrival); an
  /// event that sorts before ones already applied recomputes the ticket.
  /// occurred_at after `now` is treated as `now` (clock skew).
  [[nodiscard]] sla::Result<void> apply(const TicketEvent& event, EpochMillis now, std::vector<Output>& out);

  /// Applies `events` in order, with the same outputs (same order), errors,
  /// state and stats as calling apply(events[i], now_i, out) for each i,
  /// where now_i is `clock.now`, or the event time (see BatchTime) when
  /// `clock.at_event_time`. Faster for large ticket sets: the tickets of the
  /// next events are looked up and their memory fetched while the current one
  /// is applied. Rejected events are appended to `rejected` with their index
  /// (ascending); `clock.event_time` is updated. Returns the number of events
  /// accepted (duplicates included: apply() accepts them as no-ops).
  /// Does not fire timers: call advance() after the batch, as after apply().
  std::size_t apply_batch(std::span<const TicketEvent> events, BatchTime& clock, std::vector<Output>& out,
                          std::vector<Rejected>& rejected);

  /// Fires everything due at or before `now`, in (due, ticket order) order.
  /// Returns the number of outputs appended.
  std::size_t advance(EpochMillis now, std::vector<Output>& out);

  /// The earliest moment something is due (a timer), if any.
  [[nodiscard]] std::optional<EpochMillis> next_due() const;

  /// Swaps the policy. Every ticket's targets are re-resolved by (plan,
  /// severity, metric); clocks whose target vanished are cancelled.
  void set_policy(std::shared_ptr<const policy::Policy> policy, EpochMillis now, std::vector<Output>& out);
  [[nodiscard]] const policy::Policy& policy() const { return *policy_; }

  [[nodiscard]] std::size_t ticket_count() const;
  /// The bytes ticket `ticket_id` counts against EngineOptions::
  /// ticket_budget_bytes (0 if unknown): a deterministic function of its
  /// state (sizes, not allocator capacities), so a ticket reloaded from the
  /// store meets the budget exactly where it did before.
  [[nodiscard]] std::size_t ticket_bytes(std::string_view ticket_id) const;
  [[nodiscard]] std::size_t pending_timers() const;
  [[nodiscard]] const EngineStats& stats() const { return stats_; }

  [[nodiscard]] std::optional<TicketView> ticket(std::string_view ticket_id, EpochMillis now) const;
  /// Running deadlines within `within_ms` of `now` (including passed ones),
  /// soonest first, at most `limit`.
  [[nodiscard]] std::vector<AtRisk> at_risk(EpochMillis now, std::int64_t within_ms, std::size_t limit) const;

  /// Tickets changed since the last call (ids), and tickets dropped (closed
  /// and past retention). For the store and the `sla.deadlines` topic.
  [[nodiscard]] std::vector<std::string> take_dirty();
  /// The same tickets as take_dirty() (and clears the set as it does), each
  /// given to `fn` at once with its view at `now` and its saved state
  /// (save_ticket): what the daemon's commit needs, with one lookup per
  /// ticket. The view is the full one (history, pages, fired names: the
  /// `sla.deadlines` snapshot is what every instance's ticket view shows); it is reused
  /// between calls. Tickets removed since they changed are skipped.
  void take_dirty_snapshots(EpochMillis now, const std::function<void(const TicketView&, std::string&&)>& fn);
  [[nodiscard]] std::vector<std::string> take_dropped();

  /// Serialises one ticket's whole state (versioned binary); empty if unknown.
  [[nodiscard]] std::string save_ticket(std::string_view ticket_id) const;
  /// Restores a ticket saved by save_ticket (replacing any in memory) and arms
  /// its timer; what became due while it was away fires on the next advance.
  [[nodiscard]] sla::Result<void> load_ticket(std::string_view bytes);
  /// Makes room for `tickets` tickets in all (the index, the pool's chunk
  /// list, the per-slot bits), so loading that many grows nothing step by
  /// step. A hint: behaviour is the same without it.
  void reserve(std::size_t tickets);
  /// Forgets a ticket (partition revoked).
  void drop_ticket(std::string_view ticket_id);
  /// Every ticket id in memory (unordered).
  [[nodiscard]] std::vector<std::string> ticket_ids() const;

  struct Impl;

 private:
  /// Writes `ticket`'s view at `now` into `v`, reusing its storage; without
  /// `full`, no history, pages or fired names.
  void fill_view(const detail::Ticket& ticket, EpochMillis now, bool full, TicketView& v) const;
  /// apply() for the ticket in `slot` (kNoSlot: not in memory).
  sla::Result<void> apply_to(const TicketEvent& event, EpochMillis now, std::vector<Output>& out, std::uint32_t slot);
  /// apply_to()'s admission of `event` to the ticket in `slot`: within the
  /// lateness horizon, and within the ticket's memory budget once folded
  /// (errors counted in stats_); false for a duplicate.
  sla::Result<bool> admit(const TicketEvent& event, std::uint64_t id_hash, EpochMillis effective_at, EpochMillis now,
                          std::uint32_t slot);
  /// apply_to()'s last step: inserts `se` into the log of the ticket in
  /// `slot` and runs it (forward when it is the newest, else by
  /// recomputation), then folds what the horizon allows and re-arms.
  void run_stored(const detail::StoredEvent& se, EpochMillis now, std::vector<Output>& out, std::uint32_t slot);

  std::shared_ptr<const policy::Policy> policy_;
  EngineStats stats_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sla::engine
