// Calendar rules and edges (SPEC 2): DST in both directions, Mexico without
// DST, overnight intervals, holidays (observed, Easter, nth/last weekday),
// closures, 24:00, New Year, zero durations, boundaries, bd/nbd, 24x7.
#include "sla/calendar/calendar.hpp"

#include <map>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>
#include <thread>

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace sla::calendar {
namespace {

using testing::at;
using testing::fmt;
using testing::kHour;
using testing::kMin;
using testing::load_ok;

constexpr const char* kPolicy = R"(
version: 1
calendars:
  mx:
    timezone: America/Mexico_City
    hours:
      mon-fri: ["09:00-18:00"]
    holidays:
      - {name: "New Year's Day", date: "01-01"}
      - {name: "Good Friday", easter: -2}
      - {name: "Revolution Day", nth: 3, weekday: mon, month: 11}
      - {name: "Memorial Day", nth: last, weekday: mon, month: 5}
  mx8:
    timezone: America/Mexico_City
    hours:
      mon-fri: ["09:00-18:00"]
    day_length: 8h
  ny-night:
    timezone: America/New_York
    hours: {daily: ["22:00-06:00"]}
  ny-gap:
    timezone: America/New_York
    hours: {sun: ["02:30-05:00"]}
  ny-fold:
    timezone: America/New_York
    hours: {sun: ["01:30-03:00"]}
  pl:
    timezone: Europe/Warsaw
    hours: {mon-fri: ["08:00-16:00"]}
  pl-night:
    timezone: Europe/Warsaw
    hours: {daily: ["22:00-06:00"]}
  us-obs:
    timezone: America/New_York
    hours: {mon-fri: ["09:00-17:00"]}
    holidays: [{name: "Independence Day", date: "07-04", observed: nearest_weekday}]
  us-plain:
    timezone: America/New_York
    hours: {mon-fri: ["09:00-17:00"]}
    holidays: [{name: "Independence Day", date: "07-04"}]
  utc-night:
    timezone: UTC
    hours: {daily: ["22:00-06:00"]}
  ops:
    timezone: Europe/Warsaw
    hours: {daily: ["00:00-24:00"]}
    holidays: [{date: "12-25"}]
    closures: [{weekday: sun, hours: "02:00-04:00"}]
  shift:
    timezone: UTC
    hours:
      mon-thu: ["22:00-06:00"]
      fri: ["09:00-24:00"]
    holidays: [{date: "2026-04-10"}, {date: "2026-04-16"}]
  base-holidays:
    timezone: UTC
    hours: {mon-fri: ["09:00-17:00"]}
    holidays: [{date: "05-01"}]
  derived:
    timezone: Asia/Tokyo
    hours: {mon-fri: ["09:00-17:00"]}
    include: [base-holidays]
    holidays: [{date: "05-03"}]
)";

class CalendarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_ = load_ok(kPolicy);
    ASSERT_NE(set_, nullptr);
  }
  const Calendar& cal(const char* name) const {
    const Calendar* c = set_->find(name);
    EXPECT_NE(c, nullptr) << name;
    return *c;
  }
  std::shared_ptr<const CalendarSet> set_;
};

TEST_F(CalendarTest, SpecExampleFridayAndSaturdayStarts) {
  const Calendar& mx = cal("mx");
  // 9h started Friday 09:00 is due Friday 18:00, not Monday 09:00.
  EXPECT_EQ(fmt(mx.add(at("2026-04-10T15:00:00Z"), 9 * kHour)), "2026-04-11T00:00:00Z");
  // Started Saturday: Monday 18:00.
  EXPECT_EQ(fmt(mx.add(at("2026-04-11T18:00:00Z"), 9 * kHour)), "2026-04-14T00:00:00Z");
  // Thursday 17:00 + 2h over Good Friday and the weekend: Monday 10:00.
  EXPECT_EQ(fmt(mx.add(at("2026-04-02T23:00:00Z"), 2 * kHour)), "2026-04-06T16:00:00Z");
}

