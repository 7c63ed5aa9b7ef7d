// The at-risk index of the deadline view: sla::views::RankTree against the
// red-black tree with order statistics (libstdc++ pb_ds) it replaced, on the
// view's key (deadline, id hash, metric, slot) and its operations:
//  - Churn/N: N keys held; each iteration erases a random held key and
//    inserts a new one (a snapshot that moves one deadline), as the view
//    does for each changed at-risk clock;
//  - Rank/N: order_of_key of a random deadline (the totals of a query);
//  - Walk100/N: the first 100 keys from begin() (a page of a query).
// Keys are uniform over 30 days; timed in CPU time per operation.
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <tuple>
#include <vector>

#include <benchmark/benchmark.h>

#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>

#include "sla/views/rank_tree.hpp"

namespace {

struct Key {
  std::int64_t deadline = 0;
  std::uint64_t hash = 0;
  std::uint8_t metric = 0;
  std::uint32_t slot = 0;
  friend bool operator<(const Key& a, const Key& b) noexcept {
    return std::tie(a.deadline, a.hash, a.metric, a.slot) < std::tie(b.deadline, b.hash, b.metric, b.slot);
  }
};

using Pbds = __gnu_pbds::tree<Key, __gnu_pbds::null_type, std::less<Key>, __gnu_pbds::rb_tree_tag,
                              __gnu_pbds::tree_order_statistics_node_update>;
using Rank = sla::views::RankTree<Key>;

constexpr std::int64_t kSpan = 30LL * 24 * 3600 * 1000;

Key random_key(std::mt19937_64& rng, std::uint32_t slot) {
  return Key{static_cast<std::int64_t>(rng() % kSpan), rng(), static_cast<std::uint8_t>(rng() % 4), slot};
}

template <class T>
bool add(T& t, const Key& k) {
  if constexpr (std::is_same_v<T, Pbds>) {
    return t.insert(k).second;
  } else {
    return t.insert(k);
  }
}

// One filled tree per (structure, size), built on first use and kept: the
// benchmark library calls each function several times while it picks an
// iteration count, and a 10M fill takes seconds.
template <class T>
struct Filled {
  T tree;
  std::vector<Key> held;
};

template <class T>
Filled<T>& filled(std::size_t n) {
  static std::map<std::size_t, std::unique_ptr<Filled<T>>> cache;
  auto& f = cache[n];
  if (!f) {
    f = std::make_unique<Filled<T>>();
    std::mt19937_64 rng(7);
    f->held.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) {
      f->held.push_back(random_key(rng, i));
      add(f->tree, f->held.back());
    }
  }
  return *f;
}

template <class T>
void churn(benchmark::State& state) {
  std::mt19937_64 rng(42);
  const auto n = static_cast<std::size_t>(state.range(0));
  auto& [t, held] = filled<T>(n);
  for (auto _ : state) {
    const std::size_t i = rng() % n;
    t.erase(held[i]);
    held[i] = random_key(rng, held[i].slot);
    benchmark::DoNotOptimize(add(t, held[i]));
  }
  if (t.size() != n) state.SkipWithError("size changed");
}

template <class T>
void rank(benchmark::State& state) {
  std::mt19937_64 rng(42);
  const auto& t = filled<T>(static_cast<std::size_t>(state.range(0))).tree;
  std::size_t sum = 0;
  for (auto _ : state) {
    const Key probe{static_cast<std::int64_t>(rng() % kSpan), std::numeric_limits<std::uint64_t>::max(), 255,
                    std::numeric_limits<std::uint32_t>::max()};
    sum += t.order_of_key(probe);
  }
  benchmark::DoNotOptimize(sum);
}

template <class T>
void walk100(benchmark::State& state) {
  const auto& t = filled<T>(static_cast<std::size_t>(state.range(0))).tree;
  std::int64_t sum = 0;
  for (auto _ : state) {
    int left = 100;
    for (auto it = t.begin(); it != t.end() && left > 0; ++it, --left) sum += it->deadline;
  }
  benchmark::DoNotOptimize(sum);
}

void sizes(benchmark::internal::Benchmark* b) { b->Arg(10'000)->Arg(1'000'000)->Arg(10'000'000); }

BENCHMARK(churn<Rank>)->Name("Churn/RankTree")->Apply(sizes);
BENCHMARK(churn<Pbds>)->Name("Churn/PbdsRbTree")->Apply(sizes);
BENCHMARK(rank<Rank>)->Name("Rank/RankTree")->Apply(sizes);
BENCHMARK(rank<Pbds>)->Name("Rank/PbdsRbTree")->Apply(sizes);
BENCHMARK(walk100<Rank>)->Name("Walk100/RankTree")->Apply(sizes);
BENCHMARK(walk100<Pbds>)->Name("Walk100/PbdsRbTree")->Apply(sizes);

}  // namespace

BENCHMARK_MAIN();
