// Every policy construct loads into the typed model and the lookups the
// engine uses answer from it.
#include <gtest/gtest.h>

#include "sla/calendar/calendar.hpp"
#include "sla/policy/loader.hpp"
#include "test_util.hpp"

namespace sla::policy {
namespace {

using testing::load;
using testing::load_ok;

constexpr std::int64_t kMin = 60'000;
constexpr std::int64_t kHour = 60 * kMin;

EpochMillis at(const char* rfc3339) { return *calendar::parse_rfc3339(rfc3339); }

// A policy using every construct of SPEC 3.
constexpr const char* kFull = R"(version: 1
policy_id: full
description: everything
calendars:
  mx-business:
    timezone: America/Mexico_City
    hours: {mon-fri: ["09:00-18:00"]}
    day_length: 9h
    holidays:
      - {name: "Good Friday", easter: -2}
  eu:
    timezone: Europe/Warsaw
    hours: {mon-fri: ["08:00-16:00"]}
plans:
  enterprise:
    severities:
      P0:
        response:   {within: 15m, calendar: 24x7}
        resolution: {within: 4h,  calendar: 24x7, after_breach: {repeat: 15m, times: 2}}
        update:     {every: 30m,  calendar: 24x7, pause_on: [on_hold]}
        workaround: {within: none}
      P1:
        response:   {within: 1h,  calendar: mx-business, pause_on: [pending_customer], warnings: [80%]}
  starter:
    default_calendar: mx-business
    description: small customers
    severities:
      P1:
        response:
          in_hours:    {within: 30m}
          after_hours: {within: 2h, calendar: 24x7}
        resolution: {within: 2bd}
      P2:
        response:
          in_hours:    {within: 4h}
          after_hours: {within: nbd}
          hours_calendar: eu
      P3: {}
warnings: [50%, 75%, 90%, -30m]
after_breach: {repeat: 1h, times: 3}
pause_on: [pending_customer, on_hold]
on_retarget: restart
on_reopen: {resolution: restart, response: ignore}
escalations:
  - match: {plan: enterprise, severity: P0, metric: resolution}
    steps:
      - {at: 30m, notify: [founder, cto], page: true}
      - {at: 75%, notify: [t2]}
      - {at: breach, notify: [t3], page: true}
      - {at: breach+1h, notify: [management]}
  - name: all-p1
    match: {severity: [P1]}
    steps:
      - {at: 50%, notify: lead}
paging:
  rotations:
    primary:
      timezone: America/Mexico_City
      members: [ana, luis, sofia]
      shift: 1w
      handoff: {weekday: mon, time: "10:00"}
      overrides: [{member: luis, from: "2026-12-24T00:00", to: "2026-12-26T00:00"}]
    secondary:
      timezone: America/Mexico_City
      members: [marta, pablo]
      handoff: {time: "10:00"}
  targets:
    t3: {rotation: primary, ack_timeout: 10m, then: {rotation: secondary, ack_timeout: 10m}, repeat: 2}
    founder: {member: founder, ack_timeout: 5m}
    cto: {member: cto, ack_timeout: 5m, then: [{rotation: primary, ack_timeout: 10m}, {member: ceo, ack_timeout: 1h}]}
)";

TEST(Loader, FullPolicyLoads) {
  auto p = load_ok(kFull);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->id(), "full");
  EXPECT_EQ(p->version(), 1);
  EXPECT_TRUE(p->has_plan("enterprise"));
  EXPECT_FALSE(p->has_plan("gold"));
  EXPECT_TRUE(p->has_severity("starter", "P3"));
  EXPECT_FALSE(p->has_severity("starter", "P0"));
  EXPECT_FALSE(p->has_severity("gold", "P0"));
  EXPECT_EQ(p->plan("starter")->severity_order, (std::vector<std::string>{"P1", "P2", "P3"}));
  EXPECT_EQ(p->summary(),
            "policy full v1: 2 plans, 5 severities, 10 targets, 2 calendars, 2 escalation ladders (5 steps), "
            "2 rotations, 3 paging targets");
}

