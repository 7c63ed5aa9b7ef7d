// Codec: decoding validates and maps every event kind; outputs encode to the
// wire messages; every rejection names its DLQ reason.
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sla/codec/codec.hpp"
#include "sla/v1/sla_event.pb.h"
#include "sla/v1/ticket_event.pb.h"

namespace {

using sla::codec::ContentType;
using sla::codec::DecodeFailure;
using sla::engine::EventKind;

constexpr sla::EpochMillis kNow = 1775476800000;  // 2026-04-06T12:00:00Z

/// A Timestamp or Duration as milliseconds.
template <typename T>
std::int64_t millis_of(const T& t) {
  return t.seconds() * 1000 + t.nanos() / 1000000;
}

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
      EventKind::kResolved, EventKind::kReopened,           EventKind::kClosed,       EventKind::kPageAcknowledged,
      EventKind::kCustomerReplied, EventKind::kEscalationRequested};
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
    if (kind == EventKind::kEscalationRequested) {
      e.requested_by = "customer";
      e.reason = "ESCALATION: store offline";
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
    EXPECT_EQ(back->requested_by, e.requested_by);
    EXPECT_EQ(back->reason, e.reason);
  }
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
       ContentType::kJson, DecodeFailure::kFieldTooLong},
  };
  for (const auto& c : cases) {
    auto r = sla::codec::decode_ticket_event(c.payload, c.type, kNow);
    ASSERT_FALSE(r) << c.payload.substr(0, 120);
    EXPECT_EQ(r.error().failure, c.failure) << c.payload.substr(0, 120) << " -> " << r.error().message;
    EXPECT_FALSE(r.error().message.empty());
  }
}

// A valid proto3-JSON event with `kind_json` as its kind.
std::string json_with(const std::string& kind_json) {
  return R"({"eventId":"e","ticketId":"T","tenantId":"t","occurredAt":"2026-04-06T11:00:00Z",)" + kind_json + "}";
}

