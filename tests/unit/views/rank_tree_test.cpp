// RankTree against std::set: random inserts and erases (with duplicates and
// misses), every rank and the full in-order walk checked as they go.
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <random>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "sla/views/rank_tree.hpp"

namespace {

using Tree = sla::views::RankTree<std::int64_t>;

void expect_same(const Tree& t, const std::set<std::int64_t>& ref) {
  ASSERT_EQ(t.size(), ref.size());
  ASSERT_EQ(t.empty(), ref.empty());
  const std::vector<std::int64_t> walked(t.begin(), t.end());
  const std::vector<std::int64_t> want(ref.begin(), ref.end());
  ASSERT_EQ(walked, want);
}

std::size_t ref_rank(const std::set<std::int64_t>& ref, std::int64_t k) {
  return static_cast<std::size_t>(std::distance(ref.begin(), ref.lower_bound(k)));
}

// Phases of growth and shrinkage over narrow and wide key ranges, so leaves
// and inner nodes split, empty out, and the root grows and collapses.
TEST(RankTree, MatchesStdSetUnderRandomChurn) {
  std::mt19937_64 rng(20261208);
  for (int round = 0; round < 40; ++round) {
    Tree t;
    std::set<std::int64_t> ref;
    const std::int64_t range = (round % 4 == 0) ? 50 : (round % 4 == 1) ? 5'000 : 1'000'000;
    const int ops = 4'000 + static_cast<int>(rng() % 20'000);
    for (int i = 0; i < ops; ++i) {
      // Grow for the first half, shrink for the second.
      const bool grow = i < ops / 2 ? (rng() % 10) < 7 : (rng() % 10) < 3;
      const std::int64_t k = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(range)) - range / 2;
      if (grow) {
        ASSERT_EQ(t.insert(k), ref.insert(k).second) << "insert " << k;
      } else {
        // Erase a present key most of the time, an absent one otherwise.
        std::int64_t victim = k;
        if (!ref.empty() && (rng() % 4) != 0) {
          auto it = ref.lower_bound(k);
          if (it == ref.end()) it = ref.begin();
          victim = *it;
        }
        ASSERT_EQ(t.erase(victim), ref.erase(victim) == 1) << "erase " << victim;
      }
      if (i % 97 == 0) {
        for (int q = 0; q < 8; ++q) {
          const std::int64_t p = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(range + 2)) - range / 2 - 1;
          ASSERT_EQ(t.order_of_key(p), ref_rank(ref, p)) << "rank of " << p;
          ASSERT_EQ(t.contains(p), ref.count(p) == 1);
        }
      }
    }
    expect_same(t, ref);
    // Empty it completely, in random order.
    std::vector<std::int64_t> rest(ref.begin(), ref.end());
    std::shuffle(rest.begin(), rest.end(), rng);
    for (const auto k : rest) {
      ASSERT_TRUE(t.erase(k));
      ref.erase(k);
      if (ref.size() % 251 == 0) expect_same(t, ref);
    }
    expect_same(t, ref);
    EXPECT_EQ(t.height(), 0U);
    EXPECT_FALSE(t.erase(0));
    EXPECT_EQ(t.order_of_key(0), 0U);
    EXPECT_TRUE(t.begin() == t.end());
  }
}

TEST(RankTree, AscendingAndDescendingFills) {
  for (const bool up : {true, false}) {
    Tree t;
    std::set<std::int64_t> ref;
    for (std::int64_t i = 0; i < 100'000; ++i) {
      const std::int64_t k = up ? i : -i;
      ASSERT_TRUE(t.insert(k));
      ref.insert(k);
    }
    ASSERT_FALSE(t.insert(up ? 5 : -5));
    expect_same(t, ref);
    EXPECT_GE(t.height(), 2U);  // 100k keys need inner levels
    for (std::int64_t p : {-100'001L, -50'000L, -1L, 0L, 1L, 777L, 99'999L, 100'000L}) {
      EXPECT_EQ(t.order_of_key(p), ref_rank(ref, p)) << p;
    }
    // Erase every other key, then ranks again.
    for (std::int64_t i = 0; i < 100'000; i += 2) {
      const std::int64_t k = up ? i : -i;
      ASSERT_TRUE(t.erase(k));
      ref.erase(k);
    }
    expect_same(t, ref);
    for (std::int64_t p = -100'000; p <= 100'000; p += 1'237) EXPECT_EQ(t.order_of_key(p), ref_rank(ref, p)) << p;
  }
}

TEST(RankTree, MovedFromIsEmptyAndUsable) {
  Tree a;
  for (std::int64_t i = 0; i < 1'000; ++i) a.insert(i * 3);
  Tree b(std::move(a));
  EXPECT_EQ(b.size(), 1'000U);
  EXPECT_EQ(b.order_of_key(30), 10U);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): a moved-from tree is empty
  EXPECT_TRUE(a.insert(7));
  EXPECT_EQ(a.size(), 1U);
  a = std::move(b);
  EXPECT_EQ(a.size(), 1'000U);
  EXPECT_FALSE(a.contains(7));
}

}  // namespace
