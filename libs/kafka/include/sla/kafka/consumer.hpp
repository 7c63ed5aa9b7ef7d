// sla::kafka::Consumer: a consumer-group member over librdkafka's C API with
// manual offsets. The store is the source of truth for where each partition
// resumes: on assignment the daemon says where to start; Kafka-side commits
// are informational (lag dashboards). Not thread-safe: one thread calls
// poll() and every other member; the rebalance handlers run on that thread,
// inside poll() or close().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sla/base/result.hpp"
#include "sla/kafka/config.hpp"
#include "sla/kafka/handles.hpp"
#include "sla/kafka/message.hpp"

namespace sla::kafka {

/// Called with partitions newly assigned to this member, before any of their
/// messages is returned by poll(). Set each `offset` to the first offset to
/// consume (the store's next offset), or leave it at kOffsetStored for the
/// group's committed offset (else `auto.offset.reset`, default earliest).
/// Runs inside poll(); must not throw (an exception terminates).
using AssignHandler = std::function<void(std::vector<TopicPartition>& partitions)>;

/// Called with partitions about to be taken from this member, before they are
/// dropped: the daemon flushes their outputs and state here. `lost` is true
/// when the group already gave them to another member (session timeout,
/// fencing): writes for them may race the new owner. Offsets in the list are
/// kOffsetStored. Runs inside poll() or close(); must not throw.
using RevokeHandler = std::function<void(const std::vector<TopicPartition>& partitions, bool lost)>;

/// Consumer settings beyond the connection.
struct ConsumerOptions {
  AssignHandler on_assign;   ///< may be empty: every partition starts at kOffsetStored
  RevokeHandler on_revoke;   ///< may be empty
  /// `partition.assignment.strategy`. Default `roundrobin`, an eager
  /// protocol: every rebalance revokes every partition (on_revoke with all of
  /// them) and then assigns the new set (on_assign), so the daemon flushes and
  /// reloads everything it keeps. `cooperative-sticky` (incremental: only the
  /// partitions that change owner are revoked/assigned) is also handled, but
  /// librdkafka 2.0.2 aborts (assertion `assignor_state`, librdkafka #4312,
  /// fixed in 2.3.0) when such a consumer is destroyed before its first
  /// assignment, e.g. on SIGTERM during start-up: close() then leaves the
  /// group but does not destroy the handle (leaked until the process exits).
  std::string assignment_strategy = "roundrobin";
  /// Most messages one poll() returns.
  std::size_t max_batch = 1000;
};

/// Lag of one assigned partition, from cached watermarks (no broker call).
struct PartitionLag {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t position = -1;        ///< next offset poll() will return; -1 unknown
  std::int64_t high_watermark = -1;  ///< log end offset; -1 unknown
  std::int64_t lag = -1;             ///< high_watermark - position; -1 unknown
};

/// A consumer-group member. Enforces `enable.auto.commit=false`,
/// `enable.auto.offset.store=false`, `enable.partition.eof=false`; defaults
/// `auto.offset.reset=earliest` (overridable in KafkaConfig::properties).
/// Non-copyable, non-movable (librdkafka holds a pointer to it).
class Consumer {
 public:
  /// Builds the client (`rd_kafka_new`, RD_KAFKA_CONSUMER) and subscribes to
  /// `topics` (`rd_kafka_subscribe`). Fails with kInvalidArgument on a bad
  /// property, kUnavailable if the client cannot be created. Does not wait
  /// for the broker: the assignment arrives in a later poll().
  [[nodiscard]] static Result<std::unique_ptr<Consumer>> create(const KafkaConfig& config,
                                                                std::vector<std::string> topics,
                                                                ConsumerOptions options = {});
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;
  Consumer(Consumer&&) = delete;
  Consumer& operator=(Consumer&&) = delete;

  /// Waits up to `timeout` for the first message, then takes what is already
  /// fetched, up to `max_batch`. Serves rebalances (the handlers run here).
  /// Transient errors (broker down, ...) are logged and counted and give an
  /// empty batch; fails with kUnavailable only on a fatal client error.
  [[nodiscard]] Result<std::vector<Message>> poll(std::chrono::milliseconds timeout);
  /// The same into `batch`, whose messages it overwrites in place: a loop
  /// that polls into one batch reuses its strings instead of allocating (and
  /// page-faulting) a fresh batch each time. `batch.size()` is the count.
  [[nodiscard]] Result<void> poll(std::chrono::milliseconds timeout, MessageBatch& batch);

