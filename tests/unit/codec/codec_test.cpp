// Codec: decoding validates and maps every event kind; outputs encode to the
// wire messages; every rejection names its DLQ reason.
#include <gtest/gtest.h>

#include "sla/codec/codec.hpp"
#include "sla/v1/sla_event.pb.h"
#include "sla/v1/ticket_event.pb.h"

namespace {

using sla::codec::ContentType;
using sla::codec::DecodeFailure;
using sla::engine::EventKind;

constexpr sla::EpochMillis kNow = 1775476800000;  // 2026-04-06T12:00:00Z

TEST(Codec, ContentTypeHeader) {
  EXPECT_EQ(sla::codec::content_type_from_header("application/json"), ContentType::kJson);
  EXPECT_EQ(sla::codec::content_type_from_header("Application/JSON; charset=utf-8"), ContentType::kJson);
  EXPECT_EQ(sla::codec::content_type_from_header("application/x-protobuf"), ContentType::kProtobuf);
  EXPECT_EQ(sla::codec::content_type_from_header(""), ContentType::kProtobuf);
}

TEST(Codec, EveryKindRoundTripsThroughBinary) {
  const std::vector<EventKind> kinds = {
      EventKind::kOpened,   EventKind::kResponded,          EventKind::kAgentUpdated, EventKind::kStatusChanged,
      EventKind::kSeverityChanged, EventKind::kPlanChanged, EventKind::kWorkaroundProvided,
      EventKind::kResolved, EventKind::kReopened,           EventKind::kClosed,       EventKind::kPageAcknowledged};
  for (auto kind : kinds) {
    sla::engine::TicketEvent e;
    e.event_id = "e-" + std::string(sla::engine::to_string(kind));
    e.ticket_id = "T-1";
    e.tenant_id = "acme";
    e.occurred_at = kNow - 1500;
    e.sequence = 4;
    e.kind = kind;
    e.plan = kind == EventKind::kOpened || kind == EventKind::kPlanChanged ? "pro" : "";
    e.severity = kind == EventKind::kOpened || kind == EventKind::kSeverityChanged ? "P1" : "";
    e.status = kind == EventKind::kOpened || kind == EventKind::kStatusChanged ? "on_hold" : "";
    if (kind == EventKind::kOpened) e.labels = {{"a", "1"}, {"b", "2"}};
    if (kind == EventKind::kPageAcknowledged) {
      e.page_id = "p-1";
      e.responder = "ana";
    }
    auto bytes = sla::codec::encode_ticket_event(e);
    auto back = sla::codec::decode_ticket_event(bytes, ContentType::kProtobuf, kNow);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->kind, kind);
    EXPECT_EQ(back->event_id, e.event_id);
    EXPECT_EQ(back->occurred_at, e.occurred_at);
    EXPECT_EQ(back->sequence, e.sequence);
    EXPECT_EQ(back->plan, e.plan);
    EXPECT_EQ(back->severity, e.severity);
    EXPECT_EQ(back->status, e.status);
    EXPECT_EQ(back->labels, e.labels);
    EXPECT_EQ(back->page_id, e.page_id);
    EXPECT_EQ(back->responder, e.responder);
  }
}

TEST(Codec, DecodesProto3Json) {
  auto e = sla::codec::decode_ticket_event(
      R"({"eventId":"e1","ticketId":"T-9","tenantId":"t","occurredAt":"2026-04-06T11:59:59.250Z",
          "opened":{"plan":"enterprise","severity":"P0"}})",
      ContentType::kJson, kNow);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->kind, EventKind::kOpened);
  EXPECT_EQ(e->occurred_at, kNow - 750);
  EXPECT_EQ(e->status, "open");  // default initial status
  EXPECT_FALSE(e->sequence.has_value());
}

struct Rejection {
  std::string payload;
  ContentType type;
  DecodeFailure failure;
};

