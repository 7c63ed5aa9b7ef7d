// The daemon's commit pipeline (committer.hpp) and its worker threads
// (workers.hpp): state is committed only after the outputs of its epoch and
// of every earlier one are acknowledged, in order, retried while the store
// fails, never after an output failed; a lost partition's queued commits are
// dropped.
#include "committer.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sla/store/memory_store.hpp"
#include "workers.hpp"

namespace {

using namespace std::chrono_literals;
using sla::timerd::Acks;
using sla::timerd::CommitJob;
using sla::timerd::Committer;
using sla::timerd::CommitterHooks;
using sla::timerd::CommitterSettings;
using sla::timerd::PartitionCommit;

constexpr const char* kTopic = "tickets.events";

auto soon(std::chrono::milliseconds d = 2s) { return std::chrono::steady_clock::now() + d; }

CommitJob job(std::uint64_t epoch, std::int32_t partition, std::int64_t next_offset, std::string ticket = "") {
  CommitJob j;
  j.epoch = epoch;
  PartitionCommit c;
  c.partition = partition;
  c.batch.next_offset = next_offset;
  if (!ticket.empty()) c.batch.upserts.push_back({ticket, "state-of-" + ticket});
  j.parts.push_back(std::move(c));
  return j;
}

std::optional<std::int64_t> offset(sla::store::StateStore& s, std::int32_t partition) {
  auto st = s.load_partition(kTopic, partition);
  return st ? st->next_offset : std::nullopt;
}

/// Records what the committer's store_state hook reports (from its thread).
class StoreStates {
 public:
  CommitterHooks hooks() {
    CommitterHooks h;
    h.store_state = [this](bool ok) {
      std::lock_guard lock(mu_);
      seen_.push_back(ok);
    };
    return h;
  }
  std::vector<bool> seen() const {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<bool> seen_;
};

/// Fails the first `failures` commits, then forwards to an in-memory store.
class FlakyStore final : public sla::store::StateStore {
 public:
  explicit FlakyStore(int failures) : failures_(failures) {}
  sla::Result<sla::store::PartitionState> load_partition(std::string_view t, std::int32_t p) override {
    return inner_.load_partition(t, p);
  }
  sla::Result<void> commit(std::string_view t, std::int32_t p, const sla::store::Batch& b) override {
    if (failures_-- > 0) return sla::fail(sla::ErrorCode::kUnavailable, "connection refused");
    return inner_.commit(t, p, b);
  }
  sla::Result<void> clear_partition(std::string_view t, std::int32_t p) override { return inner_.clear_partition(t, p); }
  sla::Result<void> ping() override { return {}; }

 private:
  std::atomic<int> failures_;
  sla::store::InMemoryStore inner_;
};

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
  EXPECT_FALSE(acks.wait(e2, soon(50ms), nullptr)) << "e1 still has two records in flight";
  acks.settled(e1, std::nullopt);
  EXPECT_EQ(acks.outstanding(), 1);
  EXPECT_FALSE(acks.wait(e1, soon(50ms), nullptr));
  acks.settled(e1, std::nullopt);
  EXPECT_TRUE(acks.wait(e1, soon(), nullptr));
  EXPECT_TRUE(acks.wait(e2, soon(), nullptr));
  EXPECT_EQ(acks.outstanding(), 0);
}

TEST(Acks, WaitTimesOutNamingWhatIsMissingAndCallsPoll) {
  Acks acks;
  const auto e = acks.current();
  acks.produced(e);
  int polls = 0;
  auto r = acks.wait(e, soon(30ms), [&] {
    ++polls;
    std::this_thread::sleep_for(1ms);
  });
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("1 outputs not acknowledged"), std::string::npos) << r.error().message;
  EXPECT_GT(polls, 0);
  // The report arriving on another thread wakes a waiter without a poll.
  std::thread late([&] {
    std::this_thread::sleep_for(20ms);
    acks.settled(e, std::nullopt);
  });
  EXPECT_TRUE(acks.wait(e, soon(), nullptr));
  late.join();
}

