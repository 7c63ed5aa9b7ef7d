// The calendar loader's bounds against hostile input (SPEC 5.3): time zones
// are IANA names, never file paths; `ics:` files are read only from the
// policy's own folder and never when files are not allowed; `include:`
// chains and cycles resolve in time linear in their length.
#include <chrono>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "sla/calendar/calendar.hpp"
#include "sla/calendar/yaml_loader.hpp"

namespace sla::calendar {
namespace {

using ::testing::HasSubstr;

struct Loaded {
  std::shared_ptr<const CalendarSet> set;
  std::vector<LoadError> errors;
  std::vector<std::string> files_read;
};

Loaded load(const std::string& yaml, bool allow_files = true) {
  Loaded out;
  LoadOptions opts;
  opts.file = "policy.yaml";
  opts.allow_files = allow_files;
  opts.read_file = [&out](const std::string& p) -> sla::Result<std::string> {
    out.files_read.push_back(p);
    return std::string("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n");
  };
  out.set = load_calendars_from_text(yaml, opts, out.errors);
  return out;
}

std::string calendar_with_zone(const std::string& zone) {
  return "version: 1\ncalendars:\n  a:\n    timezone: \"" + zone + "\"\n    hours: {mon-fri: [\"09:00-17:00\"]}\n";
}

TEST(TimeZoneNames, IanaNamesAreAccepted) {
  for (const char* name : {"UTC", "Europe/Warsaw", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "Etc/GMT-14",
                           "America/Port-au-Prince", "EST5EDT"}) {
    EXPECT_TRUE(check_time_zone_name(name).has_value()) << name;
  }
  const auto l = load(calendar_with_zone("America/Argentina/Buenos_Aires"));
  EXPECT_TRUE(l.errors.empty()) << (l.errors.empty() ? "" : format(l.errors[0]));
}

TEST(TimeZoneNames, FilePathsAreRejectedBeforeAnyFileIsOpened) {
  // Each of these is opened by abseil as a file when handed to it: an
  // absolute path, one climbing out of the zoneinfo folder (both real TZif
  // files on most systems, so they loaded before), a ':' prefix.
  for (const std::string& name : std::vector<std::string>{"/usr/share/zoneinfo/Europe/Warsaw", "../../../usr/share/zoneinfo/UTC",
                                  "Europe/../UTC", ":UTC", "/etc/passwd", "Europe//Warsaw", "Europe/", "",
                                  std::string(65, 'A'), "Europe/Warsaw\n"}) {
    EXPECT_FALSE(check_time_zone_name(name).has_value()) << name;
    if (name.empty() || name.back() == '\n') continue;  // not a YAML scalar of its own
    const auto l = load(calendar_with_zone(name));
    EXPECT_EQ(l.set, nullptr) << name;
    ASSERT_EQ(l.errors.size(), 1U) << name;
    EXPECT_EQ(l.errors[0].line, 4);
    EXPECT_EQ(l.errors[0].column, 15);
    EXPECT_THAT(l.errors[0].message, HasSubstr("calendars.a.timezone: '"));
    EXPECT_THAT(l.errors[0].message, HasSubstr("' is not an IANA time zone name"));
  }
  CalendarSpec spec;
  spec.timezone = "../../../usr/share/zoneinfo/UTC";
  spec.hours[0].push_back({0, 3600});
  EXPECT_FALSE(Calendar::build(spec).has_value());
}

const std::string kIcsPolicy =
    "version: 1\ncalendars:\n  a:\n    timezone: UTC\n    hours: {mon-fri: [\"09:00-17:00\"]}\n    ics: ";

TEST(IcsFiles, ReadOnlyFromThePolicysOwnFolder) {
  auto l = load(kIcsPolicy + "holidays/mx.ics\n");
  EXPECT_TRUE(l.errors.empty());
  EXPECT_EQ(l.files_read, std::vector<std::string>{"holidays/mx.ics"});
  for (const char* path : {"/etc/passwd", "../secrets.ics", "holidays/../../x.ics", ".."}) {
    l = load(kIcsPolicy + path + "\n");
    EXPECT_TRUE(l.files_read.empty()) << path;
    ASSERT_EQ(l.errors.size(), 1U) << path;
    EXPECT_EQ(l.errors[0].line, 6);
    EXPECT_EQ(l.errors[0].column, 10);
    EXPECT_THAT(l.errors[0].message, HasSubstr("must be a path relative to the policy's folder"));
  }
}

TEST(IcsFiles, NeverReadWhenFilesAreNotAllowed) {
  const auto l = load(kIcsPolicy + "[holidays/mx.ics, other.ics]\n", /*allow_files=*/false);
  EXPECT_TRUE(l.files_read.empty());
  ASSERT_EQ(l.errors.size(), 2U);
  EXPECT_EQ(l.errors[0].line, 6);
  EXPECT_THAT(l.errors[0].message,
              HasSubstr("cannot read 'holidays/mx.ics': ICS files are only read for a policy loaded from its own folder"));
}

/// c0 includes c1, c1 includes c2, ... c(n-1) includes `last_includes` (or nothing).
std::string include_chain(int n, bool holiday_everywhere, const std::string& last_includes = "") {
  std::string y = "version: 1\ncalendars:\n";
  for (int i = 0; i < n; ++i) {
    y += "  c" + std::to_string(i) + ": {timezone: UTC, hours: {mon-fri: [\"09:00-17:00\"]}";
    if (holiday_everywhere || i == n - 1) y += ", holidays: [\"01-0" + std::to_string(1 + i % 9) + "\"]";
    if (i + 1 < n) y += ", include: [c" + std::to_string(i + 1) + "]";
    else if (!last_includes.empty()) y += ", include: [" + last_includes + "]";
    y += "}\n";
  }
  return y;
}

double seconds_to_load(const std::string& yaml, Loaded& out) {
  const auto t0 = std::chrono::steady_clock::now();
  out = load(yaml);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// The time yaml-cpp alone takes to parse `yaml`: a linear baseline measured
/// in the same build on the same machine, so the bound below holds for
/// sanitizer builds and busy machines alike.
double seconds_to_parse(const std::string& yaml) {
  const auto t0 = std::chrono::steady_clock::now();
  const YAML::Node root = YAML::Load(yaml);
  EXPECT_TRUE(root.IsMap());
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Loading costs a small multiple of parsing (building each calendar and
/// resolving its includes are constant work per calendar). Before, a chain
/// of 2000 took about 50 times its parse (and 4000 about 200 times).
void expect_linear(const std::string& yaml, double load_secs) {
  const double parse_secs = seconds_to_parse(yaml);
  EXPECT_LT(load_secs, 8 * parse_secs + 0.25) << "parse alone: " << parse_secs << " s";
}

// A chain of includes took time cubic in its length: each calendar walked
// its whole chain, with a linear search of the walk's stack at every step.
TEST(Includes, LongChainResolvesInLinearTime) {
  Loaded l;
  const std::string yaml = include_chain(3000, false);
  const double secs = seconds_to_load(yaml, l);
  ASSERT_TRUE(l.errors.empty()) << format(l.errors[0]);
  expect_linear(yaml, secs);
  ASSERT_NE(l.set, nullptr);
  EXPECT_TRUE(l.set->find("c0")->is_holiday({2027, 1, 3}));  // the last link's holiday (01-03) reaches the first
  EXPECT_FALSE(l.set->find("c0")->is_holiday({2027, 1, 2}));
}

TEST(Includes, LongCycleIsOneErrorPerCalendarWithABoundedMessage) {
  Loaded l;
  const std::string yaml = include_chain(2000, false, "c0");
  const double secs = seconds_to_load(yaml, l);
  expect_linear(yaml, secs);
  EXPECT_EQ(l.set, nullptr);
  ASSERT_EQ(l.errors.size(), 2000U);
  EXPECT_EQ(l.errors[0].line, 3);
  EXPECT_EQ(l.errors[0].message,
            "calendars.c0.include: include cycle: c0 -> c1 -> c2 -> c3 -> c4 -> c5 -> c6 -> c7 -> c8 -> c9 -> "
            "... (1990 more) -> c0");
  EXPECT_THAT(l.errors[1999].message, HasSubstr("include cycle: c1999 -> c0 -> c1 -> "));
}

TEST(Includes, CopiedHolidaysAreBounded) {
  // Every link has a holiday: the n-th calendar inherits n of them, about
  // 2 million in all; the loader stops at its bound instead.
  Loaded l;
  const std::string yaml = include_chain(2000, true);
  const double secs = seconds_to_load(yaml, l);
  expect_linear(yaml, secs);
  EXPECT_EQ(l.set, nullptr);
  ASSERT_EQ(l.errors.size(), 1U);
  EXPECT_THAT(l.errors[0].message, HasSubstr("includes copy more than 500000 holidays in all"));
  // A diamond copies the shared calendar once.
  l = load(R"(version: 1
calendars:
  base: {timezone: UTC, hours: {mon-fri: ["09:00-17:00"]}, holidays: ["12-25"]}
  left: {timezone: UTC, hours: {mon-fri: ["09:00-17:00"]}, include: [base]}
  right: {timezone: UTC, hours: {mon-fri: ["09:00-17:00"]}, include: [base, 24x7]}
  top: {timezone: UTC, hours: {mon-fri: ["09:00-17:00"]}, include: [left, right]}
)");
  ASSERT_TRUE(l.errors.empty()) << format(l.errors[0]);
  EXPECT_EQ(l.set->find("top")->spec().holidays.size(), 1U);
  EXPECT_TRUE(l.set->find("top")->is_holiday({2026, 12, 25}));
}

}  // namespace
}  // namespace sla::calendar
