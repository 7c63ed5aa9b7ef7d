// YAML loader: the SPEC 2.1 shape, ICS import, and one test per class of bad
// calendar checking the reported line, column and message.
#include "sla/calendar/yaml_loader.hpp"

#include <random>
#include <type_traits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_util.hpp"

namespace sla::calendar {
namespace {

using ::testing::HasSubstr;
using testing::at;
using testing::fmt;
using testing::kHour;
using testing::load_ok;

std::vector<LoadError> load_errors(const std::string& yaml, std::map<std::string, std::string> files = {}) {
  LoadOptions opts;
  opts.file = "policy.yaml";
  opts.read_file = [files](const std::string& p) -> sla::Result<std::string> {
    auto it = files.find(p);
    if (it == files.end()) return sla::fail(ErrorCode::kNotFound, "no such file");
    return it->second;
  };
  std::vector<LoadError> errors;
  auto set = load_calendars_from_text(yaml, opts, errors);
  EXPECT_EQ(set == nullptr, !errors.empty());
  return errors;
}

/// The single error of `yaml`, checked for line and a message fragment.
void expect_one_error(const std::string& yaml, int line, const std::string& fragment) {
  const auto errors = load_errors(yaml);
  ASSERT_EQ(errors.size(), 1U) << (errors.empty() ? "no error" : format(errors[0]) + " ... " + format(errors.back()));
  EXPECT_EQ(errors[0].file, "policy.yaml");
  EXPECT_EQ(errors[0].line, line) << format(errors[0]);
  EXPECT_GT(errors[0].column, 0);
  EXPECT_THAT(errors[0].message, HasSubstr(fragment));
}

TEST(Loader, SpecShapeLoads) {
  const auto set = load_ok(R"(version: 1
policy_id: trackmyvend
calendars:
  mx-business:
    timezone: America/Mexico_City
    hours:
      mon-fri: ["09:00-18:00"]
      sat,sun: ["10:00-14:00"]
      mon-thu: ["22:00-06:00"]
    day_length: 9h
    holidays:
      - {name: "New Year's Day", date: "01-01"}
      - {name: "Company offsite", date: "2026-12-24"}
      - {name: "Good Friday", easter: -2}
      - {name: "Revolution Day", nth: 3, weekday: mon, month: 11}
      - {name: "Memorial Day", nth: last, weekday: mon, month: 5}
      - {name: "Independence Day", date: "07-04", observed: nearest_weekday}
    closures:
      - {weekday: sun, hours: "02:00-04:00"}
    include: [another-calendar]
  another-calendar:
    timezone: UTC
    hours: {mon-fri: "09:00-17:00"}
    holidays: ["05-01"]
plans: {anything: goes here}
)");
  ASSERT_NE(set, nullptr);
  const Calendar* c = set->find("mx-business");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->day_length_millis(), 9 * kHour);
  EXPECT_TRUE(c->is_holiday({2026, 12, 24}));
  EXPECT_TRUE(c->is_holiday({2026, 5, 1}));  // included
  EXPECT_TRUE(c->is_holiday({2026, 7, 3}));  // observed
  EXPECT_EQ(set->names(), (std::vector<std::string>{"24x7", "another-calendar", "mx-business"}));
  // Monday overnight 22:00-06:00 local = 04:00Z .. 12:00Z Tuesday.
  EXPECT_TRUE(c->is_open(at("2026-04-14T05:00:00Z")));
}

TEST(Loader, EmptyOrMissingCalendarsGiveOnly24x7) {
  auto set = load_ok("version: 1\n");
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->names(), std::vector<std::string>{"24x7"});
  set = load_ok("");
  ASSERT_NE(set, nullptr);
  std::vector<LoadError> errors;
  auto direct = load_calendars(YAML::Node(), LoadOptions{}, errors);
  ASSERT_NE(direct, nullptr);
  EXPECT_NE(direct->find("24x7"), nullptr);
}

TEST(Loader, UnknownTimeZone) {
  expect_one_error(R"(version: 1
calendars:
  a:
    timezone: Mars/Olympus_Mons
    hours: {mon-fri: ["09:00-17:00"]}
)", 4, "calendars.a.timezone: unknown time zone 'Mars/Olympus_Mons'");
}

TEST(Loader, MissingTimeZone) {
  expect_one_error(R"(version: 1
calendars:
  a:
    hours: {mon-fri: ["09:00-17:00"]}
)", 3, "missing required key 'timezone'");
}

