// sla::kafka::MockCluster: librdkafka's in-process mock Kafka cluster
// (`rdkafka_mock.h`) on loopback, for integration tests and the daemon's
// `--embedded` mode. Any Kafka client (kcat, the Java client) can connect to
// bootstrap_servers(). Not a real broker: no persistence, no replication
// semantics beyond leader placement, no ACLs, no transactions across restarts.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sla/base/result.hpp"
#include "sla/kafka/handles.hpp"

// Forward declaration of the mock's opaque type, so that users need not
// include rdkafka_mock.h.
extern "C" {
typedef struct rd_kafka_mock_cluster_s rd_kafka_mock_cluster_t;  // NOLINT(modernize-use-using)
}

namespace sla::kafka {

/// Destroys a mock cluster with `rd_kafka_mock_cluster_destroy`.
struct MockClusterDeleter {
  void operator()(rd_kafka_mock_cluster_t* cluster) const noexcept;
};

/// A running mock cluster. Broker ids are 1..broker_count. Clients connected
/// to it should be destroyed before it (they would only log connection
/// errors). Thread-safe as librdkafka's mock API (calls are serialized on the
/// cluster's own thread). Non-copyable, non-movable.
class MockCluster {
 public:
  /// Starts `broker_count` (>= 1) brokers listening on 127.0.0.1 ephemeral
  /// ports (`rd_kafka_mock_cluster_new` on a dedicated `rd_kafka_t`). Fails
  /// with kUnavailable.
  [[nodiscard]] static Result<std::unique_ptr<MockCluster>> start(int broker_count = 1);
  ~MockCluster();
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;
  MockCluster(MockCluster&&) = delete;
  MockCluster& operator=(MockCluster&&) = delete;

  /// `host:port,...` of every broker (`rd_kafka_mock_cluster_bootstraps`).
  [[nodiscard]] const std::string& bootstrap_servers() const noexcept { return bootstraps_; }
  [[nodiscard]] int broker_count() const noexcept { return broker_count_; }

  /// Creates `topic` with `partitions` partitions (`rd_kafka_mock_topic_create`).
  /// Unknown topics are otherwise auto-created on first use with the mock's
  /// default partition count.
  [[nodiscard]] Result<void> create_topic(const std::string& topic, int partitions,
                                          int replication_factor = 1);
  /// Closes the broker's connections and refuses new ones (`rd_kafka_mock_broker_set_down`).
  [[nodiscard]] Result<void> broker_down(std::int32_t broker_id);
  /// Accepts connections again (`rd_kafka_mock_broker_set_up`).
  [[nodiscard]] Result<void> broker_up(std::int32_t broker_id);
  /// Moves a partition's leadership (`rd_kafka_mock_partition_set_leader`).
  [[nodiscard]] Result<void> set_partition_leader(const std::string& topic, std::int32_t partition,
                                                  std::int32_t broker_id);

  /// The mock handle, for `rdkafka_mock.h` calls this class does not wrap.
  [[nodiscard]] rd_kafka_mock_cluster_t* raw() const noexcept { return cluster_.get(); }

 private:
  MockCluster() = default;
  // Declaration order matters: the cluster is destroyed before its client.
  ClientHandle client_;
  std::unique_ptr<rd_kafka_mock_cluster_t, MockClusterDeleter> cluster_;
  std::string bootstraps_;
  int broker_count_ = 0;
};

}  // namespace sla::kafka