TEST_F(CalendarTest, InterleavedQueriesOnSeveralCalendarsAgreeWithSeparateOnes) {
  // add() and elapsed() remember the last instant they placed on a calendar
  // (per thread): the same instants asked of several calendars in turn, and
  // across a new year, must give what each calendar gives on its own.
  const char* names[] = {"mx", "pl", "ny-night", "shift", "derived"};
  const std::vector<EpochMillis> instants = {
      at("2026-04-06T10:00:00Z"), at("2026-04-06T10:00:00Z"), at("2026-04-07T03:30:00Z"),
      at("2026-12-31T20:00:00Z"), at("2027-01-01T00:00:00Z"), at("2027-01-04T15:00:00Z"),
      at("2026-04-06T09:59:59Z"), at("2026-12-31T23:59:59Z")};
  const std::vector<std::int64_t> amounts = {1, kHour, 9 * kHour, 40 * kHour};
  using Answer = std::pair<EpochMillis, std::int64_t>;  // add(), elapsed()
  auto ask = [&](const Calendar& c, std::size_t i, std::size_t k) {
    const EpochMillis t = instants[i];
    return Answer{c.add(t, amounts[k]), c.elapsed(t, instants[(i + 3) % instants.size()])};
  };
  // Each calendar alone, from a fresh set (new calendars), one after the other.
  const auto fresh = load_ok(kPolicy);
  ASSERT_NE(fresh, nullptr);
  std::map<std::tuple<std::string, std::size_t, std::size_t>, Answer> alone;
  for (const char* n : names) {
    for (std::size_t i = 0; i < instants.size(); ++i) {
      for (std::size_t k = 0; k < amounts.size(); ++k) alone[{n, i, k}] = ask(*fresh->find(n), i, k);
    }
  }
  // Interleaved: every calendar asked about one instant before the next.
  for (std::size_t i = 0; i < instants.size(); ++i) {
    for (std::size_t k = 0; k < amounts.size(); ++k) {
      for (const char* n : names) {
        EXPECT_EQ(ask(cal(n), i, k), (alone[{n, i, k}])) << n << " " << fmt(instants[i]) << " +" << amounts[k];
      }
    }
  }
}

TEST_F(CalendarTest, ZeroAndNegativeDurations) {
  const Calendar& mx = cal("mx");
  for (const char* t : {"2026-04-11T18:00:00Z", "2026-04-13T15:00:00Z", "2026-04-14T00:00:00Z", "2026-04-13T15:00:00.250Z"}) {
    EXPECT_EQ(mx.add(at(t), 0), at(t)) << t;
    EXPECT_EQ(mx.add(at(t), -5), at(t)) << t;
    EXPECT_EQ(mx.add(at(t), Duration::fixed(0)), at(t)) << t;
    EXPECT_EQ(mx.elapsed(at(t), at(t)), 0) << t;
  }
  EXPECT_EQ(mx.elapsed(at("2026-04-14T00:00:00Z"), at("2026-04-13T15:00:00Z")), 0);
}

TEST_F(CalendarTest, StartsExactlyAtBoundaries) {
  const Calendar& mx = cal("mx");
  const EpochMillis open = at("2026-04-13T15:00:00Z");   // Monday 09:00 local
  const EpochMillis close = at("2026-04-14T00:00:00Z");  // Monday 18:00 local
  EXPECT_TRUE(mx.is_open(open));
  EXPECT_FALSE(mx.is_open(open - 1));
  EXPECT_TRUE(mx.is_open(close - 1));
  EXPECT_FALSE(mx.is_open(close));
  EXPECT_EQ(mx.next_open(open), open);
  EXPECT_EQ(mx.next_open(close), at("2026-04-14T15:00:00Z"));
  EXPECT_EQ(mx.next_close(open), close);
  EXPECT_EQ(mx.next_close(close), close);  // closed: t itself
  EXPECT_EQ(mx.add(open, 9 * kHour), close);
  EXPECT_EQ(mx.add(open, 1), open + 1);
  EXPECT_EQ(fmt(mx.add(close, kHour)), "2026-04-14T16:00:00Z");
  EXPECT_EQ(fmt(mx.add(open - 1, kHour)), "2026-04-13T16:00:00Z");
  EXPECT_EQ(mx.elapsed(open, close), 9 * kHour);
  EXPECT_EQ(mx.elapsed(open - kHour, close + kHour), 9 * kHour);
}

