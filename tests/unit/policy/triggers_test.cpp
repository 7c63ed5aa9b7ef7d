// `at: {exchanges: N}` steps and `trigger: requested` escalations: what they
// load into, and every misuse reported at its file:line:col.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sla/policy/loader.hpp"
#include "test_util.hpp"

namespace sla::policy {
namespace {

using testing::load;
using testing::Pos;
using testing::where;

const std::string kHead =
    "version: 1\npolicy_id: t\n"
    "calendars:\n  biz: {timezone: UTC, hours: {mon-fri: [\"09:00-17:00\"]}}\n"
    "plans:\n  pro:\n    severities:\n      P1:\n"
    "        response: {within: 1h}\n        update: {every: 4h}\n        resolution: {within: 1d}\n"
    "escalations:\n";

TEST(Triggers, ExchangesAndRequestedLoad) {
  auto l = load(kHead +
                "  - name: t1\n    match: {metric: resolution}\n    steps:\n"
                "      - {at: 30m, notify: [lead]}\n"
                "      - {at: {exchanges: 2}, notify: [t2]}\n"
                "      - {at: {exchanges: 3}, notify: [t3]}\n"
                "  - name: mgmt\n    trigger: requested\n    calendar: biz\n    match: {metric: resolution}\n"
                "    steps:\n      - {at: 0m, notify: [pm]}\n      - {at: 2h, notify: [ops]}\n");
  ASSERT_TRUE(l.policy) << l.text();
  const auto& e = l.policy->escalations();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_FALSE(e[0].requested);
  EXPECT_EQ(e[0].steps[1].at.kind, StepAt::Kind::kExchanges);
  EXPECT_EQ(e[0].steps[1].at.exchanges, 2u);
  EXPECT_EQ(e[0].steps[1].at.text, "{exchanges: 2}");
  EXPECT_FALSE(e[0].steps[1].at.due_at(3600000).has_value());  // never due by time
  EXPECT_TRUE(e[1].requested);
  EXPECT_EQ(e[1].calendar_name, "biz");
  ASSERT_NE(e[1].steps[1].calendar, nullptr);
  EXPECT_EQ(e[1].steps[1].calendar, l.policy->calendar("biz"));
  EXPECT_TRUE(e[1].steps[1].requested);
  EXPECT_EQ(e[1].steps[1].at.elapsed_ms, 2 * 3600000);
  // Without `calendar:`, a requested escalation counts on 24x7.
  auto d = load(kHead + "  - name: m\n    trigger: requested\n    match: {metric: resolution}\n"
                        "    steps: [{at: 0m, notify: [pm]}]\n");
  ASSERT_TRUE(d.policy) << d.text();
  EXPECT_EQ(d.policy->escalations()[0].steps[0].calendar, d.policy->calendar("24x7"));
}

struct Case {
  const char* name;
  std::string ladder;   // one `escalations:` entry
  std::string token;    // the error is reported where this token starts
  std::string message;  // a substring of the message
};

TEST(Triggers, EveryMisuseIsReportedAtItsPosition) {
  const std::vector<Case> cases = {
      {"zero exchanges", "  - match: {metric: resolution}\n    steps: [{at: {exchanges: 0}, notify: [a]}]\n", "0}",
       "exchanges: 0 is out of range (1..255)"},
      {"too many exchanges", "  - match: {metric: resolution}\n    steps: [{at: {exchanges: 256}, notify: [a]}]\n",
       "256", "out of range (1..255)"},
      {"not a number", "  - match: {metric: resolution}\n    steps: [{at: {exchanges: two}, notify: [a]}]\n", "two",
       "expected a whole number"},
      {"unknown key beside exchanges",
       "  - match: {metric: resolution}\n    steps: [{at: {exchanges: 2, within: 1h}, notify: [a]}]\n", "within: 1h}, notify",
       "within"},
      {"exchanges on two clocks",
       "  - match: {metric: [resolution, response]}\n    steps: [{at: {exchanges: 2}, notify: [a]}]\n", "{exchanges",
       "name exactly one metric in match.metric"},
      {"exchanges on every clock", "  - match: {}\n    steps: [{at: {exchanges: 2}, notify: [a]}]\n", "{exchanges",
       "name exactly one metric in match.metric"},
      {"exchanges out of order",
       "  - match: {metric: update}\n    steps: [{at: {exchanges: 3}, notify: [a]}, {at: {exchanges: 2}, notify: [b]}]\n",
       "{exchanges: 2}", "is not later than step 1"},
      {"unknown trigger", "  - trigger: asked\n    match: {metric: resolution}\n    steps: [{at: 0m, notify: [a]}]\n",
       "asked", "unknown trigger 'asked'"},
      {"calendar without requested",
       "  - calendar: biz\n    match: {metric: resolution}\n    steps: [{at: 0m, notify: [a]}]\n", "biz\n",
       "only a `trigger: requested` escalation has a calendar"},
      {"unknown calendar",
       "  - trigger: requested\n    calendar: nope\n    match: {metric: resolution}\n    steps: [{at: 0m, notify: [a]}]\n",
       "nope", "unknown calendar 'nope'"},
      {"requested without a metric", "  - trigger: requested\n    match: {}\n    steps: [{at: 0m, notify: [a]}]\n",
       "{}", "name exactly one metric"},
      {"requested on two metrics",
       "  - trigger: requested\n    match: {metric: [response, resolution]}\n    steps: [{at: 0m, notify: [a]}]\n",
       "{metric: [response", "name exactly one metric"},
      {"requested on update",
       "  - trigger: requested\n    match: {metric: update}\n    steps: [{at: 0m, notify: [a]}]\n", "{metric: update",
       "cannot hang on the update clock"},
      {"requested with a percent step",
       "  - trigger: requested\n    match: {metric: resolution}\n    steps: [{at: 50%, notify: [a]}]\n", "50%",
       "times after the request"},
      {"requested with a breach step",
       "  - trigger: requested\n    match: {metric: resolution}\n    steps: [{at: breach, notify: [a]}]\n", "breach",
       "times after the request"},
      {"requested with an exchanges step",
       "  - trigger: requested\n    match: {metric: resolution}\n    steps: [{at: {exchanges: 1}, notify: [a]}]\n",
       "{exchanges", "times after the request"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string yaml = kHead + c.ladder;
    auto l = load(yaml);
    EXPECT_EQ(l.policy, nullptr);
    const Pos want = where(yaml, c.token);
    bool found = false;
    for (const auto& e : l.errors) {
      if (e.file == "p.yaml" && e.line == want.line && e.column == want.column &&
          e.message.find(c.message) != std::string::npos) {
        found = true;
      }
    }
    EXPECT_TRUE(found) << "wanted " << want.line << ":" << want.column << ": ..." << c.message << "\ngot:\n"
                       << l.text();
  }
}

}  // namespace
}  // namespace sla::policy
