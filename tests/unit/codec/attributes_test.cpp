// Ticket attributes on the wire: opened.attributes and attributes_changed
// in protobuf and proto3-JSON, their bounds (too long or too many: a dead
// letter with its reason), and the attributes in the sla.deadlines snapshot.
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
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


// The codec fuzz target's seeds for the round-2 fields (written by
// tests/fuzz/codec/make_seeds.py) decode to what their names say, in both
// encodings: the corpus runner's mutation pass starts from these paths.
std::string read_seed(const std::string& name) {
  std::ifstream in(std::string(SLA_CODEC_SEEDS) + "/" + name, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The record a seed file holds: byte 0 = flags (bit 0 JSON, bit 1 a key
// follows as a length byte and bytes), then the payload.
tl::expected<sla::engine::TicketEvent, sla::codec::DecodeError> decode_seed(const std::string& bytes) {
  EXPECT_FALSE(bytes.empty());
  if (bytes.empty()) return tl::unexpected(sla::codec::DecodeError{});
  const auto flags = static_cast<unsigned char>(bytes[0]);
  const auto type = (flags & 1U) != 0 ? ContentType::kJson : ContentType::kProtobuf;
  std::string_view rest(bytes);
  rest.remove_prefix(1);
  if ((flags & 2U) == 0) return sla::codec::decode_ticket_event(rest, type, kNow);
  const std::size_t n = static_cast<unsigned char>(rest[0]);
  const std::string_view key = rest.substr(1, n);
  return sla::codec::decode_record(key, rest.substr(1 + n), type, kNow);
}

TEST(CodecAttributes, FuzzSeedsReachTheRound2Paths) {
  struct Accepted {
    const char* name;
    EventKind kind;
    std::size_t attributes;
    std::size_t removed;
  };
  const std::vector<Accepted> accepted = {
      {"opened_attributes", EventKind::kOpened, 2, 0},
      {"opened_attributes_keyed", EventKind::kOpened, 1, 0},
      {"opened_32_attributes", EventKind::kOpened, 32, 0},
      {"attributes_changed", EventKind::kAttributesChanged, 2, 1},
      {"attributes_changed_removed_only", EventKind::kAttributesChanged, 0, 2},
      {"customer_replied", EventKind::kCustomerReplied, 0, 0},
      {"customer_replied_keyed", EventKind::kCustomerReplied, 0, 0},
      {"escalation_requested", EventKind::kEscalationRequested, 0, 0},
      {"escalation_requested_keyed", EventKind::kEscalationRequested, 0, 0},
      {"escalation_requested_reason_1024", EventKind::kEscalationRequested, 0, 0},
  };
  const std::vector<std::pair<const char*, DecodeFailure>> rejected = {
      {"opened_33_attributes", DecodeFailure::kFieldTooLong},
      {"opened_attribute_key_129", DecodeFailure::kFieldTooLong},
      {"opened_attribute_value_257", DecodeFailure::kFieldTooLong},
      {"opened_attribute_empty_key", DecodeFailure::kInvalidField},
      {"attributes_changed_set_and_removed", DecodeFailure::kInvalidField},
      {"attributes_changed_33_set", DecodeFailure::kFieldTooLong},
      {"attributes_changed_33_removed", DecodeFailure::kFieldTooLong},
      {"attributes_changed_key_129", DecodeFailure::kFieldTooLong},
      {"escalation_requested_reason_1025", DecodeFailure::kFieldTooLong},
      {"escalation_requested_by_257", DecodeFailure::kFieldTooLong},
  };
  for (const char* ext : {".pb", ".json"}) {
    for (const auto& a : accepted) {
      const std::string name = std::string(a.name) + ext;
      auto e = decode_seed(read_seed(name));
      ASSERT_TRUE(e) << name << ": " << e.error().message;
      EXPECT_EQ(e->kind, a.kind) << name;
      EXPECT_EQ(e->attributes.size(), a.attributes) << name;
      EXPECT_EQ(e->removed.size(), a.removed) << name;
      if (a.kind == EventKind::kEscalationRequested) {
        EXPECT_FALSE(e->requested_by.empty()) << name;
      }
    }
    for (const auto& [seed, failure] : rejected) {
      const std::string name = std::string(seed) + ext;
      auto e = decode_seed(read_seed(name));
      ASSERT_FALSE(e) << name;
      EXPECT_EQ(e.error().failure, failure) << name << ": " << e.error().message;
    }
  }
  EXPECT_EQ(decode_seed(read_seed("escalation_requested.json"))->reason, "ESCALATION: outage");
}

}  // namespace
