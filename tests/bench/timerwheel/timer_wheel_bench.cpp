// Timer wheel benchmark: sla::timerwheel::TimerWheel beside std::priority_queue
// with lazy cancellation, std::multimap and boost::asio::steady_timer (one
// per deadline on one io_context), measured in the same run.
//
// For each structure and N pending timers (deadlines uniform in
// [now + 15 min, now + 30 days)) one benchmark runs the life cycle:
//   fill     N timers (untimed; RSS growth measured  -> bytes_per_timer)
//   cancel   K random timers of the N              -> cancel_ns
//   schedule K new ones (N pending again)          -> schedule_ns
//            (RSS growth from the start, victims vector excluded, / N
//            -> steady_bytes_per_timer: what cancels left behind counts)
//   resched  K other random timers to new deadlines -> reschedule_ns
//   fire     everything: one advance to now + 31 d -> fire_ns (per fired timer,
//            including cascades / stale-entry pops / handler dispatch)
// with K = N / 10. The Time column is the whole run (thread CPU
// time, see CpuTime); the counters
// are ns per operation. bytes_per_timer is the resident-set growth over the
// fill divided by N (see resident_bytes), not a sizeof computation.
//
// boost::asio cannot be told "now": its fire phase first re-arms every live
// timer at an already-past time (untimed) and then times io_context::run()
// dispatching them. Its cancel / reschedule include the poll() that runs the
// aborted handlers (that is when asio frees them). asio is capped at 1M: at
// 10M it needs several GB and minutes per phase.

// Boost.Asio's io_context executor comparison trips GCC 12's flow-based
// -Wnull-dereference after inlining (a false positive inside a system
// header that the usual system-header suppression misses).
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <numeric>
#include <queue>
#include <random>
#include <vector>

#include "sla/timerwheel/timer_wheel.hpp"

namespace {

using sla::EpochMillis;
using Clock = std::chrono::steady_clock;

constexpr EpochMillis kNow = 1'790'000'000'000;
constexpr EpochMillis kMinute = 60'000;
constexpr EpochMillis kDay = 86'400'000;
constexpr EpochMillis kEnd = kNow + 31 * kDay;

// Resident set size (/proc/self/statm). Taken after malloc_trim(0), the
// delta across the fill is the RAM the structure made resident: it counts
// allocator overhead and touched growth slack, and sees mmap-ed memory that
// mallinfo2() would miss (the wheel maps its slab in 2 MiB huge pages).
std::size_t resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long pages = 0;
  unsigned long resident = 0;
  const int got = std::fscanf(f, "%lu %lu", &pages, &resident);
  std::fclose(f);
  return got == 2 ? resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

// Phases are timed in this thread's CPU time, not wall time: the project
// machine's 2 cores are shared with other builds, and a descheduled thread
// must not count against any structure. (Cache pollution by neighbours still
// does; compare rows of the same run.)
struct CpuTime {
  std::int64_t ns;
  static CpuTime now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return {std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec};
  }
};
double seconds_since(CpuTime t0) { return static_cast<double>(CpuTime::now().ns - t0.ns) * 1e-9; }

std::vector<EpochMillis> make_deadlines(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<EpochMillis> dist(kNow + 15 * kMinute, kNow + 30 * kDay - 1);
  std::vector<EpochMillis> out(n);
  for (auto& d : out) d = dist(rng);
  return out;
}

// ---- the structures, behind one small interface ----------------------------

struct Wheel {
  using Handle = sla::timerwheel::TimerHandle;
  sla::timerwheel::TimerWheel w{kNow};
  std::uint64_t sink = 0;

  Handle schedule(EpochMillis d, std::uint64_t p) { return w.schedule(d, p); }
  bool cancel(Handle h) { return w.cancel(h); }
  bool reschedule(Handle h, EpochMillis d) { return w.reschedule(h, d); }
  void flush() {}
  std::size_t fire_until(EpochMillis now) {
    return w.advance(now, [this](std::uint64_t p, EpochMillis, Handle) { sink += p; });
  }
};

