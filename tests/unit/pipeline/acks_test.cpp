// Acks (sla/pipeline/acks.hpp): an epoch is acknowledged when every record of
// it and of every earlier epoch is; a failure is sticky; records produced on
// several threads and settled on another are all counted. No sleeps: status()
// does not wait.
#include "sla/pipeline/acks.hpp"

#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using sla::pipeline::Acks;

TEST(Acks, AnEpochIsAcknowledgedWhenItAndEveryEarlierOneAre) {
  Acks acks;
  const auto e1 = acks.current();
  acks.produced(e1);
  acks.produced(e1);
  EXPECT_EQ(acks.cut(), e1);
  const auto e2 = acks.current();
  EXPECT_GT(e2, e1);
  acks.produced(e2);
  acks.settled(e2, std::nullopt);  // the later epoch is done first
  EXPECT_FALSE(acks.status(e2).acknowledged()) << "e1 still has two records in flight";
  EXPECT_EQ(acks.status(e2).pending, 2);
  acks.settled(e1, std::nullopt);
  EXPECT_EQ(acks.outstanding(), 1);
  EXPECT_FALSE(acks.status(e1).acknowledged());
  acks.settled(e1, std::nullopt);
  EXPECT_TRUE(acks.status(e1).acknowledged());
  EXPECT_TRUE(acks.status(e2).acknowledged());
  EXPECT_EQ(acks.outstanding(), 0);
}

TEST(Acks, TheOpenEpochCountsForItselfAndLaterEpochsOnly) {
  Acks acks;
  const auto closed = acks.cut();
  const auto open = acks.current();
  acks.produced(open, 3);
  EXPECT_TRUE(acks.status(closed).acknowledged()) << "records of a later epoch do not hold an earlier one";
  EXPECT_EQ(acks.status(open).pending, 3);
  EXPECT_EQ(acks.status(open + 5).pending, 3);
}

TEST(Acks, AFailureIsStickyForEveryLaterEpoch) {
  Acks acks;
  const auto e1 = acks.current();
  acks.produced(e1);
  acks.settled(e1, std::string("Broker: Message size too large"));
  const auto e2 = acks.cut() + 1;
  const auto s = acks.status(e2);
  ASSERT_FALSE(s.acknowledged());
  ASSERT_TRUE(s.failure);
  EXPECT_NE(s.failure->find("Message size too large"), std::string::npos);
  EXPECT_TRUE(acks.failed());
  acks.settled(e2, std::string("a second failure"));
  EXPECT_NE(acks.status(e2).failure->find("Message size too large"), std::string::npos) << "the first one is kept";
}

TEST(Acks, ASettlementOnAnotherThreadWakesAWaiter) {
  // The waiter took its status before the report: await_settlement returns
  // when the report comes, however late, and at once if it already came.
  Acks acks;
  const auto e = acks.current();
  acks.produced(e);
  const auto before = acks.status(e);
  ASSERT_EQ(before.pending, 1);
  std::thread reporter([&] { acks.settled(e, std::nullopt); });
  acks.await_settlement(before.settlements, 1h);  // a lost wake-up would hang the test (ctest timeout)
  reporter.join();
  EXPECT_TRUE(acks.status(e).acknowledged());
  acks.await_settlement(before.settlements, 1h);  // already settled since: returns at once
}

// The open epoch is counted without a lock: workers produce in parallel,
// the reports come on another thread, cut() closes an epoch between runs.
// Every record must be counted: an epoch whose records are held back is not
// acknowledged, the ones before it are, and all are once they are released.
TEST(Acks, ParallelProducersAndReportsOnAnotherThreadCountEveryRecord) {
  Acks acks;
  std::mutex mu;
  std::deque<std::uint64_t> reports;
  std::vector<std::uint64_t> held;
  std::uint64_t hold_epoch = 0;  // guarded by mu
  bool done = false;
  std::thread settler([&] {
    for (;;) {
      std::optional<std::uint64_t> e;
      {
        std::lock_guard lock(mu);
        if (!reports.empty()) {
          e = reports.front();
          reports.pop_front();
          if (*e == hold_epoch) {
            held.push_back(*e);
            continue;
          }
        } else if (done) {
          return;
        }
      }
      if (e) {
        acks.settled(*e, std::nullopt);
      } else {
        std::this_thread::yield();
      }
    }
  });
  std::vector<std::uint64_t> epochs;
  for (int round = 0; round < 40; ++round) {
    const auto e = acks.current();
    if (round == 25) {
      std::lock_guard lock(mu);
      hold_epoch = e;
    }
    std::vector<std::thread> workers;
    for (int w = 0; w < 2; ++w) {
      workers.emplace_back([&] {
        for (int k = 0; k < 100; ++k) {
          acks.produced(e, 3);  // counted before any of the three is "produced"
          std::lock_guard lock(mu);
          for (int r = 0; r < 3; ++r) reports.push_back(e);
        }
      });
    }
    for (auto& t : workers) t.join();
    epochs.push_back(acks.cut());
  }
  {
    std::lock_guard lock(mu);
    done = true;
  }
  settler.join();  // every report handed over: settled, or held back
  EXPECT_TRUE(acks.status(epochs[24]).acknowledged());
  EXPECT_FALSE(acks.status(epochs[25]).acknowledged()) << "600 records of epoch 25 are held back";
  EXPECT_FALSE(acks.status(epochs.back()).acknowledged());
  EXPECT_EQ(held.size(), 600U);
  EXPECT_EQ(acks.outstanding(), 600);
  EXPECT_EQ(acks.status(epochs.back()).pending, 600);
  for (const auto e : held) acks.settled(e, std::nullopt);
  EXPECT_TRUE(acks.status(epochs.back()).acknowledged());
  EXPECT_EQ(acks.outstanding(), 0);
}

}  // namespace