TEST(Acks, AFailureIsStickyForEveryLaterEpoch) {
  Acks acks;
  const auto e1 = acks.current();
  acks.produced(e1);
  acks.settled(e1, std::string("Broker: Message size too large"));
  const auto e2 = acks.cut() + 1;
  auto r = acks.wait(e2, soon(), nullptr);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("Message size too large"), std::string::npos);
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
  EXPECT_TRUE(acks.wait(epochs[24], soon(10s), nullptr));
  EXPECT_FALSE(acks.wait(epochs[25], soon(100ms), nullptr)) << "600 records of epoch 25 are held back";
  EXPECT_FALSE(acks.wait(epochs.back(), soon(50ms), nullptr));
  {
    std::lock_guard lock(mu);
    done = true;
  }
  settler.join();
  EXPECT_EQ(held.size(), 600U);
  EXPECT_EQ(acks.outstanding(), 600);
  for (const auto e : held) acks.settled(e, std::nullopt);
  EXPECT_TRUE(acks.wait(epochs.back(), soon(), nullptr));
  EXPECT_EQ(acks.outstanding(), 0);
}

TEST(Committer, CommitsOnlyAfterTheOutputsAreAcknowledgedAndInOrder) {
  sla::store::InMemoryStore store;
  Acks acks;
  const auto e1 = acks.current();
  acks.produced(e1);
  const auto cut1 = acks.cut();
  const auto e2 = acks.current();
  acks.produced(e2);
  const auto cut2 = acks.cut();
  Committer c(store, nullptr, acks, CommitterSettings{kTopic, 5s, 8}, CommitterHooks{});
  ASSERT_TRUE(c.try_push(job(cut1, 0, 10, "T1")));
  ASSERT_TRUE(c.try_push(job(cut2, 0, 20, "T2")));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(offset(store, 0), std::nullopt) << "committed before its outputs were acknowledged";
  EXPECT_EQ(c.queued(), 2U);
  acks.settled(e2, std::nullopt);  // the second epoch alone: still nothing
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(offset(store, 0), std::nullopt);
  acks.settled(e1, std::nullopt);
  ASSERT_TRUE(c.drain(soon()));
  EXPECT_EQ(offset(store, 0), 20);
  auto st = store.load_partition(kTopic, 0);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->tickets.size(), 2U);
  EXPECT_EQ(c.queued(), 0U);
  EXPECT_FALSE(c.fatal());
}

TEST(Committer, RetriesAStoreThatFailsAndReportsItsState) {
  FlakyStore store(3);
  Acks acks;
  StoreStates states;
  Committer c(store, nullptr, acks, CommitterSettings{kTopic, 5s, 8}, states.hooks());
  ASSERT_TRUE(c.try_push(job(acks.cut(), 3, 7, "T")));
  ASSERT_TRUE(c.drain(soon(5s)));
  EXPECT_EQ(offset(store, 3), 7);
  EXPECT_EQ(states.seen(), (std::vector<bool>{false, false, false, true}));
}

TEST(Committer, AnOutputThatFailedStopsEveryCommit) {
  sla::store::InMemoryStore store;
  Acks acks;
  const auto e = acks.current();
  acks.produced(e);
  Committer c(store, nullptr, acks, CommitterSettings{kTopic, 5s, 8}, CommitterHooks{});
  ASSERT_TRUE(c.try_push(job(acks.cut(), 0, 5, "T")));
  acks.settled(e, std::string("Local: Message timed out"));
  EXPECT_FALSE(c.drain(soon()));
  ASSERT_TRUE(c.fatal());
  EXPECT_NE(c.fatal()->find("Message timed out"), std::string::npos);
  EXPECT_EQ(offset(store, 0), std::nullopt);
  EXPECT_FALSE(c.try_push(job(acks.cut(), 0, 6))) << "a fatal pipeline takes no more work";
}

