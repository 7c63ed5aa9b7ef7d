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
  int runs = 0;
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::cerr << "cannot open " << argv[i] << "\n";
      return 1;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    const std::string base = ss.str();
    check(base);
    ++runs;
    std::mt19937 rng(static_cast<unsigned>(i));
    for (int m = 0; m < 2000 && !base.empty(); ++m) {
      std::string t = base;
      const std::size_t at = rng() % t.size();
      switch (rng() % 4) {
        case 0: t[at] = static_cast<char>(rng() % 256); break;
        case 1: t.erase(at, 1 + rng() % 4); break;
        case 2: t.insert(at, 1, "{}[]\":,0123456789Tz-"[rng() % 20]); break;
        default: t = t.substr(0, at); break;
      }
      check(t);
      ++runs;
    }
  }
  std::cout << "codec_fuzz: " << runs << " inputs ok\n";
  return 0;
}
#endif
