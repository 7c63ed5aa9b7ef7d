// Every policy under deploy/policies/ loads without errors (the seed
// organisations' policies and the demo sample), and a few spot checks that
// each encodes its document's key rules.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "sla/calendar/calendar.hpp"
#include "sla/policy/loader.hpp"

namespace sla::policy {
namespace {

namespace fs = std::filesystem;

const fs::path kDir = fs::path(SLA_SOURCE_DIR) / "deploy" / "policies";

sla::Result<std::string> read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return sla::fail(ErrorCode::kNotFound, "cannot open " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::shared_ptr<const Policy> load_file(const std::string& name) {
  const fs::path path = kDir / name;
  LoadOptions opts;
  opts.file = path.string();
  opts.read_file = [](const std::string& p) { return read(kDir / p); };
  std::vector<LoadError> errors;
  auto policy = load_policy_file(path.string(), opts, errors);
  std::string text;
  for (const auto& e : errors) text += format(e) + "\n";
  EXPECT_TRUE(errors.empty()) << text;
  return policy;
}

EpochMillis at(const char* rfc3339) { return *calendar::parse_rfc3339(rfc3339); }

TEST(SeedPolicies, EveryFileInDeployPoliciesLoads) {
  std::size_t n = 0;
  for (const auto& entry : fs::directory_iterator(kDir)) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    auto p = load_file(entry.path().filename().string());
    ASSERT_NE(p, nullptr);
    EXPECT_FALSE(p->summary().empty());
    ++n;
  }
  EXPECT_GE(n, 6U);  // five seed organisations and the sample
}

constexpr std::int64_t kMin = 60'000;
constexpr std::int64_t kHour = 60 * kMin;

TEST(SeedPolicies, TrackMyVend) {
  auto p = load_file("trackmyvend.yaml");
  ASSERT_NE(p, nullptr);
  // Plan x severity response matrix.
  const Target* ent_p0 = p->target("enterprise", "P0", Metric::kResponse, true);
  ASSERT_NE(ent_p0, nullptr);
  EXPECT_EQ(ent_p0->duration.millis, 15 * kMin);
  EXPECT_TRUE(ent_p0->calendar->always_open());
  EXPECT_EQ(p->target("starter", "P0", Metric::kResponse, true)->duration.millis, 4 * kHour);
  EXPECT_EQ(p->target("starter", "P1", Metric::kResponse, true)->duration, calendar::Duration::bd(1));
  EXPECT_EQ(p->target("starter", "P3", Metric::kResponse, true)->duration, calendar::Duration::bd(5));
  EXPECT_EQ(p->target("pro", "P2", Metric::kResponse, true)->duration, calendar::Duration::bd(1));
  EXPECT_EQ(p->target("enterprise", "P1", Metric::kResponse, true)->calendar_name, "mx-business");

  // Channels: live chat 15 min and WhatsApp 30 min of business hours on
  // every plan, except Enterprise P0 (15 min 24/7 is stricter); Slack 1 bd for Pro P3.
  using Attrs = std::vector<std::pair<std::string_view, std::string_view>>;
  for (const char* plan : {"starter", "pro", "enterprise"}) {
    const Plan* pl = p->plan(plan);
    ASSERT_NE(pl, nullptr);
    const PlanRule* chat = pl->rule_for("P2", Attrs{{"channel", "chat"}});
    ASSERT_NE(chat, nullptr) << plan;
    EXPECT_EQ(chat->metrics[index(Metric::kResponse)]->in_hours.duration.millis, 15 * kMin);
    EXPECT_EQ(chat->metrics[index(Metric::kResponse)]->in_hours.calendar_name, "mx-business");
    const PlanRule* wa = pl->rule_for("P3", Attrs{{"channel", "whatsapp"}});
    ASSERT_NE(wa, nullptr) << plan;
    EXPECT_EQ(wa->metrics[index(Metric::kResponse)]->in_hours.duration.millis, 30 * kMin);
    EXPECT_EQ(pl->rule_for("P2", Attrs{{"channel", "email"}}), nullptr);
  }
  EXPECT_EQ(p->plan("enterprise")->rule_for("P0", Attrs{{"channel", "chat"}}), nullptr);
  EXPECT_NE(p->plan("pro")->rule_for("P3", Attrs{{"channel", "slack"}}), nullptr);
  EXPECT_EQ(p->plan("pro")->rule_for("P2", Attrs{{"channel", "slack"}}), nullptr);
  EXPECT_EQ(p->plan("starter")->rule_for("P3", Attrs{{"channel", "slack"}}), nullptr);  // Pro & Enterprise only

  // Mexican holidays as listed, Good Friday included (2026-04-03, 2027-03-26).
  const calendar::Calendar* mx = p->calendar("mx-business");
  ASSERT_NE(mx, nullptr);
  EXPECT_EQ(mx->day_length_millis(), 9 * kHour);
  for (auto d : {calendar::LocalDate{2026, 1, 1}, {2026, 2, 5}, {2026, 3, 21}, {2026, 4, 3}, {2027, 3, 26},
                 {2026, 5, 1}, {2026, 9, 16}, {2026, 11, 20}, {2026, 12, 25}, {2026, 12, 31}}) {
    EXPECT_TRUE(mx->is_holiday(d)) << d.year << "-" << d.month << "-" << d.day;
  }
  EXPECT_FALSE(mx->is_holiday({2026, 4, 2}));
  // 1bd opened Thursday before Good Friday 17:00 CST: due Monday 17:00.
  EXPECT_EQ(mx->add(at("2026-04-02T23:00:00Z"), calendar::Duration::bd(1)), at("2026-04-06T23:00:00Z"));

  // On-call: primary/secondary, Monday 10:00 CST handoff, 10-minute ack.
  EXPECT_EQ(*p->on_call("primary", at("2026-01-12T15:59:59Z")), "engineer-1");
  EXPECT_EQ(*p->on_call("primary", at("2026-01-12T16:00:00Z")), "engineer-2");
  EXPECT_EQ(*p->on_call("secondary", at("2026-01-12T16:00:00Z")), "engineer-1");  // last week's primary
  const PagingTarget* oncall = p->paging_target("oncall");
  ASSERT_NE(oncall, nullptr);
  ASSERT_EQ(oncall->levels.size(), 2U);
  EXPECT_EQ(oncall->levels[0].rotation_name, "primary");
  EXPECT_EQ(oncall->levels[0].ack_timeout_ms, 10 * kMin);
  EXPECT_EQ(oncall->levels[1].rotation_name, "secondary");

  // Founder + CTO paged after 30 min of an unresolved P0, on every plan.
  for (const char* plan : {"starter", "pro", "enterprise"}) {
    auto steps = p->escalation_steps(plan, "P0", Metric::kResolution);
    ASSERT_EQ(steps.size(), 1U) << plan;
    EXPECT_EQ(steps[0]->at.elapsed_ms, 30 * kMin);
    EXPECT_TRUE(steps[0]->page);
    ASSERT_EQ(steps[0]->pages.size(), 2U);
    EXPECT_EQ(steps[0]->pages[0]->name, "founder");
    EXPECT_EQ(steps[0]->pages[1]->name, "cto");
    // P0/P1 page the on-call primary at open; T1 escalates to T2 after two
    // back-and-forths (every severity, on the response clock).
    auto response = p->escalation_steps(plan, "P0", Metric::kResponse);
    ASSERT_EQ(response.size(), 2U);
    EXPECT_EQ(response[0]->at.elapsed_ms, 0);
    EXPECT_EQ(response[0]->pages.at(0), oncall);
    EXPECT_EQ(response[1]->id, "t1-two-exchanges/1");
    EXPECT_EQ(response[1]->at.kind, StepAt::Kind::kExchanges);
    EXPECT_EQ(response[1]->at.exchanges, 2U);
    EXPECT_EQ(response[1]->notify, std::vector<std::string>{"t2-technical-support"});
    auto p3 = p->escalation_steps(plan, "P3", Metric::kResponse);
    ASSERT_EQ(p3.size(), 1U);
    EXPECT_EQ(p3[0]->id, "t1-two-exchanges/1");
  }
}

TEST(SeedPolicies, LoyaltyCashier) {
  auto p = load_file("loyalty-cashier.yaml");
  ASSERT_NE(p, nullptr);
  const calendar::Calendar* cal = p->calendar("loyalty-support");
  ASSERT_NE(cal, nullptr);
  EXPECT_EQ(cal->timezone_name(), "Europe/Moscow");
  EXPECT_TRUE(cal->is_open(at("2026-03-07T08:00:00Z")));   // Saturday 11:00 MSK: weekend hours
  EXPECT_FALSE(cal->is_open(at("2026-03-07T16:00:00Z")));  // Saturday 19:00 MSK
  EXPECT_TRUE(cal->is_open(at("2026-03-06T16:00:00Z")));   // Friday 19:00 MSK
  // P1: 30 minutes in hours, 2 hours after hours.
  const Target* in = p->target_at("cashier", "P1", Metric::kResponse, at("2026-03-02T09:00:00Z"));
  const Target* after = p->target_at("cashier", "P1", Metric::kResponse, at("2026-03-02T18:00:00Z"));
  ASSERT_NE(in, nullptr);
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(in->duration.millis, 30 * kMin);
  EXPECT_EQ(after->duration.millis, 2 * kHour);
  EXPECT_TRUE(after->calendar->always_open());
  EXPECT_EQ(p->target("cashier", "P0", Metric::kResponse, true)->duration.millis, 15 * kMin);
  EXPECT_EQ(p->target("cashier", "P3", Metric::kResponse, true)->duration, calendar::Duration::nbd());
  // Levels 2 and 3 on time, Level 4 (management) on request, at once; and
  // hardware-supplier, which tests product: hardware per ticket.
  const auto p2 = p->escalation_steps("cashier", "P2", Metric::kResolution);
  ASSERT_EQ(p2.size(), 4U);
  EXPECT_FALSE(p2[0]->requested);
  const auto l4 = std::find_if(p2.begin(), p2.end(), [](const auto* st) { return st->id == "level4-management/1"; });
  ASSERT_NE(l4, p2.end());
  EXPECT_TRUE((*l4)->requested);
  EXPECT_EQ((*l4)->at.elapsed_ms, 0);
  EXPECT_EQ((*l4)->calendar, p->calendar("24x7"));
  EXPECT_EQ(p->escalation_steps("cashier", "P0", Metric::kResolution).back()->id, "level4-management/1");
  EXPECT_TRUE(p->escalation_steps("hardware", "P0", Metric::kResolution).empty());
  // The hardware supplier's 4h on site / 24h replacement in its own Mon-Fri 9-18 hours.
  using Attrs = std::vector<std::pair<std::string_view, std::string_view>>;
  const Plan* cashier = p->plan("cashier");
  ASSERT_NE(cashier, nullptr);
  const PlanRule* hw = cashier->rule_for("P2", Attrs{{"product", "hardware"}});
  ASSERT_NE(hw, nullptr);
  EXPECT_EQ(hw->metrics[index(Metric::kResponse)]->in_hours.duration.millis, 4 * kHour);
  EXPECT_EQ(hw->metrics[index(Metric::kResolution)]->in_hours.duration.millis, 24 * kHour);
  EXPECT_EQ(hw->metrics[index(Metric::kResolution)]->in_hours.calendar_name, "hardware-hours");
  EXPECT_EQ(cashier->rule_for("P1", Attrs{{"product", "hardware"}}), nullptr);  // P1 keeps 30m
  EXPECT_EQ(p->calendar("hardware-hours")->timezone_name(), "Europe/Moscow");
}

TEST(SeedPolicies, AgreementActivation) {
  auto p = load_file("agreement-activation.yaml");
  ASSERT_NE(p, nullptr);
  const Target* crit = p->target("standard", "critical", Metric::kResponse, true);
  ASSERT_NE(crit, nullptr);
  EXPECT_EQ(crit->duration.millis, kHour);
  EXPECT_TRUE(crit->calendar->always_open());
  const Target* upd = p->target("standard", "critical", Metric::kUpdate, true);
  ASSERT_NE(upd, nullptr);
  EXPECT_TRUE(upd->recurring);
  EXPECT_EQ(upd->duration.millis, 30 * kMin);
  EXPECT_TRUE(p->target("standard", "critical", Metric::kResolution, true)->open_ended);
  EXPECT_EQ(p->target("standard", "high", Metric::kResponse, true)->calendar_name, "business");
  EXPECT_EQ(p->target("standard", "medium", Metric::kResolution, true)->duration, calendar::Duration::bd(3));
  // A customer's "ESCALATION" mail (escalation_requested) goes to management at once, every priority.
  for (const char* sev : {"critical", "high", "medium", "low"}) {
    const auto steps = p->escalation_steps("standard", sev, Metric::kResolution);
    ASSERT_FALSE(steps.empty()) << sev;
    EXPECT_EQ(steps.back()->id, "customer-escalation/1") << sev;
    EXPECT_TRUE(steps.back()->requested) << sev;
    EXPECT_EQ(steps.back()->notify, std::vector<std::string>{"management"}) << sev;
  }
}

TEST(SeedPolicies, TradingBot) {
  auto p = load_file("trading-bot.yaml");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->calendar("cet-support")->timezone_name(), "Europe/Warsaw");
  EXPECT_EQ(p->target("standard", "P1", Metric::kWorkaround, true)->duration.millis, 4 * kHour);
  EXPECT_EQ(p->target("standard", "P1", Metric::kResolution, true)->duration.millis, 24 * kHour);
  EXPECT_EQ(p->target("standard", "P2", Metric::kWorkaround, true)->duration, calendar::Duration::bd(1));
  EXPECT_EQ(p->target("standard", "P3", Metric::kResolution, true)->duration, calendar::Duration::bd(7));
  EXPECT_EQ(p->target("standard", "P4", Metric::kWorkaround, true), nullptr);  // n/d
  EXPECT_EQ(p->target("standard", "P4", Metric::kResolution, true), nullptr);
  // Coordinator on a missed reaction time; CTO and R&D for unresolved P1/P2.
  auto resp = p->escalation_steps("standard", "P4", Metric::kResponse);
  ASSERT_EQ(resp.size(), 1U);
  EXPECT_EQ(resp[0]->notify, (std::vector<std::string>{"support-coordinator"}));
  auto p1 = p->escalation_steps("standard", "P1", Metric::kResolution);
  ASSERT_EQ(p1.size(), 1U);
  EXPECT_EQ(p1[0]->notify, (std::vector<std::string>{"cto", "rnd-team"}));
}

TEST(SeedPolicies, HandymanKpi) {
  auto p = load_file("handyman-kpi.yaml");
  ASSERT_NE(p, nullptr);
  const Target* high = p->target("standard", "high", Metric::kResponse, true);
  ASSERT_NE(high, nullptr);
  EXPECT_EQ(high->duration.millis, 4 * kHour);
  EXPECT_EQ(high->calendar->timezone_name(), "America/New_York");
  EXPECT_EQ(p->target("standard", "low", Metric::kResponse, true)->duration.millis, 16 * kHour);
  EXPECT_EQ(p->target("standard", "critical", Metric::kResolution, true)->duration.millis, 4 * kHour);
  EXPECT_EQ(p->target("standard", "low", Metric::kResolution, true), nullptr);  // next release cycle
  // Critical after hours counts on the emergency calendar, closed for the
  // Sunday 00:00-04:00 ET maintenance window.
  const Target* night = p->target_at("standard", "critical", Metric::kResponse, at("2026-03-04T03:00:00Z"));
  ASSERT_NE(night, nullptr);
  EXPECT_EQ(night->calendar_name, "et-emergency");
  EXPECT_FALSE(night->calendar->is_open(at("2026-03-08T06:00:00Z")));  // Sunday 01:00 EST
  EXPECT_TRUE(night->calendar->is_open(at("2026-03-08T09:00:00Z")));   // Sunday 05:00 EDT
  EXPECT_EQ(p->target_at("standard", "critical", Metric::kResponse, at("2026-03-04T15:00:00Z"))->calendar_name,
            "et-business");
}

TEST(SeedPolicies, SampleUsesMostFeatures) {
  auto p = load_file("sample.yaml");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->id(), "acme-sample");
  EXPECT_GE(p->escalations().size(), 3U);
  EXPECT_GE(p->rotations().size(), 2U);
  EXPECT_EQ(p->escalation_steps("enterprise", "P0", Metric::kResolution).size(), 4U);
  EXPECT_TRUE(p->targets("pro", "P0", Metric::kResponse)->split());
  EXPECT_EQ(*p->on_call("primary", at("2026-12-24T12:00:00Z")), "luis");
}

}  // namespace
}  // namespace sla::policy