// Binary heap of (deadline, seq, id, tag) with lazy cancellation: cancel
// only kills the id's generation; every push bumps the id's tag, so an entry
// whose tag is not the id's current one is stale and skipped at the top.
struct PriorityQueue {
  struct Entry {
    EpochMillis deadline;
    std::uint64_t seq;  // ties in schedule order
    std::uint32_t id;
    std::uint32_t tag;
    bool operator>(const Entry& o) const {
      return deadline != o.deadline ? deadline > o.deadline : seq > o.seq;
    }
  };
  struct Slot {
    std::uint64_t payload = 0;
    std::uint32_t gen = 0;  // odd = live; the handle carries it
    std::uint32_t tag = 0;  // the current heap entry
  };
  using Handle = std::uint64_t;  // gen << 32 | id
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap;
  std::vector<Slot> slots;
  std::vector<std::uint32_t> free_ids;
  std::uint64_t seq = 0;
  std::uint64_t sink = 0;

  Handle schedule(EpochMillis d, std::uint64_t p) {
    std::uint32_t id = 0;
    if (!free_ids.empty()) {
      id = free_ids.back();
      free_ids.pop_back();
    } else {
      id = static_cast<std::uint32_t>(slots.size());
      slots.emplace_back();
    }
    Slot& s = slots[id];
    s.payload = p;
    ++s.gen;
    heap.push({d, seq++, id, ++s.tag});
    return (std::uint64_t{s.gen} << 32) | id;
  }
  Slot* live(Handle h) {
    const auto id = static_cast<std::uint32_t>(h);
    if (id >= slots.size() || slots[id].gen != static_cast<std::uint32_t>(h >> 32)) return nullptr;
    return &slots[id];
  }
  bool cancel(Handle h) {
    Slot* s = live(h);
    if (s == nullptr) return false;
    ++s->gen;
    free_ids.push_back(static_cast<std::uint32_t>(h));
    return true;
  }
  bool reschedule(Handle h, EpochMillis d) {
    Slot* s = live(h);
    if (s == nullptr) return false;
    heap.push({d, seq++, static_cast<std::uint32_t>(h), ++s->tag});
    return true;
  }
  void flush() {}
  std::size_t fire_until(EpochMillis now) {
    std::size_t fired = 0;
    while (!heap.empty() && heap.top().deadline <= now) {
      const Entry e = heap.top();
      heap.pop();
      Slot& s = slots[e.id];
      if (s.tag != e.tag || (s.gen & 1U) == 0) continue;  // stale
      sink += s.payload;
      ++s.gen;
      free_ids.push_back(e.id);
      ++fired;
    }
    return fired;
  }
};

struct MultiMap {
  using Map = std::multimap<EpochMillis, std::uint64_t>;  // equal keys keep insertion order
  using Handle = Map::iterator;
  Map m;
  std::uint64_t sink = 0;

  Handle schedule(EpochMillis d, std::uint64_t p) { return m.emplace(d, p); }
  bool cancel(Handle h) {
    m.erase(h);
    return true;
  }
  bool reschedule(Handle& h, EpochMillis d) {
    auto node = m.extract(h);
    node.key() = d;
    h = m.insert(std::move(node));
    return true;
  }
  void flush() {}
  std::size_t fire_until(EpochMillis now) {
    std::size_t fired = 0;
    auto it = m.begin();
    for (; it != m.end() && it->first <= now; ++it) {
      sink += it->second;
      ++fired;
    }
    m.erase(m.begin(), it);
    return fired;
  }
};

struct Asio {
  using Handle = std::size_t;  // index into timers
  boost::asio::io_context io;
  std::deque<boost::asio::steady_timer> timers;
  std::vector<std::uint64_t> payloads;
  Clock::time_point base = Clock::now();
  std::uint64_t sink = 0;
  std::size_t fired = 0;