TEST(Loader, OverlappingIntervals) {
  expect_one_error(R"(version: 1
calendars:
  a:
    timezone: UTC
    hours:
      mon-fri: ["09:00-18:00"]
      mon-thu: ["17:00-20:00"]
)", 7, "calendars.a.hours.mon-thu[0]: interval '17:00-20:00' overlaps '09:00-18:00'");
}

TEST(Loader, OvernightOverlapsSameDay) {
  expect_one_error(R"(version: 1
calendars:
  a:
    timezone: UTC
    hours:
      mon: ["22:00-06:00", "08:00-23:00"]
)", 6, "overlaps");
}

TEST(Loader, HourOutOfRange) {
  expect_one_error(R"(version: 1
calendars:
  a:
    timezone: UTC
    hours:
      mon-fri: ["09:00-18:00", "25:00-26:00"]
)", 6, "calendars.a.hours.mon-fri[1]: invalid time '25:00' in '25:00-26:00': hour 25 is out of range 00..24");
}

TEST(Loader, UnknownWeekday) {
  expect_one_error(R"(version: 1
calendars:
  a:
    timezone: UTC
    hours:
      mon-fri: ["09:00-18:00"]
      satday: ["10:00-12:00"]
)", 7, "calendars.a.hours.satday: unknown weekday 'satday'");
}

TEST(Loader, BadHolidayRules) {
  expect_one_error(R"(version: 1
calendars:
  a:
    timezone: UTC
    hours: {mon-fri: ["09:00-18:00"]}
    holidays:
      - {name: ok, date: "01-01"}
      - {name: bad, date: "13-45"}
)", 8, "calendars.a.holidays[1].date: invalid date '13-45'");
  expect_one_error(R"(version: 1
calendars:
  a:
    timezone: UTC
    hours: {mon-fri: ["09:00-18:00"]}
    holidays:
      - {name: "Revolution", nth: 3, weekday: mon}
)", 7, "calendars.a.holidays[0]: an nth-weekday holiday needs nth, weekday and month; missing month");
  expect_one_error(R"(version: 1
calendars:
  a:
    timezone: UTC
    hours: {mon-fri: ["09:00-18:00"]}
    holidays:
      - {name: "x", nth: 6, weekday: mon, month: 5}
)", 7, "calendars.a.holidays[0].nth: expected 1..5 or last, found '6'");
  expect_one_error(R"(version: 1
calendars:
  a:
    timezone: UTC
    hours: {mon-fri: ["09:00-18:00"]}
    holidays:
      - {name: "Good Friday", easter: friday}
)", 7, "calendars.a.holidays[0].easter: expected days from Easter Sunday");
  expect_one_error(R"(version: 1
calendars:
  a:
    timezone: UTC
    hours: {mon-fri: ["09:00-18:00"]}
    holidays:
      - {name: "Nothing"}
)", 7, "a holiday needs one of");
  expect_one_error(R"(version: 1
calendars:
  a:
    timezone: UTC
    hours: {mon-fri: ["09:00-18:00"]}
    holidays:
      - {date: "07-04", observed: closest}
)", 7, "calendars.a.holidays[0].observed: expected nearest_weekday");
}

TEST(Loader, UnknownKey) {
  expect_one_error(R"(version: 1
calendars:
  a:
    timezone: UTC
    hours: {mon-fri: ["09:00-18:00"]}
    holiday: []
)", 6, "calendars.a.holiday: unknown key 'holiday'");
}

TEST(Loader, UnknownIncludeAndCycle) {
  expect_one_error(R"(version: 1
calendars:
  a:
    timezone: UTC
    hours: {mon-fri: ["09:00-18:00"]}
    include: [b]
)", 6, "calendars.a.include: unknown calendar 'b'");
  const auto errors = load_errors(R"(version: 1
calendars:
  a:
    timezone: UTC
    hours: {mon-fri: ["09:00-18:00"]}
    include: [b]
  b:
    timezone: UTC
    hours: {mon-fri: ["09:00-18:00"]}
    include: [a]
)");
  ASSERT_EQ(errors.size(), 2U);
  EXPECT_EQ(errors[0].line, 6);
  EXPECT_THAT(errors[0].message, HasSubstr("include cycle: a -> b -> a"));
  EXPECT_EQ(errors[1].line, 10);
  EXPECT_THAT(errors[1].message, HasSubstr("include cycle: b -> a -> b"));
}

TEST(Loader, BadClosure) {
  expect_one_error(R"(version: 1
calendars:
  a:
    timezone: UTC
    hours: {mon-fri: ["09:00-18:00"]}
    closures:
      - {weekday: sunday, hours: "02:00-04:00"}
      - {weekday: sun}
)", 8, "a closure needs weekday and hours; missing hours");
}