TEST(Committer, OutputsNotAcknowledgedInTimeStallButAreWaitedFor) {
  // Kafka down or restarting: past the ack timeout the committer says it is
  // stalled, commits nothing, and commits once the acknowledgements come.
  sla::store::InMemoryStore store;
  Acks acks;
  const auto e = acks.current();
  acks.produced(e);
  Committer c(store, nullptr, acks, CommitterSettings{kTopic, 50ms, 8}, CommitterHooks{});
  ASSERT_TRUE(c.try_push(job(acks.cut(), 0, 5, "T")));
  EXPECT_FALSE(c.drain(soon(300ms)));
  EXPECT_TRUE(c.stalled());
  EXPECT_FALSE(c.fatal()) << "not acknowledged yet is not failed";
  EXPECT_EQ(offset(store, 0), std::nullopt);
  acks.settled(e, std::nullopt);
  ASSERT_TRUE(c.drain(soon()));
  EXPECT_FALSE(c.stalled());
  EXPECT_EQ(offset(store, 0), 5);
}

TEST(Committer, GiveUpEndsAWaitForAcksWithoutCommittingOrFailing) {
  sla::store::InMemoryStore store;
  Acks acks;
  acks.produced(acks.current());  // never settled
  Committer c(store, nullptr, acks, CommitterSettings{kTopic, 30s, 8}, CommitterHooks{});
  ASSERT_TRUE(c.try_push(job(acks.cut(), 0, 5, "T")));
  EXPECT_FALSE(c.drain(soon(100ms)));
  const auto t0 = std::chrono::steady_clock::now();
  c.give_up();
  EXPECT_TRUE(c.drain(soon(5s))) << "the job is dropped within a wait slice";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_FALSE(c.fatal());
  EXPECT_EQ(offset(store, 0), std::nullopt);
}

TEST(Committer, APartitionLostWhileItsJobWaitsForAcksIsNotCommitted) {
  // Lost (session timeout, Kafka down) while the job in hand waits for its
  // acks: assigned again, the partition restarts from the store; the old
  // job must not write over what the new assignment commits.
  sla::store::InMemoryStore store;
  Acks acks;
  const auto e = acks.current();
  acks.produced(e);
  Committer c(store, nullptr, acks, CommitterSettings{kTopic, 5s, 8}, CommitterHooks{});
  CommitJob both = job(acks.cut(), 0, 50, "A");
  both.parts.push_back(job(0, 1, 60, "B").parts[0]);
  ASSERT_TRUE(c.try_push(std::move(both)));
  std::this_thread::sleep_for(20ms);  // taken: waiting for the ack
  c.forget_partition(0);
  acks.settled(e, std::nullopt);
  ASSERT_TRUE(c.drain(soon()));
  EXPECT_EQ(offset(store, 0), std::nullopt) << "lost partition written by the old job";
  EXPECT_EQ(offset(store, 1), 60);
  // The next job (the new assignment's) commits partition 0 again.
  ASSERT_TRUE(c.try_push(job(acks.cut(), 0, 20, "A")));
  ASSERT_TRUE(c.drain(soon()));
  EXPECT_EQ(offset(store, 0), 20);
}

TEST(Committer, AStaleCommitIsDroppedNotRetried) {
  // The stored offset is past the job's (another owner committed first):
  // retrying cannot help and must not hold the later commits back.
  sla::store::InMemoryStore store;
  sla::store::Batch ahead;
  ahead.next_offset = 100;
  ASSERT_TRUE(store.commit(kTopic, 0, ahead));
  Acks acks;
  StoreStates states;
  Committer c(store, nullptr, acks, CommitterSettings{kTopic, 5s, 8}, states.hooks());
  ASSERT_TRUE(c.try_push(job(acks.cut(), 0, 40, "A")));
  ASSERT_TRUE(c.try_push(job(acks.cut(), 1, 7, "B")));
  ASSERT_TRUE(c.drain(soon()));
  EXPECT_EQ(offset(store, 0), 100);
  EXPECT_EQ(offset(store, 1), 7);
  EXPECT_FALSE(c.fatal());
  EXPECT_EQ(states.seen(), (std::vector<bool>{true, true})) << "a stale commit is not a store outage";
}

