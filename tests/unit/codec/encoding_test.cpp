// The outputs in both encodings (topics.encoding): proto3-JSON carries the
// same message as binary, each reader decodes it back by content-type, and
// the header values name the real wire messages.
#include <gtest/gtest.h>

#include <google/protobuf/util/json_util.h>

#include "sla/codec/codec.hpp"
#include "sla/v1/sla_event.pb.h"
#include "sla/v1/ticket_event.pb.h"

namespace {

using sla::codec::ContentType;
using sla::codec::WireType;

TEST(OutputEncoding, HeaderValuesNameTheWireMessages) {
  EXPECT_EQ(sla::codec::message_type_name(WireType::kSlaEvent), sla::v1::SlaEvent::descriptor()->full_name());
  EXPECT_EQ(sla::codec::message_type_name(WireType::kPageEvent), sla::v1::PageEvent::descriptor()->full_name());
  EXPECT_EQ(sla::codec::message_type_name(WireType::kTicketDeadlines),
            sla::v1::TicketDeadlines::descriptor()->full_name());
  EXPECT_EQ(sla::codec::message_type_name(WireType::kTicketEvent), sla::v1::TicketEvent::descriptor()->full_name());
  EXPECT_EQ(sla::codec::media_type(ContentType::kProtobuf), "application/x-protobuf");
  EXPECT_EQ(sla::codec::media_type(ContentType::kJson), "application/json");
  for (const auto t : {ContentType::kProtobuf, ContentType::kJson}) {
    EXPECT_EQ(sla::codec::content_type_from_header(sla::codec::media_type(t)), t);
  }
}

sla::engine::TicketView sample_view() {
  sla::engine::TicketView v;
  v.ticket_id = "T-9";
  v.tenant_id = "acme";
  v.plan = "gold";
  v.severity = "P1";
  v.status = "open";
  v.opened = true;
  v.opened_at = 1000;
  v.next_due = 9000;
  auto& c = v.clocks.emplace_back();
  c.metric = sla::engine::MetricKind::kResolution;
  c.cycle = 2;
  c.state = sla::engine::ClockState::kPaused;
  c.pause_reason = sla::engine::PauseReason::kStatus;
  c.elapsed_ms = 1234;
  c.target_ms = 3'600'000;
  c.fired = {"warning/75%"};
  c.started_at = 900;
  v.history.push_back({sla::engine::MetricKind::kResponse, 0, 1000, 2000, 1000, "met"});
  auto& p = v.pages.emplace_back();
  p.key = "T-9/response/0/page/s/ops";
  p.target = "ops";
  p.next_page_at = 5000;
  p.acked_by = "ana";
  return v;
}

TEST(OutputEncoding, DeadlinesRoundTripThroughJson) {
  const auto v = sample_view();
  std::string binary;
  std::string json;
  sla::codec::encode_deadlines(v, 4242, ContentType::kProtobuf, binary);
  sla::codec::encode_deadlines(v, 4242, ContentType::kJson, json);
  EXPECT_EQ(binary, sla::codec::encode_deadlines(v, 4242));
  ASSERT_FALSE(json.empty());
  EXPECT_EQ(json.front(), '{');
  EXPECT_NE(json.find(R"("ticketId":"T-9")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("asOf":"1970-01-01T00:00:04.242Z")"), std::string::npos) << json;
  auto d = sla::codec::decode_deadlines(json, ContentType::kJson);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->as_of, 4242);
  // Whole: encoding what JSON decoded to gives the very same binary.
  EXPECT_EQ(sla::codec::encode_deadlines(d->view, d->as_of), binary);
  EXPECT_FALSE(sla::codec::decode_deadlines(json, ContentType::kProtobuf));
  EXPECT_FALSE(sla::codec::decode_deadlines("{not json", ContentType::kJson));
  EXPECT_TRUE(sla::codec::decode_deadlines(R"({"ticketId":"T-1","later":1})", ContentType::kJson))
      << "unknown fields are ignored";
}

TEST(OutputEncoding, OutputsInJsonAreTheMessagesOfBinary) {
  sla::engine::SlaOutput s;
  s.event_id = "T1/response/0/breached/0";
  s.ticket_id = "T1";
  s.kind = sla::engine::SlaKind::kBreached;
  s.fired_at = 1'775'000'000'000;
  s.deadline = 1'775'000'000'000;
  sla::engine::PageOutput p;
  p.page_id = "T1/response/0/page/0/0";
  p.ticket_id = "T1";
  p.target = "ops";
  p.fired_at = 1'775'000'000'000;
  std::string json;
  sla::codec::encode_output(s, ContentType::kJson, json);
  EXPECT_EQ(json, sla::codec::output_to_json(s));
  auto back = sla::codec::decode_sla_event(json, ContentType::kJson);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(sla::codec::encode_output(*back), sla::codec::encode_output(s));

  sla::codec::encode_output(p, ContentType::kJson, json);
  sla::v1::PageEvent page;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &page).ok()) << json;
  EXPECT_EQ(page.SerializeAsString(), sla::codec::encode_output(p));
  std::string binary;
  sla::codec::encode_output(p, ContentType::kProtobuf, binary);
  EXPECT_EQ(binary, sla::codec::encode_output(p));
}

}  // namespace
