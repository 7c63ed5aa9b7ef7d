#include "sla/notify/payload.hpp"

#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sla/notify/signing.hpp"

namespace sla::notify {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

Page sample_page() {
  Page p;
  p.page_id = "T-1/response/0/page/s1/db/0/0";
  p.dedup_key = "T-1/response/0/page/s1/db";
  p.ticket_id = "T-1";
  p.tenant_id = "acme";
  p.plan = "gold";
  p.severity = "P1";
  p.metric = "response";
  p.target = "db";
  p.rotation = "primary";
  p.responder = "alice";
  p.level = 0;
  p.ack_deadline = 1767323045'000;  // 2026-01-02T03:04:05Z
  p.high_urgency = true;
  p.fired_at = 1767322745'000;
  return p;
}

Destination pd() {
  Destination d;
  d.name = "pd";
  d.kind = DestinationKind::kPagerDuty;
  d.url = "https://events.pagerduty.com/v2/enqueue";
  d.routing_key = "R123";
  return d;
}

std::string header(const OutboundRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

TEST(Payload, Rfc3339) {
  EXPECT_EQ(rfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(rfc3339(1767323045'123), "2026-01-02T03:04:05.123Z");
}

TEST(Payload, PagerDutyTriggerCarriesDedupKeySeverityAndLink) {
  const auto r = build_request(pd(), sample_page(), "https://sla.example.com", 0);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->url, "https://events.pagerduty.com/v2/enqueue");
  EXPECT_EQ(header(*r, "Content-Type"), "application/json");
  const auto j = json::parse(r->body);
  EXPECT_EQ(j["routing_key"], "R123");
  EXPECT_EQ(j["event_action"], "trigger");
  EXPECT_EQ(j["dedup_key"], "T-1/response/0/page/s1/db");
  EXPECT_EQ(j["payload"]["severity"], "critical");
  EXPECT_EQ(j["payload"]["source"], "sla-timer");
  EXPECT_EQ(j["payload"]["summary"],
            "[P1] acme ticket T-1: response SLA paging db (level 1, alice); ack by 2026-01-02T03:04:05.000Z");
  EXPECT_EQ(j["payload"]["custom_details"]["page_id"], "T-1/response/0/page/s1/db/0/0");
  EXPECT_EQ(j["links"][0]["href"], "https://sla.example.com/v1/tickets/T-1");
  EXPECT_EQ(j["payload"]["timestamp"], "2026-01-02T02:59:05.000Z");
}

TEST(Payload, PagerDutyLowUrgencyIsAWarning) {
  Page p = sample_page();
  p.high_urgency = false;
  const auto j = json::parse(build_request(pd(), p, "", 0)->body);
  EXPECT_EQ(j["payload"]["severity"], "warning");
  EXPECT_FALSE(j.contains("links"));
}

TEST(Payload, PagerDutyAcknowledgeAndResolveCarryOnlyTheKey) {
  for (const auto action : {PageAction::kAcknowledge, PageAction::kResolve}) {
    Page p = sample_page();
    p.action = action;
    const auto j = json::parse(build_request(pd(), p, "", 0)->body);
    EXPECT_EQ(j["event_action"], to_string(action));
    EXPECT_EQ(j["dedup_key"], "T-1/response/0/page/s1/db");
    EXPECT_FALSE(j.contains("payload"));
  }
}

TEST(Payload, PageWithoutDedupKeyIsRefused) {
  Page p = sample_page();
  p.dedup_key.clear();
  EXPECT_FALSE(build_request(pd(), p, "", 0));
}

TEST(Payload, SlackBlockKitIsReadableAndEscaped) {
  Destination d;
  d.kind = DestinationKind::kSlack;
  d.url = "https://hooks.slack.com/services/X";
  Page p = sample_page();
  p.tenant_id = "a<b>&c";
  const auto j = json::parse(build_request(d, p, "https://sla.example.com", 0)->body);
  EXPECT_THAT(j["text"].get<std::string>(), HasSubstr("paging db"));
  ASSERT_TRUE(j["blocks"].is_array());
  EXPECT_EQ(j["blocks"][0]["type"], "header");
  EXPECT_EQ(j["blocks"][0]["text"]["text"], "Page: ticket T-1");
  EXPECT_EQ(j["blocks"][2]["fields"][0]["text"], "*Tenant*\na&lt;b&gt;&amp;c");
  EXPECT_EQ(j["blocks"].back()["elements"][0]["url"], "https://sla.example.com/v1/tickets/T-1");
}

TEST(Payload, WebhookIsSignedVerifiably) {
  Destination d;
  d.kind = DestinationKind::kWebhook;
  d.url = "https://hooks.example.com/sla";
  d.secret = "topsecret";
  const EpochMillis now = 1767323045'000;
  const auto r = build_request(d, sample_page(), "", now);
  ASSERT_TRUE(r);
  EXPECT_EQ(header(*r, "X-SLA-Timestamp"), "1767323045");
  EXPECT_TRUE(verify_webhook("topsecret", header(*r, "X-SLA-Timestamp"), header(*r, "X-SLA-Signature"), r->body, now));
  EXPECT_FALSE(verify_webhook("wrong", header(*r, "X-SLA-Timestamp"), header(*r, "X-SLA-Signature"), r->body, now));
  EXPECT_EQ(header(*r, "Idempotency-Key"), "T-1/response/0/page/s1/db/0/0/trigger");
  const auto j = json::parse(r->body);
  EXPECT_EQ(j["type"], "page");
  EXPECT_EQ(j["page"]["dedup_key"], "T-1/response/0/page/s1/db");
}

TEST(Payload, NoticesGoToChatAndWebhooksButNotPagerDuty) {
  Notice n;
  n.event_id = "T-1/resolution/0/breached/0";
  n.ticket_id = "T-1";
  n.kind = "breached";
  n.metric = "resolution";
  n.severity = "P2";
  n.tenant_id = "acme";
  EXPECT_FALSE(build_request(pd(), n, "", 0));
  Destination slack;
  slack.kind = DestinationKind::kSlack;
  const auto j = json::parse(build_request(slack, n, "", 0)->body);
  EXPECT_EQ(j["text"], "[P2] acme ticket T-1: resolution SLA breached");
  // A met that came after the breach says so; a plain met does not.
  n.kind = "met";
  n.detail = "after_breach";
  EXPECT_EQ(json::parse(build_request(slack, n, "", 0)->body)["text"],
            "[P2] acme ticket T-1: resolution SLA met after its breach");
  n.detail = "";
  EXPECT_EQ(json::parse(build_request(slack, n, "", 0)->body)["text"], "[P2] acme ticket T-1: resolution SLA met");
}

// The fields of a Slack message's field section, label -> text.
std::map<std::string, std::string> slack_fields(const json& j) {
  std::map<std::string, std::string> out;
  for (const auto& f : j["blocks"][2]["fields"]) {
    const auto text = f["text"].get<std::string>();
    const auto nl = text.find('\n');
    out[text.substr(1, nl - 2)] = text.substr(nl + 1);
  }
  return out;
}

TEST(Payload, EscalatedNoticesSayWhyTheStepFired) {
  Notice n;
  n.event_id = "T-1/resolution/0/escalated/l4/1";
  n.ticket_id = "T-1";
  n.tenant_id = "acme";
  n.severity = "P2";
  n.metric = "resolution";
  n.kind = "escalated";
  n.detail = "0";
  Destination slack;
  slack.kind = DestinationKind::kSlack;
  Destination hook;
  hook.kind = DestinationKind::kWebhook;
  hook.secret = "s";
  auto slack_json = [&] { return json::parse(build_request(slack, n, "", 0)->body); };
  auto hook_json = [&] { return json::parse(build_request(hook, n, "", 0)->body)["notice"]; };

  // A step on the clock's counted time.
  EXPECT_EQ(slack_json()["text"], "[P2] acme ticket T-1: resolution SLA escalated (step 0, on the clock)");
  EXPECT_EQ(slack_fields(slack_json())["Trigger"], "clock");
  EXPECT_EQ(hook_json()["trigger"], "clock");
  EXPECT_FALSE(hook_json().contains("request"));

  // `at: {exchanges: 2}`.
  n.trigger = "exchanges";
  n.exchanges = 2;
  EXPECT_EQ(slack_json()["text"], "[P2] acme ticket T-1: resolution SLA escalated (step 0, after 2 exchanges)");
  EXPECT_EQ(slack_fields(slack_json())["Exchanges"], "2");
  EXPECT_EQ(hook_json()["trigger"], "exchanges");
  EXPECT_EQ(hook_json()["exchanges"], 2);

  // `trigger: requested`: who asked and why.
  n.trigger = "requested";
  n.exchanges = 0;
  n.requested_by = "cto@customer.example";
  n.request_reason = "ESCALATION: tills <down> again";
  n.requested_at = 1767323045'000;
  EXPECT_EQ(slack_json()["text"],
            "[P2] acme ticket T-1: resolution SLA escalated (step 0, requested by cto@customer.example: "
            "\"ESCALATION: tills <down> again\")");
  // The section block shows the same line, escaped for mrkdwn.
  EXPECT_THAT(slack_json()["blocks"][1]["text"]["text"].get<std::string>(),
              HasSubstr("requested by cto@customer.example: \"ESCALATION: tills &lt;down&gt; again\""));
  const auto fields = slack_fields(slack_json());
  EXPECT_EQ(fields.at("Trigger"), "requested");
  EXPECT_EQ(fields.at("Requested by"), "cto@customer.example");
  EXPECT_EQ(fields.at("Reason"), "ESCALATION: tills &lt;down&gt; again");
  const auto h = hook_json();
  EXPECT_EQ(h["trigger"], "requested");
  EXPECT_EQ(h["request"]["by"], "cto@customer.example");
  EXPECT_EQ(h["request"]["reason"], "ESCALATION: tills <down> again");
  EXPECT_EQ(h["request"]["requested_at"], "2026-01-02T03:04:05.000Z");

  // A long reason (up to 1024 bytes) is clipped in the summary line, at a
  // UTF-8 boundary, and whole in the field and the webhook.
  n.request_reason = std::string(199, 'x') + "\xc3\xa9" + std::string(800, 'y');
  const auto text = slack_json()["text"].get<std::string>();
  EXPECT_THAT(text, HasSubstr(std::string(199, 'x') + "...\")"));
  EXPECT_EQ(slack_fields(slack_json()).at("Reason"), n.request_reason);
  EXPECT_EQ(hook_json()["request"]["reason"], n.request_reason);

  // Other kinds carry no trigger.
  n.kind = "breached";
  EXPECT_FALSE(hook_json().contains("trigger"));
  EXPECT_EQ(slack_fields(slack_json()).count("Trigger"), 0U);
}

TEST(Payload, TicketLinksAreEscaped) {
  EXPECT_EQ(ticket_link("https://d", "a b/c"), "https://d/v1/tickets/a%20b%2Fc");
  EXPECT_EQ(ticket_link("", "x"), "");
}

}  // namespace
}  // namespace sla::notify
