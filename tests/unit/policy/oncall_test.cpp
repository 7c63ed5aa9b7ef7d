// On-call lookup: weekly and sub-daily handoffs at local wall-clock times,
// DST spring/fall weeks in America/New_York and Europe/Warsaw (handoffs in
// the gap move forward, in the fold take the first occurrence), overrides,
// and a brute-force comparison against handoff instants built one by one.
#include <gtest/gtest.h>

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include "sla/calendar/calendar.hpp"
#include "sla/policy/loader.hpp"
#include "test_util.hpp"

namespace sla::policy {
namespace {

using testing::load_ok;

constexpr std::int64_t kHour = 3'600'000;

EpochMillis at(const char* rfc3339) { return *calendar::parse_rfc3339(rfc3339); }

constexpr const char* kRotations = R"(version: 1
policy_id: oncall
plans: {p: {severities: {s: {response: {within: 1h}}}}}
paging:
  rotations:
    ny:
      timezone: America/New_York
      members: [a, b, c]
      shift: 1w
      handoff: {weekday: mon, time: "10:00"}
      start: "2026-01-05"
      overrides:
        - {member: luis, from: "2026-12-24T00:00", to: "2026-12-26T00:00"}
        - {member: mei, from: "2026-12-25T00:00", to: "2026-12-25T12:00"}
        - {member: zed, from: "2027-01-04T08:00", to: "2027-01-04T12:00"}
    waw-daily:
      timezone: Europe/Warsaw
      members: [x, y]
      shift: 1d
      handoff: {time: "02:30"}
      start: "2026-03-01"
    waw-12h:
      timezone: Europe/Warsaw
      members: [day, night]
      shift: 12h
      handoff: {time: "08:00"}
      start: "2026-01-01"
    utc-default:
      timezone: UTC
      members: [solo]
)";

class OnCall : public ::testing::Test {
 protected:
  void SetUp() override {
    policy_ = load_ok(kRotations);
    ASSERT_NE(policy_, nullptr);
  }
  std::string who(const char* rotation, const char* t) const { return *policy_->on_call(rotation, at(t)); }
  OnCallShift shift(const char* rotation, const char* t) const {
    return policy_->rotation(rotation)->shift_at(at(t));
  }
  std::shared_ptr<const Policy> policy_;
};

TEST_F(OnCall, WeeklyHandoffAtLocalTime) {
  // Monday 2026-01-05 10:00 EST = 15:00Z: a takes over.
  EXPECT_EQ(who("ny", "2026-01-05T14:59:59Z"), "c");  // shift -1: the rotation also runs backwards
  EXPECT_EQ(who("ny", "2026-01-05T15:00:00Z"), "a");
  EXPECT_EQ(who("ny", "2026-01-12T14:59:59Z"), "a");
  EXPECT_EQ(who("ny", "2026-01-12T15:00:00Z"), "b");
  EXPECT_EQ(who("ny", "2026-01-19T15:00:00Z"), "c");
  EXPECT_EQ(who("ny", "2026-01-26T15:00:00Z"), "a");
  EXPECT_EQ(who("ny", "2025-12-29T15:00:00Z"), "c");
  EXPECT_EQ(who("ny", "2025-12-29T14:59:59Z"), "b");
}

TEST_F(OnCall, NewYorkSpringForwardWeek) {
  // DST starts Sunday 2026-03-08. Monday 03-02 10:00 EST = 15:00Z, Monday
  // 03-09 10:00 EDT = 14:00Z: that shift is 167 hours long.
  EXPECT_EQ(who("ny", "2026-03-02T15:00:00Z"), "c");
  EXPECT_EQ(who("ny", "2026-03-09T13:59:59Z"), "c");
  EXPECT_EQ(who("ny", "2026-03-09T14:00:00Z"), "a");
  const OnCallShift s = shift("ny", "2026-03-08T12:00:00Z");
  EXPECT_EQ(s.member, "c");
  EXPECT_EQ(s.from, at("2026-03-02T15:00:00Z"));
  EXPECT_EQ(s.until, at("2026-03-09T14:00:00Z"));
  EXPECT_EQ(s.until - s.from, 167 * kHour);
  EXPECT_FALSE(s.overridden);
}

TEST_F(OnCall, NewYorkFallBackWeek) {
  // DST ends Sunday 2026-11-01. Monday 10-26 10:00 EDT = 14:00Z, Monday 11-02
  // 10:00 EST = 15:00Z: 169 hours.
  EXPECT_EQ(who("ny", "2026-10-26T14:00:00Z"), "a");
  EXPECT_EQ(who("ny", "2026-11-02T14:00:00Z"), "a");  // 09:00 EST: still a
  EXPECT_EQ(who("ny", "2026-11-02T14:59:59Z"), "a");
  EXPECT_EQ(who("ny", "2026-11-02T15:00:00Z"), "b");
  const OnCallShift s = shift("ny", "2026-11-01T06:30:00Z");  // inside the repeated hour
  EXPECT_EQ(s.until - s.from, 169 * kHour);
}

TEST_F(OnCall, WarsawHandoffInsideTheSpringGapMovesForward) {
  // 2026-03-29 02:30 does not exist in Warsaw (02:00 -> 03:00): the handoff
  // happens at 03:30 CEST = 01:30Z. The next day's 02:30 CEST is 00:30Z.
  const OnCallShift before = shift("waw-daily", "2026-03-28T12:00:00Z");
  EXPECT_EQ(before.from, at("2026-03-28T01:30:00Z"));  // 02:30 CET
  EXPECT_EQ(before.until, at("2026-03-29T01:30:00Z"));
  const OnCallShift gap_day = shift("waw-daily", "2026-03-29T12:00:00Z");
  EXPECT_EQ(gap_day.from, at("2026-03-29T01:30:00Z"));
  EXPECT_EQ(gap_day.until, at("2026-03-30T00:30:00Z"));  // 23 hours
  EXPECT_NE(before.member, gap_day.member);
  EXPECT_EQ(who("waw-daily", "2026-03-29T01:29:59Z"), before.member);
  EXPECT_EQ(who("waw-daily", "2026-03-29T01:30:00Z"), gap_day.member);
}

TEST_F(OnCall, WarsawHandoffInsideTheFallFoldTakesTheFirstOccurrence) {
  // 2026-10-25 02:30 happens twice (03:00 CEST -> 02:00 CET): the handoff is
  // at the first, 00:30Z, and the second 02:30 (01:30Z) does not hand back.
  const OnCallShift prev = shift("waw-daily", "2026-10-24T12:00:00Z");
  EXPECT_EQ(prev.until, at("2026-10-25T00:30:00Z"));
  const std::string next = who("waw-daily", "2026-10-25T00:30:00Z");
  EXPECT_NE(next, prev.member);
  EXPECT_EQ(who("waw-daily", "2026-10-25T00:29:59Z"), prev.member);
  EXPECT_EQ(who("waw-daily", "2026-10-25T01:30:00Z"), next);
  EXPECT_EQ(who("waw-daily", "2026-10-25T01:45:00Z"), next);
  const OnCallShift fold_day = shift("waw-daily", "2026-10-25T01:45:00Z");
  EXPECT_EQ(fold_day.from, at("2026-10-25T00:30:00Z"));
  EXPECT_EQ(fold_day.until, at("2026-10-26T01:30:00Z"));  // 25 hours
}

TEST_F(OnCall, TwelveHourShiftsAcrossWarsawDst) {
  // 08:00/20:00 local. Night of 03-28 -> 03-29 is 11 hours; of 10-24 -> 10-25 13.
  const OnCallShift spring = shift("waw-12h", "2026-03-29T01:00:00Z");
  EXPECT_EQ(spring.from, at("2026-03-28T19:00:00Z"));
  EXPECT_EQ(spring.until, at("2026-03-29T06:00:00Z"));
  EXPECT_EQ(spring.member, "night");
  const OnCallShift fall = shift("waw-12h", "2026-10-25T01:00:00Z");
  EXPECT_EQ(fall.until - fall.from, 13 * kHour);
  EXPECT_EQ(fall.member, "night");
  EXPECT_EQ(who("waw-12h", "2026-07-01T06:00:00Z"), "day");     // 08:00 CEST
  EXPECT_EQ(who("waw-12h", "2026-07-01T05:59:59Z"), "night");
  EXPECT_EQ(who("waw-12h", "2026-01-01T07:00:00Z"), "day");     // 08:00 CET on the start date
}

TEST_F(OnCall, OverridesWinAndLastListedWins) {
  // Christmas in New York (EST, UTC-5); scheduled member that week is c.
  EXPECT_EQ(who("ny", "2026-12-24T04:59:59Z"), "c");
  const OnCallShift luis = shift("ny", "2026-12-24T05:00:00Z");
  EXPECT_EQ(luis.member, "luis");
  EXPECT_TRUE(luis.overridden);
  EXPECT_EQ(luis.from, at("2026-12-24T05:00:00Z"));
  EXPECT_EQ(luis.until, at("2026-12-25T05:00:00Z"));  // mei's override starts
  const OnCallShift mei = shift("ny", "2026-12-25T10:00:00Z");
  EXPECT_EQ(mei.member, "mei");
  EXPECT_EQ(mei.from, at("2026-12-25T05:00:00Z"));
  EXPECT_EQ(mei.until, at("2026-12-25T17:00:00Z"));
  EXPECT_EQ(who("ny", "2026-12-25T17:00:00Z"), "luis");
  EXPECT_EQ(who("ny", "2026-12-26T04:59:59Z"), "luis");
  const OnCallShift after = shift("ny", "2026-12-26T05:00:00Z");
  EXPECT_EQ(after.member, "c");
  EXPECT_FALSE(after.overridden);
  EXPECT_EQ(after.from, at("2026-12-26T05:00:00Z"));
  EXPECT_EQ(after.until, at("2026-12-28T15:00:00Z"));  // Monday handoff to a
}

TEST_F(OnCall, OverrideAcrossAHandoff) {
  // zed covers Monday 2027-01-04 08:00-12:00 EST, across the 10:00 handoff (a -> b).
  EXPECT_EQ(who("ny", "2027-01-04T12:59:59Z"), "a");
  EXPECT_EQ(who("ny", "2027-01-04T13:00:00Z"), "zed");
  EXPECT_EQ(who("ny", "2027-01-04T15:30:00Z"), "zed");
  EXPECT_EQ(who("ny", "2027-01-04T17:00:00Z"), "b");
  const OnCallShift s = shift("ny", "2027-01-04T14:00:00Z");
  EXPECT_EQ(s.from, at("2027-01-04T13:00:00Z"));
  EXPECT_EQ(s.until, at("2027-01-04T15:00:00Z"));  // the scheduled handoff is a change point
}

TEST_F(OnCall, DefaultsAndSingleMember) {
  const Rotation* r = policy_->rotation("utc-default");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->shift_minutes, 7 * 24 * 60);
  EXPECT_EQ(r->handoff_text, "mon 00:00");
  EXPECT_EQ(who("utc-default", "1970-01-01T00:00:00Z"), "solo");
  EXPECT_EQ(who("utc-default", "2399-12-31T23:59:59Z"), "solo");
  // 1970-01-05 was the first Monday on or after the default start date.
  EXPECT_EQ(r->shift_at(at("1970-01-05T00:00:00Z")).from, at("1970-01-05T00:00:00Z"));
  EXPECT_EQ(policy_->on_call("nobody", 0).error().code, ErrorCode::kNotFound);
}

