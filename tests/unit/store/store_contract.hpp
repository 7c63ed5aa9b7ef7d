// The StateStore contract as a typed gtest suite, run against every
// implementation: InMemoryStore here (unit), RedisStore against a real
// redis-server (tests/integration/store). A Factory type provides
// `std::unique_ptr<sla::store::StateStore> make()`; each call returns a new
// store over the same backend (a second daemon instance).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sla/store/store.hpp"

namespace sla::store::testing {

inline std::vector<TicketRecord> sorted(std::vector<TicketRecord> records) {
  std::sort(records.begin(), records.end(),
            [](const TicketRecord& a, const TicketRecord& b) { return a.id < b.id; });
  return records;
}

/// Every byte value, NULs first, middle and last: the engine's state is binary.
inline std::string binary_bytes() {
  std::string bytes(1, '\0');
  for (int i = 0; i < 256; ++i) {
    bytes.push_back(static_cast<char>(i));
  }
  bytes.append("\0\0tail\0", 7);
  return bytes;
}

template <typename Factory>
class StoreContract : public ::testing::Test {
 protected:
  Factory factory_;
  std::unique_ptr<StateStore> store_ = factory_.make();

  PartitionState load(std::string_view topic, std::int32_t partition) {
    auto loaded = store_->load_partition(topic, partition);
    EXPECT_TRUE(loaded.has_value()) << (loaded ? "" : loaded.error().message);
    if (!loaded) {
      return {};
    }
    loaded->tickets = sorted(std::move(loaded->tickets));
    return *std::move(loaded);
  }

  void commit_ok(std::string_view topic, std::int32_t partition, const Batch& batch) {
    auto done = store_->commit(topic, partition, batch);
    ASSERT_TRUE(done.has_value()) << done.error().message;
  }
};

TYPED_TEST_SUITE_P(StoreContract);

TYPED_TEST_P(StoreContract, PingSucceeds) { EXPECT_TRUE(this->store_->ping().has_value()); }

TYPED_TEST_P(StoreContract, UnknownPartitionIsEmptyWithoutOffset) {
  const auto state = this->load("tickets.events", 0);
  EXPECT_FALSE(state.next_offset.has_value());
  EXPECT_TRUE(state.tickets.empty());
}

TYPED_TEST_P(StoreContract, RoundTripsBinaryStateWithTheOffset) {
  Batch batch;
  batch.upserts = {{"T-1", binary_bytes()}, {"T-2", ""}, {std::string("T\0bin", 5), "x"}};
  batch.next_offset = 42;
  this->commit_ok("tickets.events", 3, batch);

  const auto state = this->load("tickets.events", 3);
  ASSERT_TRUE(state.next_offset.has_value());
  EXPECT_EQ(*state.next_offset, 42);
  EXPECT_EQ(state.tickets, sorted(batch.upserts));
  EXPECT_EQ(state.tickets[1].state.size(), binary_bytes().size());
}

TYPED_TEST_P(StoreContract, UpsertReplacesAndDeleteRemoves) {
  this->commit_ok("t", 0, Batch{{{"a", "1"}, {"b", "1"}, {"c", "1"}}, {}, 10});
  this->commit_ok("t", 0, Batch{{{"a", "2"}}, {"b", "unknown-id"}, 11});

  const auto state = this->load("t", 0);
  EXPECT_EQ(state.tickets, (std::vector<TicketRecord>{{"a", "2"}, {"c", "1"}}));
  EXPECT_EQ(state.next_offset, 11);
}

TYPED_TEST_P(StoreContract, DeleteWinsOverUpsertInOneBatch) {
  this->commit_ok("t", 0, Batch{{{"a", "1"}, {"b", "1"}}, {"a"}, 5});
  EXPECT_EQ(this->load("t", 0).tickets, (std::vector<TicketRecord>{{"b", "1"}}));
}

TYPED_TEST_P(StoreContract, RepeatedUpsertKeepsTheLastState) {
  this->commit_ok("t", 0, Batch{{{"a", "1"}, {"a", "2"}}, {}, 1});
  EXPECT_EQ(this->load("t", 0).tickets, (std::vector<TicketRecord>{{"a", "2"}}));
}

TYPED_TEST_P(StoreContract, OffsetOnlyCommitKeepsTickets) {
  this->commit_ok("t", 0, Batch{{{"a", "1"}}, {}, 5});
  this->commit_ok("t", 0, Batch{{}, {}, 9});
  const auto state = this->load("t", 0);
  EXPECT_EQ(state.next_offset, 9);
  EXPECT_EQ(state.tickets.size(), 1U);
}

TYPED_TEST_P(StoreContract, StaleOffsetIsRejectedAndWritesNothing) {
  this->commit_ok("t", 1, Batch{{{"a", "new"}}, {}, 100});

  auto stale = this->store_->commit("t", 1, Batch{{{"a", "old"}, {"z", "old"}}, {"a"}, 99});
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, ErrorCode::kOutOfRange) << stale.error().message;