TEST_F(CalendarTest, DstSpringAndFallNewYork) {
  // Overnight 22:00-06:00: 7 real hours the night clocks spring forward, 9 when they fall back.
  const Calendar& n = cal("ny-night");
  EXPECT_EQ(n.elapsed(at("2026-03-08T02:00:00Z"), at("2026-03-08T16:00:00Z")), 7 * kHour);
  EXPECT_EQ(fmt(n.next_close(at("2026-03-08T04:00:00Z"))), "2026-03-08T10:00:00Z");
  EXPECT_EQ(n.elapsed(at("2026-11-01T01:00:00Z"), at("2026-11-01T16:00:00Z")), 9 * kHour);
  EXPECT_EQ(fmt(n.next_close(at("2026-11-01T04:00:00Z"))), "2026-11-01T11:00:00Z");
  EXPECT_EQ(fmt(n.add(at("2026-03-08T02:00:00Z"), 7 * kHour)), "2026-03-08T10:00:00Z");
  EXPECT_EQ(fmt(n.add(at("2026-03-08T02:00:00Z"), 7 * kHour + kMin)), "2026-03-09T02:01:00Z");
  // 02:30 does not exist on 2026-03-08: the interval starts at 03:30 EDT (moved forward by the gap).
  const Calendar& g = cal("ny-gap");
  EXPECT_EQ(fmt(g.next_open(at("2026-03-08T00:00:00Z"))), "2026-03-08T07:30:00Z");
  EXPECT_FALSE(g.is_open(at("2026-03-08T07:29:59Z")));
  EXPECT_EQ(g.elapsed(at("2026-03-08T00:00:00Z"), at("2026-03-09T00:00:00Z")), 90 * kMin);
  // 01:30 happens twice on 2026-11-01: the first occurrence (EDT) is taken.
  const Calendar& f = cal("ny-fold");
  EXPECT_EQ(fmt(f.next_open(at("2026-11-01T00:00:00Z"))), "2026-11-01T05:30:00Z");
  EXPECT_EQ(fmt(f.next_close(at("2026-11-01T05:30:00Z"))), "2026-11-01T08:00:00Z");
  EXPECT_EQ(f.elapsed(at("2026-11-01T00:00:00Z"), at("2026-11-02T00:00:00Z")), 150 * kMin);
}

TEST_F(CalendarTest, DstSpringAndFallWarsaw) {
  const Calendar& n = cal("pl-night");
  EXPECT_EQ(fmt(n.next_open(at("2026-03-28T12:00:00Z"))), "2026-03-28T21:00:00Z");
  EXPECT_EQ(fmt(n.next_close(at("2026-03-28T21:00:00Z"))), "2026-03-29T04:00:00Z");
  EXPECT_EQ(n.elapsed(at("2026-03-28T12:00:00Z"), at("2026-03-29T12:00:00Z")), 7 * kHour);
  EXPECT_EQ(fmt(n.next_open(at("2026-10-24T12:00:00Z"))), "2026-10-24T20:00:00Z");
  EXPECT_EQ(fmt(n.next_close(at("2026-10-24T20:00:00Z"))), "2026-10-25T05:00:00Z");
  EXPECT_EQ(n.elapsed(at("2026-10-24T12:00:00Z"), at("2026-10-25T12:00:00Z")), 9 * kHour);
  // Day hours move by an hour in UTC across the weekend of the change.
  const Calendar& d = cal("pl");
  EXPECT_EQ(fmt(d.add(at("2026-03-27T14:00:00Z"), 2 * kHour)), "2026-03-30T07:00:00Z");
  EXPECT_EQ(fmt(d.add(at("2026-10-23T13:00:00Z"), 2 * kHour)), "2026-10-26T08:00:00Z");
}