TEST(OnCallEdges, OverrideBoundaryInsideADstGapAndUnquotedTimes) {
  auto p = load_ok(R"(version: 1
policy_id: edges
plans: {p: {severities: {s: {response: {within: 1h}}}}}
paging:
  rotations:
    waw:
      timezone: Europe/Warsaw
      members: [x]
      handoff: {weekday: mon, time: 10:00}
      overrides: [{member: cover, from: "2026-03-29T02:30", to: "2026-03-29T12:00"}]
)");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->rotation("waw")->handoff_minute_of_day, 600);
  // 02:30 does not exist on 2026-03-29 in Warsaw: the override starts at
  // 03:30 CEST = 01:30Z and ends 12:00 CEST = 10:00Z.
  const RotationOverride& o = p->rotation("waw")->overrides.at(0);
  EXPECT_EQ(o.from, at("2026-03-29T01:30:00Z"));
  EXPECT_EQ(o.to, at("2026-03-29T10:00:00Z"));
  EXPECT_EQ(*p->on_call("waw", at("2026-03-29T01:29:59Z")), "x");
  EXPECT_EQ(*p->on_call("waw", at("2026-03-29T01:30:00Z")), "cover");
  EXPECT_EQ(*p->on_call("waw", at("2026-03-29T10:00:00Z")), "x");
}

