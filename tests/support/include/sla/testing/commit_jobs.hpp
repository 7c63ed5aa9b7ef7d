// The set-up the commit pipeline's tests share (the rules on a manual clock,
// and the committer's thread): commit jobs, the offset a store holds, and a
// store that fails its first commits. Test-only; a test including it links
// sla::pipeline and sla::store (sla::testing itself brings only sla::base).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "sla/pipeline/committer.hpp"
#include "sla/store/memory_store.hpp"

namespace sla::testing {

/// The input topic the commit tests commit offsets for.
inline constexpr const char* kCommitTopic = "tickets.events";

/// A commit of delivery epoch `epoch` for one partition: its next offset,
/// and the state of `ticket` when one is named.
inline pipeline::CommitJob commit_job(std::uint64_t epoch, std::int32_t partition, std::int64_t next_offset,
                                      const std::string& ticket = "") {
  pipeline::CommitJob j;
  j.epoch = epoch;
  pipeline::PartitionCommit c;
  c.partition = partition;
  c.batch.next_offset = next_offset;
  if (!ticket.empty()) c.batch.upserts.push_back({ticket, "state-of-" + ticket});
  j.parts.push_back(std::move(c));
  return j;
}

/// The next offset `store` holds for `partition` of kCommitTopic, if any.
inline std::optional<std::int64_t> committed_offset(store::StateStore& store, std::int32_t partition) {
  auto st = store.load_partition(kCommitTopic, partition);
  return st ? st->next_offset : std::nullopt;
}

/// A delivery epoch with one output produced in it, closed by a cut:
/// `epoch` is what an acknowledgement settles, `cut` what a commit carries.
struct ClosedEpoch {
  std::uint64_t epoch;
  std::uint64_t cut;
};
inline ClosedEpoch produce_and_cut(pipeline::Acks& acks) {
  const std::uint64_t epoch = acks.current();
  acks.produced(epoch);
  return {epoch, acks.cut()};
}

/// Fails the first `failures` commits, then forwards to an in-memory store;
/// counts the commit calls. Its counters may be read from another thread.
class FlakyStore final : public store::StateStore {
 public:
  explicit FlakyStore(int failures) : failures_(failures) {}
  sla::Result<store::PartitionState> load_partition(std::string_view t, std::int32_t p) override {
    return inner_.load_partition(t, p);
  }
  sla::Result<void> commit(std::string_view t, std::int32_t p, const store::Batch& b) override {
    ++calls_;
    if (failures_-- > 0) return sla::fail(ErrorCode::kUnavailable, "connection refused");
    return inner_.commit(t, p, b);
  }
  sla::Result<void> clear_partition(std::string_view t, std::int32_t p) override {
    return inner_.clear_partition(t, p);
  }
  sla::Result<void> ping() override { return {}; }
  [[nodiscard]] int calls() const { return calls_.load(); }

 private:
  std::atomic<int> failures_;
  std::atomic<int> calls_{0};
  store::InMemoryStore inner_;
};

}  // namespace sla::testing
