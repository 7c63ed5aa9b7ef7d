// Engine throughput (full ticket lifecycles, no I/O) and memory per open
// ticket. Run: build/release/tests/bench/engine/engine_bench
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "sla/engine/engine.hpp"
#include "sla/policy/loader.hpp"

namespace {

using sla::EpochMillis;
using sla::engine::EventKind;
using sla::engine::TicketEvent;

constexpr const char* kPolicy = R"(
version: 1
policy_id: bench
calendars:
  biz:
    timezone: America/New_York
    hours: {mon-fri: ["09:00-17:00"]}
    holidays:
      - {name: "New Year", date: "01-01"}
      - {name: "Good Friday", easter: -2}
plans:
  pro:
    severities:
      P1:
        response:   {within: 1h, calendar: 24x7}
        update:     {every: 4h, calendar: biz}
        resolution: {within: 2bd, calendar: biz}
      P2:
        response:   {within: 4h, calendar: biz}
        resolution: {within: 5bd, calendar: biz}
warnings: [50%, 75%, -30m]
after_breach: {repeat: 1h, times: 3}
pause_on: [pending_customer]
escalations:
  - match: {plan: pro, severity: P1, metric: resolution}
    steps:
      - {at: 75%, notify: [lead]}
      - {at: breach, notify: [manager]}
)";

std::shared_ptr<const sla::policy::Policy> policy() {
  static auto p = [] {
    std::vector<sla::policy::LoadError> errors;
    sla::policy::LoadOptions o;
    o.file = "bench.yaml";
    auto loaded = sla::policy::load_policy(kPolicy, o, errors);
    if (!loaded) std::abort();
    return loaded;
  }();
  return p;
}

TicketEvent make(std::uint64_t n, std::uint64_t ticket, EpochMillis t, EventKind kind, const char* arg = "") {
  TicketEvent e;
  e.event_id = "e" + std::to_string(n);
  e.ticket_id = "ticket-" + std::to_string(ticket);
  e.tenant_id = "tenant-" + std::to_string(ticket % 97);
  e.occurred_at = t;
  e.kind = kind;
  if (kind == EventKind::kOpened) {
    e.plan = "pro";
    e.severity = (ticket % 3 == 0) ? "P1" : "P2";
    e.status = "open";
  } else if (kind == EventKind::kStatusChanged) {
    e.status = arg;
  }
  return e;
}

// A realistic stream: tickets open every 100 ms; each lives ~2 days of event
// time with respond, pause/resume, agent update, resolve, close.
std::vector<TicketEvent> lifecycles(std::uint64_t tickets) {
  const EpochMillis t0 = 1775476800000;  // 2026-04-06T12:00:00Z
  std::vector<std::pair<EpochMillis, TicketEvent>> v;
  std::uint64_t n = 0;
  for (std::uint64_t k = 0; k < tickets; ++k) {
    const EpochMillis o = t0 + static_cast<EpochMillis>(k) * 100;
    const EpochMillis m = 60'000;
    v.emplace_back(o, make(n++, k, o, EventKind::kOpened));
    v.emplace_back(o + 20 * m, make(n++, k, o + 20 * m, EventKind::kResponded));
    v.emplace_back(o + 90 * m, make(n++, k, o + 90 * m, EventKind::kStatusChanged, "pending_customer"));
    v.emplace_back(o + 300 * m, make(n++, k, o + 300 * m, EventKind::kStatusChanged, "open"));
    v.emplace_back(o + 400 * m, make(n++, k, o + 400 * m, EventKind::kAgentUpdated));
    v.emplace_back(o + 900 * m, make(n++, k, o + 900 * m, EventKind::kResolved));
    v.emplace_back(o + 2000 * m, make(n++, k, o + 2000 * m, EventKind::kClosed));
  }
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<TicketEvent> out;
  out.reserve(v.size());
  for (auto& [t, e] : v) out.push_back(std::move(e));
  return out;
}