// Reference: handoff instants built one by one from civil times (no index
// arithmetic), and the member found by scanning them.
void check_against_reference(const Rotation& r, absl::CivilMinute first_local, std::int64_t shifts,
                             std::int64_t first_index, EpochMillis from, EpochMillis to, std::int64_t step_ms) {
  std::vector<EpochMillis> handoffs;
  for (std::int64_t k = 0; k <= shifts; ++k) {
    handoffs.push_back(absl::ToUnixMillis(r.tz.At(first_local + k * r.shift_minutes).pre));
  }
  const auto n = static_cast<std::int64_t>(r.members.size());
  for (EpochMillis t = from; t < to; t += step_ms) {
    std::int64_t k = -1;
    while (k + 1 < static_cast<std::int64_t>(handoffs.size()) && handoffs[static_cast<std::size_t>(k + 1)] <= t) ++k;
    ASSERT_GE(k, 0);
    ASSERT_LT(k, shifts);
    const std::int64_t idx = ((first_index + k) % n + n) % n;
    const OnCallShift s = r.shift_at(t);
    ASSERT_EQ(s.member, r.members[static_cast<std::size_t>(idx)]) << "t=" << calendar::format_rfc3339(t);
    ASSERT_EQ(s.from, handoffs[static_cast<std::size_t>(k)]) << "t=" << calendar::format_rfc3339(t);
    ASSERT_EQ(s.until, handoffs[static_cast<std::size_t>(k + 1)]) << "t=" << calendar::format_rfc3339(t);
  }
}

