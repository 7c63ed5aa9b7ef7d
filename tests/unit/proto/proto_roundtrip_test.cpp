// Round-trips every wire message through protobuf binary and proto3-JSON.
#include <set>
#include <string>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "sla/v1/sla_event.pb.h"
#include "sla/v1/ticket_event.pb.h"

namespace {

using google::protobuf::Message;
using google::protobuf::util::MessageDifferencer;

template <typename M>
void expect_roundtrip(const M& original) {
  std::string binary;
  ASSERT_TRUE(original.SerializeToString(&binary));
  M from_binary;
  ASSERT_TRUE(from_binary.ParseFromString(binary));
  EXPECT_TRUE(MessageDifferencer::Equals(original, from_binary)) << original.DebugString();

  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(original, &json).ok());
  M from_json;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &from_json).ok()) << json;
  EXPECT_TRUE(MessageDifferencer::Equals(original, from_json)) << json;
}

sla::v1::TicketEvent base_event(const std::string& id) {
  sla::v1::TicketEvent e;
  e.set_event_id(id);
  e.set_ticket_id("T-1");
  e.set_tenant_id("acme");
  e.mutable_occurred_at()->set_seconds(1775476800);  // 2026-04-06T12:00:00Z
  e.mutable_occurred_at()->set_nanos(500000000);
  e.set_sequence(7);
  return e;
}

TEST(ProtoRoundTrip, EveryTicketEventKind) {
  std::vector<sla::v1::TicketEvent> events;
  {
    auto e = base_event("e-opened");
    auto* o = e.mutable_opened();
    o->set_plan("enterprise");
    o->set_severity("P0");
    o->set_status("open");
    (*o->mutable_labels())["region"] = "mx";
    (*o->mutable_attributes())["channel"] = "chat";
    events.push_back(e);
  }
  { auto e = base_event("e-resp"); e.mutable_responded(); events.push_back(e); }
  { auto e = base_event("e-upd"); e.mutable_agent_updated(); events.push_back(e); }
  { auto e = base_event("e-st"); e.mutable_status_changed()->set_status("pending_customer"); events.push_back(e); }
  { auto e = base_event("e-sev"); e.mutable_severity_changed()->set_severity("P1"); events.push_back(e); }
  { auto e = base_event("e-plan"); e.mutable_plan_changed()->set_plan("pro"); events.push_back(e); }
  { auto e = base_event("e-wa"); e.mutable_workaround_provided(); events.push_back(e); }
  { auto e = base_event("e-res"); e.mutable_resolved(); events.push_back(e); }
  { auto e = base_event("e-reo"); e.mutable_reopened(); events.push_back(e); }
  { auto e = base_event("e-cl"); e.mutable_closed(); events.push_back(e); }
  {
    auto e = base_event("e-ack");
    e.mutable_page_acknowledged()->set_page_id("T-1/resolution/1/page/t3/0/0");
    e.mutable_page_acknowledged()->set_responder("ana");
    events.push_back(e);
  }
  { auto e = base_event("e-cr"); e.mutable_customer_replied(); events.push_back(e); }
  {
    auto e = base_event("e-er");
    e.mutable_escalation_requested()->set_by("cfo@acme");
    e.mutable_escalation_requested()->set_reason("ESCALATION in subject");
    events.push_back(e);
  }
  {
    auto e = base_event("e-attrs");
    (*e.mutable_attributes_changed()->mutable_set())["channel"] = "email";
    e.mutable_attributes_changed()->add_removed("region");
    events.push_back(e);
  }
  // Every oneof case is covered exactly once.
  std::set<int> kinds;
  for (const auto& e : events) {
    kinds.insert(e.kind_case());
    expect_roundtrip(e);
  }
  EXPECT_EQ(kinds.size(), static_cast<std::size_t>(sla::v1::TicketEvent::descriptor()->oneof_decl(0)->field_count()));
}

TEST(ProtoRoundTrip, SequenceIsOptional) {
  auto e = base_event("e");
  e.clear_sequence();
  e.mutable_responded();
  EXPECT_FALSE(e.has_sequence());
  std::string binary;
  ASSERT_TRUE(e.SerializeToString(&binary));
  sla::v1::TicketEvent back;
  ASSERT_TRUE(back.ParseFromString(binary));
  EXPECT_FALSE(back.has_sequence());
}