  /// Stops fetching `partitions` (`rd_kafka_pause_partitions`); already
  /// fetched messages of them are discarded and fetched again on resume, so
  /// poll() continues exactly after the last message it returned. Offsets in
  /// the list are ignored.
  [[nodiscard]] Result<void> pause(const std::vector<TopicPartition>& partitions);
  /// Resumes `partitions` (`rd_kafka_resume_partitions`).
  [[nodiscard]] Result<void> resume(const std::vector<TopicPartition>& partitions);
  /// Pauses every assigned partition, and any assigned later until
  /// resume_all(): backpressure while the store is down.
  [[nodiscard]] Result<void> pause_all();
  /// Resumes every assigned partition and ends pause_all().
  [[nodiscard]] Result<void> resume_all();
  /// True between pause_all() and resume_all().
  [[nodiscard]] bool paused_all() const noexcept { return paused_all_; }

  /// Commits `offsets` (each the next offset to consume) to the group
  /// (`rd_kafka_commit`). Informational only (lag); `async` returns at once.
  [[nodiscard]] Result<void> commit(const std::vector<TopicPartition>& offsets, bool async = true);

  /// The current assignment (`rd_kafka_assignment`), offsets kOffsetStored.
  [[nodiscard]] std::vector<TopicPartition> assignment() const;

  /// Lag per assigned partition (`rd_kafka_position`,
  /// `rd_kafka_get_watermark_offsets`); cheap, for metrics.
  [[nodiscard]] std::vector<PartitionLag> lag() const;

  /// Whether a broker answers a metadata request within `timeout` (a round
  /// trip to the cluster; for readiness, not for every loop). Thread-safe.
  [[nodiscard]] bool brokers_reachable(std::chrono::milliseconds timeout) const;

  /// Why the brokers are not reachable, as far as librdkafka said: the last
  /// client error (`error_cb`) since brokers_reachable() last succeeded,
  /// e.g. "SASL authentication error: Authentication failed ... (_AUTHENTICATION)"
  /// or "SSL handshake failed: ... certificate verify failed ... (_SSL)".
  /// A refused login or certificate is not replaced by the dropped
  /// connections and timeouts that follow it, and nothing is replaced by an
  /// "all brokers down" summary.
  /// Empty when none. Thread-safe (errors arrive on the poll() thread).
  [[nodiscard]] std::string last_error() const;

  /// How many partitions `topic` has (a metadata round trip of up to
  /// `timeout`). kUnavailable when no broker answers in time, kNotFound
  /// for a topic the cluster does not have. Thread-safe.
  [[nodiscard]] sla::Result<std::int32_t> partition_count(std::string_view topic,
                                                          std::chrono::milliseconds timeout) const;

  /// Leaves the group (`rd_kafka_consumer_close`): on_revoke runs for the
  /// remaining partitions, then the group rebalances without this member.
  /// Idempotent; the destructor calls it.
  void close();

  /// Non-fatal errors seen (transport, broker), for metrics.
  [[nodiscard]] std::uint64_t errors() const noexcept { return errors_; }

  /// The underlying handle, for calls this class does not wrap.
  [[nodiscard]] rd_kafka_t* raw() const noexcept { return client_.get(); }

 private:
  explicit Consumer(ConsumerOptions options);
  static void error_trampoline(rd_kafka_t* rk, int err, const char* reason, void* opaque) noexcept;
  static void rebalance_trampoline(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                   rd_kafka_topic_partition_list_t* partitions, void* opaque) noexcept;
  void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) noexcept;

  ConsumerOptions options_;
  ClientHandle client_;
  bool paused_all_ = false;
  bool closed_ = false;
  bool assigned_once_ = false;  ///< an assignment arrived (see close(), librdkafka #4312)
  bool cooperative_assignor_ = false;  ///< partition.assignment.strategy is cooperative-sticky
  std::uint64_t errors_ = 0;
  mutable std::mutex last_error_mutex_;
  mutable std::string last_error_;     ///< guarded by last_error_mutex_
  mutable int last_error_weight_ = -1;  ///< guarded by last_error_mutex_; -1: none
};

}  // namespace sla::kafka
