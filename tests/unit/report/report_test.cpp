// sla::report: the ledger counts each clock once, the figures follow the
// nearest-rank rule with breached clocks last, and the renderings escape.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sla/report/report.hpp"

namespace sla::report {
namespace {

using engine::MetricKind;
using engine::SlaKind;
using engine::SlaOutput;

constexpr EpochMillis kH = 3'600'000;
// Times in the helpers are offsets from kBase (a started_at of 0 means "not
// in the log").
constexpr EpochMillis kBase = kH;

SlaOutput ev(const std::string& ticket, SlaKind kind, EpochMillis started, EpochMillis fired, std::int64_t elapsed,
             std::uint32_t reminder = 0) {
  SlaOutput o;
  o.ticket_id = ticket;
  o.tenant_id = "acme";
  o.plan = "pro";
  o.severity = "P1";
  o.metric = MetricKind::kResponse;
  o.kind = kind;
  o.started_at = kBase + started;
  o.fired_at = kBase + fired;
  o.deadline = kBase + started + 4 * kH;
  o.elapsed_ms = elapsed;
  o.target_ms = 4 * kH;
  o.reminder = reminder;
  o.event_id = ticket + "/response/0/" + std::string(engine::to_string(kind)) + "/" + std::to_string(reminder);
  return o;
}

Query month() {
  Query q;
  q.from = 0;
  q.to = 1000 * kH;
  return q;
}

TEST(Ledger, CountsEachOutcomeOnceWhateverTheLogRepeats) {
  Ledger l;
  EXPECT_TRUE(l.add(ev("T1", SlaKind::kMet, 0, kH, kH)));
  EXPECT_FALSE(l.add(ev("T1", SlaKind::kMet, 0, kH, kH)));  // a duplicate
  EXPECT_TRUE(l.add(ev("T2", SlaKind::kWarning, 0, 2 * kH, 2 * kH)));
  EXPECT_TRUE(l.add(ev("T2", SlaKind::kBreached, 0, 4 * kH, 4 * kH)));
  EXPECT_FALSE(l.add(ev("T2", SlaKind::kBreached, 0, 5 * kH, 5 * kH, 1)));  // a reminder is no new breach
  EXPECT_FALSE(l.add(ev("T2", SlaKind::kBreached, 0, 4 * kH, 4 * kH)));
  const Report r = compute(l.clocks(), month());
  ASSERT_EQ(r.groups.size(), 1U);
  EXPECT_EQ(r.groups[0].started, 2U);
  EXPECT_EQ(r.groups[0].met, 1U);
  EXPECT_EQ(r.groups[0].breached, 1U);
  ASSERT_TRUE(r.groups[0].pct_met);
  EXPECT_DOUBLE_EQ(*r.groups[0].pct_met, 50.0);
  ASSERT_EQ(r.groups[0].breaches.size(), 1U);
  EXPECT_EQ(r.groups[0].breaches[0].link, "/ticket?id=T2");
}

TEST(Ledger, PastItsBoundDropsAndSaysSo) {
  Ledger l(1);
  EXPECT_TRUE(l.add(ev("T1", SlaKind::kMet, 0, kH, kH)));
  EXPECT_FALSE(l.add(ev("T2", SlaKind::kMet, 0, kH, kH)));
  EXPECT_EQ(l.dropped(), 1U);
  EXPECT_EQ(l.clocks().size(), 1U);
  const auto j = nlohmann::json::parse(to_json(compute(l.clocks(), month(), l.dropped() == 0)));
  EXPECT_FALSE(j["complete"].get<bool>());
}

TEST(Compute, NearestRankWithBreachedClocksLast) {
  Ledger l;
  // Met after 1h, 2h, 3h (wall 1h, 5h, 3h); one breach.
  l.add(ev("A", SlaKind::kMet, 0, kH, kH));
  l.add(ev("B", SlaKind::kMet, 0, 5 * kH, 2 * kH));
  l.add(ev("C", SlaKind::kMet, 0, 3 * kH, 3 * kH));
  l.add(ev("D", SlaKind::kBreached, 0, 4 * kH, 4 * kH));
  const Report r = compute(l.clocks(), month());
  const Group& g = r.groups.at(0);
  // n = 4: median rank 2, p90 rank ceil(3.6) = 4 (the breach).
  EXPECT_EQ(g.business.median.ms, 2 * kH);
  EXPECT_FALSE(g.business.median.over_target);
  EXPECT_FALSE(g.business.p90.ms);
  EXPECT_TRUE(g.business.p90.over_target);
  EXPECT_EQ(g.wall.median.ms, 3 * kH);  // wall (1h, 3h, 5h): rank 2
}

TEST(Compute, PeriodTenantAndGrouping) {
  Ledger l;
  l.add(ev("A", SlaKind::kMet, 0, kH, kH));
  SlaOutput other = ev("B", SlaKind::kMet, 10 * kH, 11 * kH, kH);
  other.tenant_id = "globex";
  other.severity = "P2";
  l.add(other);
  Query q = month();
  q.from = 5 * kH;  // A started and was met before
  EXPECT_EQ(compute(l.clocks(), q).total.met, 1U);
  q = month();
  q.tenant = "acme";
  EXPECT_EQ(compute(l.clocks(), q).total.met, 1U);
  q = month();
  q.group_by = kByMetric;
  const Report r = compute(l.clocks(), q);
  ASSERT_EQ(r.groups.size(), 1U);
  EXPECT_EQ(r.groups[0].met, 2U);
  EXPECT_EQ(r.groups[0].tenant, "");
  EXPECT_EQ(r.groups[0].metric, "response");
}

TEST(GroupBy, ParsesAndNamesWhatItRejects) {
  EXPECT_EQ(*parse_group_by(""), kAllDimensions);
  EXPECT_EQ(*parse_group_by("tenant,metric"), kByTenant | kByMetric);
  auto bad = parse_group_by("tenant,colour");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("colour"), std::string::npos);
}

TEST(Render, EscapesWhatTicketsAndTenantsCarry) {
  Ledger l;
  SlaOutput o = ev("x&<y>,\"z\"", SlaKind::kBreached, 0, 4 * kH, 4 * kH);
  o.tenant_id = "a,b|c<script>";
  l.add(o);
  const Report r = compute(l.clocks(), month());
  EXPECT_EQ(r.groups.at(0).breaches.at(0).link, "/ticket?id=x%26%3Cy%3E%2C%22z%22");
  const std::string html = to_html(r);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("a,b|c&lt;script&gt;"), std::string::npos);
  EXPECT_NE(to_csv(r).find("\"a,b|c<script>\""), std::string::npos);
  EXPECT_NE(to_markdown(r).find("a,b\\|c\\<script>"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(to_json(r))["groups"][0]["tenant"], "a,b|c<script>");
}

TEST(Render, Durations) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(90 * 60'000), "1h30m");
  EXPECT_EQ(format_duration(26 * kH + 5000), "1d2h5s");
}

}  // namespace
}  // namespace sla::report