TEST_F(CalendarTest, MexicoHasNoDstSince2022) {
  const Calendar& mx = cal("mx");
  EXPECT_EQ(fmt(mx.next_open(at("2021-04-05T00:00:00Z"))), "2021-04-05T14:00:00Z");  // CDT, 2021
  EXPECT_EQ(fmt(mx.next_open(at("2023-04-03T00:00:00Z"))), "2023-04-03T15:00:00Z");  // CST all year
  EXPECT_EQ(fmt(mx.next_open(at("2026-07-06T00:00:00Z"))), "2026-07-06T15:00:00Z");
  EXPECT_EQ(fmt(mx.next_open(at("2026-01-05T00:00:00Z"))), "2026-01-05T15:00:00Z");
}

TEST_F(CalendarTest, WeekendHolidayWithAndWithoutObserved) {
  // 2026-07-04 is a Saturday: observed on Friday 07-03.
  EXPECT_FALSE(cal("us-obs").is_open(at("2026-07-03T14:00:00Z")));
  EXPECT_EQ(cal("us-obs").closed_reason(at("2026-07-03T14:00:00Z")), Calendar::ClosedReason::kHoliday);
  EXPECT_TRUE(cal("us-plain").is_open(at("2026-07-03T14:00:00Z")));
  EXPECT_TRUE(cal("us-obs").is_holiday({2026, 7, 4}));
  EXPECT_TRUE(cal("us-obs").is_holiday({2026, 7, 3}));
  EXPECT_FALSE(cal("us-plain").is_holiday({2026, 7, 3}));
  // 2027-07-04 is a Sunday: observed on Monday 07-05.
  EXPECT_FALSE(cal("us-obs").is_open(at("2027-07-05T14:00:00Z")));
  EXPECT_TRUE(cal("us-plain").is_open(at("2027-07-05T14:00:00Z")));
  EXPECT_EQ(fmt(cal("us-obs").add(at("2027-07-02T20:00:00Z"), 2 * kHour)), "2027-07-06T14:00:00Z");
  EXPECT_EQ(fmt(cal("us-plain").add(at("2027-07-02T20:00:00Z"), 2 * kHour)), "2027-07-05T14:00:00Z");
}

TEST_F(CalendarTest, EasterAndGoodFriday) {
  EXPECT_EQ(western_easter(2026), (LocalDate{2026, 4, 5}));
  EXPECT_EQ(western_easter(2027), (LocalDate{2027, 3, 28}));
  const std::vector<LocalDate> known{{1961, 4, 2},  {2000, 4, 23}, {2008, 3, 23}, {2011, 4, 24}, {2019, 4, 21},
                                     {2024, 3, 31}, {2025, 4, 20}, {2038, 4, 25}, {2285, 3, 22}, {1943, 4, 25}};
  for (const auto& d : known) EXPECT_EQ(western_easter(d.year), d) << d.year;
  const Calendar& mx = cal("mx");
  EXPECT_TRUE(mx.is_holiday({2026, 4, 3}));
  EXPECT_TRUE(mx.is_holiday({2027, 3, 26}));
  EXPECT_FALSE(mx.is_holiday({2026, 4, 2}));
  EXPECT_FALSE(mx.is_open(at("2026-04-03T16:00:00Z")));
  EXPECT_FALSE(mx.is_open(at("2027-03-26T16:00:00Z")));
  EXPECT_TRUE(mx.is_open(at("2027-03-25T16:00:00Z")));
}

TEST_F(CalendarTest, NthAndLastWeekdayOfMonth) {
  const Calendar& mx = cal("mx");
  EXPECT_TRUE(mx.is_holiday({2026, 11, 16}));  // third Monday of November
  EXPECT_FALSE(mx.is_holiday({2026, 11, 9}));
  EXPECT_TRUE(mx.is_holiday({2027, 11, 15}));
  EXPECT_TRUE(mx.is_holiday({2026, 5, 25}));  // last Monday of May
  EXPECT_FALSE(mx.is_holiday({2026, 5, 18}));
  EXPECT_TRUE(mx.is_holiday({2027, 5, 31}));
  EXPECT_EQ(mx.closed_reason(at("2026-11-16T16:00:00Z")), Calendar::ClosedReason::kHoliday);
}

