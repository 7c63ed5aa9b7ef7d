// decode_sla_event: an SlaEvent read back (binary and proto3-JSON) equals the
// output that was encoded, started_at included; what is not one is refused.
#include <gtest/gtest.h>

#include "sla/codec/codec.hpp"

namespace {

using sla::codec::ContentType;
using sla::engine::SlaKind;
using sla::engine::SlaOutput;

SlaOutput sample(SlaKind kind) {
  SlaOutput o;
  o.event_id = "T1/resolution/2/x/0";
  o.ticket_id = "T1";
  o.tenant_id = "acme";
  o.plan = "pro";
  o.severity = "P1";
  o.metric = sla::engine::MetricKind::kResolution;
  o.cycle = 2;
  o.deadline = 1'775'000'000'000;
  o.fired_at = 1'775'000'360'500;
  o.started_at = 1'774'990'000'000;
  o.elapsed_ms = 7'200'000;
  o.target_ms = 14'400'000;
  o.kind = kind;
  o.threshold = kind == SlaKind::kWarning ? "75%" : "";
  o.reminder = kind == SlaKind::kBreached ? 2 : 0;
  if (kind == SlaKind::kEscalated) {
    o.step = 1;
    o.notify = {"cto", "t3"};
    o.page = true;
  }
  return o;
}

void expect_same(const SlaOutput& a, const SlaOutput& b) {
  EXPECT_EQ(a.event_id, b.event_id);
  EXPECT_EQ(a.ticket_id, b.ticket_id);
  EXPECT_EQ(a.tenant_id, b.tenant_id);
  EXPECT_EQ(a.plan, b.plan);
  EXPECT_EQ(a.severity, b.severity);
  EXPECT_EQ(a.metric, b.metric);
  EXPECT_EQ(a.cycle, b.cycle);
  EXPECT_EQ(a.deadline, b.deadline);
  EXPECT_EQ(a.fired_at, b.fired_at);
  EXPECT_EQ(a.started_at, b.started_at);
  EXPECT_EQ(a.elapsed_ms, b.elapsed_ms);
  EXPECT_EQ(a.target_ms, b.target_ms);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.threshold, b.threshold);
  EXPECT_EQ(a.reminder, b.reminder);
  EXPECT_EQ(a.step, b.step);
  EXPECT_EQ(a.notify, b.notify);
  EXPECT_EQ(a.page, b.page);
}

TEST(SlaEventDecode, EveryKindRoundTripsInBothEncodings) {
  for (const auto kind : {SlaKind::kWarning, SlaKind::kBreached, SlaKind::kMet, SlaKind::kEscalated}) {
    const SlaOutput o = sample(kind);
    auto bin = sla::codec::decode_sla_event(sla::codec::encode_output(o), ContentType::kProtobuf);
    ASSERT_TRUE(bin) << bin.error().message;
    expect_same(o, *bin);
    auto json = sla::codec::decode_sla_event(sla::codec::output_to_json(o), ContentType::kJson);
    ASSERT_TRUE(json) << json.error().message;
    expect_same(o, *json);
  }
}

TEST(SlaEventDecode, StartedAtIsOnTheWire) {
  EXPECT_NE(sla::codec::output_to_json(sample(SlaKind::kMet)).find("\"startedAt\":\"2026-03-31T20:46:40Z\""),
            std::string::npos)
      << sla::codec::output_to_json(sample(SlaKind::kMet));
}

TEST(SlaEventDecode, RefusesWhatIsNotAnSlaEvent) {
  EXPECT_FALSE(sla::codec::decode_sla_event("not json", ContentType::kJson));
  EXPECT_FALSE(sla::codec::decode_sla_event("{\"ticketId\":\"T1\"}", ContentType::kJson));  // no id, no kind
  EXPECT_FALSE(sla::codec::decode_sla_event("{\"eventId\":\"x\"}", ContentType::kJson));    // no kind
  // Older records (no startedAt) decode, with started_at 0.
  auto old = sla::codec::decode_sla_event(
      R"({"eventId":"T/response/0/met/0","ticketId":"T","metric":"METRIC_RESPONSE","met":{},"firedAt":"2026-04-01T00:00:00Z"})",
      ContentType::kJson);
  ASSERT_TRUE(old) << old.error().message;
  EXPECT_EQ(old->started_at, 0);
  EXPECT_EQ(old->kind, SlaKind::kMet);
}

}  // namespace