// Every string field has a bound (SPEC 5.3): at the bound it decodes, one
// byte more is `field_too_long`. page_acknowledged.page_id and responder had
// none, and a few dozen large acks grew the process tenfold.
TEST(Codec, EveryStringFieldHasALengthLimit) {
  const sla::codec::Limits limits;
  const auto s = [](std::size_t n) { return std::string(n, 'x'); };
  struct Field {
    std::string name;
    std::size_t max;
    std::function<std::string(const std::string&)> json;
  };
  const std::vector<Field> fields = {
      {"event_id", limits.max_id_length,
       [](const std::string& v) {
         return R"({"eventId":")" + v + R"(","ticketId":"T","occurredAt":"2026-04-06T11:00:00Z","resolved":{}})";
       }},
      {"ticket_id", limits.max_id_length,
       [](const std::string& v) {
         return R"({"eventId":"e","ticketId":")" + v + R"(","occurredAt":"2026-04-06T11:00:00Z","resolved":{}})";
       }},
      {"tenant_id", limits.max_id_length,
       [](const std::string& v) {
         return R"({"eventId":"e","ticketId":"T","tenantId":")" + v +
                R"(","occurredAt":"2026-04-06T11:00:00Z","resolved":{}})";
       }},
      {"opened.plan", limits.max_name_length,
       [](const std::string& v) { return json_with(R"("opened":{"plan":")" + v + R"(","severity":"P1"})"); }},
      {"opened.severity", limits.max_name_length,
       [](const std::string& v) { return json_with(R"("opened":{"plan":"gold","severity":")" + v + R"("})"); }},
      {"opened.status", limits.max_name_length,
       [](const std::string& v) {
         return json_with(R"("opened":{"plan":"gold","severity":"P1","status":")" + v + R"("})");
       }},
      {"opened.labels key", limits.max_name_length,
       [](const std::string& v) {
         return json_with(R"("opened":{"plan":"gold","severity":"P1","labels":{")" + v + R"(":"1"}})");
       }},
      {"opened.labels value", limits.max_id_length,
       [](const std::string& v) {
         return json_with(R"("opened":{"plan":"gold","severity":"P1","labels":{"k":")" + v + R"("}})");
       }},
      {"status_changed.status", limits.max_name_length,
       [](const std::string& v) { return json_with(R"("statusChanged":{"status":")" + v + R"("})"); }},
      {"severity_changed.severity", limits.max_name_length,
       [](const std::string& v) { return json_with(R"("severityChanged":{"severity":")" + v + R"("})"); }},
      {"plan_changed.plan", limits.max_name_length,
       [](const std::string& v) { return json_with(R"("planChanged":{"plan":")" + v + R"("})"); }},
      {"page_acknowledged.page_id", limits.max_page_id_length,
       [](const std::string& v) { return json_with(R"("pageAcknowledged":{"pageId":")" + v + R"(","responder":"ana"})"); }},
      {"page_acknowledged.responder", limits.max_id_length,
       [](const std::string& v) { return json_with(R"("pageAcknowledged":{"pageId":"p","responder":")" + v + R"("})"); }},
      {"escalation_requested.by", limits.max_id_length,
       [](const std::string& v) { return json_with(R"("escalationRequested":{"by":")" + v + R"(","reason":"r"})"); }},
      {"escalation_requested.reason", limits.max_text_length,
       [](const std::string& v) { return json_with(R"("escalationRequested":{"by":"b","reason":")" + v + R"("})"); }},
  };
  for (const auto& f : fields) {
    auto at_limit = sla::codec::decode_ticket_event(f.json(s(f.max)), ContentType::kJson, kNow);
    EXPECT_TRUE(at_limit) << f.name << " at its limit: " << (at_limit ? "" : at_limit.error().message);
    auto over = sla::codec::decode_ticket_event(f.json(s(f.max + 1)), ContentType::kJson, kNow);
    ASSERT_FALSE(over) << f.name << " one byte over its limit of " << f.max << " was accepted";
    EXPECT_EQ(over.error().failure, DecodeFailure::kFieldTooLong) << f.name << ": " << over.error().message;
    EXPECT_EQ(sla::codec::to_string(over.error().failure), "field_too_long");
    EXPECT_NE(over.error().message.find(f.name.substr(0, f.name.find(' '))), std::string::npos) << over.error().message;
  }
  // The binary path has the same bounds.
  sla::engine::TicketEvent ack;
  ack.event_id = "e";
  ack.ticket_id = "T";
  ack.occurred_at = kNow - 1000;
  ack.kind = EventKind::kPageAcknowledged;
  ack.page_id = s(limits.max_page_id_length + 1);
  auto bin = sla::codec::decode_ticket_event(sla::codec::encode_ticket_event(ack), ContentType::kProtobuf, kNow);
  ASSERT_FALSE(bin);
  EXPECT_EQ(bin.error().failure, DecodeFailure::kFieldTooLong);
  ack.page_id = "p";
  ack.responder = s(limits.max_id_length + 1);
  bin = sla::codec::decode_ticket_event(sla::codec::encode_ticket_event(ack), ContentType::kProtobuf, kNow);
  ASSERT_FALSE(bin);
  EXPECT_EQ(bin.error().failure, DecodeFailure::kFieldTooLong);
  sla::engine::TicketEvent req = ack;
  req.kind = EventKind::kEscalationRequested;
  req.reason = s(limits.max_text_length + 1);
  bin = sla::codec::decode_ticket_event(sla::codec::encode_ticket_event(req), ContentType::kProtobuf, kNow);
  ASSERT_FALSE(bin);
  EXPECT_EQ(bin.error().failure, DecodeFailure::kFieldTooLong);
  EXPECT_NE(bin.error().message.find("escalation_requested.reason"), std::string::npos) << bin.error().message;

  // Labels: at most max_labels entries.
  std::string labels;
  for (std::size_t i = 0; i <= limits.max_labels; ++i) {
    labels += (i ? "," : "") + std::string("\"k") + std::to_string(i) + R"(":"v")";
  }
  auto many = sla::codec::decode_ticket_event(
      json_with(R"("opened":{"plan":"gold","severity":"P1","labels":{)" + labels + "}}"), ContentType::kJson, kNow);
  ASSERT_FALSE(many);
  EXPECT_EQ(many.error().failure, DecodeFailure::kFieldTooLong) << many.error().message;
}

