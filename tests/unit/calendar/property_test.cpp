// Property test: Calendar::add / elapsed / is_open / next_open / next_close
// against an obviously-correct brute-force reference written here, over
// random (calendar, start, duration) cases in 7 time zones and the years
// 2025..2027.
//
// The reference knows nothing of segments or binary search: it paints a
// one-byte-per-minute "open" map from each local day's intervals (local ->
// UTC with abseil's `pre`, exactly SPEC 2.1), holidays computed naively by
// walking dates, and closures; then `add` steps through that map one minute
// at a time. Every boundary in these calendars and zones is a whole minute,
// so minute stepping is exact.
//
// SLA_CALENDAR_PROPERTY_CASES overrides the number of cases (default 100000).
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <gtest/gtest.h>

#include "sla/calendar/calendar.hpp"
#include "sla/calendar/yaml_loader.hpp"

namespace {

using sla::EpochMillis;
using sla::calendar::Calendar;

constexpr EpochMillis kMinute = 60'000;

struct RefInterval {
  unsigned days;  // bit 0 = Monday
  int start_min;  // minutes after local midnight
  int end_min;    // may exceed 1440 (overnight)
};

struct RefHoliday {
  enum Kind { kFixed, kOnce, kEaster, kNth } kind;
  int a = 0, b = 0, c = 0;  // fixed: month, day; once: y, m, d; easter: offset; nth: n(-1 last), weekday, month
  bool observed = false;
};

struct RefCalendar {
  std::string name;
  std::string tz;
  std::vector<RefInterval> hours;
  std::vector<RefHoliday> holidays;
  std::vector<RefInterval> closures;
};

std::string hhmm(int minutes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
  return buf;
}

std::string days_key(unsigned mask) {
  static const char* const kNames[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  std::string out;
  for (unsigned d = 0; d < 7; ++d) {
    if ((mask >> d) & 1U) out += (out.empty() ? "" : ",") + std::string(kNames[d]);
  }
  return out;
}

std::string interval_text(const RefInterval& iv) {
  const int end = iv.end_min > 1440 ? iv.end_min - 1440 : iv.end_min;
  return hhmm(iv.start_min) + "-" + hhmm(end);
}

std::string to_yaml(const std::vector<RefCalendar>& cals) {
  static const char* const kNames[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  std::string y = "version: 1\ncalendars:\n";
  for (const auto& c : cals) {
    y += "  " + c.name + ":\n    timezone: " + c.tz + "\n    hours:\n";
    for (const auto& iv : c.hours) y += "      \"" + days_key(iv.days) + "\": [\"" + interval_text(iv) + "\"]\n";
    if (!c.holidays.empty()) y += "    holidays:\n";
    for (const auto& h : c.holidays) {
      char buf[160];
      switch (h.kind) {
        case RefHoliday::kFixed: std::snprintf(buf, sizeof buf, "{date: \"%02d-%02d\"", h.a, h.b); break;
        case RefHoliday::kOnce: std::snprintf(buf, sizeof buf, "{date: \"%04d-%02d-%02d\"", h.a, h.b, h.c); break;
        case RefHoliday::kEaster: std::snprintf(buf, sizeof buf, "{easter: %d", h.a); break;
        case RefHoliday::kNth:
          std::snprintf(buf, sizeof buf, "{nth: %s, weekday: %s, month: %d",
                        h.a < 0 ? "last" : std::to_string(h.a).c_str(), kNames[h.b], h.c);
          break;
      }
      y += "      - " + std::string(buf) + (h.observed ? ", observed: nearest_weekday}" : "}") + "\n";
    }
    if (!c.closures.empty()) y += "    closures:\n";
    for (const auto& cl : c.closures) {
      y += "      - {weekday: \"" + days_key(cl.days) + "\", hours: \"" + interval_text(cl) + "\"}\n";
    }
  }
  return y;
}

// --- naive reference --------------------------------------------------------

int ref_weekday(absl::CivilDay d) {
  switch (absl::GetWeekday(d)) {
    case absl::Weekday::monday: return 0;
    case absl::Weekday::tuesday: return 1;
    case absl::Weekday::wednesday: return 2;
    case absl::Weekday::thursday: return 3;
    case absl::Weekday::friday: return 4;
    case absl::Weekday::saturday: return 5;
    case absl::Weekday::sunday: return 6;
  }
  return 0;
}

absl::CivilDay ref_easter(int y) {
  // Table, not an algorithm: the reference must not share the library's computus.
  switch (y) {
    case 2023: return absl::CivilDay(2023, 4, 9);
    case 2024: return absl::CivilDay(2024, 3, 31);
    case 2025: return absl::CivilDay(2025, 4, 20);
    case 2026: return absl::CivilDay(2026, 4, 5);
    case 2027: return absl::CivilDay(2027, 3, 28);
    case 2028: return absl::CivilDay(2028, 4, 16);
    case 2029: return absl::CivilDay(2029, 4, 1);
    default: ADD_FAILURE() << "no Easter for " << y; return absl::CivilDay(y, 1, 1);
  }
}

bool ref_is_holiday(const RefCalendar& c, absl::CivilDay d) {
  for (const auto& h : c.holidays) {
    for (int y = static_cast<int>(d.year()) - 1; y <= d.year() + 1; ++y) {
      std::vector<absl::CivilDay> dates;
      switch (h.kind) {
        case RefHoliday::kFixed: dates.emplace_back(y, h.a, h.b); break;
        case RefHoliday::kOnce:
          if (y == h.a) dates.emplace_back(h.a, h.b, h.c);
          break;
        case RefHoliday::kEaster: dates.push_back(ref_easter(y) + h.a); break;
        case RefHoliday::kNth: {
          std::vector<absl::CivilDay> matching;  // walk the month
          for (absl::CivilDay x(y, h.c, 1); x.month() == h.c; ++x) {
            if (ref_weekday(x) == h.b) matching.push_back(x);
          }
          if (h.a < 0) {
            dates.push_back(matching.back());
          } else if (static_cast<std::size_t>(h.a) <= matching.size()) {
            dates.push_back(matching[static_cast<std::size_t>(h.a - 1)]);
          }
          break;
        }
      }
      const std::vector<absl::CivilDay> listed = dates;  // a copy: observed days are appended to `dates`
      for (const auto& x : listed) {
        if (h.observed && ref_weekday(x) == 5) dates.push_back(x - 1);
        if (h.observed && ref_weekday(x) == 6) dates.push_back(x + 1);
      }
      for (const auto& x : dates) {
        if (x == d) return true;
      }
    }
  }
  return false;
}

/// One byte per minute in [begin, begin + n minutes): 1 = open.
struct RefMap {
  EpochMillis begin = 0;
  std::vector<std::uint8_t> open;

  [[nodiscard]] EpochMillis end() const { return begin + static_cast<EpochMillis>(open.size()) * kMinute; }
  [[nodiscard]] bool at(EpochMillis t) const {
    return open[static_cast<std::size_t>((t - begin) / kMinute)] != 0;
  }
};

EpochMillis ref_instant(const absl::TimeZone& tz, absl::CivilDay d, int minute) {
  return absl::ToUnixMillis(tz.At(absl::CivilMinute(d) + minute).pre);
}

void paint(RefMap& m, EpochMillis s, EpochMillis e, std::uint8_t v) {
  for (EpochMillis t = std::max(s, m.begin); t < std::min(e, m.end()); t += kMinute) {
    m.open[static_cast<std::size_t>((t - m.begin) / kMinute)] = v;
  }
}

RefMap build_ref(const RefCalendar& c, absl::CivilDay from, absl::CivilDay to) {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone(c.tz, &tz));
  RefMap m;
  m.begin = absl::ToUnixMillis(absl::FromCivil(absl::CivilSecond(from), absl::UTCTimeZone()));
  const EpochMillis end = absl::ToUnixMillis(absl::FromCivil(absl::CivilSecond(to), absl::UTCTimeZone()));
  m.open.assign(static_cast<std::size_t>((end - m.begin) / kMinute), 0);
  for (absl::CivilDay d = from - 3; d <= to + 1; ++d) {
    if (ref_is_holiday(c, d)) continue;
    for (const auto& iv : c.hours) {
      if ((iv.days >> ref_weekday(d)) & 1U) paint(m, ref_instant(tz, d, iv.start_min), ref_instant(tz, d, iv.end_min), 1);
    }
  }
  for (absl::CivilDay d = from - 3; d <= to + 1; ++d) {
    for (const auto& iv : c.closures) {
      if ((iv.days >> ref_weekday(d)) & 1U) paint(m, ref_instant(tz, d, iv.start_min), ref_instant(tz, d, iv.end_min), 0);
    }
  }
  return m;
}

/// add by stepping minute by minute; -1 if it runs off the map.
EpochMillis ref_add(const RefMap& m, EpochMillis start, std::int64_t minutes) {
  EpochMillis t = start;
  while (minutes > 0) {
    if (t >= m.end()) return -1;
    if (m.at(t)) --minutes;
    t += kMinute;
  }
  return t;
}

std::int64_t ref_elapsed(const RefMap& m, EpochMillis a, EpochMillis b) {
  std::int64_t n = 0;
  for (EpochMillis t = a; t < b; t += kMinute) n += m.at(t) ? 1 : 0;
  return n * kMinute;
}

std::vector<RefCalendar> calendars() {
  constexpr unsigned kMonFri = 0x1F;
  constexpr unsigned kMonThu = 0x0F;
  constexpr unsigned kSat = 0x20;
  constexpr unsigned kSun = 0x40;
  using H = RefHoliday;
  return {
      // New York: DST; a Sunday interval straddling 02:00 (gap in March, fold in November).
      {"ny", "America/New_York",
       {{kMonFri, 9 * 60, 17 * 60}, {kSun, 60, 3 * 60}, {kSat, 23 * 60, 1440 + 150}},
       {{H::kFixed, 1, 1, 0, true}, {H::kFixed, 7, 4, 0, true}, {H::kNth, -1, 0, 5}, {H::kNth, 4, 3, 11},
        {H::kNth, 1, 0, 9}, {H::kFixed, 12, 25, 0, true}, {H::kEaster, -2}},
       {}},
      // Warsaw: overnight intervals across DST, a Sunday 02:00-04:00 closure (the DST hour itself).
      {"pl", "Europe/Warsaw",
       {{kMonFri, 8 * 60, 16 * 60}, {kMonThu, 22 * 60, 1440 + 6 * 60}, {kSat, 22 * 60, 1440 + 5 * 60}},
       {{H::kFixed, 1, 1}, {H::kFixed, 5, 3}, {H::kFixed, 11, 11}, {H::kEaster, 1}, {H::kFixed, 12, 25},
        {H::kFixed, 12, 26}},
       {{kSun, 2 * 60, 4 * 60}}},
      // Mexico City: no DST since 2022; Saturday hours; a one-off holiday.
      {"mx", "America/Mexico_City",
       {{kMonFri, 9 * 60, 18 * 60}, {kSat, 10 * 60, 14 * 60}},
       {{H::kNth, 3, 0, 11}, {H::kFixed, 9, 16}, {H::kEaster, -2}, {H::kEaster, -3}, {H::kOnce, 2026, 12, 24},
        {H::kNth, 1, 0, 2}},
       {}},
      // Sydney: southern-hemisphere DST; a lunch break.
      {"au", "Australia/Sydney",
       {{kMonFri, 9 * 60, 12 * 60}, {kMonFri, 13 * 60, 17 * 60 + 30}},
       {{H::kFixed, 1, 26, 0, true}, {H::kEaster, -2}, {H::kEaster, 1}, {H::kFixed, 12, 25, 0, true},
        {H::kFixed, 12, 26, 0, true}, {H::kNth, 2, 0, 6}},
       {}},
      // Kolkata: +05:30, six-day week, 24:00 end on Saturday.
      {"in", "Asia/Kolkata",
       {{kMonFri, 10 * 60, 19 * 60}, {kSat, 14 * 60, 1440}},
       {{H::kFixed, 1, 26}, {H::kFixed, 8, 15}, {H::kFixed, 10, 2}},
       {}},
      // Kathmandu: +05:45, Sunday-Friday week, a Friday prayer closure.
      {"np", "Asia/Kathmandu",
       {{kMonFri | kSun, 10 * 60, 17 * 60}},
       {{H::kFixed, 4, 14}, {H::kOnce, 2026, 10, 21}},
       {{0x10, 12 * 60, 13 * 60}}},
      // Moscow: long days, weekend hours, a run of January holidays, midnight overnight.
      {"ru", "Europe/Moscow",
       {{kMonFri, 9 * 60, 21 * 60}, {kSat | kSun, 10 * 60, 18 * 60}, {kMonFri, 21 * 60 + 30, 1440 + 30}},
       {{H::kFixed, 1, 1}, {H::kFixed, 1, 2}, {H::kFixed, 1, 3}, {H::kFixed, 1, 7}, {H::kFixed, 5, 9},
        {H::kFixed, 6, 12}},
       {}},
  };
}

TEST(CalendarProperty, MatchesMinuteSteppingReference) {
  const auto cals = calendars();
  sla::calendar::LoadOptions opts;
  opts.file = "property.yaml";
  std::vector<sla::calendar::LoadError> errors;
  const auto set = sla::calendar::load_calendars_from_text(to_yaml(cals), opts, errors);
  ASSERT_NE(set, nullptr) << (errors.empty() ? "" : sla::calendar::format(errors.front())) << "\n" << to_yaml(cals);

  const absl::CivilDay from(2024, 12, 25);
  const absl::CivilDay to(2028, 4, 1);
  std::vector<RefMap> refs;
  for (const auto& c : cals) refs.push_back(build_ref(c, from, to));

  long cases = 100'000;
  if (const char* env = std::getenv("SLA_CALENDAR_PROPERTY_CASES")) cases = std::strtol(env, nullptr, 10);

  std::mt19937_64 rng(20260403);
  const EpochMillis lo = absl::ToUnixMillis(absl::FromCivil(absl::CivilSecond(2025, 1, 1), absl::UTCTimeZone()));
  const EpochMillis hi = absl::ToUnixMillis(absl::FromCivil(absl::CivilSecond(2028, 1, 1), absl::UTCTimeZone()));
  std::uniform_int_distribution<EpochMillis> start_minute(0, (hi - lo) / kMinute - 1);
  std::uniform_int_distribution<int> kind(0, 99);
  long checked = 0;
  long skipped = 0;
  long failures = 0;
  for (long i = 0; i < cases && failures < 20; ++i) {
    const std::size_t ci = static_cast<std::size_t>(i) % cals.size();
    const Calendar& cal = *set->find(cals[ci].name);
    const RefMap& ref = refs[ci];
    const EpochMillis start = lo + start_minute(rng) * kMinute;
    const int k = kind(rng);
    std::int64_t minutes = 0;
    if (k < 5) {
      minutes = 0;
    } else if (k < 30) {
      minutes = std::uniform_int_distribution<std::int64_t>(1, 600)(rng);
    } else if (k < 92) {
      minutes = std::uniform_int_distribution<std::int64_t>(1, 3 * 1440)(rng);
    } else {
      minutes = std::uniform_int_distribution<std::int64_t>(1, 20 * 1440)(rng);
    }
    const EpochMillis expect = ref_add(ref, start, minutes);
    if (expect < 0) {
      ++skipped;
      continue;
    }
    ++checked;
    const EpochMillis got = cal.add(start, minutes * kMinute);
    if (got != expect) {
      ++failures;
      ADD_FAILURE() << cals[ci].name << " add(" << sla::calendar::format_rfc3339(start) << ", " << minutes
                    << "m) = " << sla::calendar::format_rfc3339(got) << ", reference "
                    << sla::calendar::format_rfc3339(expect);
      continue;
    }
    // elapsed over [start, deadline) is the duration; over an arbitrary range it matches counting.
    EXPECT_EQ(cal.elapsed(start, got), minutes * kMinute);
    if (i % 8 == 0) {
      const EpochMillis b = start + std::uniform_int_distribution<EpochMillis>(0, 14 * 1440)(rng) * kMinute;
      if (b < ref.end()) {
        EXPECT_EQ(cal.elapsed(start, b), ref_elapsed(ref, start, b)) << cals[ci].name << " " << start;
      }
    }
    // Point queries, at the minute and inside it.
    const EpochMillis t = start + std::uniform_int_distribution<EpochMillis>(0, kMinute - 1)(rng);
    const bool open = ref.at(t);
    if (cal.is_open(t) != open) {
      ++failures;
      ADD_FAILURE() << cals[ci].name << " is_open(" << sla::calendar::format_rfc3339(t) << ") != " << open;
    }
    EXPECT_EQ(cal.closed_reason(t) == Calendar::ClosedReason::kOpen, open) << cals[ci].name << " " << t;
    if (i % 4 == 0) {
      EpochMillis next = start;
      while (next < ref.end() && ref.at(next) == false) next += kMinute;
      if (next < ref.end()) {
        EXPECT_EQ(cal.next_open(start), next) << cals[ci].name << " next_open " << start;
      }
      EpochMillis close = start;
      while (close < ref.end() && ref.at(close)) close += kMinute;
      if (close < ref.end()) {
        EXPECT_EQ(cal.next_close(start), close) << cals[ci].name << " next_close " << start;
      }
    }
  }
  EXPECT_LT(failures, 1);
  EXPECT_GE(checked + skipped, cases);
  EXPECT_LT(skipped, cases / 100 + 1);
  RecordProperty("checked", std::to_string(checked));
  std::printf("property: %ld cases checked, %ld skipped (ran off the reference map)\n", checked, skipped);
}

/// nbd by brute force: walk local days after the start's date; a day's open
/// minutes are those inside its own intervals and outside every closure
/// window (closures of the day before, the day and the day after); the
/// deadline is the end of the day's last open minute.
EpochMillis ref_nbd(const RefCalendar& c, EpochMillis start) {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone(c.tz, &tz));
  const absl::CivilDay d0(tz.At(absl::FromUnixMillis(start)).cs);
  for (absl::CivilDay d = d0 + 1; d < d0 + 40; ++d) {
    if (ref_is_holiday(c, d)) continue;
    std::vector<std::pair<EpochMillis, EpochMillis>> closed;
    for (absl::CivilDay x = d - 1; x <= d + 1; ++x) {
      for (const auto& iv : c.closures) {
        if ((iv.days >> ref_weekday(x)) & 1U) closed.emplace_back(ref_instant(tz, x, iv.start_min), ref_instant(tz, x, iv.end_min));
      }
    }
    EpochMillis last_end = -1;
    for (const auto& iv : c.hours) {
      if (((iv.days >> ref_weekday(d)) & 1U) == 0) continue;
      for (EpochMillis t = ref_instant(tz, d, iv.start_min); t < ref_instant(tz, d, iv.end_min); t += kMinute) {
        bool in_closure = false;
        for (const auto& [cs, ce] : closed) in_closure = in_closure || (t >= cs && t < ce);
        if (!in_closure) last_end = std::max(last_end, t + kMinute);
      }
    }
    if (last_end >= 0) return last_end;
  }
  return -1;
}

TEST(CalendarProperty, BusinessDaysAndNextBusinessDayMatchReference) {
  const auto cals = calendars();
  std::vector<sla::calendar::LoadError> errors;
  const auto set = sla::calendar::load_calendars_from_text(to_yaml(cals), {}, errors);
  ASSERT_NE(set, nullptr);
  const absl::CivilDay from(2024, 12, 25);
  const absl::CivilDay to(2028, 4, 1);
  std::mt19937_64 rng(4242);
  const EpochMillis lo = absl::ToUnixMillis(absl::FromCivil(absl::CivilSecond(2025, 1, 1), absl::UTCTimeZone()));
  const EpochMillis hi = absl::ToUnixMillis(absl::FromCivil(absl::CivilSecond(2027, 12, 1), absl::UTCTimeZone()));
  std::uniform_int_distribution<EpochMillis> start_minute(0, (hi - lo) / kMinute - 1);
  for (std::size_t ci = 0; ci < cals.size(); ++ci) {
    const RefCalendar& rc = cals[ci];
    const Calendar& cal = *set->find(rc.name);
    // day_length default: the longest day's opening hours.
    std::int64_t longest = 0;
    for (unsigned d = 0; d < 7; ++d) {
      std::int64_t sum = 0;
      for (const auto& iv : rc.hours) sum += ((iv.days >> d) & 1U) ? iv.end_min - iv.start_min : 0;
      longest = std::max(longest, sum);
    }
    ASSERT_EQ(cal.day_length_millis(), longest * kMinute) << rc.name;
    const RefMap ref = build_ref(rc, from, to);
    for (int i = 0; i < 1500; ++i) {
      const EpochMillis start = lo + start_minute(rng) * kMinute;
      const EpochMillis nbd = ref_nbd(rc, start);
      ASSERT_GE(nbd, 0);
      EXPECT_EQ(cal.add(start, sla::calendar::Duration::nbd()), nbd)
          << rc.name << " nbd from " << sla::calendar::format_rfc3339(start) << ": reference "
          << sla::calendar::format_rfc3339(nbd);
      const std::int64_t n = std::uniform_int_distribution<std::int64_t>(0, 5)(rng);
      const EpochMillis bd = ref_add(ref, start, n * longest);
      if (bd >= 0) {
        EXPECT_EQ(cal.add(start, sla::calendar::Duration::bd(n)), bd) << rc.name << " " << n << "bd";
      }
    }
  }
}

}  // namespace
