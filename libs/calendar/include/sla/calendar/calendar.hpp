// Calendar: business-hours arithmetic over one IANA time zone, weekly opening
// hours, holidays and closures (SPEC section 2). Pure: no I/O, no clock, no
// logging. A Calendar is built once (from YAML via yaml_loader.hpp, or from a
// CalendarSpec) and is immutable afterwards.
//
// Representation: open time is precomputed per UTC year as a sorted array of
// disjoint open segments [start, end) in epoch milliseconds with a running
// sum of open time, so every query is a binary search (add/elapsed across
// years walk one array per year). Years are built lazily on first use
// (1900..2399 supported), each exactly once (double-checked atomic pointer
// under a mutex), so a Calendar is safe for concurrent readers.
//
// Not here: parsing durations (duration.hpp), reading files (the loader gets
// file contents through an injected callback).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sla/base/clock.hpp"
#include "sla/base/result.hpp"
#include "sla/calendar/duration.hpp"

namespace sla::calendar {

/// Days of the week, ISO order.
enum class Weekday : std::uint8_t { kMon = 0, kTue, kWed, kThu, kFri, kSat, kSun };

/// Local wall-clock interval in seconds after local midnight of the day it
/// starts on. `end_sec <= start_sec` in the text means overnight; here it is
/// already normalised: 0 <= start_sec < 86400, start_sec < end_sec <= start_sec + 86400.
struct LocalInterval {
  std::int32_t start_sec = 0;
  std::int32_t end_sec = 0;
  friend bool operator==(const LocalInterval&, const LocalInterval&) = default;
};

/// A local calendar date (proleptic Gregorian).
struct LocalDate {
  int year = 1970;
  int month = 1;  ///< 1..12
  int day = 1;    ///< 1..31
  friend auto operator<=>(const LocalDate&, const LocalDate&) = default;
};

/// One holiday rule (SPEC 2.1 `holidays:`).
struct HolidayRule {
  enum class Kind : std::uint8_t {
    kFixed,      ///< month/day every year
    kOnce,       ///< year/month/day
    kEaster,     ///< Western Easter Sunday + offset_days
    kNthWeekday  ///< nth (1..5, or -1 = last) `weekday` of `month`
  };
  Kind kind = Kind::kFixed;
  std::string name;
  int year = 0;   ///< kOnce
  int month = 1;  ///< kFixed, kOnce, kNthWeekday
  int day = 1;    ///< kFixed, kOnce
  int offset_days = 0;  ///< kEaster
  int nth = 1;          ///< kNthWeekday: 1..5 or -1 (last)
  Weekday weekday = Weekday::kMon;  ///< kNthWeekday
  /// `observed: nearest_weekday`: a Saturday date is also observed on the
  /// Friday before, a Sunday date on the Monday after. The date itself stays
  /// a holiday.
  bool observed_nearest_weekday = false;
};

/// A recurring closed window (SPEC 2.1 `closures:`), e.g. Sunday 02:00-04:00.
struct Closure {
  Weekday weekday = Weekday::kSun;
  LocalInterval hours;
};

/// Everything a Calendar is made of, already resolved (includes and ICS
/// dates flattened into `holidays`/`extra_holiday_dates`).
struct CalendarSpec {
  std::string name;
  std::string timezone = "UTC";  ///< IANA name
  std::vector<LocalInterval> hours[7];  ///< per Weekday, sorted, non-overlapping
  std::vector<HolidayRule> holidays;
  std::vector<LocalDate> extra_holiday_dates;  ///< e.g. from ICS
  std::vector<Closure> closures;
  std::int64_t day_length_millis = 0;  ///< 0 = default: the longest open day
};

/// Business-hours calendar. Immutable after build; all const members are
/// thread-safe for concurrent use. Instants are epoch milliseconds (UTC);
/// counted durations are milliseconds of open time. Supported instants are
/// years 1900..2399 UTC; results that would fall after that are kMaxInstant
/// (24x7 is plain arithmetic and unbounded, saturating at INT64_MAX).
class Calendar {
 public:
  /// Returned when no answer exists inside the supported range (e.g. add on
  /// a calendar that never opens again, next_close on 24x7).
  static constexpr EpochMillis kMaxInstant = 13569465600000;  // 2400-01-01T00:00:00Z

  /// Validates `spec` (time zone known, intervals in range and not
  /// overlapping) and builds the calendar. kInvalidArgument on a bad spec.
  [[nodiscard]] static sla::Result<std::shared_ptr<const Calendar>> build(CalendarSpec spec);
  /// The built-in always-open calendar "24x7" (UTC, every day 00:00-24:00).
  [[nodiscard]] static std::shared_ptr<const Calendar> always_open_calendar();

