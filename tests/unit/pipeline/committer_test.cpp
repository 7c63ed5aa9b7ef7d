// The commit pipeline's rules (sla/pipeline/committer.hpp), one step() at a
// time on a ManualClock, no thread and no sleep: state is committed only
// after the outputs of its epoch and of every earlier one are acknowledged,
// in order; a store that fails is retried after a backoff on the clock; an
// output that failed stops every commit; outputs unacknowledged past the ack
// timeout stall the pipeline (and are still waited for); a lost partition's
// queued commits, and its part of the job in hand, are dropped; a stale
// commit is dropped, not retried.
#include "sla/pipeline/committer.hpp"

#include <optional>
#include <vector>

#include <gtest/gtest.h>

#include "sla/store/memory_store.hpp"
#include "sla/testing/commit_jobs.hpp"
#include "sla/testing/manual_clock.hpp"

namespace {

using namespace std::chrono_literals;
using sla::pipeline::Acks;
using sla::pipeline::CommitJob;
using sla::pipeline::Committer;
using sla::pipeline::CommitterHooks;
using sla::pipeline::CommitterSettings;
using sla::pipeline::CommitStep;
using sla::testing::commit_job;
using sla::testing::committed_offset;
using sla::testing::FlakyStore;
using sla::testing::produce_and_cut;
using sla::testing::ManualClock;
using Kind = CommitStep::Kind;

constexpr const char* kTopic = sla::testing::kCommitTopic;
constexpr sla::EpochMillis kStart = 1'700'000'000'000;

/// What the store_state hook reported.
struct StoreStates {
  std::vector<bool> seen;
  CommitterHooks hooks() {
    CommitterHooks h;
    h.store_state = [this](bool ok) { seen.push_back(ok); };
    return h;
  }
};

TEST(CommitterRules, CommitsOnlyAfterTheOutputsAreAcknowledgedAndInOrder) {
  ManualClock clock(kStart);
  sla::store::InMemoryStore store;
  Acks acks;
  const auto [e1, cut1] = produce_and_cut(acks);
  const auto [e2, cut2] = produce_and_cut(acks);
  Committer c(store, nullptr, acks, clock, CommitterSettings{kTopic, 5s, 8}, CommitterHooks{});
  ASSERT_TRUE(c.try_push(commit_job(cut1, 0, 10, "T1")));
  ASSERT_TRUE(c.try_push(commit_job(cut2, 0, 20, "T2")));
  EXPECT_EQ(c.step().kind, Kind::kAwaitingAcks);
  EXPECT_EQ(committed_offset(store, 0), std::nullopt) << "committed before its outputs were acknowledged";
  EXPECT_EQ(c.queued(), 2U);
  acks.settled(e2, std::nullopt);  // the second epoch alone: still nothing
  EXPECT_EQ(c.step().kind, Kind::kAwaitingAcks);
  EXPECT_EQ(committed_offset(store, 0), std::nullopt);
  acks.settled(e1, std::nullopt);
  EXPECT_EQ(c.step().kind, Kind::kCommitted);
  EXPECT_EQ(committed_offset(store, 0), 10) << "the first cut first";
  EXPECT_EQ(c.step().kind, Kind::kCommitted);
  EXPECT_EQ(committed_offset(store, 0), 20);
  EXPECT_EQ(c.step().kind, Kind::kIdle);
  auto st = store.load_partition(kTopic, 0);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->tickets.size(), 2U);
  EXPECT_EQ(c.queued(), 0U);
  EXPECT_FALSE(c.fatal());
}

