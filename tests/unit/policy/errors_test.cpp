// Every class of load error is reported with the file, line and column of
// the offending YAML and a message that says what is wrong; several errors
// are reported at once; a bad policy never yields a Policy.
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

struct Case {
  const char* name;
  std::string yaml;
  std::string token;  // the error is reported where this token starts
  int nth;
  std::string message;  // a substring of the message
};

// A valid plans section appended to cases that are about other sections.
const std::string kHead = "version: 1\npolicy_id: t\n";
const std::string kPlans =
    "plans:\n"
    "  pro:\n"
    "    severities:\n"
    "      P0:\n"
    "        response: {within: 15m}\n"
    "        resolution: {within: 4h}\n";

std::vector<Case> cases() {
  return {
      // --- structure and required fields ---
      {"missing version", "policy_id: t\n" + kPlans, "policy_id", 1, "missing required key 'version'"},
      {"unsupported version", "version: 2\npolicy_id: t\n" + kPlans, "2", 1, "unsupported version '2'"},
      {"missing policy_id", "version: 1\n" + kPlans, "version", 1, "missing required key 'policy_id'"},
      {"empty policy_id", "version: 1\npolicy_id: \"\"\n" + kPlans, "\"\"", 1, "policy_id: must not be empty"},
      {"missing plans", kHead, "version", 1, "missing required key 'plans'"},
      {"top level not a mapping", "- version: 1\n", "-", 1, "expected a mapping, got a list"},
      {"empty document", "", "", 1, "the policy is empty"},
      {"yaml syntax", kHead + "plans: {pro: [}\n", "}", 1, "YAML syntax error"},

      // --- unknown and duplicate keys ---
      {"unknown top-level key", kHead + "plan: {}\n" + kPlans, "plan:", 1,
       "unknown key 'plan' in the policy (expected one of: version, policy_id"},
      {"unknown target key", kHead + "plans:\n  pro:\n    severities:\n      P0:\n        response: {within: 1h, calender: x}\n",
       "calender", 1, "unknown key 'calender' in plans.pro.severities.P0.response"},
      {"unknown metric", kHead + "plans:\n  pro:\n    severities:\n      P0:\n        reaction: {within: 1h}\n",
       "reaction", 1, "unknown key 'reaction' in plans.pro.severities.P0 (expected one of: response, update"},
      {"unknown plan key", kHead + "plans:\n  pro:\n    default_calender: x\n    severities: {P0: {}}\n",
       "default_calender", 1, "unknown key 'default_calender' in plans.pro"},
      {"duplicate key", kHead + "plans:\n  pro:\n    severities:\n      P0: {}\n      P0: {}\n", "P0", 2,
       "plans.pro.severities: duplicate key 'P0'"},
      {"unknown step key", kHead + kPlans + "escalations:\n  - steps: [{at: breach, notify: [a], pages: true}]\n",
       "pages", 1, "unknown key 'pages' in escalations[0].steps[0]"},

      // --- wrong types ---
      {"plans is a list", kHead + "plans: [pro]\n", "[", 1, "plans: expected a mapping, got a list"},
      {"within is a list", kHead + "plans: {pro: {severities: {P0: {response: {within: [1h]}}}}}\n", "[1h]", 1,
       "plans.pro.severities.P0.response.within: expected a value, got a list"},
      {"warnings is a scalar", kHead + "warnings: 50%\n" + kPlans, "50%", 1, "warnings: expected a list, got a scalar"},
      {"page not a bool", kHead + kPlans + "escalations:\n  - steps: [{at: breach, notify: [a], page: maybe}]\n",
       "maybe", 1, "page: expected true or false, got 'maybe'"},
      {"times not a number", kHead + "after_breach: {repeat: 1h, times: many}\n" + kPlans, "many", 1,
       "after_breach.times: expected a whole number, got 'many'"},
      {"members not a list",
       kHead + "paging:\n  rotations:\n    r: {timezone: UTC, members: ana}\n" + kPlans, "ana", 1,
       "paging.rotations.r.members: expected a list, got a scalar 'ana'"},
      {"severity is null", kHead + "plans:\n  pro:\n    severities:\n      P0:\n", "P0", 1,
       "plans.pro.severities.P0: expected a mapping, got nothing"},

      // --- durations ---
      {"bad duration", kHead + "plans: {pro: {severities: {P0: {response: {within: 4x}}}}}\n", "4x", 1,
       "plans.pro.severities.P0.response.within: bad duration '4x'"},
      {"zero duration", kHead + "plans: {pro: {severities: {P0: {response: {within: 0m}}}}}\n", "0m", 1,
       "must be positive"},
      {"business days where fixed needed",
       kHead + "paging:\n  targets:\n    t: {member: x, ack_timeout: 1bd}\n" + kPlans, "1bd", 1,
       "ack_timeout: '1bd' must be a fixed duration"},
      {"bad reminder duration", kHead + "after_breach: {repeat: often, times: 3}\n" + kPlans, "often", 1,
       "after_breach.repeat: bad duration 'often'"},
      {"missing within", kHead + "plans: {pro: {severities: {P0: {response: {calendar: 24x7}}}}}\n", "{calendar", 1,
       "missing required key 'within'"},
      {"update with within", kHead + "plans: {pro: {severities: {P0: {update: {within: 30m}}}}}\n", "within", 1,
       "update is a recurring target: use 'every'"},
      {"every on response", kHead + "plans: {pro: {severities: {P0: {response: {every: 30m}}}}}\n", "every", 1,
       "'every' is only for update"},
      {"update with none", kHead + "plans: {pro: {severities: {P0: {update: {every: none}}}}}\n", "none", 1,
       "bad duration 'none'"},

      // --- percents and warnings ---
      {"percent without sign", kHead + "warnings: [50%, 75]\n" + kPlans, "75", 1,
       "bad warning '75' (expected a percent like 75% or a time before the deadline like -30m)"},
      {"percent over 100", kHead + "warnings: [150%]\n" + kPlans, "150%", 1, "percent '150%' is over 100%"},
      {"percent 100 warning", kHead + "warnings: [100%]\n" + kPlans, "100%", 1, "100% is the breach"},
      {"duplicate warning", kHead + "warnings: [50%, 50.0%]\n" + kPlans, "50.0%", 1, "is listed twice"},
      {"warning longer than target",
       kHead + "plans: {pro: {severities: {P0: {response: {within: 15m, warnings: [-30m]}}}}}\n", "-30m]", 1,
       "'-30m' is not shorter than the target (15m)"},
      {"warnings on open-ended",
       kHead + "plans: {pro: {severities: {P0: {resolution: {within: none, warnings: [50%]}}}}}\n", "warnings", 1,
       "open-ended target (within: none) has no deadline"},
      {"bad step percent", kHead + kPlans + "escalations:\n  - steps: [{at: 175%, notify: [a]}]\n", "175%", 1,
       "percent '175%' is over 100%"},
      {"bad step time", kHead + kPlans + "escalations:\n  - steps: [{at: breach-1h, notify: [a]}]\n", "breach-1h",
       1, "bad step time 'breach-1h'"},

      // --- references ---
      {"unknown calendar",
       kHead + "plans: {pro: {severities: {P0: {response: {within: 1h, calendar: mx-busines}}}}}\n", "mx-busines", 1,
       "unknown calendar 'mx-busines' (defined: 24x7)"},
      {"unknown default calendar", kHead + "plans: {pro: {default_calendar: nope, severities: {P0: {}}}}\n", "nope",
       1, "plans.pro.default_calendar: unknown calendar 'nope'"},
      {"unknown hours calendar",
       kHead +
           "plans: {pro: {severities: {P0: {response: {in_hours: {within: 1h}, after_hours: {within: 2h}, "
           "hours_calendar: biz}}}}}\n",
       "biz", 1, "hours_calendar: unknown calendar 'biz'"},
      {"unknown rotation",
       kHead + "paging:\n  rotations:\n    primary: {timezone: UTC, members: [a]}\n  targets:\n"
               "    t3: {rotation: primry, ack_timeout: 10m}\n" + kPlans,
       "primry", 1, "unknown rotation 'primry' (defined: primary)"},
      {"page without paging target",
       kHead + kPlans + "escalations:\n  - steps: [{at: breach, notify: [t3], page: true}]\n", "[t3]", 1,
       "page: true but none of [t3] is a paging target (none are defined under paging.targets)"},
      {"unknown plan in match",
       kHead + kPlans + "escalations:\n  - match: {plan: gold}\n    steps: [{at: breach, notify: [a]}]\n", "gold", 1,
       "escalations[0].match.plan: unknown plan 'gold' (defined: pro)"},
      {"unknown severity in match",
       kHead + kPlans + "escalations:\n  - match: {plan: pro, severity: P9}\n    steps: [{at: breach, notify: [a]}]\n",
       "P9", 1, "unknown severity 'P9' (not in plan pro)"},
      {"unknown metric in match",
       kHead + kPlans + "escalations:\n  - match: {metric: resolve}\n    steps: [{at: breach, notify: [a]}]\n",
       "resolve", 1, "unknown metric 'resolve'"},
      {"match matches no target",
       kHead + kPlans + "escalations:\n  - match: {metric: update}\n    steps: [{at: breach, notify: [a]}]\n",
       "{metric", 1, "matches no target"},

      // --- step order ---
      {"breach before elapsed",
       kHead + kPlans + "escalations:\n  - steps: [{at: breach, notify: [a]}, {at: 30m, notify: [b]}]\n", "30m", 1,
       "escalations[0]: step 2 (at 30m) is not later than step 1 (at breach); steps must be in increasing order"},
      {"percents decreasing",
       kHead + kPlans + "escalations:\n  - steps: [{at: 75%, notify: [a]}, {at: 50%, notify: [b]}]\n", "50%", 1,
       "step 2 (at 50%) is not later than step 1 (at 75%)"},
      {"equal elapsed",
       kHead + kPlans + "escalations:\n  - steps: [{at: 1h, notify: [a]}, {at: 60m, notify: [b]}]\n", "60m", 1,
       "step 2 (at 60m) is not later than step 1 (at 1h)"},
      {"breach offsets decreasing",
       kHead + kPlans +
           "escalations:\n  - steps: [{at: breach+1h, notify: [a]}, {at: breach, notify: [b]}]\n",
       "breach,", 1, "step 2 (at breach) is not later than step 1 (at breach+1h)"},
      {"percent before elapsed on a target",
       kHead + kPlans +
           "escalations:\n  - match: {metric: resolution}\n"
           "    steps: [{at: 30m, notify: [a]}, {at: 10%, notify: [b]}]\n",
       "10%", 1, "step 2 (at 10%) is not later than step 1 (at 30m) for pro/P0/resolution (4h)"},
      {"duplicate ladder name",
       kHead + kPlans +
           "escalations:\n  - {name: x, steps: [{at: breach, notify: [a]}]}\n"
           "  - {name: x, steps: [{at: breach, notify: [a]}]}\n",
       "x,", 2, "another ladder is already named 'x'"},
      {"missing steps", kHead + kPlans + "escalations:\n  - match: {plan: pro}\n", "match", 1,
       "escalations[0]: missing required key 'steps'"},
      {"missing at and notify", kHead + kPlans + "escalations:\n  - steps: [{page: false}]\n", "{page", 1,
       "missing required key 'at'"},

      // --- global rules ---
      {"bad on_retarget", kHead + "on_retarget: keep\n" + kPlans, "keep", 1,
       "on_retarget: unknown value 'keep' (expected keep_elapsed or restart)"},
      {"bad reopen action", kHead + "on_reopen: {resolution: continue}\n" + kPlans, "continue", 1,
       "on_reopen.resolution: unknown action 'continue'"},
      {"bad reopen metric", kHead + "on_reopen: {resolve: resume}\n" + kPlans, "resolve", 1,
       "unknown key 'resolve' in on_reopen"},

      // --- split targets ---
      {"split without after_hours",
       kHead + "plans: {pro: {severities: {P0: {response: {in_hours: {within: 1h}}}}}}\n", "{in_hours", 1,
       "missing 'after_hours'"},

      // --- rotations and paging targets ---
      {"unknown time zone", kHead + "paging:\n  rotations:\n    r: {timezone: Mars/Olympus, members: [a]}\n" + kPlans,
       "Mars/Olympus", 1, "unknown time zone 'Mars/Olympus'"},
      {"missing time zone", kHead + "paging:\n  rotations:\n    r: {members: [a]}\n" + kPlans, "{members", 1,
       "missing required key 'timezone'"},
      {"empty members", kHead + "paging:\n  rotations:\n    r: {timezone: UTC, members: []}\n" + kPlans, "[]", 1,
       "a rotation needs at least one member"},
      {"duplicate member", kHead + "paging:\n  rotations:\n    r: {timezone: UTC, members: [a, b, a]}\n" + kPlans,
       "a]", 1, "'a' is listed twice"},
      {"bad handoff time",
       kHead + "paging:\n  rotations:\n    r: {timezone: UTC, members: [a], handoff: {time: \"25:00\"}}\n" + kPlans,
       "\"25:00\"", 1, "bad time '25:00'"},
      {"bad handoff weekday",
       kHead + "paging:\n  rotations:\n    r: {timezone: UTC, members: [a], handoff: {weekday: funday, time: \"10:00\"}}\n" +
           kPlans,
       "funday", 1, "unknown weekday 'funday'"},
      {"weekday with daily shift",
       kHead + "paging:\n  rotations:\n    r: {timezone: UTC, members: [a], shift: 1d, handoff: {weekday: mon, time: \"10:00\"}}\n" +
           kPlans,
       "mon", 1, "a handoff weekday needs a shift of whole weeks"},
      {"bad shift", kHead + "paging:\n  rotations:\n    r: {timezone: UTC, members: [a], shift: weekly}\n" + kPlans,
       "weekly", 1, "bad shift length 'weekly'"},
      {"override ends before it starts",
       kHead + "paging:\n  rotations:\n    r:\n      timezone: UTC\n      members: [a]\n"
               "      overrides: [{member: b, from: \"2026-12-26T00:00\", to: \"2026-12-24T00:00\"}]\n" + kPlans,
       "\"2026-12-24T00:00\"", 1, "to: must be after from"},
      {"bad override time",
       kHead + "paging:\n  rotations:\n    r:\n      timezone: UTC\n      members: [a]\n"
               "      overrides: [{member: b, from: \"24.12.2026\", to: \"2026-12-26\"}]\n" + kPlans,
       "\"24.12.2026\"", 1, "bad local time '24.12.2026'"},
      {"level with rotation and member",
       kHead + "paging:\n  rotations:\n    r: {timezone: UTC, members: [a]}\n  targets:\n"
               "    t: {rotation: r, member: b, ack_timeout: 5m}\n" + kPlans,
       "{rotation", 1, "needs exactly one of 'rotation' or 'member'"},
      {"missing ack_timeout", kHead + "paging:\n  targets:\n    t: {member: b}\n" + kPlans, "{member", 1,
       "missing required key 'ack_timeout'"},
      {"bad repeat", kHead + "paging:\n  targets:\n    t: {member: b, ack_timeout: 5m, repeat: -1}\n" + kPlans, "-1",
       1, "repeat: -1 is out of range"},

      // --- calendar errors come through with their positions ---
      {"calendar error merged",
       kHead + "calendars:\n  biz:\n    timezone: Nowhere/City\n    hours: {mon-fri: [\"09:00-17:00\"]}\n" + kPlans,
       "Nowhere/City", 1, "Nowhere/City"},
  };
}