  Clock::time_point at(EpochMillis d) const { return base + std::chrono::milliseconds(d - kNow); }
  void arm(std::size_t i, Clock::time_point tp) {
    timers[i].expires_at(tp);
    timers[i].async_wait([this, i](const boost::system::error_code& ec) {
      if (!ec) {
        sink += payloads[i];
        ++fired;
      }
    });
  }
  Handle schedule(EpochMillis d, std::uint64_t p) {
    timers.emplace_back(io);
    payloads.push_back(p);
    arm(timers.size() - 1, at(d));
    return timers.size() - 1;
  }
  bool cancel(Handle h) { return timers[h].cancel() > 0; }
  bool reschedule(Handle h, EpochMillis d) {
    arm(h, at(d));  // expires_at cancels the pending wait
    return true;
  }
  void flush() {
    io.poll();  // runs the aborted handlers, freeing their operations
    io.restart();
  }
};

// ---- the life cycle ----------------------------------------------------------

template <typename Impl>
void lifecycle(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::size_t k = n / 10;
  const auto fill = make_deadlines(n, 1);
  const auto extra = make_deadlines(k, 2);
  const auto moved = make_deadlines(k, 3);
  std::mt19937_64 rng(4);

  for (auto _ : state) {
    using Handle = typename Impl::Handle;
    std::vector<Handle> handles(n + k);  // touched now: not part of the RSS delta
    std::vector<std::uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0U);
    std::shuffle(order.begin(), order.end(), rng);

    const auto t_all = CpuTime::now();
    malloc_trim(0);
    const std::size_t rss0 = resident_bytes();
    auto impl = std::make_unique<Impl>();
    for (std::size_t i = 0; i < n; ++i) handles[i] = impl->schedule(fill[i], i);
    impl->flush();
    const std::size_t rss1 = resident_bytes();

    // The victims' handles are gathered first (untimed), as the engine
    // would have them at hand in the ticket it is updating: K random timers
    // to cancel, then K others (still live) to reschedule.
    std::vector<Handle> victims(2 * k);
    for (std::size_t i = 0; i < 2 * k; ++i) victims[i] = handles[order[i]];
    const std::size_t rss_victims = resident_bytes();  // the victims vector is not the structure's

    auto t0 = CpuTime::now();
    std::size_t ok = 0;
    for (std::size_t i = 0; i < k; ++i) ok += impl->cancel(victims[i]) ? 1U : 0U;
    impl->flush();
    const double canc = seconds_since(t0);

    // Steady state: K new timers where K were just cancelled (N pending again).
    t0 = CpuTime::now();
    for (std::size_t i = 0; i < k; ++i) handles[n + i] = impl->schedule(extra[i], n + i);
    impl->flush();
    const double sched = seconds_since(t0);
    // Steady state: N pending after K cancels and K schedules, with whatever
    // the cancels left behind (tombstones, stale heap entries, free lists).
    const std::size_t rss_steady = resident_bytes();

    t0 = CpuTime::now();
    for (std::size_t i = 0; i < k; ++i) {
      ok += impl->reschedule(victims[k + i], moved[i]) ? 1U : 0U;
    }
    impl->flush();
    const double resch = seconds_since(t0);
    if (ok != 2 * k) state.SkipWithError("cancel/reschedule failed");

    double fire = 0;
    std::size_t fired = 0;
    if constexpr (std::is_same_v<Impl, Asio>) {
      // Re-arm every live timer at a past instant keeping the deadline order.
      const Clock::time_point past = Clock::time_point(Clock::duration(-(std::int64_t{1} << 61)));
      std::vector<bool> dead(n + k, false);
      for (std::size_t i = 0; i < k; ++i) dead[order[i]] = true;
      for (std::size_t i = 0; i < n + k; ++i) {
        if (!dead[i]) impl->timers[i].cancel();
      }
      impl->flush();  // the aborted waits complete here, untimed
      for (std::size_t i = 0; i < n + k; ++i) {
        if (!dead[i]) impl->arm(i, past + (impl->timers[i].expiry() - impl->base));
      }
      t0 = CpuTime::now();
      impl->io.run();
      fire = seconds_since(t0);
      fired = impl->fired;
    } else {
      t0 = CpuTime::now();
      fired = impl->fire_until(kEnd);
      fire = seconds_since(t0);
    }
    if (fired != n) state.SkipWithError("fired count mismatch");
    benchmark::DoNotOptimize(impl->sink);
    impl.reset();
    state.SetIterationTime(seconds_since(t_all));

    state.counters["bytes_per_timer"] =
        static_cast<double>(rss1 > rss0 ? rss1 - rss0 : 0) / static_cast<double>(n);
    const std::size_t steady_growth = (rss1 > rss0 ? rss1 - rss0 : 0) +
                                      (rss_steady > rss_victims ? rss_steady - rss_victims : 0);
    state.counters["steady_bytes_per_timer"] =
        static_cast<double>(steady_growth) / static_cast<double>(n);
    state.counters["schedule_ns"] = sched * 1e9 / static_cast<double>(k);
    state.counters["cancel_ns"] = canc * 1e9 / static_cast<double>(k);
    state.counters["reschedule_ns"] = resch * 1e9 / static_cast<double>(k);
    state.counters["fire_ns"] = fire * 1e9 / static_cast<double>(fired);
  }
}