  const auto state = this->load("t", 1);
  EXPECT_EQ(state.next_offset, 100);
  EXPECT_EQ(state.tickets, (std::vector<TicketRecord>{{"a", "new"}}));
}

TYPED_TEST_P(StoreContract, EqualOffsetIsAcceptedSoARetryIsIdempotent) {
  const Batch batch{{{"a", "1"}}, {"gone"}, 7};
  this->commit_ok("t", 0, batch);
  this->commit_ok("t", 0, batch);  // e.g. a retry after an unknown outcome
  this->commit_ok("t", 0, Batch{{{"a", "2"}}, {}, 7});  // timers changed state, no new input
  const auto state = this->load("t", 0);
  EXPECT_EQ(state.next_offset, 7);
  EXPECT_EQ(state.tickets, (std::vector<TicketRecord>{{"a", "2"}}));
}

TYPED_TEST_P(StoreContract, StaleWriterFromAnotherInstanceIsRejected) {
  auto other = this->factory_.make();
  this->commit_ok("t", 2, Batch{{{"a", "owner"}}, {}, 50});
  auto stale = other->commit("t", 2, Batch{{{"a", "previous owner"}}, {}, 40});
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, ErrorCode::kOutOfRange);
  EXPECT_EQ(this->load("t", 2).tickets, (std::vector<TicketRecord>{{"a", "owner"}}));
}

TYPED_TEST_P(StoreContract, PartitionsAndTopicsAreIsolated) {
  this->commit_ok("tickets.events", 0, Batch{{{"a", "p0"}}, {}, 1});
  this->commit_ok("tickets.events", 1, Batch{{{"a", "p1"}, {"b", "p1"}}, {}, 2});
  this->commit_ok("other.events", 0, Batch{{{"c", "o0"}}, {}, 3});
  this->commit_ok("tickets.events", 1, Batch{{}, {"a"}, 4});

  EXPECT_EQ(this->load("tickets.events", 0).tickets, (std::vector<TicketRecord>{{"a", "p0"}}));
  EXPECT_EQ(this->load("tickets.events", 0).next_offset, 1);
  EXPECT_EQ(this->load("tickets.events", 1).tickets, (std::vector<TicketRecord>{{"b", "p1"}}));
  EXPECT_EQ(this->load("tickets.events", 1).next_offset, 4);
  EXPECT_EQ(this->load("other.events", 0).tickets, (std::vector<TicketRecord>{{"c", "o0"}}));
  EXPECT_EQ(this->load("other.events", 0).next_offset, 3);
  EXPECT_FALSE(this->load("other.events", 1).next_offset.has_value());
}

TYPED_TEST_P(StoreContract, NewInstanceSeesCommittedState) {
  this->commit_ok("t", 0, Batch{{{"a", binary_bytes()}}, {}, 12});
  this->store_.reset();  // the old instance is gone (a restart)
  this->store_ = this->factory_.make();
  const auto state = this->load("t", 0);
  EXPECT_EQ(state.next_offset, 12);
  EXPECT_EQ(state.tickets, (std::vector<TicketRecord>{{"a", binary_bytes()}}));
}

TYPED_TEST_P(StoreContract, ClearPartitionRemovesTicketsAndOffset) {
  this->commit_ok("t", 0, Batch{{{"a", "1"}}, {}, 12});
  this->commit_ok("t", 1, Batch{{{"b", "1"}}, {}, 13});
  ASSERT_TRUE(this->store_->clear_partition("t", 0).has_value());
  EXPECT_FALSE(this->load("t", 0).next_offset.has_value());
  EXPECT_TRUE(this->load("t", 0).tickets.empty());
  EXPECT_EQ(this->load("t", 1).next_offset, 13);
  // After a clear the offset may start again from anywhere.
  this->commit_ok("t", 0, Batch{{}, {}, 0});
}

