// Calendar::add against a minute-stepping reference, side by side in one run
// (SPEC 7: median <= 100 ns, p99 <= 1 us for spans up to a year, >= 1000x the
// stepping reference).
//
// Calendar: America/Mexico_City, Mon-Fri 09:00-18:00, 12 holidays a year.
// Spans: 1h, 1bd, 5bd, 30d (720h of counted time, ~16 weeks of wall time) and
// 1y (250bd, ~one wall-clock year). Starts: 4096 uniformly random minutes in
// 2026-2027, the same for every benchmark.
//
//  BM_Add/<span>          mean ns per add (Google Benchmark's time column)
//  BM_AddLatency/<span>   per-call latency with rdtsc: p50_ns, p99_ns, max_ns
//                         counters (timer overhead subtracted)
//  BM_Stepping/<span>     the reference: steps one minute at a time, each
//                         minute resolved to local time like a naive
//                         implementation would; `x_faster` = reference mean /
//                         Calendar::add mean over the same starts.
//  BM_SteppingFastIsOpen/<span>  a stricter reference: minute stepping over
//                         the library's own O(log n) is_open.
#include <algorithm>
#include <chrono>
#include <random>
#include <unordered_set>
#include <vector>

#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <benchmark/benchmark.h>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "sla/calendar/calendar.hpp"
#include "sla/calendar/yaml_loader.hpp"

namespace {

using sla::EpochMillis;
using sla::calendar::Calendar;
using sla::calendar::Duration;

constexpr const char* kPolicy = R"(version: 1
calendars:
  mx-business:
    timezone: America/Mexico_City
    hours:
      mon-fri: ["09:00-18:00"]
    holidays:
      - {name: "Año Nuevo", date: "01-01"}
      - {name: "Constitución", nth: 1, weekday: mon, month: 2}
      - {name: "Benito Juárez", nth: 3, weekday: mon, month: 3}
      - {name: "Jueves Santo", easter: -3}
      - {name: "Viernes Santo", easter: -2}
      - {name: "Día del Trabajo", date: "05-01", observed: nearest_weekday}
      - {name: "Independencia", date: "09-16", observed: nearest_weekday}
      - {name: "Día de Muertos", date: "11-02"}
      - {name: "Revolución", nth: 3, weekday: mon, month: 11}
      - {name: "Guadalupe", date: "12-12"}
      - {name: "Nochebuena", date: "12-24"}
      - {name: "Navidad", date: "12-25", observed: nearest_weekday}
)";

const Calendar& calendar() {
  static const auto set = [] {
    std::vector<sla::calendar::LoadError> errors;
    auto s = sla::calendar::load_calendars_from_text(kPolicy, {}, errors);
    if (!s) std::abort();
    return s;
  }();
  return *set->find("mx-business");
}

const std::vector<EpochMillis>& starts() {
  static const std::vector<EpochMillis> v = [] {
    std::mt19937_64 rng(42);
    const EpochMillis lo = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
    const EpochMillis hi = 1'830'297'600'000;  // 2028-01-01T00:00:00Z
    std::uniform_int_distribution<EpochMillis> d(lo / 60'000, hi / 60'000 - 1);  // whole minutes: the reference steps minutes
    std::vector<EpochMillis> out(4096);
    for (auto& s : out) s = d(rng) * 60'000;
    // Touch every year a span can reach so lazy year building is not timed.
    for (int i = 0; i < 4; ++i) benchmark::DoNotOptimize(calendar().add(out[0], Duration::bd(260 * (i + 1))));
    return out;
  }();
  return v;
}

Duration span(std::int64_t index) {
  switch (index) {
    case 0: return Duration::fixed(3'600'000);                 // 1h
    case 1: return Duration::bd(1);                            // 1bd
    case 2: return Duration::bd(5);                            // 5bd
    case 3: return Duration::fixed(30LL * 24 * 3'600'000);     // 30d = 720h counted
    default: return Duration::bd(250);                         // 1y of business days
  }
}
const char* span_name(std::int64_t index) {
  static const char* const kNames[] = {"1h", "1bd", "5bd", "30d", "1y"};
  return kNames[index];
}

