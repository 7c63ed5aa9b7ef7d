#include "stretches.hpp"

#include <algorithm>
#include <limits>

#include <absl/container/inlined_vector.h>

namespace sla::engine::detail {

void StatusTimeline::assign(const Ticket& t, const Interner& atoms) {
  known_from = t.cold ? t.cold->statuses_from : std::numeric_limits<EpochMillis>::min();
  marks.clear();
  reopens.clear();
  auto add = [&](EpochMillis at, std::string_view status, bool reopen) {
    if (reopen) {
      reopens.push_back(at);
    } else {
      marks.emplace_back(at, status);
    }
  };
  if (t.cold) {
    for (const auto& m : t.cold->base_statuses) add(m.at, atoms.str(m.status), m.reopen);
  }
  static const DerivedState kNone;
  each_status_change(std::span<const StoredEvent>(t.events.data(), t.events.size()),
                     t.base() != nullptr ? *t.base() : kNone, atoms, add);
}

const calendar::Calendar* HoursOnlyCalendars::get(const calendar::Calendar& c) {
  const auto& spec = c.spec();
  if (c.always_open() || (spec.holidays.empty() && spec.extra_holiday_dates.empty() && spec.closures.empty())) {
    return nullptr;
  }
  auto [it, inserted] = map_.try_emplace(&c);
  if (inserted) {
    calendar::CalendarSpec copy = spec;
    copy.holidays.clear();
    copy.extra_holiday_dates.clear();
    copy.closures.clear();
    auto built = calendar::Calendar::build(std::move(copy));
    if (built) it->second = std::move(*built);
  }
  return it->second.get();
}

namespace {

// Cycles longer than this list their newest part only (a bound on the
// calendar walk per view: about two pieces per business day).
constexpr std::int64_t kWindowMs = std::int64_t{366} * 24 * 3600 * 1000;

class Builder {
 public:
  Builder(const calendar::Calendar& cal, const calendar::Calendar* hours_only, std::vector<ClockStretch>& out)
      : cal_(cal), hours_(hours_only), out_(out) {}

  void add(EpochMillis from, EpochMillis to, StretchKind kind, std::string_view status = {}) {
    if (to <= from) return;
    if (!out_.empty()) {
      ClockStretch& last = out_.back();
      if (last.to == from && last.kind == kind && last.status == status) {
        last.to = to;
        return;
      }
    }
    out_.push_back(ClockStretch{from, to, kind, std::string(status)});
  }

  /// [a, b) with no status pause: counted while the calendar is open.
  void calendar_split(EpochMillis a, EpochMillis b) {
    if (cal_.always_open()) return add(a, b, StretchKind::kCounted);
    for (EpochMillis t = a; t < b;) {
      const bool open = cal_.is_open(t);
      EpochMillis e = open ? cal_.next_close(t) : cal_.next_open(t);
      if (e <= t || e > b) e = b;
      if (open) {
        add(t, e, StretchKind::kCounted);
      } else {
        closed_split(t, e);
      }
      t = e;
    }
  }

 private:
  /// [a, b) closed: outside the opening hours, or within them on a holiday
  /// or in a closure window (reported as outside hours, as
  /// ClockView::pause_reason does). Opening hours are runs of the hours-only
  /// calendar, one day's interval each, so one reason holds for the whole run.
  void closed_split(EpochMillis a, EpochMillis b) {
    if (hours_ == nullptr) return add(a, b, StretchKind::kOutsideHours);
    for (EpochMillis t = a; t < b;) {
      const bool in_hours = hours_->is_open(t);
      EpochMillis e = in_hours ? hours_->next_close(t) : hours_->next_open(t);
      if (e <= t || e > b) e = b;
      const bool holiday = in_hours && cal_.closed_reason(t) == calendar::Calendar::ClosedReason::kHoliday;
      add(t, e, holiday ? StretchKind::kHoliday : StretchKind::kOutsideHours);
      t = e;
    }
  }

  const calendar::Calendar& cal_;
  const calendar::Calendar* hours_;
  std::vector<ClockStretch>& out_;
};

/// The stretches of this cycle during which the clock was not running: from
/// each earlier end of the cycle (a history record: met, or stopped by a
/// resolve) to the reopen that resumed it (or `end`). Sorted.
absl::InlinedVector<std::pair<EpochMillis, EpochMillis>, 2> stopped_gaps(const DerivedState& s, Metric m,
                                                                         std::uint32_t cycle, EpochMillis end,
                                                                         const std::vector<EpochMillis>& reopens) {
  absl::InlinedVector<std::pair<EpochMillis, EpochMillis>, 2> gaps;
  for (const auto& h : s.history) {
    if (h.metric != m || h.cycle != cycle || h.ended_at >= end) continue;
    const auto r = std::lower_bound(reopens.begin(), reopens.end(), h.ended_at);
    gaps.emplace_back(h.ended_at, r == reopens.end() ? end : std::min(*r, end));
  }
  return gaps;
}

/// When the clock's current cycle ended (it is not running): its newest
/// history record, if still kept.
std::optional<EpochMillis> cycle_end(const DerivedState& s, Metric m, std::uint32_t cycle) {
  for (auto it = s.history.rbegin(); it != s.history.rend(); ++it) {
    if (it->metric == m && it->cycle == cycle) return it->ended_at;
  }
  return std::nullopt;
}

}  // namespace

void clock_stretches(const MetricClock& c, Metric m, const DerivedState& s, const StatusTimeline& statuses,
                     EpochMillis now, HoursOnlyCalendars& hours_only, ClockView& cv) {
  cv.stretches.clear();
  cv.stretches_truncated = false;
  if (c.target == nullptr || c.target->calendar == nullptr) return;
  const std::optional<EpochMillis> end = c.live() ? std::optional(std::max(now, c.since)) : cycle_end(s, m, c.cycle);
  if (!end) return;
  EpochMillis from = std::max({c.cycle_start, statuses.known_from, sat_sub(*end, kWindowMs)});
  cv.stretches_truncated = from > c.cycle_start;
  if (from >= *end) return;
  const auto& marks = statuses.marks;
  // The status in effect at `from`: the last mark at or before it.
  auto next = std::upper_bound(marks.begin(), marks.end(), from,
                               [](EpochMillis t, const auto& mark) { return t < mark.first; });
  std::string_view status = next == marks.begin() ? std::string_view() : std::prev(next)->second;
  Builder b(*c.target->calendar, hours_only.get(*c.target->calendar), cv.stretches);
  const auto gaps = stopped_gaps(s, m, c.cycle, *end, statuses.reopens);
  std::size_t gap = 0;
  for (EpochMillis t = from; t < *end;) {
    while (gap < gaps.size() && gaps[gap].second <= t) ++gap;
    const bool stopped = gap < gaps.size() && gaps[gap].first <= t;
    EpochMillis until = next == marks.end() ? *end : std::min(next->first, *end);
    if (gap < gaps.size()) until = std::min(until, stopped ? gaps[gap].second : gaps[gap].first);
    if (stopped) {
      b.add(t, until, StretchKind::kStopped);
    } else if (c.target->pauses_on(status)) {
      b.add(t, until, StretchKind::kStatus, status);
    } else {
      b.calendar_split(t, until);
    }
    t = until;
    for (; next != marks.end() && next->first <= t; ++next) status = next->second;
  }
  if (cv.stretches.size() > kMaxStretches) {
    cv.stretches.erase(cv.stretches.begin(), cv.stretches.end() - static_cast<std::ptrdiff_t>(kMaxStretches));
    cv.stretches_truncated = true;
  }
}

}  // namespace sla::engine::detail
