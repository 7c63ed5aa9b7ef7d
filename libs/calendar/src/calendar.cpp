// Calendar arithmetic over precomputed per-year open segments.
//
// For each UTC year (1900..2399) a Chunk holds the disjoint, sorted open
// segments [start, end) that intersect the year, clipped to it, with the
// cumulative open time after each segment. A segment that spans New Year is
// split at the boundary. Queries binary-search one chunk; add/elapsed across
// years walk consecutive chunks using their totals, so add costs
// O(log n + years crossed) regardless of the span's length in minutes.
//
// Chunks are built lazily on first use: an atomic pointer per year, built
// once under a mutex (double-checked), then read lock-free.
#include "sla/calendar/calendar.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <limits>
#include <mutex>
#include <utility>

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include "civil.hpp"
#include "sla/calendar/business_days.hpp"

namespace sla::calendar {

using detail::civil_from_days;
using detail::days_from_civil;
using detail::floor_div;
using detail::kMillisPerDay;
using detail::weekday_of;

namespace {

constexpr int kMinYear = 1900;
constexpr int kYears = 500;  // 1900..2399
constexpr EpochMillis kMinInstant = -2'208'988'800'000;  // 1900-01-01T00:00:00Z

using Seg = std::pair<EpochMillis, EpochMillis>;

const std::array<EpochMillis, kYears + 1>& year_begins() {
  static const std::array<EpochMillis, kYears + 1> table = [] {
    std::array<EpochMillis, kYears + 1> t{};
    for (int i = 0; i <= kYears; ++i) t[static_cast<std::size_t>(i)] = days_from_civil(kMinYear + i, 1, 1) * kMillisPerDay;
    return t;
  }();
  return table;
}

/// Index of the UTC year containing t; requires kMinInstant <= t < kMaxInstant.
int year_index(EpochMillis t) {
  const auto& yb = year_begins();
  constexpr EpochMillis kAvgYear = 31'556'952'000;  // 365.2425 days
  int i = static_cast<int>((t - kMinInstant) / kAvgYear);
  i = std::clamp(i, 0, kYears - 1);
  while (i + 1 < kYears && yb[static_cast<std::size_t>(i + 1)] <= t) ++i;
  while (i > 0 && yb[static_cast<std::size_t>(i)] > t) --i;
  return i;
}

std::uint64_t next_serial() {
  static std::atomic<std::uint64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

void merge_in_place(std::vector<Seg>& v) {
  std::sort(v.begin(), v.end());
  std::size_t out = 0;
  for (const Seg& s : v) {
    if (s.second <= s.first) continue;
    if (out > 0 && s.first <= v[out - 1].second) {
      v[out - 1].second = std::max(v[out - 1].second, s.second);
    } else {
      v[out++] = s;
    }
  }
  v.resize(out);
}

/// a minus b; both merged (sorted, disjoint).
std::vector<Seg> subtract(const std::vector<Seg>& a, const std::vector<Seg>& b) {
  std::vector<Seg> out;
  out.reserve(a.size());
  std::size_t j = 0;
  for (Seg s : a) {
    while (j < b.size() && b[j].second <= s.first) ++j;
    std::size_t k = j;
    while (k < b.size() && b[k].first < s.second) {
      if (b[k].first > s.first) out.emplace_back(s.first, b[k].first);
      s.first = std::max(s.first, b[k].second);
      ++k;
    }
    if (s.first < s.second) out.push_back(s);
  }
  return out;
}

std::int64_t sat_add(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return std::numeric_limits<std::int64_t>::max();
  return r;
}

}  // namespace

struct Chunk {
  EpochMillis begin = 0;
  EpochMillis end = 0;
  std::vector<EpochMillis> starts;
  std::vector<EpochMillis> ends;
  std::vector<std::int64_t> cum_after;  // open ms in [begin, ends[i])
  std::int64_t total = 0;
  std::vector<std::int32_t> holidays;  // sorted local day numbers, years Y-1..Y+1 at least
  // Lookup tables, so locate() and add() scan a segment or two instead of
  // binary-searching a year of segments (the engine calls them per event):
  // by_day[d]: segments starting before UTC day d of the chunk (d in
  // [0, days]); by_cum[k]: the first segment with cum_after >= k * kCumStep.
  static constexpr std::int64_t kCumStep = kMillisPerDay / 8;
  std::vector<std::uint32_t> by_day;
  std::vector<std::uint32_t> by_cum;