TEST(Codec, DecodesCustomerRepliesAndEscalationRequestsFromJson) {
  auto reply = sla::codec::decode_ticket_event(
      R"({"eventId":"e1","ticketId":"T-9","tenantId":"t","occurredAt":"2026-04-06T11:00:00Z","customerReplied":{}})",
      ContentType::kJson, kNow);
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->kind, EventKind::kCustomerReplied);
  EXPECT_EQ(sla::engine::to_string(reply->kind), "customer_replied");
  auto req = sla::codec::decode_ticket_event(
      R"({"eventId":"e2","ticketId":"T-9","tenantId":"t","occurredAt":"2026-04-06T11:00:00Z",
          "escalationRequested":{"by":"ops@acme","reason":"ESCALATION in subject"}})",
      ContentType::kJson, kNow);
  ASSERT_TRUE(req) << req.error().message;
  EXPECT_EQ(req->kind, EventKind::kEscalationRequested);
  EXPECT_EQ(sla::engine::to_string(req->kind), "escalation_requested");
  EXPECT_EQ(req->requested_by, "ops@acme");
  EXPECT_EQ(req->reason, "ESCALATION in subject");
  // Both fields are optional: an anonymous request without a reason still counts.
  auto bare = sla::codec::decode_ticket_event(json_with(R"("escalationRequested":{})"), ContentType::kJson, kNow);
  ASSERT_TRUE(bare) << bare.error().message;
  EXPECT_TRUE(bare->requested_by.empty());
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

// Unknown fields are ignored in JSON as protobuf's binary parser ignores
// them: a field added upstream must not send every event to the DLQ.
TEST(Codec, UnknownJsonFieldsAreIgnoredAsInBinary) {
  auto e = sla::codec::decode_ticket_event(
      R"({"eventId":"e","ticketId":"T","occurredAt":"2026-04-06T11:00:00Z","priorityScore":7,
          "origin":{"system":"zendesk","tags":["a","b"]},
          "opened":{"plan":"gold","severity":"P1","assignee":"ana"}})",
      ContentType::kJson, kNow);
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->kind, EventKind::kOpened);
  EXPECT_EQ(e->plan, "gold");
  EXPECT_EQ(e->severity, "P1");

  // The binary equivalent: an unknown field number (99, varint) is skipped.
  sla::engine::TicketEvent r;
  r.event_id = "e";
  r.ticket_id = "T";
  r.occurred_at = kNow - 1000;
  r.kind = EventKind::kResolved;
  auto bytes = sla::codec::encode_ticket_event(r);
  bytes += std::string("\x98\x06\x07", 3);  // field 99, wire type 0, value 7
  auto b = sla::codec::decode_ticket_event(bytes, ContentType::kProtobuf, kNow);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->kind, EventKind::kResolved);

  // Still rejected: JSON that is not a TicketEvent at all, or a known field
  // of the wrong type.
  EXPECT_FALSE(sla::codec::decode_ticket_event("[1,2]", ContentType::kJson, kNow));
  EXPECT_FALSE(sla::codec::decode_ticket_event(
      R"({"eventId":7,"ticketId":"T","occurredAt":"2026-04-06T11:00:00Z","resolved":{}})", ContentType::kJson, kNow));
}

