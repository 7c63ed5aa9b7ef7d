#include "sla/store/store.hpp"

#include <string>

namespace sla::store {

sla::Result<void> validate_partition(std::string_view topic, std::int32_t partition) {
  if (topic.empty()) {
    return sla::fail(ErrorCode::kInvalidArgument, "store: empty topic name");
  }
  // Braces would break the Redis Cluster hash tag `{topic/partition}`.
  if (topic.find_first_of("{}") != std::string_view::npos) {
    return sla::fail(ErrorCode::kInvalidArgument,
                     "store: topic name must not contain '{' or '}': " + std::string(topic));
  }
  if (partition < 0) {
    return sla::fail(ErrorCode::kInvalidArgument,
                     "store: negative partition " + std::to_string(partition));
  }
  return {};
}

sla::Result<std::optional<std::int64_t>> StateStore::load_partition_into(std::string_view topic,
                                                                        std::int32_t partition,
                                                                        const TicketSink& sink) {
  auto state = load_partition(topic, partition);
  if (!state) {
    return tl::unexpected(state.error());
  }
  sink.restart(state->tickets.size());
  for (const auto& record : state->tickets) {
    sink.ticket(record.id, record.state);
  }
  return state->next_offset;
}

sla::Result<void> validate_batch(const Batch& batch) {
  if (batch.next_offset < 0) {
    return sla::fail(ErrorCode::kInvalidArgument,
                     "store: negative next_offset " + std::to_string(batch.next_offset));
  }
  for (const auto& record : batch.upserts) {
    if (record.id.empty()) {
      return sla::fail(ErrorCode::kInvalidArgument, "store: upsert with an empty ticket id");
    }
  }
  for (const auto& id : batch.deletes) {
    if (id.empty()) {
      return sla::fail(ErrorCode::kInvalidArgument, "store: delete with an empty ticket id");
    }
  }
  return {};
}

}  // namespace sla::store