  void index() {
    const auto days = static_cast<std::size_t>((end - begin) / kMillisPerDay);
    by_day.resize(days + 1);
    std::size_t i = 0;
    for (std::size_t d = 0; d <= days; ++d) {
      const EpochMillis day_start = begin + static_cast<EpochMillis>(d) * kMillisPerDay;
      while (i < starts.size() && starts[i] < day_start) ++i;
      by_day[d] = static_cast<std::uint32_t>(i);
    }
    by_cum.resize(static_cast<std::size_t>(total / kCumStep) + 1);
    i = 0;
    for (std::size_t k = 0; k < by_cum.size(); ++k) {
      while (i < cum_after.size() && cum_after[i] < static_cast<std::int64_t>(k) * kCumStep) ++i;
      by_cum[k] = static_cast<std::uint32_t>(i);
    }
  }

  /// Index of the last segment with start <= t, or -1.
  [[nodiscard]] std::ptrdiff_t locate(EpochMillis t) const {
    // by_day: segments of earlier days; then the few starting on t's day.
    const EpochMillis d = std::clamp<EpochMillis>((t - begin) / kMillisPerDay, 0,
                                                  static_cast<EpochMillis>(by_day.size()) - 1);
    std::size_t i = t < begin ? 0 : by_day[static_cast<std::size_t>(d)];
    while (i < starts.size() && starts[i] <= t) ++i;
    return static_cast<std::ptrdiff_t>(i) - 1;
  }
  /// Index of the first segment with cum_after >= target, for 0 < target <= total.
  [[nodiscard]] std::size_t reaching(std::int64_t target) const {
    std::size_t i = by_cum[static_cast<std::size_t>(target / kCumStep)];
    while (cum_after[i] < target) ++i;
    return i;
  }
  /// Open ms in [begin, t), begin <= t <= end.
  [[nodiscard]] std::int64_t cum(EpochMillis t) const {
    const std::ptrdiff_t i = locate(t);
    if (i < 0) return 0;
    const auto u = static_cast<std::size_t>(i);
    return cum_after[u] - (ends[u] - std::min(t, ends[u]));
  }
};

/// This thread's last instant placed on a calendar (Impl::place): its year
/// and open time before it in that year. The engine asks about the same
/// instant twice in a row (a clock synced to an event's time: elapsed() up
/// to it; then its next due counted from it: add() from it), and instants
/// asked about one after the other mostly fall in one year. Keyed by the
/// calendar's serial, never reused, so an entry of a destroyed calendar
/// never matches (chunks live as long as their calendar).
struct LastPoint {
  std::uint64_t serial = 0;  // 0: none
  int year = 0;
  const Chunk* chunk = nullptr;
  EpochMillis t = 0;
  std::int64_t cum = 0;
};
thread_local LastPoint last_point;  // NOLINT(cert-err58-cpp): trivially constructed

struct Calendar::Impl {
  CalendarSpec spec;
  absl::TimeZone tz;
  bool always_open = false;
  /// Unique for the process's life (never reused, unlike an address): the
  /// key of this thread's last point (LastPoint).
  std::uint64_t serial = next_serial();
  std::int64_t day_length = 0;

  mutable std::mutex mu;
  mutable std::array<std::atomic<const Chunk*>, kYears> chunks{};
  mutable std::vector<std::unique_ptr<Chunk>> owned;

  /// The year of t (chunk index), its chunk and the open ms in [chunk begin,
  /// t); kMinInstant <= t < kMaxInstant.
  [[gnu::always_inline]] void place(EpochMillis t, int& year, const Chunk*& c, std::int64_t& cum) const {
    LastPoint& lp = last_point;
    if (lp.serial == serial && t >= lp.chunk->begin && t < lp.chunk->end) {
      year = lp.year;
      c = lp.chunk;
      if (lp.t != t) {
        lp.t = t;
        lp.cum = c->cum(t);
      }
      cum = lp.cum;
      return;
    }
    year = year_index(t);
    c = &chunk(year);
    cum = c->cum(t);
    lp = LastPoint{serial, year, c, t, cum};
  }