// A record's key must be its ticket_id (SPEC 5.3): one keyed by ticket A
// carrying ticket B's id would make a second copy of B on A's partition.
TEST(Codec, TheRecordKeyMustBeItsTicketId) {
  const std::string ev = R"({"eventId":"e","ticketId":"T-2","occurredAt":"2026-04-06T11:00:00Z","resolved":{}})";
  auto ok = sla::codec::decode_record("T-2", ev, ContentType::kJson, kNow);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->ticket_id, "T-2");
  for (const std::string& key : std::vector<std::string>{"T-1", "", "T-2 ", "t-2", std::string(100000, 'K')}) {
    auto bad = sla::codec::decode_record(key, ev, ContentType::kJson, kNow);
    ASSERT_FALSE(bad) << "key " << key.substr(0, 20);
    EXPECT_EQ(bad.error().failure, DecodeFailure::kKeyMismatch);
    EXPECT_EQ(sla::codec::to_string(bad.error().failure), "key_mismatch");
    EXPECT_LT(bad.error().message.size(), 1000u) << "the error quotes a huge key whole";
    EXPECT_NE(bad.error().message.find("T-2"), std::string::npos) << bad.error().message;
  }
  // A payload that does not decode keeps its own reason.
  auto broken = sla::codec::decode_record("T-1", "{oops", ContentType::kJson, kNow);
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().failure, DecodeFailure::kUndecodable);
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

  // A met after the clock's breach says so on the wire, in binary and JSON.
  s.event_id = "T-1/response/0/met/0";
  s.kind = sla::engine::SlaKind::kMet;
  s.after_breach = true;
  ASSERT_TRUE(pb.ParseFromString(sla::codec::encode_output(s)));
  ASSERT_TRUE(pb.has_met());
  EXPECT_TRUE(pb.met().after_breach());
  for (const auto type : {sla::codec::ContentType::kProtobuf, sla::codec::ContentType::kJson}) {
    const std::string bytes = type == sla::codec::ContentType::kJson ? sla::codec::output_to_json_line(s)
                                                                     : sla::codec::encode_output(s);
    auto back = sla::codec::decode_sla_event(bytes, type);
    if (type == sla::codec::ContentType::kJson) {
      // The JSON line wraps the event: decode its "event" object.
      const auto at = bytes.find("\"event\":") + 8;
      back = sla::codec::decode_sla_event(bytes.substr(at, bytes.size() - at - 1), type);
    }
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->kind, sla::engine::SlaKind::kMet);
    EXPECT_TRUE(back->after_breach);
  }
  EXPECT_NE(sla::codec::output_to_json_line(s).find(R"("met":{"afterBreach":true})"), std::string::npos);
  // An open-ended clock (no deadline, no target): both left unset, not "0s".
  {
    sla::engine::SlaOutput open = s;
    open.deadline.reset();
    open.target_ms = 0;
    sla::v1::SlaEvent ob;
    ASSERT_TRUE(ob.ParseFromString(sla::codec::encode_output(open)));
    EXPECT_FALSE(ob.has_target());
    EXPECT_FALSE(ob.has_deadline());
    const auto j = sla::codec::output_to_json_line(open);
    EXPECT_EQ(j.find("\"target\""), std::string::npos) << j;
  }
  s.after_breach = false;
  auto plain = sla::codec::decode_sla_event(sla::codec::encode_output(s), sla::codec::ContentType::kProtobuf);
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->after_breach);

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

