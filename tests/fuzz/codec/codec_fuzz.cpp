// Fuzz target for event decoding (SPEC 8): a Kafka record through
// codec::decode_record, as the daemon decodes every input record, must decode
// or be rejected with a reason, never crash; every accepted event must
// re-encode to the same event and apply to a fresh engine (or be rejected)
// without breaking it, and the engine's timers must fire.
// Input layout: byte 0 = flags (bit 0: proto3-JSON, else protobuf binary;
// bit 1: an explicit key follows), [byte 1 = key length, key bytes], payload.
// Without an explicit key the record is keyed by its own ticket_id (decoded
// once without a key), and a key one byte longer must be a kKeyMismatch.
// LLVMFuzzerTestOneInput works with libFuzzer (the `fuzz` preset); without it
// main() is the corpus runner (sla/testing/fuzz_main.hpp).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "sla/codec/codec.hpp"
#include "sla/engine/engine.hpp"
#include "sla/policy/loader.hpp"
#include "sla/testing/fuzz_main.hpp"
#include "sla/testing/sample_policy.hpp"

namespace {

using sla::testing::fuzz_require;

namespace codec = sla::codec;

std::shared_ptr<const sla::policy::Policy> sample_policy() {
  static const auto p = sla::testing::load_policy_file_or_abort(SLA_SAMPLE_POLICY);
  return p;
}

constexpr sla::EpochMillis kNow = 1775476800000;  // 2026-04-06T12:00:00Z

bool same_event(sla::engine::TicketEvent a, sla::engine::TicketEvent b) {
  std::sort(a.labels.begin(), a.labels.end());
  std::sort(b.labels.begin(), b.labels.end());
  return a.event_id == b.event_id && a.ticket_id == b.ticket_id && a.tenant_id == b.tenant_id &&
         a.occurred_at == b.occurred_at && a.sequence == b.sequence && a.kind == b.kind && a.plan == b.plan &&
         a.severity == b.severity && a.status == b.status && a.labels == b.labels && a.page_id == b.page_id &&
         a.responder == b.responder && a.requested_by == b.requested_by && a.reason == b.reason &&
         a.attributes == b.attributes && a.removed == b.removed;
}

void use(const sla::engine::TicketEvent& e) {
  // Round trip: what we accept we can re-encode and decode to the same.
  auto again = codec::decode_record(e.ticket_id, codec::encode_ticket_event(e), codec::ContentType::kProtobuf, kNow);
  fuzz_require(again.has_value() && same_event(*again, e), "protobuf round trip");
  sla::engine::Engine engine(sample_policy());
  std::vector<sla::engine::Output> out;
  (void)engine.apply(e, kNow, out);
  engine.advance(kNow + 400LL * 86'400'000, out);
  for (const auto& o : out) (void)codec::encode_output(o);
}

void check(std::string_view bytes) {
  if (bytes.empty()) return;
  const auto flags = static_cast<unsigned char>(bytes[0]);
  const auto type = (flags & 1U) != 0 ? codec::ContentType::kJson : codec::ContentType::kProtobuf;
  bytes.remove_prefix(1);
  if ((flags & 2U) != 0) {
    const std::size_t key_len = bytes.empty() ? 0 : std::min<std::size_t>(static_cast<unsigned char>(bytes[0]), bytes.size() - 1);
    const std::string_view key = bytes.substr(bytes.empty() ? 0 : 1, key_len);
    bytes.remove_prefix(std::min(bytes.size(), key_len + 1));
    auto e = codec::decode_record(key, bytes, type, kNow);
    fuzz_require(e.has_value() || !e.error().message.empty(), "every rejection says why");
    if (e) fuzz_require(e->ticket_id == key, "accepted only under its own key");
    if (e) use(*e);
    return;
  }
  auto unkeyed = codec::decode_ticket_event(bytes, type, kNow);
  if (!unkeyed) {
    fuzz_require(!unkeyed.error().message.empty(), "every rejection says why");
    fuzz_require(!codec::decode_record("", bytes, type, kNow).has_value(), "a keyed decode rejects it too");
    return;
  }
  auto e = codec::decode_record(unkeyed->ticket_id, bytes, type, kNow);
  fuzz_require(e.has_value() && same_event(*e, *unkeyed), "decodes under its own key");
  auto wrong = codec::decode_record(unkeyed->ticket_id + "x", bytes, type, kNow);
  fuzz_require(!wrong && wrong.error().failure == codec::DecodeFailure::kKeyMismatch, "another key is a mismatch");
  use(*e);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}

#ifdef SLA_LIBFUZZER
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  codec::quiet_protobuf_logging();
  return 0;
}
#else
int main(int argc, char** argv) {
  codec::quiet_protobuf_logging();
  return sla::testing::run_fuzz_corpus("codec_fuzz", argc, argv, check, 2000, "");
}
#endif