  ~Calendar();
  Calendar(const Calendar&) = delete;
  Calendar& operator=(const Calendar&) = delete;

  [[nodiscard]] const std::string& name() const;
  [[nodiscard]] const std::string& timezone_name() const;
  [[nodiscard]] const CalendarSpec& spec() const;

  /// True iff time counts at `t`.
  [[nodiscard]] bool is_open(EpochMillis t) const;
  /// Smallest open instant >= t (t itself if open); kMaxInstant if none.
  [[nodiscard]] EpochMillis next_open(EpochMillis t) const;
  /// Smallest closed instant >= t: `t` itself if closed at t, else the end of
  /// the open run containing t. For 24x7: kMaxInstant (t itself if later).
  [[nodiscard]] EpochMillis next_close(EpochMillis t) const;
  /// SPEC 2.2: the earliest T >= start with elapsed(start, T) == counted_millis.
  /// add(start, 0) == start; a negative count is treated as 0.
  [[nodiscard]] EpochMillis add(EpochMillis start, std::int64_t counted_millis) const;
  /// add for a parsed Duration: fixed, n x day_length, or next business day.
  [[nodiscard]] EpochMillis add(EpochMillis start, const Duration& d) const;
  /// Open milliseconds in [a, b); 0 if b <= a.
  [[nodiscard]] std::int64_t elapsed(EpochMillis a, EpochMillis b) const;
  /// One business day ("1bd") in milliseconds.
  [[nodiscard]] std::int64_t day_length_millis() const;

  enum class ClosedReason : std::uint8_t { kOpen, kOutsideHours, kHoliday, kClosure };
  /// Why time does not count at `t` (kOpen if it does). kHoliday when `t` is
  /// inside opening hours of a day that is a holiday; kClosure when inside
  /// opening hours but in a closure window. Slower than is_open (microseconds).
  [[nodiscard]] ClosedReason closed_reason(EpochMillis t) const;
  /// True for 24x7 (no time zone, hours, holidays or closures matter).
  [[nodiscard]] bool always_open() const;

  /// Whether `date` (local) is a holiday of this calendar (rules, observed
  /// days, extra dates). For tests and the dashboard.
  [[nodiscard]] bool is_holiday(LocalDate date) const;

  struct Impl;

 private:
  explicit Calendar(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// A named set of calendars including the built-in "24x7". Immutable.
class CalendarSet {
 public:
  CalendarSet();  ///< only 24x7
  /// Adds or replaces a calendar by its name (build time only).
  void add(std::shared_ptr<const Calendar> cal);

  /// nullptr if unknown.
  [[nodiscard]] const Calendar* find(std::string_view name) const;
  /// Shared ownership, for holders that outlive the set.
  [[nodiscard]] std::shared_ptr<const Calendar> find_shared(std::string_view name) const;
  /// Sorted names, including "24x7".
  [[nodiscard]] std::vector<std::string> names() const;

 private:
  std::vector<std::shared_ptr<const Calendar>> calendars_;  // sorted by name
};

/// Western (Gregorian) Easter Sunday of `year` (anonymous Gregorian computus).
[[nodiscard]] LocalDate western_easter(int year);

/// Parses "HH:MM-HH:MM" (or with :SS). 24:00 allowed as an end; end <= start
/// means overnight. kInvalidArgument with what is wrong.
[[nodiscard]] sla::Result<LocalInterval> parse_interval(std::string_view text);

/// Parses "mon-fri", "sat,sun", "mon-thu,sat", "daily" into a 7-bit mask
/// (bit 0 = Monday). kInvalidArgument naming the unknown weekday.
[[nodiscard]] sla::Result<std::uint8_t> parse_weekdays(std::string_view text);

/// Checks that `name` is spelled like an IANA time zone name ("UTC",
/// "Europe/Warsaw", "America/Argentina/Buenos_Aires", "Etc/GMT+5"): 1..64
/// characters, components of [A-Za-z0-9_+-] separated by single '/'. Anything
/// else (an absolute or relative file path, "..", a ':' prefix) fails with
/// kInvalidArgument, so abseil never opens a file outside the zoneinfo
/// directory (it takes a zone name as a path relative to it). No I/O.
[[nodiscard]] sla::Result<std::string_view> check_time_zone_name(std::string_view name);

/// RFC 3339 helpers for the CLI and tests: "2026-04-06T16:00:00Z" (offsets
/// like +02:00 and fractional seconds accepted on input; output always UTC,
/// milliseconds shown only when non-zero).
[[nodiscard]] sla::Result<EpochMillis> parse_rfc3339(std::string_view text);
[[nodiscard]] std::string format_rfc3339(EpochMillis t);

}  // namespace sla::calendar
