// The commit pipeline (sla/pipeline/committer.hpp) on its own thread, as the
// daemon runs it: real threads and the system clock, every wait an awaited
// condition (no sleeps). The rules themselves are tested step by step on a
// manual clock in tests/unit/pipeline/committer_test.cpp; here, that the
// thread drives them: it polls the producer while acks are pending, commits
// once they come, backs off from a failing store, stops on a failed output,
// reports a stall, gives up on request. Also the daemon's worker threads
// (workers.hpp).
#include "sla/pipeline/committer.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sla/store/memory_store.hpp"
#include "sla/testing/commit_jobs.hpp"
#include "workers.hpp"

namespace {

using namespace std::chrono_literals;
using sla::pipeline::Acks;
using sla::pipeline::CommitJob;
using sla::pipeline::Committer;
using sla::pipeline::CommitterHooks;
using sla::pipeline::CommitterSettings;
using sla::testing::commit_job;
using sla::testing::committed_offset;
using sla::testing::FlakyStore;
using sla::testing::produce_and_cut;

constexpr const char* kTopic = sla::testing::kCommitTopic;

auto soon(std::chrono::milliseconds d = 5s) { return std::chrono::steady_clock::now() + d; }

/// Stands in for the producer's poll (the committer's poll_producer hook),
/// which the committer calls only while the job in hand waits for its acks:
/// counts the calls, waits a little like librdkafka's poll does, and lets
/// the test await a condition checked at each call.
class ProducerPoll {
 public:
  CommitterHooks hooks() {
    CommitterHooks h;
    h.poll_producer = [this] {
      std::unique_lock lock(mu_);
      ++polls_;
      cv_.notify_all();
      cv_.wait_for(lock, 1ms);
    };
    return h;
  }
  /// Waits until `pred` holds at a poll (false after 10 s). `pred` runs
  /// under the lock.
  template <typename Pred>
  bool await(Pred pred) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 10s, [&] { return pred(); });
  }
  /// Waits for the first poll: the committer has taken a job and waits for
  /// its acknowledgements.
  bool await_waiting_for_acks() {
    return await([this] { return polls_ > 0; });
  }
  /// Waits for `n` more polls than now: the committer saw what changed
  /// before this call, and still waits.
  bool await_more_polls(int n) {
    std::unique_lock lock(mu_);
    const int target = polls_ + n;
    return cv_.wait_for(lock, 10s, [&] { return polls_ >= target; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int polls_ = 0;  // guarded by mu_
};

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

TEST(Committer, CommitsOnlyAfterTheOutputsAreAcknowledgedAndInOrder) {
  sla::SystemClock clock;
  sla::store::InMemoryStore store;
  Acks acks;
  ProducerPoll poll;
  const auto [e1, cut1] = produce_and_cut(acks);
  const auto [e2, cut2] = produce_and_cut(acks);
  Committer c(store, nullptr, acks, clock, CommitterSettings{kTopic, 5s, 8}, poll.hooks());
  c.start();
  ASSERT_TRUE(c.try_push(commit_job(cut1, 0, 10, "T1")));
  ASSERT_TRUE(c.try_push(commit_job(cut2, 0, 20, "T2")));
  ASSERT_TRUE(poll.await_waiting_for_acks());
  EXPECT_EQ(committed_offset(store, 0), std::nullopt) << "committed before its outputs were acknowledged";
  EXPECT_EQ(c.queued(), 2U);
  acks.settled(e2, std::nullopt);  // the second epoch alone: still nothing
  ASSERT_TRUE(poll.await_more_polls(2)) << "seen by the committer";
  EXPECT_EQ(committed_offset(store, 0), std::nullopt);
  acks.settled(e1, std::nullopt);
  ASSERT_TRUE(c.drain(soon()));
  EXPECT_EQ(committed_offset(store, 0), 20);
  auto st = store.load_partition(kTopic, 0);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->tickets.size(), 2U);
  EXPECT_EQ(c.queued(), 0U);
  EXPECT_FALSE(c.fatal());
}

TEST(Committer, WithoutAPollHookAReportOnAnotherThreadWakesIt) {
  // Someone else serves the delivery reports (the loop's produce calls):
  // the committer waits for a settlement instead of polling.
  sla::SystemClock clock;
  sla::store::InMemoryStore store;
  Acks acks;
  const auto e = acks.current();
  acks.produced(e);
  Committer c(store, nullptr, acks, clock, CommitterSettings{kTopic, 5s, 8}, CommitterHooks{});
  c.start();
  ASSERT_TRUE(c.try_push(commit_job(acks.cut(), 0, 10, "T")));
  std::thread reporter([&] { acks.settled(e, std::nullopt); });
  ASSERT_TRUE(c.drain(soon()));
  reporter.join();
  EXPECT_EQ(committed_offset(store, 0), 10);
}

TEST(Committer, RetriesAStoreThatFailsAndReportsItsState) {
  sla::SystemClock clock;
  FlakyStore store(3);
  Acks acks;
  StoreStates states;
  Committer c(store, nullptr, acks, clock, CommitterSettings{kTopic, 5s, 8}, states.hooks());
  c.start();
  ASSERT_TRUE(c.try_push(commit_job(acks.cut(), 3, 7, "T")));
  ASSERT_TRUE(c.drain(soon()));
  EXPECT_EQ(committed_offset(store, 3), 7);
  EXPECT_EQ(states.seen(), (std::vector<bool>{false, false, false, true}));
}

TEST(Committer, AnOutputThatFailedStopsEveryCommit) {
  sla::SystemClock clock;
  sla::store::InMemoryStore store;
  Acks acks;
  const auto e = acks.current();
  acks.produced(e);
  Committer c(store, nullptr, acks, clock, CommitterSettings{kTopic, 5s, 8}, CommitterHooks{});
  c.start();
  ASSERT_TRUE(c.try_push(commit_job(acks.cut(), 0, 5, "T")));
  acks.settled(e, std::string("Local: Message timed out"));
  EXPECT_FALSE(c.drain(soon()));
  ASSERT_TRUE(c.fatal());
  EXPECT_NE(c.fatal()->find("Message timed out"), std::string::npos);
  EXPECT_EQ(committed_offset(store, 0), std::nullopt);
  EXPECT_FALSE(c.try_push(commit_job(acks.cut(), 0, 6))) << "a fatal pipeline takes no more work";
}

TEST(Committer, OutputsNotAcknowledgedInTimeStallButAreWaitedFor) {
  // Kafka down or restarting: past the ack timeout the committer says it is
  // stalled, commits nothing, and commits once the acknowledgements come.
  sla::SystemClock clock;
  sla::store::InMemoryStore store;
  Acks acks;
  ProducerPoll poll;
  const auto e = acks.current();
  acks.produced(e);
  Committer c(store, nullptr, acks, clock, CommitterSettings{kTopic, 50ms, 8}, poll.hooks());
  c.start();
  ASSERT_TRUE(c.try_push(commit_job(acks.cut(), 0, 5, "T")));
  ASSERT_TRUE(poll.await([&] { return c.stalled(); }));
  EXPECT_FALSE(c.fatal()) << "not acknowledged yet is not failed";
  EXPECT_EQ(committed_offset(store, 0), std::nullopt);
  ASSERT_TRUE(poll.await_more_polls(3)) << "goes on waiting";
  acks.settled(e, std::nullopt);
  ASSERT_TRUE(c.drain(soon()));
  EXPECT_FALSE(c.stalled());
  EXPECT_EQ(committed_offset(store, 0), 5);
}

TEST(Committer, GiveUpEndsAWaitForAcksWithoutCommittingOrFailing) {
  sla::SystemClock clock;
  sla::store::InMemoryStore store;
  Acks acks;
  ProducerPoll poll;
  acks.produced(acks.current());  // never settled
  Committer c(store, nullptr, acks, clock, CommitterSettings{kTopic, 30s, 8}, poll.hooks());
  c.start();
  ASSERT_TRUE(c.try_push(commit_job(acks.cut(), 0, 5, "T")));
  ASSERT_TRUE(poll.await_waiting_for_acks());
  const auto t0 = std::chrono::steady_clock::now();
  c.give_up();
  EXPECT_TRUE(c.drain(soon())) << "the job is dropped";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_FALSE(c.fatal());
  EXPECT_EQ(committed_offset(store, 0), std::nullopt);
}

TEST(Committer, APartitionLostWhileItsJobWaitsForAcksIsNotCommitted) {
  // Lost (session timeout, Kafka down) while the job in hand waits for its
  // acks: assigned again, the partition restarts from the store; the old
  // job must not write over what the new assignment commits.
  sla::SystemClock clock;
  sla::store::InMemoryStore store;
  Acks acks;
  ProducerPoll poll;
  const auto e = acks.current();
  acks.produced(e);
  Committer c(store, nullptr, acks, clock, CommitterSettings{kTopic, 5s, 8}, poll.hooks());
  c.start();
  CommitJob both = commit_job(acks.cut(), 0, 50, "A");
  both.parts.push_back(commit_job(0, 1, 60, "B").parts[0]);
  ASSERT_TRUE(c.try_push(std::move(both)));
  // Taken off the queue and waiting for the ack (the committer polls only
  // then): forget_partition reaches the job in hand, not the queue.
  ASSERT_TRUE(poll.await_waiting_for_acks());
  c.forget_partition(0);
  acks.settled(e, std::nullopt);
  ASSERT_TRUE(c.drain(soon()));
  EXPECT_EQ(committed_offset(store, 0), std::nullopt) << "lost partition written by the old job";
  EXPECT_EQ(committed_offset(store, 1), 60);
  // The next job (the new assignment's) commits partition 0 again.
  ASSERT_TRUE(c.try_push(commit_job(acks.cut(), 0, 20, "A")));
  ASSERT_TRUE(c.drain(soon()));
  EXPECT_EQ(committed_offset(store, 0), 20);
}

TEST(Committer, AStaleCommitIsDroppedNotRetried) {
  // The stored offset is past the job's (another owner committed first):
  // retrying cannot help and must not hold the later commits back.
  sla::SystemClock clock;
  sla::store::InMemoryStore store;
  sla::store::Batch ahead;
  ahead.next_offset = 100;
  ASSERT_TRUE(store.commit(kTopic, 0, ahead));
  Acks acks;
  StoreStates states;
  Committer c(store, nullptr, acks, clock, CommitterSettings{kTopic, 5s, 8}, states.hooks());
  c.start();
  ASSERT_TRUE(c.try_push(commit_job(acks.cut(), 0, 40, "A")));
  ASSERT_TRUE(c.try_push(commit_job(acks.cut(), 1, 7, "B")));
  ASSERT_TRUE(c.drain(soon()));
  EXPECT_EQ(committed_offset(store, 0), 100);
  EXPECT_EQ(committed_offset(store, 1), 7);
  EXPECT_FALSE(c.fatal());
  EXPECT_EQ(states.seen(), (std::vector<bool>{true, true})) << "a stale commit is not a store outage";
}

TEST(Committer, QueueIsBoundedAndALostPartitionIsForgotten) {
  sla::SystemClock clock;
  sla::store::InMemoryStore store;
  Acks acks;
  ProducerPoll poll;
  const auto e = acks.current();
  acks.produced(e);  // holds the first job until settled
  Committer c(store, nullptr, acks, clock, CommitterSettings{kTopic, 5s, 3}, poll.hooks());
  c.start();
  const auto cut = acks.cut();
  ASSERT_TRUE(c.try_push(commit_job(cut, 1, 100)));
  ASSERT_TRUE(poll.await_waiting_for_acks()) << "taken off the queue: being committed";
  CommitJob both = commit_job(cut, 1, 200);
  both.parts.push_back(commit_job(cut, 2, 300).parts[0]);
  ASSERT_TRUE(c.try_push(std::move(both)));
  ASSERT_TRUE(c.try_push(commit_job(cut, 2, 400)));
  EXPECT_TRUE(c.full()) << "two queued and the one in hand";
  EXPECT_FALSE(c.try_push(commit_job(cut, 2, 500)));
  c.forget_partition(1);  // lost: its queued commits must not overwrite the new owner's
  acks.settled(e, std::nullopt);
  ASSERT_TRUE(c.drain(soon()));
  EXPECT_EQ(committed_offset(store, 1), std::nullopt) << "not even the job in hand, which was waiting for its acks";
  EXPECT_EQ(committed_offset(store, 2), 400);
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
