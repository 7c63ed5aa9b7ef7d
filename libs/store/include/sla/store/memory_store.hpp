// sla::store::InMemoryStore: the StateStore kept in process memory, for
// `sla-timerd --embedded` and for tests. Same semantics as RedisStore
// (atomic batches, offsets never go backwards) but nothing survives the
// process. Not a Redis emulator: no key layout, no persistence.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "sla/store/store.hpp"

namespace sla::store {

/// Thread-safe: every call takes one internal mutex, so several threads (or
/// two simulated daemon instances in a test) may share one InMemoryStore.
/// `load_partition` returns tickets sorted by id (deterministic for tests).
class InMemoryStore final : public StateStore {
 public:
  InMemoryStore() = default;

  [[nodiscard]] sla::Result<PartitionState> load_partition(std::string_view topic,
                                                           std::int32_t partition) override;
  [[nodiscard]] sla::Result<void> commit(std::string_view topic, std::int32_t partition,
                                         const Batch& batch) override;
  [[nodiscard]] sla::Result<void> clear_partition(std::string_view topic,
                                                  std::int32_t partition) override;
  [[nodiscard]] sla::Result<void> ping() override;

  /// Failure injection for tests of the daemon: while false, every call
  /// fails with kUnavailable and changes nothing (as if Redis were down).
  void set_available(bool available);

  /// Number of successful commits so far (all partitions).
  [[nodiscard]] std::uint64_t commits() const;

 private:
  struct Partition {
    std::optional<std::int64_t> next_offset;
    std::unordered_map<std::string, std::string> tickets;
  };
  using Key = std::pair<std::string, std::int32_t>;

  [[nodiscard]] sla::Result<void> check_available() const;

  mutable std::mutex mu_;
  bool available_ = true;
  std::uint64_t commits_ = 0;
  std::map<Key, Partition> partitions_;
};

}  // namespace sla::store
