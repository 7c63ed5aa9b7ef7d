#include "sla/notify/routes.hpp"

#include <type_traits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sla::notify {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kRoutes = R"(dashboard_url: https://sla.example.com/
destinations:
  - name: pd
    type: pagerduty
    url: https://events.pagerduty.com/v2/enqueue
    routing_key_env: PD_KEY
    rate_per_second: 5
  - name: chat
    type: slack
    url: https://hooks.slack.com/services/T/B/X
  - name: audit
    type: webhook
    url: https://audit.example.com/hook
    secret: s3cret
    concurrency: 2
routes:
  - match: {target: db-oncall, severity: [P1, P2]}
    to: [pd, chat]
    continue: true
  - match: {tenant: acme}
    to: audit
  - match: {kind: [breached, warning], metric: resolution}
    to: [chat]
  - to: [chat]
)";

Routes load_ok(const char* text, const Environment& env = {{"PD_KEY", "R123"}}) {
  std::vector<LoadError> errors;
  auto r = load_routes(text, "routes.yaml", env, errors);
  for (const auto& e : errors) ADD_FAILURE() << format(e);
  EXPECT_TRUE(r.has_value());
  return r.value_or(Routes{});
}

std::vector<std::string> load_errors(const char* text, const Environment& env = {}) {
  std::vector<LoadError> errors;
  auto r = load_routes(text, "routes.yaml", env, errors);
  EXPECT_FALSE(r.has_value());
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(format(e));
  return out;
}

Page page(std::string target, std::string severity, std::string tenant) {
  Page p;
  p.dedup_key = "k";
  p.target = std::move(target);
  p.severity = std::move(severity);
  p.tenant_id = std::move(tenant);
  p.metric = "response";
  return p;
}

TEST(Routes, LoadsDestinationsWithSecretsFromTheEnvironment) {
  const Routes r = load_ok(kRoutes);
  ASSERT_EQ(r.destinations.size(), 3u);
  EXPECT_EQ(r.dashboard_url, "https://sla.example.com");
  EXPECT_EQ(r.destinations[0].kind, DestinationKind::kPagerDuty);
  EXPECT_EQ(r.destinations[0].routing_key, "R123");
  EXPECT_DOUBLE_EQ(r.destinations[0].rate_per_second, 5.0);
  EXPECT_EQ(r.destinations[2].secret, "s3cret");
  EXPECT_EQ(r.destinations[2].concurrency, 2u);
}

TEST(Routes, FirstMatchWinsUnlessContinue) {
  const Routes r = load_ok(kRoutes);
  // Route 1 matches and continues; route 2 (tenant acme) matches and stops.
  EXPECT_THAT(r.route(page("db-oncall", "P1", "acme")), ElementsAre(0u, 1u, 2u));
  // Route 1 matches, route 2 does not, route 3 takes notices only, route 4 (catch-all) matches.
  EXPECT_THAT(r.route(page("db-oncall", "P2", "globex")), ElementsAre(0u, 1u));
  // Severity P3 skips route 1; tenant acme stops at route 2.
  EXPECT_THAT(r.route(page("db-oncall", "P3", "acme")), ElementsAre(2u));
  EXPECT_THAT(r.route(page("web", "P1", "globex")), ElementsAre(1u));
}

TEST(Routes, NoticesMatchOnKindAndMetric) {
  const Routes r = load_ok(kRoutes);
  Notice n;
  n.kind = "breached";
  n.metric = "resolution";
  n.tenant_id = "globex";
  EXPECT_THAT(r.route(n), ElementsAre(1u));
  n.metric = "response";
  EXPECT_TRUE(r.route(n).empty());  // the catch-all takes pages only
  n.kind = "met";
  n.metric = "resolution";
  EXPECT_TRUE(r.route(n).empty());
}

TEST(Routes, ReportsEveryProblemWithFileLineColumn) {
  const auto errors = load_errors(R"(destinations:
  - name: pd
    type: pagerduty
    url: http://events.pagerduty.com/v2/enqueue
  - name: pd
    type: teams
    url: https://x.example.com
    rate_per_second: fast
routes:
  - match: {severity: P1, colour: red}
    to: [pd, nowhere]
  - match: {kind: breached}
    to: pd
)");
  EXPECT_THAT(errors, ElementsAre(
      "routes.yaml:2:5: pagerduty destination 'pd' needs routing_key or routing_key_env",
      "routes.yaml:4:10: url must start with https:// (certificates are always verified)",
      "routes.yaml:5:11: destination 'pd' is defined twice",
      "routes.yaml:6:11: type must be pagerduty, slack or webhook, not 'teams'",
      "routes.yaml:8:22: rate_per_second must be a number",
      "routes.yaml:10:27: unknown key 'colour' in match",
      "routes.yaml:11:9: unknown destination 'nowhere'",
      "routes.yaml:13:9: destination 'pd' is pagerduty, which takes pages only (match kind: page)"));
}

TEST(Routes, MissingSecretVariableIsAnError) {
  const auto errors = load_errors(R"(destinations:
  - {name: hook, type: webhook, url: "https://h.example.com", secret_env: HOOK_SECRET}
routes:
  - to: hook
)");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("routes.yaml:2:"));
  EXPECT_THAT(errors[0], HasSubstr("environment variable HOOK_SECRET is not set"));
}

TEST(Routes, SyntaxErrorHasAPosition) {
  const auto errors = load_errors("destinations: [\nroutes: x\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("routes.yaml:"));
}

// The routes file's errors are the shared YAML reader's, formatted as the
// policy's are: an unnamed source is "<input>".
static_assert(std::is_same_v<LoadError, sla::yaml::Error>);

TEST(Routes, ErrorsFormatAsThePolicyLoadersDo) {
  std::vector<LoadError> errors;
  EXPECT_FALSE(load_routes("destinations: [\nroutes: x\n", "", {}, errors).has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(format(errors[0]), ::testing::StartsWith("<input>:"));
}

TEST(Routes, EmptyFileNeedsDestinationsAndRoutes) {
  const auto errors = load_errors("{}\n");
  EXPECT_EQ(errors.size(), 2u);
}

}  // namespace
}  // namespace sla::notify
