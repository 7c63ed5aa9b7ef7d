// Plan `rules:` and attribute tests in `match:` (SPEC 3 round 2,
// Attributes): what loads, what the lookups answer, and every misuse
// reported at its file:line:col.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sla/policy/loader.hpp"
#include "test_util.hpp"

namespace sla::policy {
namespace {

using testing::load;
using testing::load_ok;
using testing::expect_error_at;

using Attrs = std::vector<std::pair<std::string_view, std::string_view>>;

const std::string kPolicy = R"(version: 1
policy_id: rules
calendars:
  biz:
    timezone: UTC
    hours: {mon-fri: ["09:00-17:00"]}
plans:
  pro:
    severities:
      P1: {response: {within: 1h}, resolution: {within: 8h}}
      P2: {response: {within: 4h}}
    rules:
      - match: {attributes: {channel: chat}}
        response: {within: 15m, calendar: biz}
      - match: {attributes: {channel: whatsapp}, severity: [P2]}
        response: {within: 30m, calendar: biz}
escalations:
  - name: hardware
    match: {attributes: {product: hardware}, metric: resolution}
    steps:
      - {at: 4h, notify: [supplier]}
)";

TEST(PlanRules, FirstMatchingRuleOverridesTheSeveritysTargets) {
  auto p = load_ok(kPolicy);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->has_rules());
  const Plan* plan = p->plan("pro");
  ASSERT_NE(plan, nullptr);
  ASSERT_EQ(plan->rules.size(), 2U);

  const Attrs chat{{"channel", "chat"}, {"region", "eu"}};
  const PlanRule* r = plan->rule_for("P1", chat);
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(r->metrics[index(Metric::kResponse)]);
  EXPECT_EQ(r->metrics[index(Metric::kResponse)]->in_hours.duration_text, "15m");
  EXPECT_EQ(r->metrics[index(Metric::kResponse)]->in_hours.calendar_name, "biz");
  EXPECT_FALSE(r->metrics[index(Metric::kResolution)]);  // the severity's target stays

  const Attrs whatsapp{{"channel", "whatsapp"}};
  EXPECT_EQ(plan->rule_for("P1", whatsapp), nullptr);  // severity P2 only
  ASSERT_NE(plan->rule_for("P2", whatsapp), nullptr);
  EXPECT_EQ(plan->rule_for("P2", whatsapp)->metrics[index(Metric::kResponse)]->in_hours.duration_text, "30m");
  EXPECT_EQ(plan->rule_for("P1", Attrs{}), nullptr);
  EXPECT_EQ(plan->rule_for("P1", Attrs{{"channel", "email"}}), nullptr);
}

TEST(PlanRules, EscalationAttributeTestsAreNumberedAndNotPartOfTheStaticMatch) {
  auto p = load_ok(kPolicy);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->attribute_ladders(), 1U);
  const auto& l = p->escalations().at(0);
  EXPECT_EQ(l.attribute_bit, 0);
  ASSERT_TRUE(l.match.attributes);
  EXPECT_TRUE(l.match.attributes->holds(Attrs{{"product", "hardware"}}));
  EXPECT_FALSE(l.match.attributes->holds(Attrs{{"product", "software"}}));
  EXPECT_FALSE(l.match.attributes->holds(Attrs{}));
  // The severity's step list holds the ladder whatever the attributes; the
  // engine tests them per ticket.
  EXPECT_EQ(p->escalation_steps("pro", "P1", Metric::kResolution).size(), 1U);
}

struct Case {
  const char* name;
  std::string from;  // replaced in kPolicy ...
  std::string to;    // ... by this
  std::string token;  // the error is reported where this starts (in the changed YAML)
  std::string message;
};

TEST(PlanRules, EveryMisuseIsReportedAtItsPosition) {
  const std::vector<Case> cases = {
      {"unknown metric", "        response: {within: 15m, calendar: biz}", "        reply: {within: 15m, calendar: biz}",
       "reply:", "unknown key 'reply' in plans.pro.rules[0]"},
      {"bad match key", "{attributes: {channel: chat}}", "{attrs: {channel: chat}}", "attrs:",
       "unknown key 'attrs' in plans.pro.rules[0].match"},
      {"empty attributes", "{attributes: {channel: chat}}", "{attributes: {}}", "{}}",
       "plans.pro.rules[0].match.attributes: an attribute test needs at least one attribute"},
      {"unknown calendar", "{within: 15m, calendar: biz}", "{within: 15m, calendar: bizz}", "bizz",
       "unknown calendar 'bizz'"},
      {"unknown severity", "severity: [P2]", "severity: [P7]", "P7", "unknown severity 'P7' (plan pro has: P1, P2)"},
      {"no match", "      - match: {attributes: {channel: chat}}\n        response",
       "      - response", "response: {within: 15m", "missing required key 'match'"},
      {"no target", "        response: {within: 30m, calendar: biz}\n", "", "match: {attributes: {channel: whatsapp}",
       "a rule must set at least one target"},
      {"rules not a list",
       "    rules:\n      - match: {attributes: {channel: chat}}\n        response: {within: 15m, calendar: biz}\n"
       "      - match: {attributes: {channel: whatsapp}, severity: [P2]}\n        response: {within: 30m, calendar: biz}\n",
       "    rules: {}\n", "{}\n", "plans.pro.rules: expected a non-empty list"},
      {"escalation empty attributes", "{attributes: {product: hardware}, metric", "{attributes: {}, metric", "{}, metric",
       "escalations[0].match.attributes: an attribute test needs at least one attribute"},
      {"escalation attributes not a map", "{attributes: {product: hardware}, metric",
       "{attributes: hardware, metric", "hardware, metric", "escalations[0].match.attributes"},
  };
  for (const auto& c : cases) {
    std::string yaml = kPolicy;
    const auto at = yaml.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.name;
    yaml.replace(at, c.from.size(), c.to);
    auto l = load(yaml);
    EXPECT_EQ(l.policy, nullptr) << c.name;
    ASSERT_FALSE(l.errors.empty()) << c.name;
    expect_error_at(l, yaml, c.token, c.message, c.name);
  }
}