TEST(LoadErrors, EachClassIsReportedAtItsPosition) {
  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name);
    auto l = load(c.yaml);
    EXPECT_EQ(l.policy, nullptr);
    ASSERT_FALSE(l.errors.empty());
    const Pos want = c.token.empty() ? Pos{1, 1} : where(c.yaml, c.token, c.nth);
    bool found = false;
    for (const auto& e : l.errors) {
      if (e.line == want.line && e.column == want.column && e.message.find(c.message) != std::string::npos) {
        found = true;
        EXPECT_EQ(e.file, "p.yaml");
      }
    }
    EXPECT_TRUE(found) << "wanted " << want.line << ":" << want.column << ": ..." << c.message << "\ngot:\n"
                       << l.text();
  }
}

TEST(LoadErrors, ReportsSeveralErrorsAtOnceInFileOrder) {
  const std::string yaml = R"(version: 1
policy_id: many
warnings: [50%, 200%]
plans:
  pro:
    default_calendar: biz
    severities:
      P0:
        response: {within: 15x}
        resolution: {within: 4h, calender: 24x7}
escalations:
  - match: {plan: gold}
    steps:
      - {at: breach, notify: [t3], page: true}
      - {at: 50%, notify: [lead]}
)";
  auto l = load(yaml);
  EXPECT_EQ(l.policy, nullptr);
  ASSERT_GE(l.errors.size(), 7U) << l.text();
  const std::vector<std::pair<std::string, std::string>> want = {
      {"200%", "over 100%"},
      {"biz", "unknown calendar 'biz'"},
      {"15x", "bad duration '15x'"},
      {"calender", "unknown key 'calender'"},
      {"gold", "unknown plan 'gold'"},
      {"[t3]", "is a paging target"},
      {"50%, notify", "step 2 (at 50%) is not later than step 1 (at breach)"},
  };
  for (const auto& [token, msg] : want) {
    const Pos p = where(yaml, token);
    bool found = false;
    for (const auto& e : l.errors) {
      found = found || (e.line == p.line && e.column == p.column && e.message.find(msg) != std::string::npos);
    }
    EXPECT_TRUE(found) << token << ": " << msg << "\n" << l.text();
  }
  // Sorted by position.
  for (std::size_t i = 1; i < l.errors.size(); ++i) {
    EXPECT_LE(std::make_pair(l.errors[i - 1].line, l.errors[i - 1].column),
              std::make_pair(l.errors[i].line, l.errors[i].column));
  }
}