TEST(Codec, RejectionsNameTheirReason) {
  const std::vector<Rejection> cases = {
      {"\xff\xff\xff", ContentType::kProtobuf, DecodeFailure::kUndecodable},
      {"{not json", ContentType::kJson, DecodeFailure::kUndecodable},
      {R"({"eventId":"e","ticketId":"T","occurredAt":"2026-04-06T11:00:00Z","bogus":1,"resolved":{}})",
       ContentType::kJson, DecodeFailure::kUndecodable},
      {R"({"ticketId":"T","occurredAt":"2026-04-06T11:00:00Z","resolved":{}})", ContentType::kJson,
       DecodeFailure::kMissingField},
      {R"({"eventId":"e","occurredAt":"2026-04-06T11:00:00Z","resolved":{}})", ContentType::kJson,
       DecodeFailure::kMissingField},
      {R"({"eventId":"e","ticketId":"T","resolved":{}})", ContentType::kJson, DecodeFailure::kMissingField},
      {R"({"eventId":"e","ticketId":"T","occurredAt":"2026-04-06T11:00:00Z"})", ContentType::kJson,
       DecodeFailure::kMissingField},
      {R"({"eventId":"e","ticketId":"T","occurredAt":"2026-04-06T11:00:00Z","opened":{"severity":"P1"}})",
       ContentType::kJson, DecodeFailure::kMissingField},
      {R"({"eventId":"e","ticketId":"T","occurredAt":"1999-12-31T23:59:59Z","resolved":{}})", ContentType::kJson,
       DecodeFailure::kAbsurdTimestamp},
      {R"({"eventId":"e","ticketId":"T","occurredAt":"2026-04-08T12:00:00Z","resolved":{}})", ContentType::kJson,
       DecodeFailure::kAbsurdTimestamp},
      {R"({"eventId":"e","ticketId":"T","occurredAt":"2026-04-06T11:00:00Z","statusChanged":{}})",
       ContentType::kJson, DecodeFailure::kMissingField},
      {std::string(70000, 'x'), ContentType::kProtobuf, DecodeFailure::kOversize},
      {R"({"eventId":")" + std::string(300, 'e') + R"(","ticketId":"T","occurredAt":"2026-04-06T11:00:00Z","resolved":{}})",
       ContentType::kJson, DecodeFailure::kInvalidField},
  };
  for (const auto& c : cases) {
    auto r = sla::codec::decode_ticket_event(c.payload, c.type, kNow);
    ASSERT_FALSE(r) << c.payload.substr(0, 120);
    EXPECT_EQ(r.error().failure, c.failure) << c.payload.substr(0, 120) << " -> " << r.error().message;
    EXPECT_FALSE(r.error().message.empty());
  }
}

TEST(Codec, OutputsEncodeToWireMessages) {
  sla::engine::SlaOutput s;
  s.event_id = "T-1/response/0/breached/0";
  s.ticket_id = "T-1";
  s.metric = sla::engine::MetricKind::kResponse;
  s.kind = sla::engine::SlaKind::kBreached;
  s.deadline = kNow;
  s.fired_at = kNow + 1;
  s.elapsed_ms = 900000;
  s.target_ms = 900000;
  sla::v1::SlaEvent pb;
  ASSERT_TRUE(pb.ParseFromString(sla::codec::encode_output(s)));
  EXPECT_EQ(pb.event_id(), s.event_id);
  EXPECT_TRUE(pb.has_breached());
  EXPECT_EQ(pb.metric(), sla::v1::METRIC_RESPONSE);
  EXPECT_EQ(pb.fired_at().seconds(), kNow / 1000);
  EXPECT_EQ(pb.fired_at().nanos(), 1000000);
  EXPECT_EQ(pb.target().seconds(), 900);

  const auto line = sla::codec::output_to_json_line(s);
  EXPECT_EQ(line.rfind(R"({"topic":"sla.escalations","event":{"eventId":"T-1/response/0/breached/0")", 0), 0u)
      << line;
  EXPECT_NE(line.find(R"("deadline":"2026-04-06T12:00:00Z")"), std::string::npos) << line;

  sla::engine::PageOutput p;
  p.page_id = "pg";
  p.rotation = "primary";
  p.responder = "ana";
  p.level = 1;
  sla::v1::PageEvent pp;
  ASSERT_TRUE(pp.ParseFromString(sla::codec::encode_output(p)));
  EXPECT_EQ(pp.responder(), "ana");
  EXPECT_EQ(pp.level(), 1u);
  EXPECT_EQ(pp.urgency(), sla::v1::URGENCY_HIGH);
  EXPECT_EQ(sla::codec::output_to_json_line(p).rfind(R"({"topic":"sla.pages")", 0), 0u);
}

TEST(Codec, Rfc3339) {
  EXPECT_EQ(sla::codec::format_rfc3339(1775491200000), "2026-04-06T16:00:00Z");
  EXPECT_EQ(sla::codec::format_rfc3339(1775491200250), "2026-04-06T16:00:00.250Z");
}

}  // namespace
