// Fuzz target for event decoding (SPEC 8): any bytes, as protobuf binary and
// as proto3-JSON, must decode or be rejected with a reason, never crash; every
// accepted event must apply to the engine (or be rejected) without breaking
// it. LLVMFuzzerTestOneInput works with libFuzzer/AFL++; without them main()
// runs the corpus files plus a deterministic mutation pass of each.
#include <cstdint>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sla/codec/codec.hpp"
#include "sla/engine/engine.hpp"
#include "sla/policy/loader.hpp"
#include "sla/testing/fuzz_main.hpp"

namespace {

std::shared_ptr<const sla::policy::Policy> sample_policy() {
  static auto p = [] {
    std::ifstream in(SLA_SAMPLE_POLICY);
    std::ostringstream ss;
    ss << in.rdbuf();
    std::vector<sla::policy::LoadError> errors;
    sla::policy::LoadOptions o;
    o.file = SLA_SAMPLE_POLICY;
    auto loaded = sla::policy::load_policy(ss.str(), o, errors);
    if (!loaded) {
      std::cerr << "codec_fuzz: cannot load " << SLA_SAMPLE_POLICY << "\n";
      std::abort();
    }
    return loaded;
  }();
  return p;
}

constexpr sla::EpochMillis kNow = 1775476800000;  // 2026-04-06T12:00:00Z

void check(std::string_view bytes) {
  static sla::engine::Engine engine(sample_policy());
  std::vector<sla::engine::Output> out;
  for (auto type : {sla::codec::ContentType::kProtobuf, sla::codec::ContentType::kJson}) {
    auto e = sla::codec::decode_ticket_event(bytes, type, kNow);
    if (!e) {
      if (e.error().message.empty()) std::abort();  // every rejection must say why
      continue;
    }
    // Round trip: what we accept we can re-encode and decode to the same.
    auto again = sla::codec::decode_ticket_event(sla::codec::encode_ticket_event(*e), sla::codec::ContentType::kProtobuf, kNow);
    if (!again || again->event_id != e->event_id || again->occurred_at != e->occurred_at || again->kind != e->kind) {
      std::abort();
    }
    (void)engine.apply(*e, kNow, out);
    engine.advance(kNow, out);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}

#ifndef SLA_LIBFUZZER
int main(int argc, char** argv) {
  sla::codec::quiet_protobuf_logging();
  return sla::testing::run_fuzz_corpus("codec_fuzz", argc, argv, check, 2000, "");
}
#endif