TEST_F(CalendarTest, SpansAcrossNewYear) {
  const Calendar& mx = cal("mx");
  // Thursday 2026-12-31 17:00 local + 2h: Friday is New Year's Day, so Monday 10:00.
  EXPECT_EQ(fmt(mx.add(at("2026-12-31T23:00:00Z"), 2 * kHour)), "2027-01-04T16:00:00Z");
  EXPECT_EQ(mx.elapsed(at("2026-12-31T23:00:00Z"), at("2027-01-04T16:00:00Z")), 2 * kHour);
  // An open run crossing the UTC year boundary is one run.
  const Calendar& u = cal("utc-night");
  EXPECT_TRUE(u.is_open(at("2027-01-01T00:00:00Z")));
  EXPECT_EQ(fmt(u.next_close(at("2026-12-31T23:00:00Z"))), "2027-01-01T06:00:00Z");
  EXPECT_EQ(fmt(u.add(at("2026-12-31T23:00:00Z"), 3 * kHour)), "2027-01-01T02:00:00Z");
  EXPECT_EQ(fmt(u.add(at("2026-12-31T23:00:00Z"), kHour)), "2027-01-01T00:00:00Z");
  EXPECT_EQ(u.elapsed(at("2026-12-31T21:00:00Z"), at("2027-01-01T07:00:00Z")), 8 * kHour);
  EXPECT_EQ(fmt(u.next_open(at("2026-12-31T06:00:00Z"))), "2026-12-31T22:00:00Z");
  // Multi-year spans: 8h a day for three years and back.
  const EpochMillis s = at("2025-06-01T00:00:00Z");
  const EpochMillis e = u.add(s, 3 * 365 * 8 * kHour);
  EXPECT_EQ(fmt(e), "2028-05-31T00:00:00Z");
  EXPECT_EQ(u.elapsed(s, e), 3 * 365 * 8 * kHour);
}

TEST_F(CalendarTest, BusinessDaysAndNextBusinessDay) {
  const Calendar& mx = cal("mx");
  EXPECT_EQ(mx.day_length_millis(), 9 * kHour);  // default: the longest day
  EXPECT_EQ(fmt(mx.add(at("2026-04-13T15:00:00Z"), Duration::bd(2))), "2026-04-15T00:00:00Z");
  EXPECT_EQ(fmt(mx.add(at("2026-04-13T15:00:00Z"), *parse_duration("1bd"))), "2026-04-14T00:00:00Z");
  const Calendar& mx8 = cal("mx8");
  EXPECT_EQ(mx8.day_length_millis(), 8 * kHour);
  EXPECT_EQ(fmt(mx8.add(at("2026-04-13T15:00:00Z"), Duration::bd(2))), "2026-04-14T22:00:00Z");
  // nbd: end of the first open day after the start's local date.
  EXPECT_EQ(fmt(mx.add(at("2026-04-02T16:00:00Z"), Duration::nbd())), "2026-04-07T00:00:00Z");  // over Good Friday
  EXPECT_EQ(fmt(mx.add(at("2026-04-13T09:00:00Z"), Duration::nbd())), "2026-04-15T00:00:00Z");  // Mon 03:00 -> Tue
  EXPECT_EQ(fmt(mx.add(at("2026-04-11T18:00:00Z"), Duration::nbd())), "2026-04-14T00:00:00Z");  // Sat -> Mon
  // Overnight hours: the day ends when its last interval does, the next morning.
  EXPECT_EQ(fmt(cal("pl-night").add(at("2026-06-01T10:00:00Z"), Duration::nbd())), "2026-06-03T04:00:00Z");
}

TEST_F(CalendarTest, AlwaysOpen) {
  const Calendar& c = cal("24x7");
  EXPECT_TRUE(c.always_open());
  EXPECT_FALSE(cal("mx").always_open());
  const EpochMillis t = at("2026-03-08T01:23:45Z");
  EXPECT_EQ(c.add(t, *parse_duration("2d")), t + 48 * kHour);
  EXPECT_EQ(c.add(t, Duration::bd(1)), t + 24 * kHour);
  EXPECT_EQ(fmt(c.add(t, Duration::nbd())), "2026-03-10T00:00:00Z");
  EXPECT_TRUE(c.is_open(t));
  EXPECT_EQ(c.next_open(t), t);
  EXPECT_EQ(c.next_close(t), Calendar::kMaxInstant);
  // Past 2399 it never answers before t (found by tests/fuzz/calendar).
  EXPECT_EQ(c.next_close(Calendar::kMaxInstant + kHour), Calendar::kMaxInstant + kHour);
  EXPECT_EQ(c.elapsed(t, t + 5), 5);
  EXPECT_EQ(c.closed_reason(t), Calendar::ClosedReason::kOpen);
  EXPECT_EQ(c.name(), "24x7");
}

