// Fuzz target for calendar loading and arithmetic (SPEC 8). The input is a
// policy document; its calendars are loaded and, if they load, probed at
// instants derived from the input bytes.
// LLVMFuzzerTestOneInput works with libFuzzer (clang -fsanitize=fuzzer) and
// AFL++; without them, main() runs every file given on the command line plus
// a few thousand byte mutations of each (a corpus run, ctest label `fuzz`).
// Invariants: never throws or crashes; a set is returned iff no errors;
// add/elapsed/next_open/next_close agree with each other.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "sla/calendar/calendar.hpp"
#include "sla/calendar/yaml_loader.hpp"
#include "sla/testing/fuzz_main.hpp"

namespace {

namespace cal = sla::calendar;

void require(bool ok, const char* what) {
  if (!ok) {
    std::cerr << "invariant violated: " << what << "\n";
    std::abort();
  }
}

void probe(const cal::Calendar& c, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 16; ++i) {
    // 1960..2100, any millisecond.
    const sla::EpochMillis t = -315'619'200'000 + static_cast<sla::EpochMillis>(rng() % 4'418'000'000'000ULL);
    const std::int64_t d = static_cast<std::int64_t>(rng() % (400ULL * 86'400'000ULL));
    const sla::EpochMillis due = c.add(t, d);
    require(due >= t, "add(t, d) >= t");
    if (due < cal::Calendar::kMaxInstant) {
      require(c.elapsed(t, due) == d, "elapsed(t, add(t, d)) == d");
      if (d > 0) require(c.elapsed(t, due - 1) < d, "add is the earliest instant");
    }
    const sla::EpochMillis open = c.next_open(t);
    require(open >= t, "next_open(t) >= t");
    if (open < cal::Calendar::kMaxInstant) require(c.is_open(open), "is_open(next_open(t))");
    require(c.elapsed(t, open) == 0, "no open time before next_open");
    const sla::EpochMillis close = c.next_close(t);
    require(close >= t, "next_close(t) >= t");
    if (close < cal::Calendar::kMaxInstant) require(!c.is_open(close), "!is_open(next_close(t))");
    require(c.elapsed(t, close) == close - t, "open all the way to next_close");
    require((c.closed_reason(t) == cal::Calendar::ClosedReason::kOpen) == c.is_open(t), "closed_reason agrees");
    const sla::EpochMillis nbd = c.add(t, cal::Duration::nbd());
    require(nbd > t, "nbd after start");
  }
}

void check(std::string_view text) {
  cal::LoadOptions opts;
  opts.file = "fuzz.yaml";
  opts.read_file = [](const std::string&) -> sla::Result<std::string> {
    return sla::fail(sla::ErrorCode::kNotFound, "no files while fuzzing");
  };
  std::vector<cal::LoadError> errors;
  auto set = cal::load_calendars_from_text(text, opts, errors);
  require((set == nullptr) == !errors.empty(), "set iff no errors");
  for (const auto& e : errors) require(!e.message.empty(), "error has a message");
  if (auto d = cal::parse_duration(text); d) require(cal::parse_duration(cal::to_string(*d)).value() == *d, "round trip");
  if (!set) return;
  std::uint64_t seed = 1469598103934665603ULL;  // FNV-1a of the input
  for (char ch : text) seed = (seed ^ static_cast<unsigned char>(ch)) * 1099511628211ULL;
  for (const auto& name : set->names()) probe(*set->find(name), seed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}

#ifndef SLA_LIBFUZZER
int main(int argc, char** argv) {
  return sla::testing::run_fuzz_corpus("calendar_fuzz", argc, argv, check, 300, "0123456789:-,[]{}\"' \nabcdefmnorstuwy#");
}
#endif
