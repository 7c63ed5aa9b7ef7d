// InMemoryStore: the StateStore contract, plus its test-only extras.
#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

#include "sla/store/memory_store.hpp"
#include "store_contract.hpp"

namespace sla::store::testing {
namespace {

/// Every make() is a handle on one shared InMemoryStore (it is thread-safe
/// and internally locked), like two instances sharing one Redis.
class SharedStore final : public StateStore {
 public:
  explicit SharedStore(std::shared_ptr<InMemoryStore> backend) : backend_(std::move(backend)) {}
  sla::Result<PartitionState> load_partition(std::string_view topic, std::int32_t partition) override {
    return backend_->load_partition(topic, partition);
  }
  sla::Result<void> commit(std::string_view topic, std::int32_t partition, const Batch& batch) override {
    return backend_->commit(topic, partition, batch);
  }
  sla::Result<void> clear_partition(std::string_view topic, std::int32_t partition) override {
    return backend_->clear_partition(topic, partition);
  }
  sla::Result<void> ping() override { return backend_->ping(); }

 private:
  std::shared_ptr<InMemoryStore> backend_;
};

struct MemoryFactory {
  std::shared_ptr<InMemoryStore> backend = std::make_shared<InMemoryStore>();
  std::unique_ptr<StateStore> make() { return std::make_unique<SharedStore>(backend); }
};

}  // namespace

INSTANTIATE_TYPED_TEST_SUITE_P(InMemory, StoreContract, MemoryFactory);

namespace {

TEST(InMemoryStore, UnavailableFailsEveryCallAndChangesNothing) {
  InMemoryStore store;
  ASSERT_TRUE(store.commit("t", 0, Batch{{{"a", "1"}}, {}, 1}).has_value());
  store.set_available(false);
  EXPECT_EQ(store.ping().error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(store.commit("t", 0, Batch{{{"a", "2"}}, {}, 2}).error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(store.load_partition("t", 0).error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(store.clear_partition("t", 0).error().code, ErrorCode::kUnavailable);
  store.set_available(true);
  auto state = store.load_partition("t", 0);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->next_offset, 1);
  EXPECT_EQ(state->tickets, (std::vector<TicketRecord>{{"a", "1"}}));
  EXPECT_EQ(store.commits(), 1U);
}

TEST(InMemoryStore, LoadsTicketsSortedById) {
  InMemoryStore store;
  ASSERT_TRUE(store.commit("t", 0, Batch{{{"c", "3"}, {"a", "1"}, {"b", "2"}}, {}, 1}).has_value());
  auto state = store.load_partition("t", 0);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->tickets, (std::vector<TicketRecord>{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
}

TEST(InMemoryStore, ConcurrentCommitsToOnePartitionNeverLoseTheHighestOffset) {
  InMemoryStore store;
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&store, w] {
      for (int i = 0; i < 500; ++i) {
        // Stale commits are expected to be refused; the others must land.
        (void)store.commit("t", 0, Batch{{{"w" + std::to_string(w), std::to_string(i)}}, {}, i});
      }
    });
  }
  for (auto& t : writers) {
    t.join();
  }
  auto state = store.load_partition("t", 0);
  ASSERT_TRUE(state.has_value());
  EXPECT_EQ(state->next_offset, 499);
}

}  // namespace
}  // namespace sla::store::testing
