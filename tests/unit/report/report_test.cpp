// sla::report: the ledger counts each clock once, the figures follow the
// nearest-rank rule with breached clocks last, and the renderings escape.
#include <algorithm>
#include <cstdint>

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

TEST(Compute, ABreachedClockMetLaterCountsBreachedWithItsTime) {
  Ledger l;
  l.add(ev("A", SlaKind::kMet, 0, kH, kH));
  l.add(ev("D", SlaKind::kBreached, 0, 4 * kH, 4 * kH));
  SlaOutput late = ev("D", SlaKind::kMet, 0, 9 * kH, 6 * kH);  // 6h counted, 9h wall
  late.after_breach = true;
  EXPECT_TRUE(l.add(late));
  EXPECT_FALSE(l.add(late));  // once
  l.add(ev("E", SlaKind::kBreached, 0, 4 * kH, 4 * kH));  // not met (yet)
  const Report r = compute(l.clocks(), month());
  const Group& g = r.groups.at(0);
  EXPECT_EQ(g.met, 1U);
  EXPECT_EQ(g.breached, 2U);
  // n = 3, known (1h, 6h), E last: median rank 2 = 6h, p90 rank 3 = E.
  EXPECT_EQ(g.business.median.ms, 6 * kH);
  EXPECT_TRUE(g.business.p90.over_target);
  EXPECT_EQ(g.wall.median.ms, 9 * kH);
  ASSERT_EQ(g.breaches.size(), 2U);
  // The same log with the met before its breach (a reordered log): the same.
  Ledger r2;
  r2.add(ev("A", SlaKind::kMet, 0, kH, kH));
  r2.add(late);
  r2.add(ev("D", SlaKind::kBreached, 0, 4 * kH, 4 * kH));
  r2.add(ev("E", SlaKind::kBreached, 0, 4 * kH, 4 * kH));
  EXPECT_EQ(to_json(compute(r2.clocks(), month())), to_json(r));
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

TEST(Compute, FiltersByPlanSeverityAndMetric) {
  Ledger l;
  l.add(ev("A", SlaKind::kMet, 0, kH, kH));  // pro / P1 / response
  SlaOutput b = ev("B", SlaKind::kBreached, 0, 4 * kH, 4 * kH);
  b.plan = "basic";
  l.add(b);
  SlaOutput c = ev("C", SlaKind::kBreached, 0, 4 * kH, 4 * kH);
  c.severity = "P3";
  l.add(c);
  SlaOutput d = ev("D", SlaKind::kMet, 0, 2 * kH, 2 * kH);
  d.metric = MetricKind::kResolution;
  d.event_id = "D/resolution/0/met/0";
  l.add(d);
  Query q = month();
  EXPECT_EQ(compute(l.clocks(), q).total.met + compute(l.clocks(), q).total.breached, 4U);
  q.plan = "basic";
  EXPECT_EQ(compute(l.clocks(), q).total.breached, 1U);
  EXPECT_EQ(compute(l.clocks(), q).total.met, 0U);
  q = month();
  q.severity = "P1";
  q.metric = MetricKind::kResponse;
  const Report r = compute(l.clocks(), q);  // A (met) and B (breached): not C (P3), not D (resolution)
  EXPECT_EQ(r.total.met, 1U);
  EXPECT_EQ(r.total.breached, 1U);
  const auto j = nlohmann::json::parse(to_json(r));
  EXPECT_EQ(j["severity"], "P1");
  EXPECT_EQ(j["metric"], "response");
  EXPECT_TRUE(j["plan"].is_null());
}

// The log of the trend tests: decided at 1h (met), 3h (met), 3h30m
// (breached), 6h30m (breached) and 8h (met, after the period); one clock
// only warned (undecided).
std::vector<SlaOutput> trend_log() {
  return {ev("A", SlaKind::kMet, 0, kH, kH),
          ev("B", SlaKind::kMet, 0, 3 * kH, 3 * kH),
          ev("C", SlaKind::kWarning, 0, 3 * kH, 3 * kH),
          ev("C", SlaKind::kBreached, 0, 7 * kH / 2, 4 * kH),
          ev("D", SlaKind::kBreached, 2 * kH, 13 * kH / 2, 4 * kH),
          ev("D", SlaKind::kBreached, 2 * kH, 15 * kH / 2, 5 * kH, 1),  // a reminder: no new breach
          ev("E", SlaKind::kMet, 7 * kH, 8 * kH, kH),
          ev("F", SlaKind::kWarning, 0, 2 * kH, 2 * kH)};
}

Query trend_query() {
  Query q;
  q.from = kBase;
  q.to = kBase + 7 * kH;
  q.bucket_ms = 2 * kH;  // [0,2h) [2h,4h) [4h,6h) [6h,7h)
  return q;
}

TEST(Trend, CountsEachClockInTheBucketWhereItWasDecided) {
  Ledger l;
  for (const SlaOutput& o : trend_log()) l.add(o);
  const Report r = compute(l.clocks(), trend_query());
  ASSERT_EQ(r.trend.size(), 4U);
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> want{{1, 0}, {1, 1}, {0, 0}, {0, 1}};
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(r.trend[k].from, kBase + static_cast<EpochMillis>(k) * 2 * kH) << k;
    EXPECT_EQ(r.trend[k].met, want[k].first) << k;
    EXPECT_EQ(r.trend[k].breached, want[k].second) << k;
  }
  EXPECT_EQ(r.trend[3].to, kBase + 7 * kH);  // the last bucket is cut at `to`
  EXPECT_DOUBLE_EQ(r.trend[0].pct_met.value_or(-1), 100.0);
  EXPECT_DOUBLE_EQ(r.trend[1].pct_met.value_or(-1), 50.0);
  EXPECT_FALSE(r.trend[2].pct_met);
  EXPECT_DOUBLE_EQ(r.trend[3].pct_met.value_or(-1), 0.0);
  std::uint64_t met = 0, breached = 0;
  for (const Bucket& b : r.trend) met += b.met, breached += b.breached;
  EXPECT_EQ(met, r.total.met);
  EXPECT_EQ(breached, r.total.breached);
  EXPECT_EQ(r.total.met, 2U);
  EXPECT_EQ(r.total.breached, 2U);
  const auto j = nlohmann::json::parse(to_json(r));
  EXPECT_EQ(j["bucket_ms"], 2 * kH);
  ASSERT_EQ(j["trend"].size(), 4U);
  EXPECT_EQ(j["trend"][1]["from"], "1970-01-01T03:00:00Z");
  EXPECT_EQ(j["trend"][3]["to"], "1970-01-01T08:00:00Z");
  EXPECT_EQ(j["trend"][1]["breached"], 1);
  EXPECT_TRUE(j["trend"][2]["pct_met"].is_null());
  EXPECT_NE(to_markdown(r).find("| 1970-01-01T03:00:00Z | 1970-01-01T05:00:00Z | 1 | 1 | 50.0% |"), std::string::npos);
  EXPECT_NE(to_html(r).find("<tr><td>1970-01-01T07:00:00Z</td><td>1970-01-01T08:00:00Z</td><td class=n>0</td>"
                            "<td class=n>1</td><td class=n>0.0%</td></tr>"),
            std::string::npos);
}

