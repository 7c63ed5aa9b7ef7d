#include "sla/store/memory_store.hpp"

#include <algorithm>

namespace sla::store {

sla::Result<void> InMemoryStore::check_available() const {
  if (!available_) {
    return sla::fail(ErrorCode::kUnavailable, "store: in-memory store set unavailable");
  }
  return {};
}

sla::Result<PartitionState> InMemoryStore::load_partition(std::string_view topic,
                                                          std::int32_t partition) {
  if (auto ok = validate_partition(topic, partition); !ok) {
    return tl::unexpected(ok.error());
  }
  const std::lock_guard lock(mu_);
  if (auto ok = check_available(); !ok) {
    return tl::unexpected(ok.error());
  }
  PartitionState out;
  const auto it = partitions_.find(Key{std::string(topic), partition});
  if (it == partitions_.end()) {
    return out;
  }
  out.next_offset = it->second.next_offset;
  out.tickets.reserve(it->second.tickets.size());
  for (const auto& [id, state] : it->second.tickets) {
    out.tickets.push_back(TicketRecord{id, state});
  }
  std::sort(out.tickets.begin(), out.tickets.end(),
            [](const TicketRecord& a, const TicketRecord& b) { return a.id < b.id; });
  return out;
}

sla::Result<void> InMemoryStore::commit(std::string_view topic, std::int32_t partition,
                                        const Batch& batch) {
  if (auto ok = validate_partition(topic, partition); !ok) {
    return ok;
  }
  if (auto ok = validate_batch(batch); !ok) {
    return ok;
  }
  const std::lock_guard lock(mu_);
  if (auto ok = check_available(); !ok) {
    return ok;
  }
  auto& part = partitions_[Key{std::string(topic), partition}];
  if (part.next_offset && *part.next_offset > batch.next_offset) {
    return sla::fail(ErrorCode::kOutOfRange,
                     "store: stale commit: next_offset " + std::to_string(batch.next_offset) +
                         " is below the stored " + std::to_string(*part.next_offset));
  }
  // Everything was checked above; from here on nothing can fail except
  // allocation, which is a broken invariant (std::bad_alloc), not an error.
  for (const auto& record : batch.upserts) {
    part.tickets.insert_or_assign(record.id, record.state);
  }
  for (const auto& id : batch.deletes) {
    part.tickets.erase(id);
  }
  part.next_offset = batch.next_offset;
  ++commits_;
  return {};
}

sla::Result<void> InMemoryStore::clear_partition(std::string_view topic, std::int32_t partition) {
  if (auto ok = validate_partition(topic, partition); !ok) {
    return ok;
  }
  const std::lock_guard lock(mu_);
  if (auto ok = check_available(); !ok) {
    return ok;
  }
  partitions_.erase(Key{std::string(topic), partition});
  return {};
}

sla::Result<void> InMemoryStore::ping() {
  const std::lock_guard lock(mu_);
  return check_available();
}

void InMemoryStore::set_available(bool available) {
  const std::lock_guard lock(mu_);
  available_ = available;
}

std::uint64_t InMemoryStore::commits() const {
  const std::lock_guard lock(mu_);
  return commits_;
}

}  // namespace sla::store