  const Chunk& chunk(int idx) const {
    const Chunk* c = chunks[static_cast<std::size_t>(idx)].load(std::memory_order_acquire);
    if (c != nullptr) return *c;
    std::lock_guard lock(mu);
    c = chunks[static_cast<std::size_t>(idx)].load(std::memory_order_relaxed);
    if (c != nullptr) return *c;
    owned.push_back(build_chunk(idx));
    c = owned.back().get();
    chunks[static_cast<std::size_t>(idx)].store(c, std::memory_order_release);
    return *c;
  }

  /// Local wall time `sec` seconds after local midnight of `day` -> instant,
  /// with the fold=0 rule (abseil `pre`): gaps move forward, folds take the first.
  EpochMillis to_utc(std::int64_t day, std::int64_t sec) const {
    const LocalDate d = civil_from_days(day);
    absl::CivilSecond cs(d.year, d.month, d.day, 0, 0, 0);
    cs += sec;
    return absl::ToUnixMillis(tz.At(cs).pre);
  }

  std::int64_t local_day(EpochMillis t) const {
    const absl::CivilSecond cs = tz.At(absl::FromUnixMillis(t)).cs;
    return days_from_civil(cs.year(), cs.month(), cs.day());
  }

  void add_rule_dates(const HolidayRule& r, int y, std::vector<std::int32_t>& out) const {
    std::int64_t day = 0;
    switch (r.kind) {
      case HolidayRule::Kind::kFixed:
        if (r.month == 2 && r.day == 29 && !detail::is_leap(y)) return;
        day = days_from_civil(y, r.month, r.day);
        break;
      case HolidayRule::Kind::kOnce:
        if (r.year != y) return;
        day = days_from_civil(y, r.month, r.day);
        break;
      case HolidayRule::Kind::kEaster:
        day = days_from_civil(western_easter(y)) + r.offset_days;
        break;
      case HolidayRule::Kind::kNthWeekday: {
        const int want = static_cast<int>(r.weekday);
        if (r.nth > 0) {
          const std::int64_t first = days_from_civil(y, r.month, 1);
          day = first + (want - weekday_of(first) + 7) % 7 + 7 * (r.nth - 1);
          if (day >= first + detail::days_in_month(y, r.month)) return;  // no 5th one this month
        } else {
          const std::int64_t last = days_from_civil(y, r.month, detail::days_in_month(y, r.month));
          day = last - (weekday_of(last) - want + 7) % 7;
        }
        break;
      }
    }
    out.push_back(static_cast<std::int32_t>(day));
    if (r.observed_nearest_weekday) {
      const int wd = weekday_of(day);
      if (wd == 5) out.push_back(static_cast<std::int32_t>(day - 1));
      if (wd == 6) out.push_back(static_cast<std::int32_t>(day + 1));
    }
  }