// Events applied per second, timers fired along the way (advance before each
// event, as the daemon does).
void BM_EngineLifecycles(benchmark::State& state) {
  const auto events = lifecycles(static_cast<std::uint64_t>(state.range(0)));
  std::size_t outputs = 0;
  for (auto _ : state) {
    sla::engine::Engine engine(policy());
    std::vector<sla::engine::Output> out;
    out.reserve(1024);
    for (const auto& e : events) {
      engine.advance(e.occurred_at, out);
      auto r = engine.apply(e, e.occurred_at, out);
      benchmark::DoNotOptimize(r);
      outputs += out.size();
      out.clear();
    }
    // Drain, and also drop the closed tickets (retention timers: the 7-day
    // lateness horizon).
    if (auto due = engine.next_due()) engine.advance(*due + 8LL * 24 * 3600 * 1000, out);
    outputs += out.size();
    benchmark::DoNotOptimize(engine.ticket_count());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(events.size()));
  state.counters["outputs_per_iter"] = benchmark::Counter(static_cast<double>(outputs) /
                                                          static_cast<double>(state.iterations()));
}
BENCHMARK(BM_EngineLifecycles)->Arg(1'000)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

// The same stream with the daemon's cut every 512 events: the dirty tickets'
// views (clocks with their stretches, history, pages) and saved states, as
// take_dirty_snapshots() hands them to the deadlines topic and the store.
void BM_EngineDirtySnapshots(benchmark::State& state) {
  const auto events = lifecycles(static_cast<std::uint64_t>(state.range(0)));
  std::size_t snapshots = 0;
  for (auto _ : state) {
    sla::engine::Engine engine(policy());
    std::vector<sla::engine::Output> out;
    out.reserve(1024);
    std::size_t i = 0;
    for (const auto& e : events) {
      engine.advance(e.occurred_at, out);
      auto r = engine.apply(e, e.occurred_at, out);
      benchmark::DoNotOptimize(r);
      out.clear();
      if (++i % 512 == 0) {
        engine.take_dirty_snapshots(e.occurred_at, [&](const sla::engine::TicketView& v, std::string&& bytes) {
          benchmark::DoNotOptimize(v.clocks.data());
          benchmark::DoNotOptimize(bytes.data());
          ++snapshots;
        });
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(events.size()));
  state.counters["snapshots_per_iter"] =
      benchmark::Counter(static_cast<double>(snapshots) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_EngineDirtySnapshots)->Arg(10'000)->Unit(benchmark::kMillisecond);

// The same stream through apply_batch(), as the daemon does: batches of up to
// range(1) events (the daemon polls up to 5000), each applied at the time of
// its last event, then advance() to that time.
void BM_EngineLifecyclesBatch(benchmark::State& state) {
  const auto events = lifecycles(static_cast<std::uint64_t>(state.range(0)));
  const auto batch = static_cast<std::size_t>(state.range(1));
  std::size_t outputs = 0;
  std::size_t rejected_total = 0;
  for (auto _ : state) {
    sla::engine::Engine engine(policy());
    std::vector<sla::engine::Output> out;
    std::vector<sla::engine::Rejected> rejected;
    out.reserve(4096);  // a batch's outputs (~0.4 per event); the daemon reuses its vector
    for (std::size_t i = 0; i < events.size(); i += batch) {
      const std::span<const TicketEvent> chunk(events.data() + i, std::min(batch, events.size() - i));
      sla::engine::BatchTime clock;
      clock.now = chunk.back().occurred_at;
      engine.apply_batch(chunk, clock, out, rejected);
      engine.advance(clock.now, out);
      outputs += out.size();
      rejected_total += rejected.size();
      out.clear();
      rejected.clear();
    }
    if (auto due = engine.next_due()) engine.advance(*due + 8LL * 24 * 3600 * 1000, out);
    outputs += out.size();
    benchmark::DoNotOptimize(engine.ticket_count());
  }
  if (rejected_total != 0) state.SkipWithError("events rejected");
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(events.size()));
  state.counters["outputs_per_iter"] = benchmark::Counter(static_cast<double>(outputs) /
                                                          static_cast<double>(state.iterations()));
}
BENCHMARK(BM_EngineLifecyclesBatch)
    ->ArgsProduct({{1'000, 10'000, 100'000}, {512, 5'000}})
    ->Unit(benchmark::kMillisecond);

// Heap bytes per open ticket (opened + responded, timers armed), measured
// with mallinfo2 before and after: bytes in use from the heap (uordblks)
// plus bytes in mmapped chunks (hblkhd), where glibc puts large blocks such
// as ticket-pool chunks, index tables and the timer wheel's slabs.
std::size_t heap_in_use() {
  const auto mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

// Resident bytes of the process (/proc/self/statm): also sees memory mapped
// without malloc (the timer wheel maps its node slabs itself).
std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

void BM_EngineBytesPerOpenTicket(benchmark::State& state) {
  const auto n = static_cast<std::uint64_t>(state.range(0));
  double per_ticket = 0;
  double rss_per_ticket = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<TicketEvent> evs;
    evs.reserve(2 * n);
    const EpochMillis t0 = 1775476800000;
    for (std::uint64_t k = 0; k < n; ++k) evs.push_back(make(2 * k, k, t0 + static_cast<EpochMillis>(k), EventKind::kOpened));
    for (std::uint64_t k = 0; k < n; ++k) {
      evs.push_back(make(2 * k + 1, k, t0 + static_cast<EpochMillis>(n + k), EventKind::kResponded));
    }
    malloc_trim(0);
    const auto before = heap_in_use();
    const auto rss_before = resident_bytes();
    state.ResumeTiming();
    auto engine = std::make_unique<sla::engine::Engine>(policy());
    std::vector<sla::engine::Output> out;
    for (const auto& e : evs) {
      auto r = engine->apply(e, e.occurred_at, out);
      benchmark::DoNotOptimize(r);
      out.clear();
    }
    state.PauseTiming();
    const auto after = heap_in_use();
    per_ticket = static_cast<double>(after - before) / static_cast<double>(n);
    rss_per_ticket = static_cast<double>(resident_bytes() - rss_before) / static_cast<double>(n);
    state.counters["open_tickets"] = static_cast<double>(engine->ticket_count());
    state.counters["pending_timers"] = static_cast<double>(engine->pending_timers());
    engine.reset();
    state.ResumeTiming();
  }
  state.counters["bytes_per_ticket"] = per_ticket;
  state.counters["rss_bytes_per_ticket"] = rss_per_ticket;
}
BENCHMARK(BM_EngineBytesPerOpenTicket)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