TEST(CommitterRules, RetriesAFailingStoreAfterABackoffOnTheClock) {
  ManualClock clock(kStart);
  FlakyStore store(3);
  Acks acks;
  StoreStates states;
  Committer c(store, nullptr, acks, clock, CommitterSettings{kTopic, 5s, 8}, states.hooks());
  ASSERT_TRUE(c.try_push(commit_job(acks.cut(), 3, 7, "T")));
  // 50, 100, 150 ms between attempts; never asked again before its time.
  for (const sla::EpochMillis backoff : {50, 100, 150}) {
    const auto s = c.step();
    ASSERT_EQ(s.kind, Kind::kBackoff);
    EXPECT_EQ(s.retry_at, clock.now() + backoff);
    const int calls = store.calls();
    clock.advance(backoff - 1);
    EXPECT_EQ(c.step().kind, Kind::kBackoff);
    EXPECT_EQ(store.calls(), calls) << "asked again before the backoff ended";
    clock.advance(1);
  }
  EXPECT_EQ(c.step().kind, Kind::kCommitted);
  EXPECT_EQ(store.calls(), 4);
  EXPECT_EQ(committed_offset(store, 3), 7);
  EXPECT_EQ(states.seen, (std::vector<bool>{false, false, false, true}));
}

TEST(CommitterRules, AnOutputThatFailedStopsEveryCommit) {
  ManualClock clock(kStart);
  sla::store::InMemoryStore store;
  Acks acks;
  const auto e = acks.current();
  acks.produced(e);
  Committer c(store, nullptr, acks, clock, CommitterSettings{kTopic, 5s, 8}, CommitterHooks{});
  ASSERT_TRUE(c.try_push(commit_job(acks.cut(), 0, 5, "T")));
  ASSERT_TRUE(c.try_push(commit_job(acks.cut(), 0, 6, "U")));
  acks.settled(e, std::string("Local: Message timed out"));
  EXPECT_EQ(c.step().kind, Kind::kFatal);
  ASSERT_TRUE(c.fatal());
  EXPECT_NE(c.fatal()->find("Message timed out"), std::string::npos);
  EXPECT_FALSE(c.stalled()) << "failed is not stalled";
  EXPECT_EQ(committed_offset(store, 0), std::nullopt);
  EXPECT_EQ(c.queued(), 0U) << "the later job is dropped too";
  EXPECT_FALSE(c.try_push(commit_job(acks.cut(), 0, 7))) << "a fatal pipeline takes no more work";
  EXPECT_EQ(c.step().kind, Kind::kFatal);
}