  std::vector<std::int32_t> holidays_for(int y0, int y1) const {
    std::vector<std::int32_t> out;
    for (int y = y0; y <= y1; ++y) {
      for (const auto& r : spec.holidays) add_rule_dates(r, y, out);
    }
    for (const auto& d : spec.extra_holiday_dates) {
      if (d.year >= y0 && d.year <= y1) out.push_back(static_cast<std::int32_t>(days_from_civil(d)));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  static bool contains(const std::vector<std::int32_t>& sorted, std::int64_t day) {
    return std::binary_search(sorted.begin(), sorted.end(), static_cast<std::int32_t>(day));
  }

  void day_open(std::int64_t day, std::vector<Seg>& out) const {
    for (const auto& iv : spec.hours[static_cast<std::size_t>(weekday_of(day))]) {
      out.emplace_back(to_utc(day, iv.start_sec), to_utc(day, iv.end_sec));
    }
  }
  void day_closures(std::int64_t day, std::vector<Seg>& out) const {
    const int wd = weekday_of(day);
    for (const auto& c : spec.closures) {
      if (static_cast<int>(c.weekday) == wd) out.emplace_back(to_utc(day, c.hours.start_sec), to_utc(day, c.hours.end_sec));
    }
  }

  std::unique_ptr<Chunk> build_chunk(int idx) const {
    auto c = std::make_unique<Chunk>();
    const auto& yb = year_begins();
    c->begin = yb[static_cast<std::size_t>(idx)];
    c->end = yb[static_cast<std::size_t>(idx + 1)];
    const int year = kMinYear + idx;
    c->holidays = holidays_for(year - 2, year + 2);
    // A segment of local day D lies within [D - 14h, D + 2d + 14h] UTC
    // (offsets are within +-14h; intervals end within 24h of their start).
    const std::int64_t d0 = floor_div(c->begin, kMillisPerDay) - 3;
    const std::int64_t d1 = floor_div(c->end, kMillisPerDay) + 1;
    std::vector<Seg> open;
    std::vector<Seg> closed;
    if (!always_open) {
      for (std::int64_t d = d0; d <= d1; ++d) {
        if (!contains(c->holidays, d)) day_open(d, open);
        day_closures(d, closed);
      }
    } else {
      open.emplace_back(c->begin, c->end);
    }
    merge_in_place(open);
    merge_in_place(closed);
    if (!closed.empty()) open = subtract(open, closed);
    std::int64_t cum = 0;
    for (auto [s, e] : open) {
      s = std::max(s, c->begin);
      e = std::min(e, c->end);
      if (s >= e) continue;
      cum += e - s;
      c->starts.push_back(s);
      c->ends.push_back(e);
      c->cum_after.push_back(cum);
    }
    c->total = cum;
    c->index();
    return c;
  }

  bool is_holiday_day(std::int64_t day) const {
    const LocalDate d = civil_from_days(day);
    const int idx = d.year - kMinYear;
    if (idx >= 0 && idx < kYears) return contains(chunk(idx).holidays, day);
    return contains(holidays_for(d.year - 1, d.year + 1), day);
  }

  /// The open pieces of local day `day` (hours minus closures), empty on a holiday.
  std::vector<Seg> open_pieces_of_day(std::int64_t day) const {
    std::vector<Seg> open;
    if (is_holiday_day(day)) return open;
    day_open(day, open);
    merge_in_place(open);
    std::vector<Seg> closed;
    for (std::int64_t d = day - 1; d <= day + 1; ++d) day_closures(d, closed);
    merge_in_place(closed);
    return subtract(open, closed);
  }
};

Calendar::Calendar(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Calendar::~Calendar() = default;

sla::Result<std::shared_ptr<const Calendar>> Calendar::build(CalendarSpec spec) {
  auto impl = std::make_unique<Impl>();
  if (auto name = check_time_zone_name(spec.timezone); !name) return tl::unexpected(name.error());
  if (!absl::LoadTimeZone(spec.timezone, &impl->tz)) {
    return sla::fail(ErrorCode::kInvalidArgument, "unknown time zone '" + spec.timezone + "'");
  }
  std::int64_t longest = 0;
  for (std::size_t wd = 0; wd < 7; ++wd) {
    auto& ivs = spec.hours[wd];
    std::sort(ivs.begin(), ivs.end(),
              [](const LocalInterval& a, const LocalInterval& b) { return a.start_sec < b.start_sec; });
    std::int64_t sum = 0;
    for (std::size_t i = 0; i < ivs.size(); ++i) {
      const auto& iv = ivs[i];
      if (iv.start_sec < 0 || iv.start_sec >= 86'400 || iv.end_sec <= iv.start_sec || iv.end_sec > iv.start_sec + 86'400) {
        return sla::fail(ErrorCode::kInvalidArgument, "calendar '" + spec.name + "': interval out of range");
      }
      if (i > 0 && iv.start_sec < ivs[i - 1].end_sec) {
        return sla::fail(ErrorCode::kInvalidArgument, "calendar '" + spec.name + "': overlapping intervals on one day");
      }
      sum += iv.end_sec - iv.start_sec;
    }
    longest = std::max(longest, sum * 1000);
  }
  for (const auto& c : spec.closures) {
    if (c.hours.start_sec < 0 || c.hours.start_sec >= 86'400 || c.hours.end_sec <= c.hours.start_sec ||
        c.hours.end_sec > c.hours.start_sec + 86'400) {
      return sla::fail(ErrorCode::kInvalidArgument, "calendar '" + spec.name + "': closure out of range");
    }
  }
  if (longest == 0) {
    return sla::fail(ErrorCode::kInvalidArgument, "calendar '" + spec.name + "' has no opening hours");
  }
  if (spec.day_length_millis < 0) {
    return sla::fail(ErrorCode::kInvalidArgument, "calendar '" + spec.name + "': negative day_length");
  }
  impl->day_length = spec.day_length_millis > 0 ? spec.day_length_millis : longest;
  impl->spec = std::move(spec);
  return std::shared_ptr<const Calendar>(new Calendar(std::move(impl)));
}

std::shared_ptr<const Calendar> Calendar::always_open_calendar() {
  static const std::shared_ptr<const Calendar> cal = [] {
    CalendarSpec spec;
    spec.name = "24x7";
    spec.timezone = "UTC";
    for (auto& h : spec.hours) h.push_back(LocalInterval{0, 86'400});
    auto impl = std::make_unique<Impl>();
    impl->tz = absl::UTCTimeZone();
    impl->always_open = true;
    impl->day_length = kMillisPerDay;
    impl->spec = std::move(spec);
    return std::shared_ptr<const Calendar>(new Calendar(std::move(impl)));
  }();
  return cal;
}

const std::string& Calendar::name() const { return impl_->spec.name; }
const std::string& Calendar::timezone_name() const { return impl_->spec.timezone; }
const CalendarSpec& Calendar::spec() const { return impl_->spec; }
bool Calendar::always_open() const { return impl_->always_open; }
std::int64_t Calendar::day_length_millis() const { return impl_->day_length; }

bool Calendar::is_open(EpochMillis t) const {
  if (impl_->always_open) return true;
  if (t < kMinInstant || t >= kMaxInstant) return false;
  const Chunk& c = impl_->chunk(year_index(t));
  const std::ptrdiff_t i = c.locate(t);
  return i >= 0 && t < c.ends[static_cast<std::size_t>(i)];
}

EpochMillis Calendar::next_open(EpochMillis t) const {
  if (impl_->always_open) return t;
  if (t >= kMaxInstant) return std::max(t, kMaxInstant);
  t = std::max(t, kMinInstant);
  for (int y = year_index(t); y < kYears; ++y) {
    const Chunk& c = impl_->chunk(y);
    const std::ptrdiff_t i = c.locate(t);
    if (i >= 0 && t < c.ends[static_cast<std::size_t>(i)]) return t;
    const auto n = static_cast<std::size_t>(i + 1);
    if (n < c.starts.size()) return std::max(t, c.starts[n]);
  }
  return kMaxInstant;
}

EpochMillis Calendar::next_close(EpochMillis t) const {
  // 24x7 never closes: "none" is kMaxInstant, or t itself past it, so the
  // answer is never before t (found by fuzzing: tests/fuzz/calendar).
  if (impl_->always_open) return std::max(t, kMaxInstant);
  if (t < kMinInstant || t >= kMaxInstant) return t;
  int y = year_index(t);
  const Chunk* c = &impl_->chunk(y);
  std::ptrdiff_t i = c->locate(t);
  if (i < 0 || t >= c->ends[static_cast<std::size_t>(i)]) return t;
  EpochMillis end = c->ends[static_cast<std::size_t>(i)];
  // A run that reaches New Year continues in the next chunk's first segment.
  while (end == c->end && ++y < kYears) {
    c = &impl_->chunk(y);
    if (c->starts.empty() || c->starts.front() != end) break;
    end = c->ends.front();
  }
  return end;
}

std::int64_t Calendar::elapsed(EpochMillis a, EpochMillis b) const {
  if (b <= a) return 0;
  if (impl_->always_open) return b - a;
  a = std::clamp(a, kMinInstant, kMaxInstant);
  b = std::clamp(b, kMinInstant, kMaxInstant);
  if (b <= a) return 0;
  int ya = 0;
  const Chunk* pa = nullptr;
  std::int64_t cum_a = 0;
  impl_->place(a, ya, pa, cum_a);
  const Chunk& ca = *pa;
  if (b < ca.end) {
    int year_b = 0;
    const Chunk* pb = nullptr;
    std::int64_t cum_b = 0;
    impl_->place(b, year_b, pb, cum_b);  // the same year: leaves b as the last point
    return cum_b - cum_a;
  }
  if (b == ca.end) return ca.total - cum_a;
  std::int64_t sum = ca.total - cum_a;
  const int yb = b == kMaxInstant ? kYears : year_index(b);
  for (int y = ya + 1; y < yb; ++y) sum += impl_->chunk(y).total;
  if (yb < kYears) sum += impl_->chunk(yb).cum(b);
  return sum;
}

EpochMillis Calendar::add(EpochMillis start, std::int64_t counted_millis) const {
  if (counted_millis <= 0) return start;
  if (impl_->always_open) return sat_add(start, counted_millis);
  if (start >= kMaxInstant) return start;
  start = std::max(start, kMinInstant);
  int y = 0;
  const Chunk* c = nullptr;
  std::int64_t target = 0;
  impl_->place(start, y, c, target);
  if (__builtin_add_overflow(target, counted_millis, &target)) return kMaxInstant;
  for (;;) {
    if (target <= c->total) {
      // First segment whose cumulative end reaches the target; the answer
      // lies inside it (or at its end).
      const std::size_t i = c->reaching(target);
      return c->ends[i] - (c->cum_after[i] - target);
    }
    target -= c->total;
    if (++y >= kYears) return kMaxInstant;
    c = &impl_->chunk(y);
  }
}

EpochMillis Calendar::add(EpochMillis start, const Duration& d) const {
  switch (d.kind) {
    case Duration::Kind::kFixed:
      return add(start, d.millis);
    case Duration::Kind::kBusinessDays: {
      const auto ms = business_days_millis(*this, d.business_days);
      return ms ? add(start, *ms) : kMaxInstant;
    }
    case Duration::Kind::kNextBusinessDay:
      break;
  }
  if (start >= kMaxInstant) return start;
  // The end of the first open local day after start's local date. Bounded:
  // two years of closed days means the calendar never opens again.
  const std::int64_t d0 = impl_->local_day(std::max(start, kMinInstant));
  for (std::int64_t day = d0 + 1; day <= d0 + 800; ++day) {
    if (impl_->always_open) return impl_->to_utc(day + 1, 0);
    const auto pieces = impl_->open_pieces_of_day(day);
    if (!pieces.empty()) return std::min(pieces.back().second, kMaxInstant);
  }
  return kMaxInstant;
}

Calendar::ClosedReason Calendar::closed_reason(EpochMillis t) const {
  if (is_open(t)) return ClosedReason::kOpen;
  if (impl_->always_open) return ClosedReason::kOpen;
  const std::int64_t day = impl_->local_day(t);
  bool in_hours = false;
  bool on_holiday = false;
  for (std::int64_t d = day - 1; d <= day; ++d) {
    std::vector<Seg> segs;
    impl_->day_open(d, segs);
    for (const auto& [s, e] : segs) {
      if (s <= t && t < e) {
        if (impl_->is_holiday_day(d)) {
          on_holiday = true;
        } else {
          in_hours = true;
        }
      }
    }
  }
  if (in_hours) return ClosedReason::kClosure;
  if (on_holiday) return ClosedReason::kHoliday;
  return ClosedReason::kOutsideHours;
}

bool Calendar::is_holiday(LocalDate date) const {
  if (impl_->always_open) return false;
  return impl_->is_holiday_day(days_from_civil(date));
}

CalendarSet::CalendarSet() { calendars_.push_back(Calendar::always_open_calendar()); }

void CalendarSet::add(std::shared_ptr<const Calendar> cal) {
  auto it = std::lower_bound(calendars_.begin(), calendars_.end(), cal->name(),
                             [](const auto& c, const std::string& n) { return c->name() < n; });
  if (it != calendars_.end() && (*it)->name() == cal->name()) {
    *it = std::move(cal);
  } else {
    calendars_.insert(it, std::move(cal));
  }
}

std::shared_ptr<const Calendar> CalendarSet::find_shared(std::string_view name) const {
  auto it = std::lower_bound(calendars_.begin(), calendars_.end(), name,
                             [](const auto& c, std::string_view n) { return c->name() < n; });
  if (it != calendars_.end() && (*it)->name() == name) return *it;
  return nullptr;
}

const Calendar* CalendarSet::find(std::string_view name) const {
  // No shared_ptr copy: this is on the engine's per-event path.
  auto it = std::lower_bound(calendars_.begin(), calendars_.end(), name,
                             [](const auto& c, std::string_view n) { return c->name() < n; });
  if (it != calendars_.end() && (*it)->name() == name) return it->get();
  return nullptr;
}

std::vector<std::string> CalendarSet::names() const {
  std::vector<std::string> out;
  out.reserve(calendars_.size());
  for (const auto& c : calendars_) out.push_back(c->name());
  return out;
}

}  // namespace sla::calendar
