#include "sla/notify/inbound.hpp"

#include <gtest/gtest.h>

namespace sla::notify {
namespace {

// Shape of a PagerDuty v3 webhook (developer.pagerduty.com, "V3 Webhooks").
std::string webhook(const std::string& type, const std::string& key) {
  return R"({"event":{"id":"01DEF","event_type":")" + type +
         R"(","resource_type":"incident","occurred_at":"2026-01-02T03:04:05.250Z",
    "agent":{"id":"PLH1HKV","summary":"Alice Oncall","type":"user_reference"},
    "data":{"id":"Q1","type":"incident","status":"acknowledged","incident_key":")" + key +
         R"(","title":"x"}}})";
}

TEST(Inbound, TicketOfDedupKey) {
  // The engine's ladder key: ticket/metric/cycle/page/<escalation>/<step>/<target>.
  EXPECT_EQ(ticket_of_dedup_key("ACK-0/response/0/page/p0-response/1/t3"), "ACK-0");
  EXPECT_EQ(ticket_of_dedup_key("acme/T/1/resolution/2/page/ent-p0/3/duty-manager"), "acme/T/1");
  EXPECT_EQ(ticket_of_dedup_key("T-1/response/0/warn/p0/1/t3"), std::nullopt);
  EXPECT_EQ(ticket_of_dedup_key("T-1/speed/0/page/p0/1/t3"), std::nullopt);
  EXPECT_EQ(ticket_of_dedup_key("response/0/page/p0/1/t3"), std::nullopt);
  EXPECT_EQ(ticket_of_dedup_key("/response/0/page/p0/1/t3"), std::nullopt);
  EXPECT_EQ(ticket_of_dedup_key("d3640fbd41094207a1c11e58e46b1662"), std::nullopt);
}

TEST(Inbound, Rfc3339) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:01Z"), 1000);
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:01.5Z"), 1500);
  EXPECT_EQ(parse_rfc3339("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00-00:30"), 1'800'000);
  EXPECT_EQ(parse_rfc3339("1970-13-01T00:00:00Z"), std::nullopt);
  EXPECT_EQ(parse_rfc3339("yesterday"), std::nullopt);
}

TEST(Inbound, AcknowledgedIncidentBecomesAPageAck) {
  const auto r = parse_pagerduty_webhook(webhook("incident.acknowledged", "T-1/response/0/page/p0/1/db"), 7);
  ASSERT_TRUE(r);
  ASSERT_TRUE(r->has_value());
  const PageAck& a = **r;
  EXPECT_EQ(a.event_id, "pagerduty/01DEF");
  EXPECT_EQ(a.ticket_id, "T-1");
  EXPECT_EQ(a.page_id, "T-1/response/0/page/p0/1/db");
  EXPECT_EQ(a.responder, "Alice Oncall");
  EXPECT_EQ(a.occurred_at, *parse_rfc3339("2026-01-02T03:04:05.250Z"));
}

TEST(Inbound, ResolvedIncidentAlsoStopsTheLadder) {
  const auto r = parse_pagerduty_webhook(webhook("incident.resolved", "T-1/response/0/page/p0/1/db"), 7);
  ASSERT_TRUE(r && r->has_value());
  EXPECT_EQ((*r)->event_type, "incident.resolved");
}

TEST(Inbound, OtherEventsAndForeignIncidentsAreIgnored) {
  auto r = parse_pagerduty_webhook(webhook("incident.triggered", "T-1/response/0/page/p0/1/db"), 7);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_value());
  r = parse_pagerduty_webhook(webhook("incident.acknowledged", "someone-elses-key"), 7);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_value());
}

TEST(Inbound, MalformedBodiesAreErrors) {
  EXPECT_FALSE(parse_pagerduty_webhook("not json", 0));
  EXPECT_FALSE(parse_pagerduty_webhook("[]", 0));
  EXPECT_FALSE(parse_pagerduty_webhook(R"({"event":{"event_type":"incident.acknowledged"}})", 0));
  EXPECT_FALSE(parse_pagerduty_webhook(R"({"event":{"id":"1","event_type":"incident.acknowledged"}})", 0));
}

}  // namespace
}  // namespace sla::notify