TEST(Loader, TargetsResolveCalendarsAndDurations) {
  auto p = load_ok(kFull);
  ASSERT_NE(p, nullptr);
  const Target* r = p->target("enterprise", "P0", Metric::kResponse, true);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->duration, calendar::Duration::fixed(15 * kMin));
  EXPECT_EQ(r->duration_text, "15m");
  EXPECT_EQ(r->calendar_name, "24x7");
  ASSERT_NE(r->calendar, nullptr);
  EXPECT_TRUE(r->calendar->always_open());
  EXPECT_FALSE(r->recurring);
  EXPECT_FALSE(r->open_ended);
  EXPECT_EQ(r->variant, Variant::kAlways);

  // A plan without default_calendar falls back to 24x7.
  const Target* w = p->target("enterprise", "P0", Metric::kWorkaround, true);
  ASSERT_NE(w, nullptr);
  EXPECT_TRUE(w->open_ended);
  EXPECT_EQ(w->calendar_name, "24x7");
  EXPECT_TRUE(w->warnings.empty());      // nothing to warn about
  EXPECT_EQ(w->after_breach.times, 0);   // never breached

  const Target* u = p->target("enterprise", "P0", Metric::kUpdate, false);
  ASSERT_NE(u, nullptr);
  EXPECT_TRUE(u->recurring);
  EXPECT_EQ(u->duration.millis, 30 * kMin);

  // default_calendar and business days.
  const Target* res = p->target("starter", "P1", Metric::kResolution, true);
  ASSERT_NE(res, nullptr);
  EXPECT_EQ(res->calendar_name, "mx-business");
  EXPECT_EQ(res->duration, calendar::Duration::bd(2));
  EXPECT_EQ(res->calendar->name(), "mx-business");

  // No target for a metric, an unknown severity or plan.
  EXPECT_EQ(p->target("enterprise", "P1", Metric::kUpdate, true), nullptr);
  EXPECT_EQ(p->target("starter", "P3", Metric::kResponse, true), nullptr);
  EXPECT_EQ(p->target("starter", "P9", Metric::kResponse, true), nullptr);
  EXPECT_EQ(p->target("gold", "P0", Metric::kResponse, true), nullptr);
}

TEST(Loader, InHoursAndAfterHoursVariants) {
  auto p = load_ok(kFull);
  ASSERT_NE(p, nullptr);
  const MetricTargets* mt = p->targets("starter", "P1", Metric::kResponse);
  ASSERT_NE(mt, nullptr);
  ASSERT_TRUE(mt->split());
  EXPECT_EQ(mt->hours_calendar_name, "mx-business");  // the in-hours target's calendar

  const Target* in = p->target("starter", "P1", Metric::kResponse, true);
  const Target* after = p->target("starter", "P1", Metric::kResponse, false);
  ASSERT_NE(in, nullptr);
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(in->variant, Variant::kInHours);
  EXPECT_EQ(in->duration.millis, 30 * kMin);
  EXPECT_EQ(in->calendar_name, "mx-business");
  EXPECT_EQ(after->variant, Variant::kAfterHours);
  EXPECT_EQ(after->duration.millis, 2 * kHour);
  EXPECT_EQ(after->calendar_name, "24x7");

  // target_at decides with the hours calendar at open time.
  // Tuesday 2026-03-03 12:00 in Mexico City (UTC-6) is open; 20:00 is not.
  EXPECT_EQ(p->target_at("starter", "P1", Metric::kResponse, at("2026-03-03T18:00:00Z")), in);
  EXPECT_EQ(p->target_at("starter", "P1", Metric::kResponse, at("2026-03-04T02:00:00Z")), after);
  // Good Friday 2026-04-03 is a holiday: after hours.
  EXPECT_EQ(p->target_at("starter", "P1", Metric::kResponse, at("2026-04-03T18:00:00Z")), after);

  // hours_calendar overrides: P2 in-hours is decided on `eu`.
  const MetricTargets* p2 = p->targets("starter", "P2", Metric::kResponse);
  ASSERT_NE(p2, nullptr);
  EXPECT_EQ(p2->hours_calendar_name, "eu");
  EXPECT_EQ(p2->after_hours->duration, calendar::Duration::nbd());
  // 2026-03-03 07:30Z = 08:30 Warsaw (open) but 01:30 Mexico City (closed).
  EXPECT_EQ(p->target_at("starter", "P2", Metric::kResponse, at("2026-03-03T07:30:00Z"))->variant, Variant::kInHours);
  EXPECT_EQ(p->target_at("starter", "P2", Metric::kResponse, at("2026-03-03T16:30:00Z"))->variant,
            Variant::kAfterHours);
  // Unsplit metrics ignore the flag.
  EXPECT_EQ(p->target("enterprise", "P0", Metric::kResponse, false)->variant, Variant::kAlways);
}