TEST(LoadErrors, FormatIsFileLineColumnMessage) {
  auto l = load(kHead + "plans: {pro: {severities: {P0: {response: {within: 4x}}}}}\n");
  ASSERT_EQ(l.errors.size(), 1U) << l.text();
  const std::string s = format(l.errors[0]);
  EXPECT_EQ(s.rfind("p.yaml:3:", 0), 0U) << s;
  EXPECT_NE(s.find(": plans.pro.severities.P0.response.within: bad duration '4x'"), std::string::npos) << s;
}

TEST(LoadErrors, ABrokenCalendarIsNotAlsoReportedAsUnknown) {
  auto l = load(kHead +
                "calendars:\n  biz: {timezone: Nowhere/City, hours: {mon-fri: [\"09:00-17:00\"]}}\n"
                "plans: {pro: {default_calendar: biz, severities: {P0: {response: {within: 1h, calendar: biz}}}}}\n");
  EXPECT_EQ(l.policy, nullptr);
  for (const auto& e : l.errors) EXPECT_EQ(e.message.find("unknown calendar"), std::string::npos) << l.text();
}

TEST(LoadErrors, FileReaderFailures) {
  LoadOptions opts;
  std::vector<LoadError> errors;
  EXPECT_EQ(load_policy_file("x.yaml", opts, errors), nullptr);
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_EQ(errors[0].file, "x.yaml");

  errors.clear();
  opts.read_file = [](const std::string& p) -> sla::Result<std::string> {
    return sla::fail(ErrorCode::kNotFound, "no " + p);
  };
  EXPECT_EQ(load_policy_file("x.yaml", opts, errors), nullptr);
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_NE(errors[0].message.find("no x.yaml"), std::string::npos);
}

TEST(LoadErrors, GarbageNeverThrows) {
  for (const char* text : {"{", "[[[", "version: 1\npolicy_id: [", "\t\t:", "version: !!binary x", "*alias",
                           "version: 1\npolicy_id: x\nplans: {a: {severities: {s: {response: {in_hours: 1}}}}}"}) {
    auto l = load(text);
    EXPECT_EQ(l.policy, nullptr) << text;
    EXPECT_FALSE(l.errors.empty()) << text;
  }
}

}  // namespace
}  // namespace sla::policy