TEST(OnCallReference, MatchesHandoffsBuiltOneByOne) {
  auto p = load_ok(R"(version: 1
policy_id: ref
plans: {p: {severities: {s: {response: {within: 1h}}}}}
paging:
  rotations:
    ny: {timezone: America/New_York, members: [a, b, c], handoff: {weekday: mon, time: "10:00"}, start: "2026-01-05"}
    waw: {timezone: Europe/Warsaw, members: [x, y, z, w], shift: 1d, handoff: {time: "02:30"}, start: "2026-01-01"}
    lhi: {timezone: Australia/Lord_Howe, members: [p, q], shift: 6h, handoff: {time: "02:15"}, start: "2026-01-01"}
)");
  ASSERT_NE(p, nullptr);
  // New York: 2026-01-05 is shift 0; sample every 7 minutes for the year.
  check_against_reference(*p->rotation("ny"), absl::CivilMinute(2026, 1, 5, 10, 0), 53, 0,
                          at("2026-01-05T15:00:00Z"), at("2027-01-01T00:00:00Z"), 7 * 60'000);
  // Warsaw: shift 0 starts 2026-01-01 02:30; every 5 minutes through both DST changes.
  check_against_reference(*p->rotation("waw"), absl::CivilMinute(2026, 1, 1, 2, 30), 366, 0,
                          at("2026-01-01T01:30:00Z"), at("2026-12-31T00:00:00Z"), 5 * 60'000);
  // Lord Howe Island has a 30-minute DST shift (02:00 -> 02:30 in October,
  // 02:00 -> 01:30 in April): 6-hour shifts from 02:15.
  check_against_reference(*p->rotation("lhi"), absl::CivilMinute(2026, 1, 1, 2, 15), 4 * 365, 0,
                          at("2025-12-31T16:00:00Z"), at("2026-12-30T00:00:00Z"), 3 * 60'000);
}

}  // namespace
}  // namespace sla::policy