/// The naive reference: one minute at a time, each minute converted to local
/// civil time and checked against hours and a holiday set.
class SteppingReference {
 public:
  explicit SteppingReference(const Calendar& cal) : cal_(cal) {
    absl::LoadTimeZone(cal.timezone_name(), &tz_);
    for (absl::CivilDay d(2025, 1, 1); d < absl::CivilDay(2034, 1, 1); ++d) {
      if (cal.is_holiday({static_cast<int>(d.year()), d.month(), d.day()})) holidays_.insert(day_number(d));
    }
  }
  [[nodiscard]] bool open(EpochMillis t) const {
    const absl::CivilSecond cs = tz_.At(absl::FromUnixMillis(t)).cs;
    const absl::CivilDay day(cs);
    if (holidays_.count(day_number(day)) != 0) return false;
    const int wd = weekday_index(absl::GetWeekday(day));
    const int sec = cs.hour() * 3600 + cs.minute() * 60 + cs.second();
    for (const auto& iv : cal_.spec().hours[static_cast<std::size_t>(wd)]) {
      if (sec >= iv.start_sec && sec < iv.end_sec) return true;
    }
    return false;
  }
  [[nodiscard]] EpochMillis add(EpochMillis start, std::int64_t counted) const {
    EpochMillis t = start;
    for (std::int64_t left = counted / 60'000; left > 0; t += 60'000) {
      if (open(t)) --left;
    }
    return t;
  }

 private:
  static std::int64_t day_number(absl::CivilDay d) { return d - absl::CivilDay(1970, 1, 1); }
  static int weekday_index(absl::Weekday w) {
    switch (w) {
      case absl::Weekday::monday: return 0;
      case absl::Weekday::tuesday: return 1;
      case absl::Weekday::wednesday: return 2;
      case absl::Weekday::thursday: return 3;
      case absl::Weekday::friday: return 4;
      case absl::Weekday::saturday: return 5;
      case absl::Weekday::sunday: return 6;
    }
    return 0;
  }
  const Calendar& cal_;
  absl::TimeZone tz_;
  std::unordered_set<std::int64_t> holidays_;
};

std::int64_t counted(std::int64_t index) {
  const Duration d = span(index);
  return d.kind == Duration::Kind::kFixed ? d.millis : d.business_days * calendar().day_length_millis();
}

/// Mean ns of Calendar::add over the shared starts, timed in bulk.
double fast_add_mean_ns(std::int64_t index) {
  const Calendar& cal = calendar();
  const auto& s = starts();
  const Duration d = span(index);
  const auto t0 = std::chrono::steady_clock::now();
  constexpr int kRounds = 50;
  for (int r = 0; r < kRounds; ++r) {
    for (EpochMillis x : s) benchmark::DoNotOptimize(cal.add(x, d));
  }
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / (kRounds * static_cast<double>(s.size()));
}

void BM_Add(benchmark::State& state) {
  const Calendar& cal = calendar();
  const auto& s = starts();
  const Duration d = span(state.range(0));
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cal.add(s[i++ & 4095], d));
  }
  state.SetLabel(span_name(state.range(0)));
}

#if defined(__x86_64__)
inline std::uint64_t tsc_begin() {
  _mm_lfence();
  return __rdtsc();
}
inline std::uint64_t tsc_end() {
  unsigned aux = 0;
  const std::uint64_t t = __rdtscp(&aux);
  _mm_lfence();
  return t;
}
double ns_per_tick() {
  static const double v = [] {
    const auto c0 = std::chrono::steady_clock::now();
    const std::uint64_t t0 = __rdtsc();
    while (std::chrono::steady_clock::now() - c0 < std::chrono::milliseconds(100)) {
    }
    const auto c1 = std::chrono::steady_clock::now();
    const std::uint64_t t1 = __rdtsc();
    return std::chrono::duration<double, std::nano>(c1 - c0).count() / static_cast<double>(t1 - t0);
  }();
  return v;
}
std::uint64_t timer_overhead_ticks() {
  static const std::uint64_t v = [] {
    std::vector<std::uint64_t> o;
    for (int i = 0; i < 10000; ++i) {
      const std::uint64_t a = tsc_begin();
      const std::uint64_t b = tsc_end();
      o.push_back(b - a);
    }
    std::sort(o.begin(), o.end());
    return o[o.size() / 2];
  }();
  return v;
}