TEST(Loader, EffectivePauseWarningsAndReminders) {
  auto p = load_ok(kFull);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->pause_on(), (std::vector<std::string>{"pending_customer", "on_hold"}));
  // response never pauses unless its target says so.
  EXPECT_TRUE(p->target("enterprise", "P0", Metric::kResponse, true)->pause_on.empty());
  EXPECT_EQ(p->target("enterprise", "P1", Metric::kResponse, true)->pause_on,
            (std::vector<std::string>{"pending_customer"}));
  // the others take the global list unless they have their own.
  EXPECT_EQ(p->target("enterprise", "P0", Metric::kResolution, true)->pause_on, p->pause_on());
  EXPECT_TRUE(p->target("enterprise", "P0", Metric::kResolution, true)->pauses_on("pending_customer"));
  EXPECT_EQ(p->target("enterprise", "P0", Metric::kUpdate, true)->pause_on, (std::vector<std::string>{"on_hold"}));

  ASSERT_EQ(p->warnings().size(), 4U);
  EXPECT_EQ(p->warnings()[3].text, "-30m");
  // Global warnings; the -30m one is dropped for targets of 30m or less.
  const auto& w4h = p->target("enterprise", "P0", Metric::kResolution, true)->warnings;
  ASSERT_EQ(w4h.size(), 4U);
  const auto& w15 = p->target("enterprise", "P0", Metric::kResponse, true)->warnings;
  ASSERT_EQ(w15.size(), 3U);
  EXPECT_EQ(w15.back().text, "90%");
  // Per-target warnings replace the global ones.
  const auto& own = p->target("enterprise", "P1", Metric::kResponse, true)->warnings;
  ASSERT_EQ(own.size(), 1U);
  EXPECT_EQ(own[0].percent, 8000);

  EXPECT_EQ(p->after_breach().times, 3);
  EXPECT_EQ(p->after_breach().repeat_ms, kHour);
  EXPECT_EQ(p->target("enterprise", "P0", Metric::kResponse, true)->after_breach.times, 3);
  const auto& ab = p->target("enterprise", "P0", Metric::kResolution, true)->after_breach;
  EXPECT_EQ(ab.times, 2);
  EXPECT_EQ(ab.repeat_ms, 15 * kMin);
  EXPECT_EQ(ab.repeat_text, "15m");
}

TEST(Loader, RetargetAndReopen) {
  auto p = load_ok(kFull);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->on_retarget(), OnRetarget::kRestart);
  EXPECT_EQ(p->on_reopen(Metric::kResolution), ReopenAction::kRestart);
  EXPECT_EQ(p->on_reopen(Metric::kResponse), ReopenAction::kIgnore);
  // not named: defaults
  EXPECT_EQ(p->on_reopen(Metric::kUpdate), ReopenAction::kRestart);
  EXPECT_EQ(p->on_reopen(Metric::kWorkaround), ReopenAction::kResume);
}

TEST(Loader, DefaultsWhenOptionalSectionsAreAbsent) {
  auto p = load_ok("version: 1\npolicy_id: tiny\nplans: {basic: {severities: {low: {response: {within: 1d}}}}}\n");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->on_retarget(), OnRetarget::kKeepElapsed);
  for (Metric m : kAllMetrics) EXPECT_EQ(p->on_reopen(m), default_reopen(m));
  EXPECT_TRUE(p->warnings().empty());
  EXPECT_EQ(p->after_breach().times, 0);
  EXPECT_TRUE(p->escalations().empty());
  EXPECT_TRUE(p->rotations().empty());
  EXPECT_EQ(p->calendars().names(), (std::vector<std::string>{"24x7"}));
  const Target* t = p->target("basic", "low", Metric::kResponse, true);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->duration.millis, 24 * kHour);
  EXPECT_TRUE(p->escalation_steps("basic", "low", Metric::kResponse).empty());
  EXPECT_TRUE(p->escalation_steps("nope", "low", Metric::kResponse).empty());
}

TEST(Loader, EscalationStepsInLadderOrder) {
  auto p = load_ok(kFull);
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(p->escalations().size(), 2U);
  EXPECT_EQ(p->escalations()[0].name, "escalations[0]");
  EXPECT_EQ(p->escalations()[1].name, "all-p1");

  auto steps = p->escalation_steps("enterprise", "P0", Metric::kResolution);
  ASSERT_EQ(steps.size(), 4U);
  EXPECT_EQ(steps[0]->id, "escalations[0]/1");
  EXPECT_EQ(steps[0]->at.kind, StepAt::Kind::kElapsed);
  EXPECT_EQ(steps[0]->at.elapsed_ms, 30 * kMin);
  EXPECT_TRUE(steps[0]->page);
  EXPECT_EQ(steps[0]->notify, (std::vector<std::string>{"founder", "cto"}));
  ASSERT_EQ(steps[0]->pages.size(), 2U);
  EXPECT_EQ(steps[0]->pages[0]->name, "founder");
  EXPECT_EQ(steps[1]->at.kind, StepAt::Kind::kPercent);
  EXPECT_EQ(steps[1]->at.percent, 7500);
  EXPECT_FALSE(steps[1]->page);
  EXPECT_TRUE(steps[1]->pages.empty());
  EXPECT_EQ(steps[2]->at.kind, StepAt::Kind::kBreach);
  EXPECT_EQ(steps[2]->at.after_breach_ms, 0);
  EXPECT_EQ(steps[2]->pages.at(0)->name, "t3");
  EXPECT_EQ(steps[3]->at.after_breach_ms, kHour);
  EXPECT_EQ(steps[3]->index, 3U);
  EXPECT_EQ(steps[3]->ladder, 0U);

  // `match` with only a severity applies to every plan and metric with it.
  auto p1 = p->escalation_steps("starter", "P1", Metric::kResolution);
  ASSERT_EQ(p1.size(), 1U);
  EXPECT_EQ(p1[0]->id, "all-p1/1");
  EXPECT_EQ(p1[0]->notify, (std::vector<std::string>{"lead"}));  // a scalar is a list of one
  EXPECT_EQ(p->escalation_steps("enterprise", "P1", Metric::kResponse).size(), 1U);
  EXPECT_TRUE(p->escalation_steps("enterprise", "P0", Metric::kResponse).empty());
}