TEST_F(CalendarTest, ClosuresAndClosedReasons) {
  const Calendar& ops = cal("ops");
  // Sunday 2026-06-07 02:00-04:00 CEST is a closure.
  EXPECT_FALSE(ops.is_open(at("2026-06-07T01:00:00Z")));
  EXPECT_EQ(ops.closed_reason(at("2026-06-07T01:00:00Z")), Calendar::ClosedReason::kClosure);
  EXPECT_EQ(fmt(ops.next_close(at("2026-06-06T12:00:00Z"))), "2026-06-07T00:00:00Z");
  EXPECT_EQ(fmt(ops.next_open(at("2026-06-07T00:00:00Z"))), "2026-06-07T02:00:00Z");
  EXPECT_EQ(ops.elapsed(at("2026-06-06T22:00:00Z"), at("2026-06-07T22:00:00Z")), 22 * kHour);
  // On the spring-forward Sunday 02:00 does not exist: the closure is 03:00-04:00 CEST.
  EXPECT_EQ(ops.elapsed(at("2026-03-28T23:00:00Z"), at("2026-03-29T22:00:00Z")), 22 * kHour);
  EXPECT_EQ(ops.closed_reason(at("2026-12-25T12:00:00Z")), Calendar::ClosedReason::kHoliday);
  EXPECT_EQ(ops.closed_reason(at("2026-12-26T12:00:00Z")), Calendar::ClosedReason::kOpen);
  EXPECT_EQ(cal("mx").closed_reason(at("2026-04-11T18:00:00Z")), Calendar::ClosedReason::kOutsideHours);
  EXPECT_EQ(cal("mx").closed_reason(at("2026-04-13T03:00:00Z")), Calendar::ClosedReason::kOutsideHours);
}

TEST_F(CalendarTest, HolidayClosesIntervalsStartingThatDayAnd2400End) {
  const Calendar& s = cal("shift");
  // Thursday 04-09's overnight interval runs into the Friday holiday: still open.
  EXPECT_TRUE(s.is_open(at("2026-04-10T03:00:00Z")));
  // Friday 04-10's own interval is closed.
  EXPECT_FALSE(s.is_open(at("2026-04-10T12:00:00Z")));
  EXPECT_EQ(s.closed_reason(at("2026-04-10T12:00:00Z")), Calendar::ClosedReason::kHoliday);
  // Thursday 04-16 is a holiday: its overnight interval into Friday is closed.
  EXPECT_FALSE(s.is_open(at("2026-04-17T03:00:00Z")));
  EXPECT_EQ(s.closed_reason(at("2026-04-17T03:00:00Z")), Calendar::ClosedReason::kHoliday);
  // 09:00-24:00 ends at midnight.
  EXPECT_TRUE(s.is_open(at("2026-04-17T23:59:59Z")));
  EXPECT_EQ(fmt(s.next_close(at("2026-04-17T10:00:00Z"))), "2026-04-18T00:00:00Z");
}

TEST_F(CalendarTest, IncludeInheritsHolidays) {
  EXPECT_TRUE(cal("derived").is_holiday({2026, 5, 1}));
  EXPECT_TRUE(cal("derived").is_holiday({2026, 5, 3}));
  EXPECT_FALSE(cal("base-holidays").is_holiday({2026, 5, 3}));
  EXPECT_EQ(cal("derived").timezone_name(), "Asia/Tokyo");
  const auto names = set_->names();
  EXPECT_EQ(names.front(), "24x7");
  EXPECT_EQ(set_->find("nope"), nullptr);
}