TEST(Loader, BadDayLengthAndVersion) {
  expect_one_error(R"(version: 1
calendars:
  a:
    timezone: UTC
    hours: {mon-fri: ["09:00-18:00"]}
    day_length: 2bd
)", 6, "calendars.a.day_length: must be a positive fixed duration");
  expect_one_error(R"(version: 2
calendars: {}
)", 1, "version: unsupported version '2'");
}

TEST(Loader, YamlSyntaxError) {
  expect_one_error("version: 1\ncalendars:\n  a: [unclosed\n", 4, "invalid YAML");
}

TEST(Loader, NoHours) {
  expect_one_error(R"(version: 1
calendars:
  a:
    timezone: UTC
    hours: {mon-fri: []}
)", 3, "has no opening hours");
}

TEST(Loader, CollectsAllErrors) {
  const auto errors = load_errors(R"(version: 1
calendars:
  a:
    timezone: Nowhere/City
    hours:
      mon-fri: ["09:00-18:00", "25:00-26:00"]
      funday: ["10:00-11:00"]
  b:
    timezone: UTC
    hours: {mon: ["09:00-10:00"]}
    holidays: [{date: "02-30"}]
)");
  ASSERT_EQ(errors.size(), 4U);
  EXPECT_EQ(format(errors[0]).substr(0, 16), "policy.yaml:4:15");
  EXPECT_EQ(errors[1].line, 6);
  EXPECT_EQ(errors[2].line, 7);
  EXPECT_EQ(errors[3].line, 11);
}

constexpr const char* kIcs = "BEGIN:VCALENDAR\r\n"
                             "VERSION:2.0\r\n"
                             "PRODID:-//test//EN\r\n"
                             "BEGIN:VEVENT\r\n"
                             "UID:1@test\r\n"
                             "DTSTAMP:20260101T000000Z\r\n"
                             "DTSTART;VALUE=DATE:20270205\r\n"
                             "DTEND;VALUE=DATE:20270206\r\n"
                             "SUMMARY:Constitution Day\r\n"
                             "END:VEVENT\r\n"
                             "BEGIN:VEVENT\r\n"
                             "UID:2@test\r\n"
                             "DTSTAMP:20260101T000000Z\r\n"
                             "DTSTART;VALUE=DATE:20271224\r\n"
                             "DTEND;VALUE=DATE:20271227\r\n"
                             "SUMMARY:Christmas break\r\n"
                             "END:VEVENT\r\n"
                             "BEGIN:VEVENT\r\n"
                             "UID:3@test\r\n"
                             "DTSTAMP:20260101T000000Z\r\n"
                             "DTSTART;VALUE=DATE:20250916\r\n"
                             "RRULE:FREQ=YEARLY\r\n"
                             "SUMMARY:Independence\r\n"
                             "END:VEVENT\r\n"
                             "BEGIN:VEVENT\r\n"
                             "UID:4@test\r\n"
                             "DTSTAMP:20260101T000000Z\r\n"
                             "DTSTART:20270310T150000Z\r\n"
                             "DTEND:20270310T160000Z\r\n"
                             "SUMMARY:A meeting, not a holiday\r\n"
                             "END:VEVENT\r\n"
                             "END:VCALENDAR\r\n";

TEST(Loader, IcsAllDayEventsBecomeHolidays) {
  const auto set = load_ok(R"(version: 1
calendars:
  mx:
    timezone: America/Mexico_City
    hours: {mon-fri: ["09:00-18:00"]}
    ics: holidays/mx-2027.ics
)", {{"holidays/mx-2027.ics", kIcs}});
  ASSERT_NE(set, nullptr);
  const Calendar& c = *set->find("mx");
  EXPECT_TRUE(c.is_holiday({2027, 2, 5}));
  EXPECT_FALSE(c.is_holiday({2027, 2, 6}));
  EXPECT_TRUE(c.is_holiday({2027, 12, 24}));
  EXPECT_TRUE(c.is_holiday({2027, 12, 26}));
  EXPECT_FALSE(c.is_holiday({2027, 12, 27}));
  EXPECT_TRUE(c.is_holiday({2031, 9, 16}));  // RRULE yearly
  EXPECT_FALSE(c.is_holiday({2027, 3, 10}));  // timed event ignored
  EXPECT_FALSE(c.is_open(at("2027-02-05T16:00:00Z")));
}