TEST(Loader, StepsOfSeveralLaddersAreConcatenatedInLadderOrder) {
  auto p = load_ok(R"(version: 1
policy_id: two
plans: {pro: {severities: {P0: {resolution: {within: 4h}}}}}
escalations:
  - name: b
    match: {metric: resolution}
    steps: [{at: 1h, notify: [x]}, {at: breach, notify: [y]}]
  - name: a
    match: {plan: pro}
    steps: [{at: 10m, notify: [z]}]
)");
  ASSERT_NE(p, nullptr);
  auto steps = p->escalation_steps("pro", "P0", Metric::kResolution);
  ASSERT_EQ(steps.size(), 3U);
  EXPECT_EQ(steps[0]->id, "b/1");
  EXPECT_EQ(steps[1]->id, "b/2");
  EXPECT_EQ(steps[2]->id, "a/1");
}

TEST(Loader, PagingTargetsAndChains) {
  auto p = load_ok(kFull);
  ASSERT_NE(p, nullptr);
  const PagingTarget* t3 = p->paging_target("t3");
  ASSERT_NE(t3, nullptr);
  EXPECT_EQ(t3->repeat, 2);
  ASSERT_EQ(t3->levels.size(), 2U);
  EXPECT_EQ(t3->levels[0].rotation_name, "primary");
  EXPECT_EQ(t3->levels[0].rotation, p->rotation("primary"));
  EXPECT_EQ(t3->levels[0].ack_timeout_ms, 10 * kMin);
  EXPECT_EQ(t3->levels[1].rotation, p->rotation("secondary"));

  const PagingTarget* cto = p->paging_target("cto");
  ASSERT_NE(cto, nullptr);
  EXPECT_EQ(cto->repeat, 0);
  ASSERT_EQ(cto->levels.size(), 3U);
  EXPECT_EQ(cto->levels[0].member, "cto");
  EXPECT_EQ(cto->levels[0].responder(0), "cto");
  EXPECT_EQ(cto->levels[1].rotation_name, "primary");
  EXPECT_EQ(cto->levels[2].member, "ceo");
  EXPECT_EQ(cto->levels[2].ack_timeout_ms, kHour);
  EXPECT_EQ(p->paging_target("management"), nullptr);  // a plain recipient

  const Rotation* sec = p->rotation("secondary");
  ASSERT_NE(sec, nullptr);
  EXPECT_EQ(sec->shift_text, "1w");  // default shift
  EXPECT_EQ(sec->handoff_text, "mon 10:00");  // whole weeks: Monday by default
  // Christmas override on primary, in Mexico City time.
  EXPECT_EQ(*p->on_call("primary", at("2026-12-24T06:00:00Z")), "luis");
  EXPECT_EQ(p->on_call("tertiary", 0).error().code, ErrorCode::kNotFound);
}

TEST(Loader, IcsImportReadsThroughTheInjectedReader) {
  const std::string ics =
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:1@t\r\nDTSTAMP:20260101T000000Z\r\n"
      "DTSTART;VALUE=DATE:20260302\r\nSUMMARY:Closed\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
  auto l = load(R"(version: 1
policy_id: ics
calendars:
  biz: {timezone: UTC, hours: {mon-fri: ["09:00-17:00"]}, ics: holidays.ics}
plans: {p: {default_calendar: biz, severities: {s: {response: {within: 1h}}}}}
)",
                {{"holidays.ics", ics}});
  ASSERT_TRUE(l.errors.empty()) << l.text();
  ASSERT_NE(l.policy, nullptr);
  EXPECT_TRUE(l.policy->calendar("biz")->is_holiday({2026, 3, 2}));
}

TEST(Loader, AnchorsAndAliasesWork) {
  auto p = load_ok(R"(version: 1
policy_id: yaml-features
plans:
  a:
    severities:
      P1: &t {response: {within: 1h}, resolution: {within: 8h}}
      P2: *t
)");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->target("a", "P2", Metric::kResolution, true)->duration.millis, 8 * kHour);
}

}  // namespace
}  // namespace sla::policy