TEST(Committer, QueueIsBoundedAndALostPartitionIsForgotten) {
  sla::store::InMemoryStore store;
  Acks acks;
  const auto e = acks.current();
  acks.produced(e);  // holds the first job until settled
  Committer c(store, nullptr, acks, CommitterSettings{kTopic, 5s, 3}, CommitterHooks{});
  const auto cut = acks.cut();
  ASSERT_TRUE(c.try_push(job(cut, 1, 100)));
  std::this_thread::sleep_for(20ms);  // taken off the queue: being committed
  CommitJob both = job(cut, 1, 200);
  both.parts.push_back(job(cut, 2, 300).parts[0]);
  ASSERT_TRUE(c.try_push(std::move(both)));
  ASSERT_TRUE(c.try_push(job(cut, 2, 400)));
  EXPECT_TRUE(c.full());
  EXPECT_FALSE(c.try_push(job(cut, 2, 500)));
  c.forget_partition(1);  // lost: its queued commits must not overwrite the new owner's
  acks.settled(e, std::nullopt);
  ASSERT_TRUE(c.drain(soon()));
  EXPECT_EQ(offset(store, 1), std::nullopt) << "not even the job in hand, which was waiting for its acks";
  EXPECT_EQ(offset(store, 2), 400);
}

TEST(Workers, RunsEveryTaskOnceOnSeveralThreads) {
  sla::timerd::Workers workers(3);
  EXPECT_EQ(workers.size(), 3U);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::atomic<int>> hits(17);
    std::mutex mu;
    std::set<std::thread::id> threads;
    workers.run(hits.size(), [&](std::size_t i) {
      hits[i].fetch_add(1);
      std::this_thread::sleep_for(100us);
      std::lock_guard lock(mu);
      threads.insert(std::this_thread::get_id());
    });
    for (const auto& h : hits) ASSERT_EQ(h.load(), 1);
    if (round == 49) {
      EXPECT_GT(threads.size(), 1U);
    }
  }
  workers.run(0, [](std::size_t) { FAIL(); });
}

// A task that throws on the caller's thread or on a worker: run() waits for
// every call in progress (they use the caller's stack) before it rethrows,
// starts no further calls, and the pool serves the next run.
TEST(Workers, AThrowingTaskIsRethrownOnlyOnceEveryCallHasReturned) {
  sla::timerd::Workers workers(3);
  const auto caller = std::this_thread::get_id();
  for (const bool on_caller : {true, false}) {
    std::atomic<int> running{0};
    std::atomic<int> started{0};
    std::atomic<bool> thrown{false};
    try {
      workers.run(200, [&](std::size_t) {
        running.fetch_add(1);
        started.fetch_add(1);
        std::this_thread::sleep_for(2ms);  // the other threads are mid-call when one throws
        running.fetch_sub(1);
        if ((std::this_thread::get_id() == caller) == on_caller && !thrown.exchange(true)) {
          throw std::runtime_error("task failed");
        }
      });
      ADD_FAILURE() << "run() did not rethrow (on_caller " << on_caller << ")";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "task failed");
      EXPECT_EQ(running.load(), 0) << "a call was still running after run() rethrew (on_caller " << on_caller << ")";
      EXPECT_LT(started.load(), 200) << "calls went on starting after the throw";
    }
    const int after = started.load();
    std::this_thread::sleep_for(20ms);  // nothing of the failed run may start late
    EXPECT_EQ(started.load(), after);
  }
  std::vector<std::atomic<int>> hits(17);
  workers.run(hits.size(), [&](std::size_t i) { hits[i].fetch_add(1); });
  for (const auto& h : hits) EXPECT_EQ(h.load(), 1);
}

}  // namespace
