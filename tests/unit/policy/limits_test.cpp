// Bounds the loader enforces so that a loaded policy means what it says
// (SPEC 3, 5.3): every counted time stays within 1000 years (no 64-bit
// overflow in the loader or the engine), a clock has at most the 64 items
// the engine can track, and time zones are IANA names, never file paths.
// Each case loaded before these checks existed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "sla/policy/loader.hpp"
#include "test_util.hpp"

namespace sla::policy {
namespace {

using ::testing::HasSubstr;
using testing::load;
using testing::load_ok;

const std::string kHead = "version: 1\npolicy_id: t\n";

std::string plan_with(const std::string& response) {
  return kHead + "plans:\n  pro:\n    severities:\n      P0:\n        response: " + response + "\n";
}

/// Expects exactly one error, at the first occurrence of `token`.
void expect_error_at(const std::string& yaml, const std::string& token, const std::string& fragment) {
  SCOPED_TRACE(yaml);
  const auto l = load(yaml);
  EXPECT_EQ(l.policy, nullptr);
  ASSERT_EQ(l.errors.size(), 1U) << l.text();
  const std::size_t off = yaml.find(token);
  ASSERT_NE(off, std::string::npos) << token;
  const std::string before = yaml.substr(0, off);
  const auto line = 1 + std::count(before.begin(), before.end(), '\n');
  const auto col = static_cast<long>(off - (before.rfind('\n') == std::string::npos ? 0 : before.rfind('\n') + 1)) + 1;
  EXPECT_EQ(l.errors[0].file, "p.yaml");
  EXPECT_EQ(l.errors[0].line, line) << l.text();
  EXPECT_EQ(l.errors[0].column, col) << l.text();
  EXPECT_THAT(l.errors[0].message, HasSubstr(fragment));
}

// `999999999999bd` x 24h overflowed 64 bits in the loader (undefined
// behaviour) and the policy validated.
TEST(CountedTimeBounds, BusinessDaysTimesDayLengthIsChecked) {
  expect_error_at(plan_with("{within: 999999999999bd}"), "999999999999bd",
                  "plans.pro.severities.P0.response.within: '999999999999bd' is longer than 1000 years "
                  "(999999999999 x the calendar's day_length of 1d)");
  // Within 64 bits but past the bound: a long day_length.
  expect_error_at(kHead +
                      "calendars:\n  long: {timezone: UTC, hours: {daily: [\"00:00-24:00\"]}, day_length: 100000d}\n"
                      "plans:\n  pro:\n    default_calendar: long\n    severities: {P0: {response: {within: 4bd}}}\n",
                  "4bd", "'4bd' is longer than 1000 years");
  load_ok(plan_with("{within: 365000bd}"));  // 999 years of 24x7 days
}

TEST(CountedTimeBounds, EveryDurationIsChecked) {
  const std::string huge = "999999999999h";  // 3.6e18 ms: fits in 64 bits, 114 million years
  expect_error_at(plan_with("{within: " + huge + "}"), huge, "within: duration '" + huge + "' is longer than 1000 years");
  expect_error_at(plan_with("{within: 1h, warnings: [-" + huge + "]}"), "-" + huge, "is longer than 1000 years");
  expect_error_at(plan_with("{within: 1h, after_breach: {repeat: " + huge + ", times: 1}}"), huge,
                  "after_breach.repeat: duration '" + huge + "' is longer than 1000 years");
  expect_error_at(plan_with("{within: 1h}") + "escalations:\n  - steps: [{at: " + huge + ", notify: [x]}]\n", huge,
                  "is longer than 1000 years");
  expect_error_at(plan_with("{within: 1h}") + "escalations:\n  - steps: [{at: breach+" + huge + ", notify: [x]}]\n",
                  "breach+", "is longer than 1000 years");
  expect_error_at(kHead + "paging:\n  targets:\n    t: {member: x, ack_timeout: " + huge + "}\n" + 
                      "plans:\n  pro:\n    severities:\n      P0:\n        response: {within: 1h}\n",
                  huge, "ack_timeout: duration '" + huge + "' is longer than 1000 years");
}

// The engine computes target + k x repeat and target + D: each is bounded.
TEST(CountedTimeBounds, RemindersAndBreachStepsAreCheckedAgainstTheirTarget) {
  // 1000 years are 366000d here; 61 x 6000d is all of them, and the 1h target more.
  expect_error_at(plan_with("{within: 1h, after_breach: {repeat: 6000d, times: 61}}"), "{repeat",
                  "the last reminder (61 x 6000d after the deadline of 1h) would be due more than 1000 years");
  load_ok(plan_with("{within: 1h, after_breach: {repeat: 6000d, times: 60}}"));
  // A global after_breach too long for one target: reported at that target.
  expect_error_at(kHead + "after_breach: {repeat: 5000d, times: 50}\nplans:\n  pro:\n    severities:\n"
                          "      P0:\n        response: {within: 200000d}\n        resolution: {within: 1h}\n",
                  "{within: 200000d}", "response: the last reminder (50 x 5000d after the deadline of 200000d)");
  const std::string step = plan_with("{within: 200000d}") + "escalations:\n  - steps: [{at: breach+200000d, notify: [x]}]\n";
  expect_error_at(step, "breach+200000d",
                  "escalations[0]: step 1 (at breach+200000d) would be due more than 1000 years after the clock "
                  "starts for pro/P0/response (200000d)");
}

std::string warnings(int n) {
  std::string w = "[";
  for (int i = 1; i <= n; ++i) w += (i > 1 ? ", " : "") + std::to_string(i) + "%";
  return w + "]";
}

std::string steps(int n) {
  std::string s = "escalations:\n  - name: many\n    match: {metric: response}\n    steps:\n";
  for (int i = 0; i < n; ++i) s += "      - {at: " + std::to_string(i) + "m, notify: [x]}\n";
  return s;
}

// The engine tracks 64 items per clock; the 65th and later never fired,
// silently. Now such a target does not load.
TEST(ClockItems, MoreThanTheEngineTracksIsALoadError) {
  // 10 warnings + breach + 20 reminders + 33 steps = 64: fine.
  load_ok(plan_with("{within: 1d, warnings: " + warnings(10) + ", after_breach: {repeat: 1h, times: 20}}") + steps(33));
  const std::string yaml =
      plan_with("{within: 1d, warnings: " + warnings(10) + ", after_breach: {repeat: 1h, times: 20}}") + steps(34);
  expect_error_at(yaml, "{within: 1d",
                  "plans.pro.severities.P0.response: a clock tracks at most 64 warnings, breach, reminders and "
                  "escalation steps; this one has 65 (10 warnings, 1 breach, 20 reminders, 34 steps)");
  // Reminders alone, and a split target: each variant is counted.
  expect_error_at(plan_with("{within: 1h, after_breach: {repeat: 1h, times: 64}}"), "{within",
                  "65 (0 warnings, 1 breach, 64 reminders, 0 steps)");
  expect_error_at(plan_with("{in_hours: {within: 1h}, after_hours: {within: 2h, after_breach: {repeat: 1h, times: 70}}}"),
                  "{within: 2h", "response.after_hours: a clock tracks at most 64");
  // An open-ended clock has only steps.
  load_ok(plan_with("{within: none}") + steps(64));
  expect_error_at(plan_with("{within: none}") + steps(65), "{within: none}", "65 (0 warnings, no breach, 0 reminders, 65 steps)");
}

std::string rotation_zone(const std::string& zone) {
  return kHead + "paging:\n  rotations:\n    r: {timezone: \"" + zone + "\", members: [a]}\n" +
         "plans:\n  pro:\n    severities:\n      P0:\n        response: {within: 1h}\n";
}

// abseil takes a zone name as a file path: an absolute path or one climbing
// out of the zoneinfo folder loaded (and a FIFO would hang the loader).
TEST(TimeZones, RotationZonesAreIanaNamesNotPaths) {
  load_ok(rotation_zone("America/Argentina/Buenos_Aires"));
  for (const std::string zone : {"/usr/share/zoneinfo/UTC", "../../../usr/share/zoneinfo/UTC", "/etc/passwd", ":UTC"}) {
    expect_error_at(rotation_zone(zone), "\"" + zone, "paging.rotations.r.timezone: '" + zone + "' is not an IANA time zone name");
  }
  expect_error_at(rotation_zone("Mars/Olympus_Mons"), "\"Mars", "unknown time zone 'Mars/Olympus_Mons'");
}

}  // namespace
}  // namespace sla::policy