TEST(Trend, DuplicatesAndReorderingChangeNothing) {
  Ledger once;
  for (const SlaOutput& o : trend_log()) once.add(o);
  std::vector<SlaOutput> log = trend_log();
  const std::vector<SlaOutput> again = trend_log();
  log.insert(log.end(), again.rbegin(), again.rend());  // every record twice, the second time backwards
  std::reverse(log.begin(), log.end());
  Ledger twice;
  for (const SlaOutput& o : log) twice.add(o);
  const auto a = nlohmann::json::parse(to_json(compute(once.clocks(), trend_query())));
  const auto b = nlohmann::json::parse(to_json(compute(twice.clocks(), trend_query())));
  EXPECT_EQ(a["trend"], b["trend"]);
  EXPECT_EQ(a["totals"], b["totals"]);
}

TEST(Trend, NoneWithoutABucketAndBoundedInNumber) {
  Ledger l;
  for (const SlaOutput& o : trend_log()) l.add(o);
  Query q = trend_query();
  q.bucket_ms = 0;
  EXPECT_TRUE(compute(l.clocks(), q).trend.empty());
  EXPECT_TRUE(nlohmann::json::parse(to_json(compute(l.clocks(), q)))["bucket_ms"].is_null());
  q.bucket_ms = 1;
  q.to = q.from + kMaxBuckets;  // exactly the bound
  EXPECT_TRUE(check(q));
  EXPECT_EQ(compute(l.clocks(), q).trend.size(), static_cast<std::size_t>(kMaxBuckets));
  q.to += 1;
  const auto refused = check(q);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(compute(l.clocks(), q).trend.empty());
  q.bucket_ms = -1;
  EXPECT_FALSE(check(q));
  q = trend_query();
  q.bucket_ms = INT64_MAX;  // one bucket, no overflow
  ASSERT_EQ(compute(l.clocks(), q).trend.size(), 1U);
  EXPECT_EQ(compute(l.clocks(), q).trend[0].to, q.to);
  q.to = q.from;
  EXPECT_FALSE(check(q));
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