void BM_AddLatency(benchmark::State& state) {
  const Calendar& cal = calendar();
  const auto& s = starts();
  const Duration d = span(state.range(0));
  const std::uint64_t overhead = timer_overhead_ticks();
  std::vector<std::uint64_t> ticks;
  ticks.reserve(1 << 22);
  std::size_t i = 0;
  for (auto _ : state) {
    const EpochMillis x = s[i++ & 4095];
    const std::uint64_t a = tsc_begin();
    benchmark::DoNotOptimize(cal.add(x, d));
    const std::uint64_t b = tsc_end();
    if (ticks.size() < ticks.capacity()) ticks.push_back(b - a > overhead ? b - a - overhead : 0);
  }
  std::sort(ticks.begin(), ticks.end());
  auto pct = [&](double p) {
    return static_cast<double>(ticks[static_cast<std::size_t>(p * static_cast<double>(ticks.size() - 1))]) * ns_per_tick();
  };
  state.counters["p50_ns"] = pct(0.50);
  state.counters["p99_ns"] = pct(0.99);
  state.counters["p999_ns"] = pct(0.999);
  state.counters["max_ns"] = pct(1.0);
  state.SetLabel(span_name(state.range(0)));
}
BENCHMARK(BM_AddLatency)->DenseRange(0, 4)->Iterations(2'000'000);
#endif

void BM_Stepping(benchmark::State& state) {
  static const SteppingReference ref(calendar());
  const auto& s = starts();
  const std::int64_t ms = counted(state.range(0));
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ref.add(s[i++ & 4095], ms));
  }
  // Same starts, same run: how many times faster Calendar::add is.
  double ref_ns = 0;
  {
    const std::size_t n = std::min<std::size_t>(i, 4096);
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t k = 0; k < n; ++k) {
      const EpochMillis got = ref.add(s[k], ms);
      if (k < 64 && got != calendar().add(s[k], ms)) state.SkipWithError("reference and Calendar::add disagree");
      benchmark::DoNotOptimize(got);
    }
    ref_ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() /
             static_cast<double>(n);
  }
  state.counters["x_faster"] = ref_ns / fast_add_mean_ns(state.range(0));
  state.SetLabel(span_name(state.range(0)));
}

void BM_SteppingFastIsOpen(benchmark::State& state) {
  const Calendar& cal = calendar();
  const auto& s = starts();
  const std::int64_t ms = counted(state.range(0));
  auto step = [&](EpochMillis t) {
    for (std::int64_t left = ms / 60'000; left > 0; t += 60'000) {
      if (cal.is_open(t)) --left;
    }
    return t;
  };
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(step(s[i++ & 4095]));
  const std::size_t n = std::min<std::size_t>(i, 4096);
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t k = 0; k < n; ++k) benchmark::DoNotOptimize(step(s[k]));
  const double ref_ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / static_cast<double>(n);
  state.counters["x_faster"] = ref_ns / fast_add_mean_ns(state.range(0));
  state.SetLabel(span_name(state.range(0)));
}

void BM_Elapsed30d(benchmark::State& state) {
  const Calendar& cal = calendar();
  const auto& s = starts();
  std::size_t i = 0;
  for (auto _ : state) {
    const EpochMillis a = s[i++ & 4095];
    benchmark::DoNotOptimize(cal.elapsed(a, a + 30LL * 86'400'000));
  }
}

void BM_NextBusinessDay(benchmark::State& state) {
  const Calendar& cal = calendar();
  const auto& s = starts();
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(cal.add(s[i++ & 4095], Duration::nbd()));
}

/// Cost of loading the calendar and building one year of segments (done
/// once per year per calendar, lazily).
void BM_LoadAndBuildYear(benchmark::State& state) {
  for (auto _ : state) {
    std::vector<sla::calendar::LoadError> errors;
    auto set = sla::calendar::load_calendars_from_text(kPolicy, {}, errors);
    benchmark::DoNotOptimize(set->find("mx-business")->is_open(1'767'225'600'000));
  }
}

BENCHMARK(BM_Add)->DenseRange(0, 4);
BENCHMARK(BM_Stepping)->DenseRange(0, 4)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SteppingFastIsOpen)->DenseRange(0, 4)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Elapsed30d);
BENCHMARK(BM_NextBusinessDay);
BENCHMARK(BM_LoadAndBuildYear)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
