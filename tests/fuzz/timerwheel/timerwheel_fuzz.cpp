// Timer wheel fuzz target: the input bytes are a program of schedule /
// cancel / reschedule / advance operations (deadlines from tiny steps to
// overflow-block jumps, stale and forged handles), run against the wheel and
// a std::multimap reference. Invariants: never crashes; every fired timer
// matches the reference's (deadline, schedule order) sequence; cancel and
// reschedule agree on which handles are live, forged handles are refused;
// size() and next_deadline() agree. With -DSLA_LIBFUZZER (clang -fsanitize=fuzzer) it is a libFuzzer
// target (the `fuzz` preset); without, main() runs a few thousand
// pseudo-random programs and replays the committed corpus (ctest label `fuzz`).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "sla/testing/fuzz_main.hpp"
#include "sla/timerwheel/timer_wheel.hpp"

namespace {

using sla::EpochMillis;
using sla::timerwheel::TimerHandle;
using sla::timerwheel::TimerWheel;

using sla::testing::fuzz_require;

struct Reader {
  const std::uint8_t* p;
  std::size_t n;
  std::uint64_t take(unsigned bytes) {
    std::uint64_t v = 0;
    for (unsigned i = 0; i < bytes && n > 0; ++i, ++p, --n) v = (v << 8) | *p;
    return v;
  }
};

void run(const std::uint8_t* data, std::size_t size) {
  Reader in{data, size};
  const EpochMillis start = static_cast<EpochMillis>(in.take(6)) - (EpochMillis{1} << 46);
  TimerWheel wheel(start);
  std::multimap<std::pair<EpochMillis, std::uint64_t>, std::size_t> ref;  // (deadline, seq) -> id
  std::vector<TimerHandle> handles;
  std::vector<decltype(ref)::iterator> where;
  std::vector<bool> live;
  std::uint64_t seq = 0;
  EpochMillis now = start;

  auto deadline = [&](std::uint64_t kind, std::uint64_t v) -> EpochMillis {
    switch (kind % 4) {
      case 0: return now + static_cast<EpochMillis>(v % 300) - 50;
      case 1: return now + static_cast<EpochMillis>(v % (std::uint64_t{1} << 32));
      case 2: return now + static_cast<EpochMillis>(v % (std::uint64_t{1} << 50));  // overflow
      default: return static_cast<EpochMillis>(v) >> 1;                                // anywhere
    }
  };

  while (in.n > 0) {
    const std::uint64_t op = in.take(1);
    switch (op % 5) {
      case 0:
      case 1: {  // schedule
        const EpochMillis d = deadline(op >> 3, in.take(7));
        const std::size_t id = handles.size();
        handles.push_back(wheel.schedule(d, id));
        where.push_back(ref.emplace(std::pair{d, seq++}, id));
        live.push_back(true);
        break;
      }
      case 2: {  // cancel, sometimes a forged handle
        if (handles.empty()) break;
        const std::size_t id = in.take(2) % handles.size();
        if ((op & 0x80U) != 0) {
          // Forged: an even generation is never issued, so never accepted.
          const TimerHandle forged{in.take(8) & ~(std::uint64_t{1} << 32)};
          fuzz_require(!wheel.cancel(forged) && !wheel.reschedule(forged, now), "forged handle accepted");
          break;
        }
        const bool got = wheel.cancel(handles[id]);
        fuzz_require(got == live[id], "cancel liveness");
        if (got) {
          ref.erase(where[id]);
          live[id] = false;
        }
        break;
      }
      case 3: {  // reschedule
        if (handles.empty()) break;
        const std::size_t id = in.take(2) % handles.size();
        const EpochMillis d = deadline(op >> 3, in.take(7));
        const bool got = wheel.reschedule(handles[id], d);
        fuzz_require(got == live[id], "reschedule liveness");
        if (got) {
          ref.erase(where[id]);
          where[id] = ref.emplace(std::pair{d, seq++}, id);
        }
        break;
      }
      default: {  // advance
        const std::uint64_t v = in.take(5);
        const EpochMillis step = (op & 0x80U) != 0 ? static_cast<EpochMillis>(v) << 8
                                                   : static_cast<EpochMillis>(v % 5000);
        if (now < std::numeric_limits<EpochMillis>::max() - step) now += step;
        wheel.advance(now, [&](std::uint64_t payload, EpochMillis d, TimerHandle) {
          const std::size_t id = payload;
          fuzz_require(id < live.size() && live[id], "fired a dead timer");
          fuzz_require(!ref.empty() && ref.begin()->second == id, "fire order");
          fuzz_require(ref.begin()->first.first == d && d <= now, "fire deadline");
          ref.erase(ref.begin());
          live[id] = false;
        });
        fuzz_require(ref.empty() || ref.begin()->first.first > now, "due timer left pending");
        break;
      }
    }
    fuzz_require(wheel.size() == ref.size(), "size");
    if (in.n % 16 == 0) {
      const auto nd = wheel.next_deadline();
      fuzz_require(nd.has_value() == !ref.empty(), "next_deadline presence");
      if (nd) fuzz_require(*nd == ref.begin()->first.first, "next_deadline value");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  run(data, size);
  return 0;
}

#ifndef SLA_LIBFUZZER
int main(int argc, char** argv) {
  // timerwheel_fuzz PROGRAMS [DIR...]: PROGRAMS pseudo-random programs, then
  // every file under each DIR (the committed corpus, regressions).
  const int programs = argc > 1 ? std::atoi(argv[1]) : 3000;
  std::mt19937_64 rng(20261123);
  std::vector<std::uint8_t> buf;
  for (int i = 0; i < programs; ++i) {
    buf.resize(rng() % 4096);
    for (auto& b : buf) b = static_cast<std::uint8_t>(rng());
    run(buf.data(), buf.size());
  }
  long replayed = 0;
  for (int i = 2; i < argc; ++i) {
    for (const auto& f : sla::testing::fuzz_corpus_files(argv[i])) {
      std::string text;
      if (!sla::testing::read_fuzz_input(f, text)) {
        std::fprintf(stderr, "timerwheel_fuzz: cannot read %s\n", f.c_str());
        return 1;
      }
      run(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
      ++replayed;
    }
  }
  std::printf("timerwheel_fuzz: %d programs and %ld corpus inputs ok\n", programs, replayed);
  return 0;
}
#endif