// Sustained churn, a second workload beside the life cycle (which does one
// burst of N/10 cancels): N pending, then 2N rounds of "cancel a uniformly
// random pending timer, schedule a new one" with no time passing, so
// nothing fires or cascades and whatever cancels leave behind must be
// bounded by the structure itself (the wheel's tombstone compaction; the
// heap keeps every stale entry). churn_ns is per round (cancel + schedule);
// bytes_per_timer is the resident growth from before the fill to the end,
// over N.
template <typename Impl>
void churn(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const std::size_t rounds = 2 * n;
  const auto fill = make_deadlines(n, 1);
  const auto extra = make_deadlines(rounds, 2);
  std::mt19937_64 rng(5);
  std::vector<std::uint32_t> pick(rounds);
  for (auto& x : pick) x = static_cast<std::uint32_t>(rng() % n);

  for (auto _ : state) {
    using Handle = typename Impl::Handle;
    std::vector<Handle> handles(n);  // slot i: the pending timer it holds
    const auto t_all = CpuTime::now();
    malloc_trim(0);
    const std::size_t rss0 = resident_bytes();
    auto impl = std::make_unique<Impl>();
    for (std::size_t i = 0; i < n; ++i) handles[i] = impl->schedule(fill[i], i);
    std::size_t ok = 0;
    const auto t0 = CpuTime::now();
    for (std::size_t r = 0; r < rounds; ++r) {
      Handle& h = handles[pick[r]];
      ok += impl->cancel(h) ? 1U : 0U;
      h = impl->schedule(extra[r], n + r);
    }
    const double secs = seconds_since(t0);
    const std::size_t rss1 = resident_bytes();
    if (ok != rounds) state.SkipWithError("cancel failed");
    benchmark::DoNotOptimize(impl->sink);
    impl.reset();
    state.SetIterationTime(seconds_since(t_all));
    state.counters["churn_ns"] = secs * 1e9 / static_cast<double>(rounds);
    state.counters["bytes_per_timer"] =
        static_cast<double>(rss1 > rss0 ? rss1 - rss0 : 0) / static_cast<double>(n);
  }
}

void churn_sizes(benchmark::internal::Benchmark* b) {
  b->Arg(1'000'000)->Arg(10'000'000)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
}

void sizes(benchmark::internal::Benchmark* b, std::int64_t max_n) {
  for (const std::int64_t n : {1'000, 100'000, 1'000'000, 10'000'000}) {
    if (n <= max_n) b->Arg(n);
  }
  b->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
}

BENCHMARK(lifecycle<Wheel>)->Name("TimerWheel")->Apply([](auto* b) { sizes(b, 10'000'000); });
BENCHMARK(lifecycle<PriorityQueue>)->Name("PriorityQueueLazy")->Apply([](auto* b) { sizes(b, 10'000'000); });
BENCHMARK(lifecycle<MultiMap>)->Name("MultiMap")->Apply([](auto* b) { sizes(b, 10'000'000); });
BENCHMARK(lifecycle<Asio>)->Name("AsioSteadyTimer")->Apply([](auto* b) { sizes(b, 1'000'000); });
BENCHMARK(churn<Wheel>)->Name("ChurnTimerWheel")->Apply(churn_sizes);
BENCHMARK(churn<PriorityQueue>)->Name("ChurnPriorityQueueLazy")->Apply(churn_sizes);

}  // namespace

BENCHMARK_MAIN();