TEST(ProtoRoundTrip, Proto3JsonUsesRfc3339AndCamelCase) {
  auto e = base_event("e-json");
  e.mutable_status_changed()->set_status("on_hold");
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(e, &json).ok());
  EXPECT_NE(json.find("\"occurredAt\":\"2026-04-06T12:00:00.500Z\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"statusChanged\":{\"status\":\"on_hold\"}"), std::string::npos) << json;
  // Producers may also send the original snake_case field names.
  sla::v1::TicketEvent parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  R"({"event_id":"x","ticket_id":"T","occurred_at":"2026-01-01T00:00:00Z","resolved":{}})", &parsed)
                  .ok());
  EXPECT_EQ(parsed.ticket_id(), "T");
  EXPECT_TRUE(parsed.has_resolved());
}

TEST(ProtoRoundTrip, SlaEventEveryKind) {
  auto make = [](const std::string& kind) {
    sla::v1::SlaEvent s;
    s.set_event_id("T-1/resolution/0/" + kind + "/0");
    s.set_ticket_id("T-1");
    s.set_tenant_id("acme");
    s.set_plan("enterprise");
    s.set_severity("P0");
    s.set_metric(sla::v1::METRIC_RESOLUTION);
    s.set_cycle(2);
    s.mutable_deadline()->set_seconds(1775491200);
    s.mutable_fired_at()->set_seconds(1775491200);
    s.mutable_elapsed()->set_seconds(14400);
    s.mutable_target()->set_seconds(14400);
    return s;
  };
  auto w = make("warning");
  w.mutable_warning()->set_threshold("75%");
  expect_roundtrip(w);
  auto b = make("breached");
  b.mutable_breached()->set_reminder(2);
  expect_roundtrip(b);
  auto m = make("met");
  m.mutable_met();
  expect_roundtrip(m);
  auto x = make("escalated");
  x.mutable_escalated()->set_step(1);
  x.mutable_escalated()->add_notify("founder");
  x.mutable_escalated()->add_notify("cto");
  x.mutable_escalated()->set_page(true);
  expect_roundtrip(x);
}

TEST(ProtoRoundTrip, PageEventAndDeadlines) {
  sla::v1::PageEvent p;
  p.set_page_id("T-1/resolution/0/page/t3/1/0");
  p.set_dedup_key("T-1/resolution/0/t3");
  p.set_ticket_id("T-1");
  p.set_tenant_id("acme");
  p.set_plan("enterprise");
  p.set_severity("P0");
  p.set_metric(sla::v1::METRIC_RESOLUTION);
  p.set_target("t3");
  p.set_rotation("secondary");
  p.set_responder("luis");
  p.set_level(1);
  p.set_attempt(0);
  p.mutable_ack_deadline()->set_seconds(1775492000);
  p.set_urgency(sla::v1::URGENCY_HIGH);
  expect_roundtrip(p);

  sla::v1::TicketDeadlines d;
  d.set_ticket_id("T-1");
  d.set_plan("enterprise");
  d.set_severity("P0");
  d.set_status("pending_customer");
  auto* c = d.add_clocks();
  c->set_metric(sla::v1::METRIC_UPDATE);
  c->set_cycle(3);
  c->set_state(sla::v1::CLOCK_STATE_PAUSED);
  c->set_pause_reason(sla::v1::PAUSE_REASON_STATUS);
  c->set_pause_status("pending_customer");
  c->mutable_elapsed()->set_seconds(600);
  c->set_calendar("mx-business");
  expect_roundtrip(d);
}

TEST(ProtoRoundTrip, GarbageIsRejected) {
  sla::v1::TicketEvent e;
  EXPECT_FALSE(e.ParseFromString(std::string("\xff\xff\xff\xff\x0f", 5)));
  EXPECT_FALSE(google::protobuf::util::JsonStringToMessage("{\"ticketId\": 5, ", &e).ok());
  EXPECT_FALSE(google::protobuf::util::JsonStringToMessage(R"({"occurredAt":"yesterday"})", &e).ok());
}

}  // namespace
