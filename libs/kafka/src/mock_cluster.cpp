#include "sla/kafka/mock_cluster.hpp"

#include <array>

#include <librdkafka/rdkafka_mock.h>

#include "log.hpp"

namespace sla::kafka {

void MockClusterDeleter::operator()(rd_kafka_mock_cluster_t* cluster) const noexcept {
  rd_kafka_mock_cluster_destroy(cluster);
}

namespace {

Result<void> check(rd_kafka_resp_err_t err, const std::string& context) {
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return tl::unexpected(to_error(err, context));
  return {};
}

}  // namespace

Result<std::unique_ptr<MockCluster>> MockCluster::start(int broker_count) {
  if (broker_count < 1) return fail(ErrorCode::kInvalidArgument, "mock cluster: broker_count must be >= 1");
  // The mock cluster runs on the threads of a client of its own; this one
  // never connects anywhere.
  auto conf = make_conf({{"client.id", "sla-mock-cluster"}});
  if (!conf) return tl::unexpected(conf.error());
  std::array<char, 512> errstr{};
  ClientHandle client(rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), errstr.data(), errstr.size()));
  if (!client) return fail(ErrorCode::kUnavailable, "mock cluster: rd_kafka_new: " + std::string(errstr.data()));
  (void)conf->release();

  std::unique_ptr<MockCluster> self(new MockCluster());
  self->client_ = std::move(client);
  self->cluster_.reset(rd_kafka_mock_cluster_new(self->client_.get(), broker_count));
  if (!self->cluster_) return fail(ErrorCode::kUnavailable, "mock cluster: rd_kafka_mock_cluster_new failed");
  self->bootstraps_ = rd_kafka_mock_cluster_bootstraps(self->cluster_.get());
  self->broker_count_ = broker_count;
  detail::logger()->info("mock kafka cluster: {} broker(s) at {}", broker_count, self->bootstraps_);
  return self;
}

MockCluster::~MockCluster() {
  cluster_.reset();  // before the client whose threads it uses
  client_.reset();
}

Result<void> MockCluster::create_topic(const std::string& topic, int partitions, int replication_factor) {
  return check(rd_kafka_mock_topic_create(cluster_.get(), topic.c_str(), partitions, replication_factor),
               "mock cluster: create topic " + topic);
}

Result<void> MockCluster::broker_down(std::int32_t broker_id) {
  return check(rd_kafka_mock_broker_set_down(cluster_.get(), broker_id),
               "mock cluster: broker " + std::to_string(broker_id) + " down");
}

Result<void> MockCluster::broker_up(std::int32_t broker_id) {
  return check(rd_kafka_mock_broker_set_up(cluster_.get(), broker_id),
               "mock cluster: broker " + std::to_string(broker_id) + " up");
}

Result<void> MockCluster::set_partition_leader(const std::string& topic, std::int32_t partition,
                                               std::int32_t broker_id) {
  return check(rd_kafka_mock_partition_set_leader(cluster_.get(), topic.c_str(), partition, broker_id),
               "mock cluster: leader of " + topic + "[" + std::to_string(partition) + "]");
}

}  // namespace sla::kafka
