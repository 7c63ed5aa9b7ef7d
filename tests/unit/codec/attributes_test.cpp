// Ticket attributes on the wire: opened.attributes and attributes_changed
// in protobuf and proto3-JSON, their bounds (too long or too many: a dead
// letter with its reason), and the attributes in the sla.deadlines snapshot.
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "sla/codec/codec.hpp"
#include "sla/v1/ticket_event.pb.h"

namespace {

using sla::codec::ContentType;
using sla::codec::DecodeFailure;
using sla::engine::EventKind;
using Attrs = std::vector<std::pair<std::string, std::string>>;

constexpr sla::EpochMillis kNow = 1775476800000;  // 2026-04-06T12:00:00Z

TEST(CodecAttributes, OpenedAndChangedRoundTripThroughBinary) {
  sla::engine::TicketEvent e;
  e.event_id = "e1";
  e.ticket_id = "T";
  e.occurred_at = kNow - 1000;
  e.kind = EventKind::kOpened;
  e.plan = "pro";
  e.severity = "P1";
  e.attributes = {{"channel", "chat"}, {"product", "hardware"}};
  auto back = sla::codec::decode_ticket_event(sla::codec::encode_ticket_event(e), ContentType::kProtobuf, kNow);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->attributes, e.attributes);

  e.kind = EventKind::kAttributesChanged;
  e.plan.clear();
  e.severity.clear();
  e.attributes = {{"channel", "email"}};
  e.removed = {"product"};
  back = sla::codec::decode_ticket_event(sla::codec::encode_ticket_event(e), ContentType::kProtobuf, kNow);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->kind, EventKind::kAttributesChanged);
  EXPECT_EQ(back->attributes, e.attributes);
  EXPECT_EQ(back->removed, e.removed);
}

TEST(CodecAttributes, Proto3JsonWorksTheSame) {
  auto opened = sla::codec::decode_ticket_event(
      R"({"eventId":"e","ticketId":"T","occurredAt":"2026-04-06T11:00:00Z",
          "opened":{"plan":"pro","severity":"P1","attributes":{"product":"hardware","channel":"chat"}}})",
      ContentType::kJson, kNow);
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(opened->attributes, (Attrs{{"channel", "chat"}, {"product", "hardware"}}));  // sorted by key

  auto changed = sla::codec::decode_ticket_event(
      R"({"eventId":"e2","ticketId":"T","occurredAt":"2026-04-06T11:00:00Z",
          "attributesChanged":{"set":{"channel":"email"},"removed":["product","product"]}})",
      ContentType::kJson, kNow);
  ASSERT_TRUE(changed) << changed.error().message;
  EXPECT_EQ(changed->kind, EventKind::kAttributesChanged);
  EXPECT_EQ(changed->attributes, (Attrs{{"channel", "email"}}));
  EXPECT_EQ(changed->removed, (std::vector<std::string>{"product"}));
}

TEST(CodecAttributes, BoundsAndContradictionsAreDeadLetteredWithAReason) {
  struct Case {
    std::string name;
    std::string body;  // the event kind's JSON
    DecodeFailure failure;
  };
  std::string many = R"("opened":{"plan":"pro","severity":"P1","attributes":{)";
  for (int i = 0; i < 33; ++i) many += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":\"v\"";
  many += "}}";
  std::string removed_many = R"("attributesChanged":{"removed":[)";
  for (int i = 0; i < 33; ++i) removed_many += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\"";
  removed_many += "]}";
  const std::vector<Case> cases = {
      {"too many", many, DecodeFailure::kFieldTooLong},
      {"too many removed", removed_many, DecodeFailure::kFieldTooLong},
      {"long key", R"("opened":{"plan":"pro","severity":"P1","attributes":{")" + std::string(129, 'k') + R"(":"v"}})",
       DecodeFailure::kFieldTooLong},
      {"long value", R"("attributesChanged":{"set":{"k":")" + std::string(257, 'v') + R"("}})",
       DecodeFailure::kFieldTooLong},
      {"long removed key", R"("attributesChanged":{"removed":[")" + std::string(129, 'k') + R"("]})",
       DecodeFailure::kFieldTooLong},
      {"empty key", R"("attributesChanged":{"set":{"":"v"}})", DecodeFailure::kInvalidField},
      {"set and removed", R"("attributesChanged":{"set":{"channel":"chat"},"removed":["channel"]})",
       DecodeFailure::kInvalidField},
  };
  for (const auto& c : cases) {
    const std::string json = R"({"eventId":"e","ticketId":"T","occurredAt":"2026-04-06T11:00:00Z",)" + c.body + "}";
    auto r = sla::codec::decode_ticket_event(json, ContentType::kJson, kNow);
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error().failure, c.failure) << c.name << ": " << r.error().message;
  }
  // At the limit: accepted.
  std::string ok = R"({"eventId":"e","ticketId":"T","occurredAt":"2026-04-06T11:00:00Z","opened":{"plan":"pro","severity":"P1","attributes":{)";
  for (int i = 0; i < 32; ++i) ok += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":\"" + std::string(256, 'v') + "\"";
  ok += "}}}";
  EXPECT_TRUE(sla::codec::decode_ticket_event(ok, ContentType::kJson, kNow));
}

TEST(CodecAttributes, TheDeadlinesSnapshotCarriesThemInKeyOrder) {
  sla::engine::TicketView v;
  v.ticket_id = "T";
  v.opened = true;
  v.attributes = {{"a", "1"}, {"channel", "chat"}, {"product", "hardware"}, {"z", "26"}};
  const std::string bytes = sla::codec::encode_deadlines(v, kNow);
  // Deterministic bytes: the same view always encodes the same.
  EXPECT_EQ(bytes, sla::codec::encode_deadlines(v, kNow));
  auto back = sla::codec::decode_deadlines(bytes);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->view.attributes, v.attributes);
}

}  // namespace
