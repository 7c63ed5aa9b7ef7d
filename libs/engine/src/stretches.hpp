// Internal: a clock cycle's counted and paused stretches for the ticket view
// (ClockView::stretches), from the ticket's status history (the retained
// events over Cold::base_statuses) and the target's calendar. Read-only: the
// state machine does not use them. Not part of the public API.
#pragma once

#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "sla/calendar/calendar.hpp"
#include "sla/engine/engine.hpp"
#include "ticket.hpp"

namespace sla::engine::detail {

/// The ticket's status over time: marks sorted by time, each in effect until
/// the next; known from `known_from` on (min(): from the first event).
struct StatusTimeline {
  EpochMillis known_from = std::numeric_limits<EpochMillis>::min();
  std::vector<std::pair<EpochMillis, std::string_view>> marks;  ///< views of the engine's atoms
  std::vector<EpochMillis> reopens;  ///< when a reopened event reopened the ticket, in order

  /// Set from `t`'s folded events' marks and retained events (the storage
  /// is reused: one timeline serves every view the engine fills).
  void assign(const Ticket& t, const Interner& atoms);
};

/// For each calendar, its opening hours alone (no holidays, no closures),
/// built once: where they are open and the calendar is not, the calendar is
/// closed for a holiday or a closure. Not thread-safe (the engine's thread);
/// clear() when the policy (owning the calendars) changes.
class HoursOnlyCalendars {
 public:
  /// nullptr when `c` has neither holidays nor closures (or the copy cannot be built).
  [[nodiscard]] const calendar::Calendar* get(const calendar::Calendar& c);
  void clear() { map_.clear(); }

 private:
  absl::flat_hash_map<const calendar::Calendar*, std::shared_ptr<const calendar::Calendar>> map_;
};

/// Sets cv.stretches and cv.stretches_truncated for clock `c` (metric `m`)
/// of a ticket in state `s`, as of `now`.
void clock_stretches(const MetricClock& c, Metric m, const DerivedState& s, const StatusTimeline& statuses,
                     EpochMillis now, HoursOnlyCalendars& hours_only, ClockView& cv);

}  // namespace sla::engine::detail