TEST(CommitterRules, OutputsNotAcknowledgedPastTheAckTimeoutStallButAreWaitedFor) {
  // Kafka down or restarting: past the ack timeout the committer says it is
  // stalled, commits nothing, and commits once the acknowledgements come.
  ManualClock clock(kStart);
  sla::store::InMemoryStore store;
  Acks acks;
  const auto e = acks.current();
  acks.produced(e);
  Committer c(store, nullptr, acks, clock, CommitterSettings{kTopic, 30s, 8}, CommitterHooks{});
  ASSERT_TRUE(c.try_push(commit_job(acks.cut(), 0, 5, "T")));
  EXPECT_EQ(c.step().kind, Kind::kAwaitingAcks);
  clock.advance(29'999);
  EXPECT_EQ(c.step().kind, Kind::kAwaitingAcks);
  EXPECT_FALSE(c.stalled()) << "stalled before the ack timeout";
  clock.advance(1);
  EXPECT_EQ(c.step().kind, Kind::kAwaitingAcks);
  EXPECT_TRUE(c.stalled());
  EXPECT_FALSE(c.fatal()) << "not acknowledged yet is not failed";
  clock.advance(3'600'000);
  EXPECT_EQ(c.step().kind, Kind::kAwaitingAcks) << "waits on, however long";
  EXPECT_EQ(committed_offset(store, 0), std::nullopt);
  acks.settled(e, std::nullopt);
  EXPECT_EQ(c.step().kind, Kind::kCommitted);
  EXPECT_FALSE(c.stalled());
  EXPECT_EQ(committed_offset(store, 0), 5);
}

TEST(CommitterRules, TheAckTimeoutCountsFromWhenTheJobIsTakenUp) {
  // A job queued behind a slow one has not waited yet: the timeout is per
  // job in hand, not per push.
  ManualClock clock(kStart);
  sla::store::InMemoryStore store;
  Acks acks;
  const auto [e1, cut1] = produce_and_cut(acks);
  const auto [e2, cut2] = produce_and_cut(acks);
  Committer c(store, nullptr, acks, clock, CommitterSettings{kTopic, 10s, 8}, CommitterHooks{});
  ASSERT_TRUE(c.try_push(commit_job(cut1, 0, 5)));
  ASSERT_TRUE(c.try_push(commit_job(cut2, 0, 6)));
  EXPECT_EQ(c.step().kind, Kind::kAwaitingAcks);
  clock.advance(9'000);
  acks.settled(e1, std::nullopt);
  EXPECT_EQ(c.step().kind, Kind::kCommitted);
  EXPECT_EQ(c.step().kind, Kind::kAwaitingAcks);
  clock.advance(9'999);
  EXPECT_EQ(c.step().kind, Kind::kAwaitingAcks);
  EXPECT_FALSE(c.stalled());
  clock.advance(1);
  EXPECT_EQ(c.step().kind, Kind::kAwaitingAcks);
  EXPECT_TRUE(c.stalled());
}

TEST(CommitterRules, GiveUpEndsAWaitForAcksWithoutCommittingOrFailing) {
  ManualClock clock(kStart);
  sla::store::InMemoryStore store;
  Acks acks;
  acks.produced(acks.current());  // never settled
  Committer c(store, nullptr, acks, clock, CommitterSettings{kTopic, 30s, 8}, CommitterHooks{});
  ASSERT_TRUE(c.try_push(commit_job(acks.cut(), 0, 5, "T")));
  ASSERT_TRUE(c.try_push(commit_job(acks.cut(), 1, 5, "U")));
  EXPECT_EQ(c.step().kind, Kind::kAwaitingAcks);
  c.give_up();
  EXPECT_EQ(c.step().kind, Kind::kIdle);
  EXPECT_EQ(c.queued(), 0U) << "the job in hand and the queued one are left to the next start";
  EXPECT_FALSE(c.fatal());
  EXPECT_EQ(committed_offset(store, 0), std::nullopt);
  EXPECT_EQ(committed_offset(store, 1), std::nullopt);
}

TEST(CommitterRules, GiveUpEndsTheRetriesOfAStoreThatDoesNotAnswer) {
  ManualClock clock(kStart);
  FlakyStore store(1'000);
  Acks acks;
  Committer c(store, nullptr, acks, clock, CommitterSettings{kTopic, 30s, 8}, CommitterHooks{});
  ASSERT_TRUE(c.try_push(commit_job(acks.cut(), 0, 5, "T")));
  EXPECT_EQ(c.step().kind, Kind::kBackoff);
  c.give_up();
  clock.advance(1'000);
  EXPECT_EQ(c.step().kind, Kind::kIdle);
  EXPECT_EQ(store.calls(), 1);
  EXPECT_EQ(c.queued(), 0U);
  EXPECT_FALSE(c.fatal());
}

TEST(CommitterRules, APartitionLostWhileItsJobWaitsForAcksIsNotCommitted) {
  // Lost (session timeout, Kafka down) while the job in hand waits for its
  // acks: assigned again, the partition restarts from the store; the old
  // job must not write over what the new assignment commits.
  ManualClock clock(kStart);
  sla::store::InMemoryStore store;
  Acks acks;
  const auto e = acks.current();
  acks.produced(e);
  Committer c(store, nullptr, acks, clock, CommitterSettings{kTopic, 5s, 8}, CommitterHooks{});
  CommitJob both = commit_job(acks.cut(), 0, 50, "A");
  both.parts.push_back(commit_job(0, 1, 60, "B").parts[0]);
  ASSERT_TRUE(c.try_push(std::move(both)));
  ASSERT_EQ(c.step().kind, Kind::kAwaitingAcks) << "taken: in hand, waiting for the ack";
  c.forget_partition(0);
  EXPECT_EQ(c.queued(), 1U) << "the job in hand keeps its other partition";
  acks.settled(e, std::nullopt);
  EXPECT_EQ(c.step().kind, Kind::kCommitted);
  EXPECT_EQ(committed_offset(store, 0), std::nullopt) << "lost partition written by the old job";
  EXPECT_EQ(committed_offset(store, 1), 60);
  // The next job (the new assignment's) commits partition 0 again.
  ASSERT_TRUE(c.try_push(commit_job(acks.cut(), 0, 20, "A")));
  EXPECT_EQ(c.step().kind, Kind::kCommitted);
  EXPECT_EQ(committed_offset(store, 0), 20);
}

TEST(CommitterRules, APartitionLostDuringAStoreBackoffIsNotRetried) {
  ManualClock clock(kStart);
  FlakyStore store(1);
  Acks acks;
  Committer c(store, nullptr, acks, clock, CommitterSettings{kTopic, 5s, 8}, CommitterHooks{});
  ASSERT_TRUE(c.try_push(commit_job(acks.cut(), 0, 50, "A")));
  ASSERT_EQ(c.step().kind, Kind::kBackoff);
  c.forget_partition(0);
  clock.advance(1'000);
  EXPECT_EQ(c.step().kind, Kind::kCommitted);
  EXPECT_EQ(store.calls(), 1) << "the lost partition was written after it was forgotten";
  EXPECT_EQ(committed_offset(store, 0), std::nullopt);
}

TEST(CommitterRules, AStaleCommitIsDroppedNotRetried) {
  // The stored offset is past the job's (another owner committed first):
  // retrying cannot help and must not hold the later commits back.
  ManualClock clock(kStart);
  sla::store::InMemoryStore store;
  sla::store::Batch ahead;
  ahead.next_offset = 100;
  ASSERT_TRUE(store.commit(kTopic, 0, ahead));
  Acks acks;
  StoreStates states;
  Committer c(store, nullptr, acks, clock, CommitterSettings{kTopic, 5s, 8}, states.hooks());
  ASSERT_TRUE(c.try_push(commit_job(acks.cut(), 0, 40, "A")));
  ASSERT_TRUE(c.try_push(commit_job(acks.cut(), 1, 7, "B")));
  EXPECT_EQ(c.step().kind, Kind::kCommitted) << "dropped at once, no backoff";
  EXPECT_EQ(c.step().kind, Kind::kCommitted);
  EXPECT_EQ(committed_offset(store, 0), 100);
  EXPECT_EQ(committed_offset(store, 1), 7);
  EXPECT_FALSE(c.fatal());
  EXPECT_EQ(states.seen, (std::vector<bool>{true, true})) << "a stale commit is not a store outage";
}

TEST(CommitterRules, QueueIsBoundedAndALostPartitionIsForgottenQueuedAndInHand) {
  ManualClock clock(kStart);
  sla::store::InMemoryStore store;
  Acks acks;
  const auto e = acks.current();
  acks.produced(e);  // holds the first job until settled
  Committer c(store, nullptr, acks, clock, CommitterSettings{kTopic, 5s, 3}, CommitterHooks{});
  const auto cut = acks.cut();
  ASSERT_TRUE(c.try_push(commit_job(cut, 1, 100)));
  ASSERT_EQ(c.step().kind, Kind::kAwaitingAcks) << "taken off the queue: in hand";
  CommitJob both = commit_job(cut, 1, 200);
  both.parts.push_back(commit_job(cut, 2, 300).parts[0]);
  ASSERT_TRUE(c.try_push(std::move(both)));
  ASSERT_TRUE(c.try_push(commit_job(cut, 2, 400)));
  EXPECT_TRUE(c.full()) << "the job in hand counts";
  EXPECT_FALSE(c.try_push(commit_job(cut, 2, 500)));
  c.forget_partition(1);  // lost: its queued commits must not overwrite the new owner's
  acks.settled(e, std::nullopt);
  EXPECT_EQ(c.step().kind, Kind::kCommitted);
  EXPECT_EQ(committed_offset(store, 1), std::nullopt) << "not even the job in hand, which was waiting for its acks";
  EXPECT_EQ(c.step().kind, Kind::kCommitted);
  EXPECT_EQ(committed_offset(store, 2), 300);
  EXPECT_EQ(c.step().kind, Kind::kCommitted);
  EXPECT_EQ(committed_offset(store, 1), std::nullopt);
  EXPECT_EQ(committed_offset(store, 2), 400);
  EXPECT_FALSE(c.full());
}

}  // namespace