TEST_F(CalendarTest, SupportedRangeEnds) {
  const Calendar& mx = cal("mx");
  EXPECT_EQ(mx.add(at("2399-12-30T00:00:00Z"), 1000 * kHour), Calendar::kMaxInstant);
  EXPECT_EQ(fmt(mx.next_open(at("2300-01-01T00:00:00Z"))), "2300-01-02T15:00:00Z");
  EXPECT_FALSE(mx.is_open(-3'000'000'000'000));
  EXPECT_EQ(mx.elapsed(-3'000'000'000'000, at("1900-01-02T00:00:00Z")), 0);
  EXPECT_EQ(mx.next_open(Calendar::kMaxInstant + 5), Calendar::kMaxInstant + 5);
}

TEST_F(CalendarTest, ConcurrentReadersBuildYearsOnce) {
  // A fresh set, so every year is built lazily under contention.
  auto fresh = load_ok(kPolicy);
  const Calendar& c = *fresh->find("mx");
  const Calendar& ref = cal("mx");
  std::vector<std::thread> threads;
  std::vector<std::vector<EpochMillis>> results(4);
  for (std::size_t k = 0; k < 4; ++k) {
    threads.emplace_back([&c, &results, k] {
      std::mt19937_64 rng(7);  // same sequence in every thread
      for (int i = 0; i < 2000; ++i) {
        const EpochMillis s = std::uniform_int_distribution<EpochMillis>(0, 4'000'000'000'000)(rng);
        results[k].push_back(c.add(s, std::uniform_int_distribution<std::int64_t>(0, 3000)(rng) * kHour));
      }
    });
  }
  for (auto& t : threads) t.join();
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    const EpochMillis s = std::uniform_int_distribution<EpochMillis>(0, 4'000'000'000'000)(rng);
    const EpochMillis want = ref.add(s, std::uniform_int_distribution<std::int64_t>(0, 3000)(rng) * kHour);
    for (std::size_t k = 0; k < 4; ++k) ASSERT_EQ(results[k][static_cast<std::size_t>(i)], want);
  }
}

TEST(CalendarBuild, ProgrammaticSpec) {
  CalendarSpec spec;
  spec.name = "prog";
  spec.timezone = "Europe/Warsaw";
  spec.hours[0].push_back(*parse_interval("09:00-17:00"));
  auto c = Calendar::build(spec);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ((*c)->day_length_millis(), 8 * kHour);
  spec.timezone = "Mars/Olympus";
  EXPECT_FALSE(Calendar::build(spec).has_value());
  spec.timezone = "UTC";
  spec.hours[0].clear();
  EXPECT_FALSE(Calendar::build(spec).has_value());  // never open
}

TEST(Text, IntervalsWeekdaysAndInstants) {
  EXPECT_EQ(*parse_interval("09:00-18:00"), (LocalInterval{9 * 3600, 18 * 3600}));
  EXPECT_EQ(*parse_interval("22:00-06:00"), (LocalInterval{22 * 3600, 30 * 3600}));
  EXPECT_EQ(*parse_interval("00:00-24:00"), (LocalInterval{0, 24 * 3600}));
  EXPECT_EQ(*parse_interval("09:00:30-09:01"), (LocalInterval{9 * 3600 + 30, 9 * 3600 + 60}));
  EXPECT_FALSE(parse_interval("25:00-26:00").has_value());
  EXPECT_FALSE(parse_interval("24:00-02:00").has_value());
  EXPECT_FALSE(parse_interval("09:60-10:00").has_value());
  EXPECT_FALSE(parse_interval("9-17").has_value());
  EXPECT_EQ(*parse_weekdays("mon-fri"), 0x1F);
  EXPECT_EQ(*parse_weekdays("sat,sun"), 0x60);
  EXPECT_EQ(*parse_weekdays("fri-mon"), 0x71);
  EXPECT_EQ(*parse_weekdays("mon-thu,sat"), 0x2F);
  EXPECT_FALSE(parse_weekdays("mon-fry").has_value());
  EXPECT_EQ(*parse_rfc3339("2026-04-06T18:00:00+02:00"), *parse_rfc3339("2026-04-06T16:00:00Z"));
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("2026-04-06T16:00:00.5Z")), "2026-04-06T16:00:00.500Z");
  EXPECT_FALSE(parse_rfc3339("2026-04-06 16:00").has_value());
}

}  // namespace
}  // namespace sla::calendar