TYPED_TEST_P(StoreContract, InvalidArgumentsWriteNothing) {
  auto& store = *this->store_;
  const Batch good{{{"a", "1"}}, {}, 1};
  auto expect_invalid = [](const sla::Result<void>& r) {
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << r.error().message;
  };
  expect_invalid(store.commit("", 0, good));
  expect_invalid(store.commit("t", -1, good));
  expect_invalid(store.commit("a{b}", 0, good));
  expect_invalid(store.commit("t", 0, Batch{{{"a", "1"}}, {}, -1}));
  expect_invalid(store.commit("t", 0, Batch{{{"a", "1"}, {"", "2"}}, {}, 1}));
  expect_invalid(store.commit("t", 0, Batch{{{"a", "1"}}, {""}, 1}));
  expect_invalid(store.clear_partition("", 0));
  auto loaded = store.load_partition("t", -3);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error().code, ErrorCode::kInvalidArgument);

  const auto state = this->load("t", 0);
  EXPECT_FALSE(state.next_offset.has_value());
  EXPECT_TRUE(state.tickets.empty());
}

TYPED_TEST_P(StoreContract, ManyTicketsInOneBatch) {
  Batch batch;
  for (int i = 0; i < 5000; ++i) {
    batch.upserts.push_back({"ticket-" + std::to_string(i), std::string(static_cast<std::size_t>(i % 97), '\0') + std::to_string(i)});
  }
  batch.next_offset = 5000;
  this->commit_ok("t", 0, batch);
  Batch removal;
  for (int i = 0; i < 5000; i += 2) {
    removal.deletes.push_back("ticket-" + std::to_string(i));
  }
  removal.next_offset = 5001;
  this->commit_ok("t", 0, removal);

  const auto state = this->load("t", 0);
  ASSERT_EQ(state.tickets.size(), 2500U);
  std::vector<TicketRecord> expected;
  for (int i = 1; i < 5000; i += 2) {
    expected.push_back(batch.upserts[static_cast<std::size_t>(i)]);
  }
  EXPECT_EQ(state.tickets, sorted(expected));
}

// The streamed load hands over the same tickets (binary states intact) and
// offset as load_partition, after one restart that announces their count.
TYPED_TEST_P(StoreContract, StreamedLoadHandsOverWhatLoadPartitionReturns) {
  Batch batch;
  for (int i = 0; i < 3000; ++i) {
    batch.upserts.push_back({"ticket-" + std::to_string(i), binary_bytes() + std::to_string(i)});
  }
  batch.next_offset = 42;
  this->commit_ok("t", 3, batch);
  this->commit_ok("t", 4, Batch{{{"other", "x"}}, {}, 7});

  std::vector<TicketRecord> seen;
  std::vector<std::size_t> restarts;
  const TicketSink sink{[&](std::size_t expected) {
                          restarts.push_back(expected);
                          seen.clear();
                        },
                        [&](std::string_view id, std::string_view state) {
                          seen.push_back(TicketRecord{std::string(id), std::string(state)});
                        }};
  auto offset = this->store_->load_partition_into("t", 3, sink);
  ASSERT_TRUE(offset.has_value()) << offset.error().message;
  EXPECT_EQ(*offset, std::optional<std::int64_t>(42));
  EXPECT_EQ(restarts, std::vector<std::size_t>{3000});
  EXPECT_EQ(sorted(seen), sorted(batch.upserts));
  EXPECT_EQ(sorted(seen), this->load("t", 3).tickets);

  restarts.clear();
  auto never = this->store_->load_partition_into("t", 9, sink);
  ASSERT_TRUE(never.has_value()) << never.error().message;
  EXPECT_EQ(*never, std::nullopt);
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(restarts, std::vector<std::size_t>{0});
  EXPECT_FALSE(this->store_->load_partition_into("t", -1, sink).has_value());
}

REGISTER_TYPED_TEST_SUITE_P(StoreContract, PingSucceeds, UnknownPartitionIsEmptyWithoutOffset,
                            RoundTripsBinaryStateWithTheOffset, UpsertReplacesAndDeleteRemoves,
                            DeleteWinsOverUpsertInOneBatch, RepeatedUpsertKeepsTheLastState,
                            OffsetOnlyCommitKeepsTickets, StaleOffsetIsRejectedAndWritesNothing,
                            EqualOffsetIsAcceptedSoARetryIsIdempotent,
                            StaleWriterFromAnotherInstanceIsRejected,
                            PartitionsAndTopicsAreIsolated, NewInstanceSeesCommittedState,
                            ClearPartitionRemovesTicketsAndOffset, InvalidArgumentsWriteNothing,
                            ManyTicketsInOneBatch, StreamedLoadHandsOverWhatLoadPartitionReturns);

}  // namespace sla::store::testing