// The daemon's hot path encodes into one reused buffer, and every encode and
// decode on a thread shares one arena, reset every few dozen uses. Hundreds
// of random outputs, snapshots and decodes interleaved on one thread must
// each come out whole: parsed back, every field is the source's.
TEST(Codec, ReusedBuffersAndArenaKeepEveryMessageWhole) {
  std::mt19937_64 rng(20261123);
  const auto text = [&](const char* prefix) {
    // Around the 15-character short-string boundary and well past it.
    return std::string(prefix) + std::string(rng() % 40, static_cast<char>('a' + rng() % 26));
  };
  const auto millis = [&] { return kNow + static_cast<sla::EpochMillis>(rng() % 100'000'000); };
  std::string bytes;
  std::string snapshot;
  for (int i = 0; i < 400; ++i) {
    switch (i % 4) {
      case 0: {
        sla::engine::SlaOutput s;
        s.event_id = text("e/");
        s.ticket_id = text("T-");
        s.tenant_id = text("");
        s.plan = text("p");
        s.severity = text("P");
        s.metric = static_cast<sla::engine::MetricKind>(rng() % 4);
        s.cycle = static_cast<std::uint32_t>(rng() % 5);
        s.deadline = rng() % 5 == 0 ? std::nullopt : std::optional<sla::EpochMillis>(millis());
        s.fired_at = millis();
        s.elapsed_ms = static_cast<std::int64_t>(rng() % 10'000'000);
        s.target_ms = static_cast<std::int64_t>(rng() % 10'000'000);
        s.kind = sla::engine::SlaKind::kEscalated;
        s.step = static_cast<std::uint32_t>(rng() % 4);
        for (std::size_t k = rng() % 4; k > 0; --k) s.notify.push_back(text("n"));
        s.page = rng() % 2 == 0;
        sla::codec::encode_output(s, bytes);
        EXPECT_EQ(bytes, sla::codec::encode_output(s));
        sla::v1::SlaEvent pb;
        ASSERT_TRUE(pb.ParseFromString(bytes)) << i;
        EXPECT_EQ(pb.event_id(), s.event_id);
        EXPECT_EQ(pb.ticket_id(), s.ticket_id);
        EXPECT_EQ(pb.tenant_id(), s.tenant_id);
        EXPECT_EQ(pb.plan(), s.plan);
        EXPECT_EQ(pb.severity(), s.severity);
        EXPECT_EQ(pb.cycle(), s.cycle);
        EXPECT_EQ(pb.has_deadline(), s.deadline.has_value());
        if (s.deadline) {
          EXPECT_EQ(millis_of(pb.deadline()), *s.deadline);
        }
        EXPECT_EQ(millis_of(pb.fired_at()), s.fired_at);
        EXPECT_EQ(millis_of(pb.elapsed()), s.elapsed_ms);
        ASSERT_TRUE(pb.has_escalated());
        EXPECT_EQ(pb.escalated().step(), s.step);
        EXPECT_EQ(std::vector<std::string>(pb.escalated().notify().begin(), pb.escalated().notify().end()), s.notify);
        EXPECT_EQ(pb.escalated().page(), s.page);
        break;
      }
      case 1: {
        sla::engine::PageOutput pg;
        pg.page_id = text("pg/");
        pg.dedup_key = text("dk/");
        pg.ticket_id = text("T-");
        pg.rotation = text("rot");
        pg.responder = text("who");
        pg.level = static_cast<std::uint32_t>(rng() % 4);
        pg.attempt = static_cast<std::uint32_t>(rng() % 4);
        pg.ack_deadline = millis();
        pg.fired_at = millis();
        sla::codec::encode_output(pg, bytes);
        sla::v1::PageEvent pb;
        ASSERT_TRUE(pb.ParseFromString(bytes)) << i;
        EXPECT_EQ(pb.page_id(), pg.page_id);
        EXPECT_EQ(pb.dedup_key(), pg.dedup_key);
        EXPECT_EQ(pb.ticket_id(), pg.ticket_id);
        EXPECT_EQ(pb.rotation(), pg.rotation);
        EXPECT_EQ(pb.responder(), pg.responder);
        EXPECT_EQ(pb.level(), pg.level);
        EXPECT_EQ(pb.attempt(), pg.attempt);
        EXPECT_EQ(millis_of(pb.ack_deadline()), pg.ack_deadline);
        break;
      }
      case 2: {
        sla::engine::TicketView v;
        v.ticket_id = text("T-");
        v.tenant_id = text("");
        v.plan = text("p");
        v.severity = text("P");
        v.status = text("s");
        v.closed = rng() % 2 == 0;
        for (std::size_t k = rng() % 5; k > 0; --k) {
          sla::engine::ClockView c;
          c.metric = static_cast<sla::engine::MetricKind>(rng() % 4);
          c.cycle = static_cast<std::uint32_t>(rng() % 3);
          c.pause_status = rng() % 2 == 0 ? text("on_hold") : "";
          c.elapsed_ms = static_cast<std::int64_t>(rng() % 10'000'000);
          if (rng() % 3 != 0) c.target_ms = static_cast<std::int64_t>(rng() % 10'000'000);
          if (rng() % 3 != 0) c.deadline = millis();
          c.calendar = text("cal");
          for (std::size_t n = rng() % 4; n > 0; --n) {
            const auto from = millis();
            c.stretches.push_back(sla::engine::ClockStretch{from, from + static_cast<std::int64_t>(rng() % 100'000),
                                                            static_cast<sla::engine::StretchKind>(rng() % 5),
                                                            rng() % 2 == 0 ? text("on_hold") : ""});
          }
          c.stretches_truncated = rng() % 2 == 0;
          v.clocks.push_back(std::move(c));
        }
        const auto as_of = millis();
        sla::codec::encode_deadlines(v, as_of, snapshot);
        EXPECT_EQ(snapshot, sla::codec::encode_deadlines(v, as_of));
        sla::v1::TicketDeadlines pb;
        ASSERT_TRUE(pb.ParseFromString(snapshot)) << i;
        EXPECT_EQ(pb.ticket_id(), v.ticket_id);
        EXPECT_EQ(pb.tenant_id(), v.tenant_id);
        EXPECT_EQ(pb.status(), v.status);
        EXPECT_EQ(pb.closed(), v.closed);
        EXPECT_EQ(millis_of(pb.as_of()), as_of);
        ASSERT_EQ(static_cast<std::size_t>(pb.clocks_size()), v.clocks.size());
        for (std::size_t k = 0; k < v.clocks.size(); ++k) {
          const auto& c = pb.clocks(static_cast<int>(k));
          EXPECT_EQ(c.cycle(), v.clocks[k].cycle);
          EXPECT_EQ(c.pause_status(), v.clocks[k].pause_status);
          EXPECT_EQ(c.calendar(), v.clocks[k].calendar);
          EXPECT_EQ(millis_of(c.elapsed()), v.clocks[k].elapsed_ms);
          EXPECT_EQ(c.has_target(), v.clocks[k].target_ms.has_value());
          EXPECT_EQ(c.has_deadline(), v.clocks[k].deadline.has_value());
          if (c.has_deadline()) {
            EXPECT_EQ(millis_of(c.deadline()), *v.clocks[k].deadline);
          }
        }
        // The stretches come back as they went (the HTTP plane serves them).
        const auto back = sla::codec::decode_deadlines(snapshot);
        ASSERT_TRUE(back) << i;
        ASSERT_EQ(back->view.clocks.size(), v.clocks.size());
        for (std::size_t k = 0; k < v.clocks.size(); ++k) {
          EXPECT_EQ(back->view.clocks[k].stretches, v.clocks[k].stretches) << i;
          EXPECT_EQ(back->view.clocks[k].stretches_truncated, v.clocks[k].stretches_truncated) << i;
        }
        break;
      }
      default: {
        sla::engine::TicketEvent e;
        e.event_id = text("ev/");
        e.ticket_id = text("T-");
        e.tenant_id = text("");
        e.occurred_at = kNow - static_cast<sla::EpochMillis>(rng() % 1'000'000);
        e.kind = EventKind::kOpened;
        e.plan = text("p");
        e.severity = text("P");
        e.status = "open";
        e.labels = {{text("k"), text("v")}};
        auto got = sla::codec::decode_ticket_event(sla::codec::encode_ticket_event(e), ContentType::kProtobuf, kNow);
        ASSERT_TRUE(got) << got.error().message;
        EXPECT_EQ(got->event_id, e.event_id);
        EXPECT_EQ(got->ticket_id, e.ticket_id);
        EXPECT_EQ(got->tenant_id, e.tenant_id);
        EXPECT_EQ(got->occurred_at, e.occurred_at);
        EXPECT_EQ(got->plan, e.plan);
        EXPECT_EQ(got->severity, e.severity);
        EXPECT_EQ(got->labels, e.labels);
        break;
      }
    }
  }
}

TEST(Codec, Rfc3339) {
  EXPECT_EQ(sla::codec::format_rfc3339(1775491200000), "2026-04-06T16:00:00Z");
  EXPECT_EQ(sla::codec::format_rfc3339(1775491200250), "2026-04-06T16:00:00.250Z");
}

}  // namespace