// Escalation checks against the targets plan rules give (every target a
// ticket can get: its severity's and each rule's that applies to it).
const std::string kRuleTargets = R"(version: 1
policy_id: rule-targets
plans:
  pro:
    severities:
      P1: {response: {within: 1h}}
      P2: {response: {within: 4h}}
    rules:
      - match: {attributes: {channel: chat}}
        response: {within: 15m}
      - match: {attributes: {product: hardware}, severity: P1}
        workaround: {within: 4h}
escalations:
  - name: hw-workaround
    match: {metric: workaround}
    steps:
      - {at: 1h, notify: [supplier]}
      - {at: 90%, notify: [supplier-lead]}
)";

TEST(RuleTargets, ALadderOnAMetricOnlyARuleGivesATargetToLoads) {
  // No severity has a workaround target; the hardware rule gives P1 one.
  auto p = load_ok(kRuleTargets);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->escalation_steps("pro", "P1", Metric::kWorkaround).size(), 2U);
}

TEST(RuleTargets, ALadderMatchingOnlyAnotherSeveritysRuleStillMatchesNoTarget) {
  // The hardware rule is P1's only: a P2 ladder on workaround can never fire.
  std::string yaml = kRuleTargets;
  yaml.replace(yaml.find("{metric: workaround}"), 20, "{severity: P2, metric: workaround}");
  auto l = load(yaml);
  EXPECT_EQ(l.policy, nullptr);
  EXPECT_NE(l.text().find("escalations[0].match: matches no target"), std::string::npos) << l.text();
}

TEST(RuleTargets, ALadderWhoseAttributesExcludeTheOnlyRuleMatchesNoTarget) {
  // A ticket has one channel: a ladder for email tickets never runs on the
  // chat rule's target, and no other target has a workaround.
  std::string yaml = kRuleTargets;
  yaml.replace(yaml.find("{attributes: {product: hardware}, severity: P1}"), 47,
               "{attributes: {channel: chat}, severity: P1}");
  yaml.replace(yaml.find("{metric: workaround}"), 20, "{attributes: {channel: email}, metric: workaround}");
  auto l = load(yaml);
  EXPECT_EQ(l.policy, nullptr);
  EXPECT_NE(l.text().find("escalations[0].match: matches no target"), std::string::npos) << l.text();
}

struct RuleCase {
  const char* name;
  std::vector<std::pair<std::string, std::string>> edits;  // applied to kRuleTargets in order
  std::string token;    // the error is reported where this starts (in the edited YAML)
  std::string message;  // ... and contains this
};

TEST(RuleTargets, StepChecksCoverRuleTargetsAndNameTheRule) {
  const std::vector<RuleCase> cases = {
      // 1h < 90% of the rule's 4h, but a 1h target of its own would not be.
      {"percent after a duration, against the rule's target",
       {{"workaround: {within: 4h}", "workaround: {within: 1h}"}},
       "90%",
       "hw-workaround: step 2 (at 90%) is not later than step 1 (at 1h) for plans.pro.rules[1].workaround for P1 "
       "(1h); steps must be in increasing order"},
      // The severity's 1h response is fine (30m < 45m); the chat rule's 15m is not.
      {"percent after a duration, only the rule's target is short",
       {{"{metric: workaround}", "{metric: response}"},
        {"{at: 1h, notify: [supplier]}", "{at: 30m, notify: [supplier]}"},
        {"{at: 90%, notify: [supplier-lead]}", "{at: 75%, notify: [supplier-lead]}"}},
       "75%",
       "hw-workaround: step 2 (at 75%) is not later than step 1 (at 30m) for plans.pro.rules[0].response for P1 "
       "(15m)"},
      {"breach+D over 1000 years on the rule's target",
       {{"workaround: {within: 4h}", "workaround: {within: 366000d}"},
        {"{at: 90%, notify: [supplier-lead]}", "{at: breach+1d, notify: [supplier-lead]}"}},
       "breach+1d",
       "hw-workaround: step 2 (at breach+1d) would be due more than 1000 years after the clock starts for "
       "plans.pro.rules[1].workaround for P1 (366000d)"},
  };
  for (const auto& c : cases) {
    std::string yaml = kRuleTargets;
    for (const auto& [from, to] : c.edits) {
      const auto at = yaml.find(from);
      ASSERT_NE(at, std::string::npos) << c.name << ": " << from;
      yaml.replace(at, from.size(), to);
    }
    auto l = load(yaml);
    EXPECT_EQ(l.policy, nullptr) << c.name;
    expect_error_at(l, yaml, c.token, c.message, c.name);
  }
}

TEST(RuleTargets, ARuleWhoseAttributesExcludeTheLadderIsNotCheckedAgainstIt) {
  // The chat rule's 15m response makes 30m-then-75% out of order, but the
  // ladder is for email tickets, which never get that target.
  std::string yaml = kRuleTargets;
  yaml.replace(yaml.find("{metric: workaround}"), 20, "{attributes: {channel: email}, metric: response}");
  yaml.replace(yaml.find("{at: 1h,"), 8, "{at: 30m,");
  yaml.replace(yaml.find("{at: 90%,"), 9, "{at: 75%,");
  auto p = load_ok(yaml);
  EXPECT_NE(p, nullptr);
}

}  // namespace
}  // namespace sla::policy
