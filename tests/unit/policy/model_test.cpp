// Metric names, percent/threshold/step parsers and the small model helpers.
#include <gtest/gtest.h>

#include "sla/policy/metric.hpp"
#include "sla/policy/model.hpp"

namespace sla::policy {
namespace {

constexpr std::int64_t kMin = 60'000;

TEST(Metric, NamesRoundTrip) {
  for (Metric m : kAllMetrics) {
    auto parsed = parse_metric(to_string(m));
    ASSERT_TRUE(parsed.has_value()) << to_string(m);
    EXPECT_EQ(*parsed, m);
  }
  EXPECT_EQ(to_string(Metric::kResponse), "response");
  EXPECT_EQ(to_string(Metric::kUpdate), "update");
  EXPECT_EQ(to_string(Metric::kWorkaround), "workaround");
  EXPECT_EQ(to_string(Metric::kResolution), "resolution");
  EXPECT_FALSE(parse_metric("Response").has_value());
  EXPECT_FALSE(parse_metric("").has_value());
  EXPECT_EQ(index(Metric::kResolution), 3U);
}

TEST(Percent, ParsesWholeAndDecimal) {
  EXPECT_EQ(*parse_percent("75%"), 7500);
  EXPECT_EQ(*parse_percent("87.5%"), 8750);
  EXPECT_EQ(*parse_percent("0.25%"), 25);
  EXPECT_EQ(*parse_percent("100%"), 10000);
  EXPECT_EQ(*parse_percent("0%"), 0);
}

TEST(Percent, RejectsMalformed) {
  for (const char* bad : {"75", "%", "-5%", "7 5%", "75 %", "1.234%", "abc%", "101%", ".5%", "5.%", "+5%"}) {
    EXPECT_FALSE(parse_percent(bad).has_value()) << bad;
  }
}

TEST(PercentOf, ExactIntegerArithmetic) {
  EXPECT_EQ(percent_of(4 * 60 * kMin, 7500), 3 * 60 * kMin);
  EXPECT_EQ(percent_of(15 * kMin, 5000), 7 * kMin + 30'000);
  EXPECT_EQ(percent_of(3, 5000), 1);  // rounds down
  // No overflow for very long targets (a year of counted time).
  const std::int64_t year = 365LL * 24 * 60 * kMin;
  EXPECT_EQ(percent_of(year, 10000), year);
  EXPECT_EQ(percent_of(year, 2500), year / 4);
}

TEST(Threshold, PercentAndBeforeDeadline) {
  auto p = parse_threshold("75%");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->kind, Threshold::Kind::kPercent);
  EXPECT_EQ(p->percent, 7500);
  EXPECT_EQ(p->text, "75%");
  EXPECT_EQ(p->fire_at(4 * 60 * kMin), 3 * 60 * kMin);

  auto b = parse_threshold("-30m");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->kind, Threshold::Kind::kBeforeDeadline);
  EXPECT_EQ(b->before_ms, 30 * kMin);
  EXPECT_EQ(b->text, "-30m");
  EXPECT_EQ(b->fire_at(4 * 60 * kMin), 210 * kMin);
  EXPECT_EQ(b->fire_at(10 * kMin), 0);  // clamped

  EXPECT_EQ(parse_threshold("-1h30m")->before_ms, 90 * kMin);
}

TEST(Threshold, RejectsNonsense) {
  for (const char* bad : {"0%", "100%", "150%", "-0m", "-2bd", "-nbd", "30m", "", "-", "soon"}) {
    EXPECT_FALSE(parse_threshold(bad).has_value()) << bad;
  }
}

TEST(StepAt, AllForms) {
  auto pct = parse_step_at("75%");
  ASSERT_TRUE(pct.has_value());
  EXPECT_EQ(pct->kind, StepAt::Kind::kPercent);
  EXPECT_EQ(pct->due_at(4 * 60 * kMin), 180 * kMin);
  EXPECT_EQ(pct->due_at(std::nullopt), std::nullopt);  // open-ended: never

  auto el = parse_step_at("30m");
  ASSERT_TRUE(el.has_value());
  EXPECT_EQ(el->kind, StepAt::Kind::kElapsed);
  EXPECT_EQ(el->due_at(std::nullopt), 30 * kMin);

  auto zero = parse_step_at("0m");
  ASSERT_TRUE(zero.has_value());
  EXPECT_EQ(zero->elapsed_ms, 0);

  auto br = parse_step_at("breach");
  ASSERT_TRUE(br.has_value());
  EXPECT_EQ(br->kind, StepAt::Kind::kBreach);
  EXPECT_EQ(br->due_at(60 * kMin), 60 * kMin);

  auto late = parse_step_at("breach+1h");
  ASSERT_TRUE(late.has_value());
  EXPECT_EQ(late->after_breach_ms, 60 * kMin);
  EXPECT_EQ(late->due_at(60 * kMin), 120 * kMin);
  EXPECT_EQ(late->text, "breach+1h");
}

TEST(StepAt, RejectsNonsense) {
  for (const char* bad : {"breach-1h", "breach+", "breach+2bd", "breached", "100%", "0%", "2bd", "nbd", "soon", ""}) {
    EXPECT_FALSE(parse_step_at(bad).has_value()) << bad;
  }
}

TEST(Reopen, DefaultsAreDocumented) {
  EXPECT_EQ(default_reopen(Metric::kResponse), ReopenAction::kIgnore);
  EXPECT_EQ(default_reopen(Metric::kUpdate), ReopenAction::kRestart);
  EXPECT_EQ(default_reopen(Metric::kWorkaround), ReopenAction::kResume);
  EXPECT_EQ(default_reopen(Metric::kResolution), ReopenAction::kResume);
  EXPECT_EQ(to_string(ReopenAction::kIgnore), "ignore");
  EXPECT_EQ(to_string(OnRetarget::kKeepElapsed), "keep_elapsed");
}

TEST(EscalationMatch, EmptyFieldsMatchAnything) {
  EscalationMatch any;
  EXPECT_TRUE(any.matches("pro", "P0", Metric::kUpdate));
  EscalationMatch m{{"pro", "enterprise"}, {"P0"}, {Metric::kResolution}, std::nullopt};
  EXPECT_TRUE(m.matches("pro", "P0", Metric::kResolution));
  EXPECT_FALSE(m.matches("starter", "P0", Metric::kResolution));
  EXPECT_FALSE(m.matches("pro", "P1", Metric::kResolution));
  EXPECT_FALSE(m.matches("pro", "P0", Metric::kResponse));
}

TEST(Target, PausesOn) {
  Target t;
  t.pause_on = {"pending_customer", "on_hold"};
  EXPECT_TRUE(t.pauses_on("on_hold"));
  EXPECT_FALSE(t.pauses_on("open"));
}

}  // namespace
}  // namespace sla::policy