TEST(Loader, BadIcs) {
  const std::string yaml = R"(version: 1
calendars:
  mx:
    timezone: America/Mexico_City
    hours: {mon-fri: ["09:00-18:00"]}
    ics: holidays/mx.ics
)";
  auto errors = load_errors(yaml, {{"holidays/mx.ics", "this is not a calendar"}});
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_EQ(errors[0].line, 6);
  EXPECT_THAT(errors[0].message, HasSubstr("calendars.mx.ics: bad iCalendar file 'holidays/mx.ics'"));
  errors = load_errors(yaml);
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_THAT(errors[0].message, HasSubstr("cannot read 'holidays/mx.ics': no such file"));
}

TEST(Loader, Builtin24x7CannotBeRedefined) {
  expect_one_error(R"(version: 1
calendars:
  24x7:
    timezone: UTC
    hours: {daily: ["00:00-24:00"]}
)", 3, "'24x7' is built in");
}

// Numbers go through the shared reader's parse_integer: one sign at most
// ("+-2" was once read as -2), and the same "found" message as any bad value.
TEST(Loader, HolidayNumbersTakeOneSign) {
  expect_one_error(R"(version: 1
calendars:
  a:
    timezone: UTC
    hours: {mon-fri: ["09:00-18:00"]}
    holidays:
      - {name: "Good Friday", easter: "+-2"}
)", 7, "calendars.a.holidays[0].easter: expected days from Easter Sunday in -200..200 (e.g. -2 for Good Friday), found '+-2'");
  const auto set = load_ok(R"(version: 1
calendars:
  a:
    timezone: UTC
    hours: {mon-fri: ["09:00-18:00"]}
    holidays:
      - {name: "Good Friday", easter: -2}
      - {name: "x", nth: "+2", weekday: mon, month: "+5"}
)");
  ASSERT_NE(set, nullptr);
}

// The calendar's errors are the YAML reader's, so the policy loader merges
// them without converting.
static_assert(std::is_same_v<LoadError, sla::yaml::Error>);

TEST(Loader, FormatIsFileLineColumnMessage) {
  EXPECT_EQ(format(LoadError{"p.yaml", 3, 7, "calendars.a: bad"}), "p.yaml:3:7: calendars.a: bad");
  EXPECT_EQ(format(LoadError{"p.yaml", 0, 0, "bad"}), "p.yaml: bad");
}

}  // namespace
}  // namespace sla::calendar

namespace sla::calendar {
namespace {

// Robustness: random byte mutations of a valid policy and random duration
// texts never crash, throw or hang; they load or report errors.
TEST(LoaderRobustness, MutatedInputsNeverCrash) {
  const std::string base = R"(version: 1
calendars:
  a:
    timezone: Europe/Warsaw
    hours: {mon-fri: ["09:00-17:00"], sat: ["22:00-06:00"]}
    holidays: [{date: "01-01", observed: nearest_weekday}, {easter: -2}, {nth: last, weekday: mon, month: 5}]
    closures: [{weekday: sun, hours: "02:00-04:00"}]
    include: [b]
  b:
    timezone: UTC
    hours: {daily: ["00:00-24:00"]}
)";
  const std::string alphabet = "0123456789:-,[]{}\"' \nabcdefmnorstuwy#&*!|>";
  std::mt19937 rng(1234);
  int loaded = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at_pos = rng() % text.size();
      switch (rng() % 3) {
        case 0: text[at_pos] = alphabet[rng() % alphabet.size()]; break;
        case 1: text.erase(at_pos, 1 + rng() % 3); break;
        default: text.insert(at_pos, 1, alphabet[rng() % alphabet.size()]); break;
      }
    }
    LoadOptions opts;
    opts.file = "fuzz.yaml";
    std::vector<LoadError> errors;
    std::shared_ptr<const CalendarSet> set;
    ASSERT_NO_THROW(set = load_calendars_from_text(text, opts, errors)) << text;
    ASSERT_EQ(set == nullptr, !errors.empty()) << text;
    if (set) {
      ++loaded;
      for (const auto& name : set->names()) {
        const Calendar* c = set->find(name);
        const EpochMillis t = 1'767'225'600'000 + static_cast<EpochMillis>(rng() % 1'000'000'000) * 60;
        const EpochMillis due = c->add(t, static_cast<std::int64_t>(rng() % 100'000) * 60'000);
        EXPECT_GE(due, t);
        EXPECT_LE(c->elapsed(t, due), static_cast<std::int64_t>(100'000) * 60'000);
      }
    }
  }
  EXPECT_GT(loaded, 0);
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const std::size_t len = rng() % 8;
    for (std::size_t k = 0; k < len; ++k) text += "0123456789dhmsbn-x"[rng() % 18];
    auto d = parse_duration(text);
    if (d) {
      EXPECT_EQ(parse_duration(to_string(*d)).value(), *d) << text;
    }
  }
}

}  // namespace
}  // namespace sla::calendar