namespace {

// What made an escalation due (exchanges, a request) and the ticket's
// exchanges and request are on the wire, in both encodings, and decode back.
TEST(Codec, TriggersAndExchangesAreOnTheWire) {
  sla::engine::SlaOutput o;
  o.event_id = "T/resolution/0/escalated/mgmt/1";
  o.ticket_id = "T";
  o.kind = sla::engine::SlaKind::kEscalated;
  o.notify = {"manager"};
  o.trigger = "requested";
  o.requested_by = "cfo@acme";
  o.reason = "ESCALATION";
  o.requested_at = kNow - 60000;
  for (auto type : {ContentType::kProtobuf, ContentType::kJson}) {
    std::string bytes;
    sla::codec::encode_output(sla::engine::Output(o), type, bytes);
    if (type == ContentType::kJson) {
      EXPECT_NE(bytes.find(R"("trigger":"requested")"), std::string::npos) << bytes;
      EXPECT_NE(bytes.find(R"("request":{"by":"cfo@acme","reason":"ESCALATION","requestedAt":)"), std::string::npos)
          << bytes;
    }
    auto back = sla::codec::decode_sla_event(bytes, type);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->trigger, "requested");
    EXPECT_EQ(back->requested_by, "cfo@acme");
    EXPECT_EQ(back->reason, "ESCALATION");
    EXPECT_EQ(back->requested_at, kNow - 60000);
  }
  o.trigger = "exchanges";
  o.exchanges = 2;
  o.requested_at.reset();
  auto back = sla::codec::decode_sla_event(sla::codec::encode_output(sla::engine::Output(o)), ContentType::kProtobuf);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->exchanges, 2u);
  EXPECT_FALSE(back->requested_at);
  // A clock-time step says nothing more than before.
  sla::engine::SlaOutput plain;
  plain.event_id = "T/response/0/escalated/x/1";
  plain.kind = sla::engine::SlaKind::kEscalated;
  std::string json;
  sla::codec::encode_output(sla::engine::Output(plain), ContentType::kJson, json);
  EXPECT_EQ(json.find("request"), std::string::npos) << json;

  sla::engine::TicketView v;
  v.ticket_id = "T";
  v.exchanges = 3;
  v.awaiting_customer = true;
  v.escalation_requested_at = kNow;
  v.escalation_requested_by = "ops";
  v.escalation_reason = "why";
  for (auto type : {ContentType::kProtobuf, ContentType::kJson}) {
    std::string bytes;
    sla::codec::encode_deadlines(v, kNow, type, bytes);
    auto d = sla::codec::decode_deadlines(bytes, type);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->view.exchanges, 3u);
    EXPECT_TRUE(d->view.awaiting_customer);
    EXPECT_EQ(d->view.escalation_requested_at, kNow);
    EXPECT_EQ(d->view.escalation_requested_by, "ops");
    EXPECT_EQ(d->view.escalation_reason, "why");
  }
}

}  // namespace
